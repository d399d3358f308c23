// Many points through a network at once, to first order: the B points' jets (the value and the n tangents) are
// stacked as one block of B(n + 1) vectors, so a layer is one W·X product (kernel.ts) however narrow it is, and σ,
// the chain rule and the layer's recurrence (core/layers: x_l = Σ c_k x_{l−1−k} + factor·h^power·σ(z)) run
// elementwise over the whole block. On narrow deep nets (width 8, depth 64) the per-point path spends its time in
// per-layer overhead rather than arithmetic; the block pays it once per B points (bench/engine.ts measures both).
import { LAYER_KINDS } from "../../core/layers/index.js";
import { ACTIVATION_DERIVATIVES, type ActivationDerivatives, KERNEL_ACTIVATIONS } from "./activations.js";
import {
  affineJs,
  KERNEL,
  type KernelName,
  newWasmKernel,
  TAPS_SWEEP,
  type WasmKernel,
  wasmKernelAvailable,
  writePacked,
} from "./kernel.js";
import { derivativesOf } from "../../core/jet.js";
import { affineSparse, applyStep, maxReads, type PreparedLayer, type PreparedNetwork, shift, stepOf } from "./network.js";

/** Whether the block pass serves a network: every layer a recurrence of σ(W x + b) (kinds with their own engine step,
 *  softmax, are not). */
export const blockServes = (net: PreparedNetwork): boolean => net.layers.every((l) => LAYER_KINDS[l.kind].recurrence !== undefined);

/** The last layer's jets of one block: value of point b at Y[b·m + i], ∂_a at Y[((1 + a)·B + b)·m + i]. */
export interface JetBlock {
  Y: Float64Array;
  /** Points in this block. */
  B: number;
  /** Output width. */
  m: number;
  /** Index of the block's first point. */
  first: number;
}

/** Point b's x_L and J (m × n, row-major, into J) from its block; whether every entry of both is finite. */
export function pointOfBlock({ Y, B, m }: JetBlock, b: number, n: number, J: Float64Array): { output: Float64Array; finite: boolean } {
  const output = Y.subarray(b * m, (b + 1) * m);
  let finite = true;
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(output[i])) finite = false;
    for (let a = 0; a < n; a++) {
      const d = Y[((1 + a) * B + b) * m + i];
      J[i * n + a] = d;
      if (!Number.isFinite(d)) finite = false;
    }
  }
  return { output, finite };
}

/** Where writeBlock puts each point's quantities (row-major per point, from the block's first point on); null: not asked. */
export interface BlockOutputs {
  /** x_L: points × m. */
  output: Float64Array | null;
  /** J = ∂x_L/∂x_0: points × m × n. */
  jacobian: Float64Array | null;
  /** g = JᵀJ: points × n × n. */
  metric: Float64Array | null;
}

/**
 * A block's x_L, J and g = JᵀJ written straight into flat outputs (no per-point arrays); the index of the block's
 * first point whose written values are not all finite, or −1. g sums i = 0 … m − 1 in order, as congruence does.
 */
export function writeBlock({ Y, B, m, first }: JetBlock, n: number, out: BlockOutputs): number {
  const { output, jacobian, metric } = out;
  let bad = -1;
  for (let b = 0; b < B; b++) {
    const p = first + b;
    // v − v is 0 for a finite v and NaN otherwise: one test per point instead of one per value
    let check = 0;
    if (output) {
      const o = p * m,
        y = b * m;
      for (let i = 0; i < m; i++) {
        const v = Y[y + i];
        output[o + i] = v;
        check += v - v;
      }
    }
    if (jacobian) {
      const o = p * m * n;
      for (let a = 0; a < n; a++) {
        const ya = ((1 + a) * B + b) * m;
        for (let i = 0, at = o + a; i < m; i++, at += n) {
          const d = Y[ya + i];
          jacobian[at] = d;
          check += d - d;
        }
      }
    }
    if (metric) {
      const o = p * n * n;
      for (let a = 0; a < n; a++) {
        const ya = ((1 + a) * B + b) * m;
        for (let c = a; c < n; c++) {
          const yc = ((1 + c) * B + b) * m;
          let s = 0;
          for (let i = 0; i < m; i++) s += Y[ya + i] * Y[yc + i];
          metric[o + a * n + c] = metric[o + c * n + a] = s;
          check += s - s;
        }
      }
    }
    if (check !== 0 && bad < 0) bad = p;
  }
  return bad;
}

/** Doubles in one block's buffer at most (8 MB): wide layers and many input directions take fewer points per block. */
const BLOCK_DOUBLES = 2 ** 20;

/**
 * Who runs a block pass's work and where its buffers live. The JavaScript backend: Float64Arrays and loops. The
 * WebAssembly one: the network's W (packed) and b copied once into a kernel's memory, the pass's buffers as views of
 * that memory, so a layer's product, σ and the chain rule (with a residual step) run in the kernel with no copies in or
 * out (on a width-8 layer the copies and the JavaScript σ cost more than the product). Layer kinds and activations the
 * kernel lacks run their JavaScript loops on the same views.
 */
interface BlockBackend {
  /** Buffers of these lengths, valid until the pass ends. */
  buffers(lengths: readonly number[]): Float64Array[];
  /**
   * Layer l over a block of B points with K jet components: y = the layer's step from σ(W x + b) with the chain rule
   * on the tangents, given the states it reads (newest first); D is scratch for σ and its derivatives.
   */
  layer(l: number, x: Float64Array, y: Float64Array, D: Float64Array, B: number, K: number, states: readonly Float64Array[]): void;
  /** The layer's parts one by one, for a pass that does more between them (second derivatives). */
  parts: LayerParts;
  /** The pass is over (the memory may serve the next one). */
  release(): void;
}

/** The parts of a layer's work a backend supplies to `layerSteps`. */
interface LayerParts {
  /** Z = W_l X for `count` vectors (bias not added). */
  affine(l: number, X: Float64Array, Z: Float64Array, count: number): void;
  /** σ(z + b_l) and σ'(z + b_l) into D[u] and D[units + u], z = Y[u]. */
  activate(l: number, Y: Float64Array, D: Float64Array, units: number): void;
  /** The chain rule alone over the K components (see chain). */
  chain(Y: Float64Array, D: Float64Array, units: number, K: number): void;
  /** The chain rule and the step y = c·x + s·y over the K components (see chainStep). */
  chainStep(Y: Float64Array, D: Float64Array, units: number, K: number, c: number, X: Float64Array, s: number): void;
}

/** A layer in sweeps over the block: W x for every component, σ at the values, the chain rule (with a one-term step),
 *  then the rest of the layer's step. */
function layerSteps(net: PreparedNetwork, parts: LayerParts): BlockBackend["layer"] {
  return (l, x, y, D, B, K, states) => {
    const units = B * net.layers[l].outWidth,
      step = stepOf(net.layers[l], l + 1);
    parts.affine(l, x, y, K * B);
    parts.activate(l, y, D, units);
    if (step.coeffs.length === 1 && step.s !== null) parts.chainStep(y, D, units, K, step.coeffs[0], states[0], step.s);
    else {
      parts.chain(y, D, units, K);
      applyStep(step, states, y, K * units);
    }
  };
}

const jsBackend = (net: PreparedNetwork): BlockBackend => {
  const parts: LayerParts = {
    affine: (l, X, Z, count) => {
      const layer = net.layers[l],
        t = layer.through;
      if (t) affineJs(t.W, null, X, Z, layer.outWidth, t.cols, count);
      else if (layer.sparse) affineSparse(layer.sparse, null, X, Z, layer.outWidth, layer.inWidth, count);
      else affineJs(layer.W!, null, X, Z, layer.outWidth, layer.inWidth, count);
    },
    activate: (l, Y, D, units) => activate(ACTIVATION_DERIVATIVES[net.layers[l].activation], biasOf(net.layers[l]), Y, D, units),
    chain,
    chainStep,
  };
  return { buffers: (lengths) => lengths.map((n) => new Float64Array(n)), layer: layerSteps(net, parts), parts, release: () => {} };
};

interface WasmBlocks extends BlockBackend {
  busy: boolean;
}

/** Per network: its W and b are copied in once, which is exact because prepared weights are never written. */
const wasmBlocks = new WeakMap<PreparedNetwork, WasmBlocks>();

function wasmBackend(net: PreparedNetwork, kernel: WasmKernel): WasmBlocks {
  const bytes = (doubles: number) => 16 * Math.ceil(doubles / 2); // 16-byte aligned starts
  const wAt: number[] = [],
    bAt: number[] = [];
  // a shaped layer's taps: its rows' starts, columns and values (the kernel's `taps` reads them where they are)
  const tapsAt: { start: number; col: number; val: number }[] = [];
  let at = 0,
    sweep = 0;
  for (const layer of net.layers) {
    wAt.push(at);
    // a folded pair runs from their product, a shaped layer from its taps
    const W = layer.through?.W ?? layer.W;
    at += W ? bytes(W.length) : 0;
    const sp = !layer.through && layer.sparse;
    if (sp) {
      const start = at,
        col = start + bytes(sp.start.length / 2),
        val = col + bytes(sp.col.length / 2);
      tapsAt.push({ start, col, val });
      at = val + bytes(sp.val.length);
      sweep = Math.max(sweep, layer.inWidth * TAPS_SWEEP);
    } else tapsAt.push({ start: 0, col: 0, val: 0 });
    bAt.push(at);
    at += bytes(layer.b!.length);
  }
  // the taps kernel's transposed inputs
  const T = at;
  at += bytes(sweep);
  const scratch = at;
  const grow = (end: number) => {
    const have = kernel.memory.buffer.byteLength;
    if (end > have) kernel.memory.grow(Math.ceil((end - have) / 65536));
  };
  grow(scratch);
  const f64 = new Float64Array(kernel.memory.buffer);
  net.layers.forEach((layer, l) => {
    const t = layer.through;
    if (t) writePacked(t.W, layer.outWidth, t.cols, f64, wAt[l] / 8);
    else if (layer.W) writePacked(layer.W, layer.outWidth, layer.inWidth, f64, wAt[l] / 8);
    if (!t && layer.sparse) {
      const i32 = new Int32Array(kernel.memory.buffer);
      i32.set(layer.sparse.start, tapsAt[l].start / 4);
      i32.set(layer.sparse.col, tapsAt[l].col / 4);
      f64.set(layer.sparse.val, tapsAt[l].val / 8);
    }
    f64.set(biasOf(layer), bAt[l] / 8);
  });
  const parts: LayerParts = {
    affine: (l, X, Z, count) => {
      const layer = net.layers[l],
        t = layer.through;
      if (t) kernel.affine(wAt[l], X.byteOffset, Z.byteOffset, layer.outWidth, t.cols, count);
      else if (layer.sparse) {
        const a = tapsAt[l];
        kernel.taps(a.start, a.col, a.val, X.byteOffset, Z.byteOffset, T, layer.outWidth, layer.inWidth, count);
      } else kernel.affine(wAt[l], X.byteOffset, Z.byteOffset, layer.outWidth, layer.inWidth, count);
    },
    activate: (l, Y, D, units) => {
      const layer = net.layers[l],
        own = KERNEL_ACTIVATIONS[layer.activation];
      if (own) kernel[own](Y.byteOffset, bAt[l], D.byteOffset, units, layer.outWidth);
      else activate(ACTIVATION_DERIVATIVES[layer.activation], biasOf(layer), Y, D, units);
    },
    chain: (Y, D, units, K) => kernel.chain(Y.byteOffset, D.byteOffset, units, K),
    chainStep: (Y, D, units, K, c, X, s) => kernel.chain_step(Y.byteOffset, D.byteOffset, X.byteOffset, units, K, c, s),
  };
  const steps = layerSteps(net, parts);
  const backend: WasmBlocks = {
    busy: false,
    parts,
    buffers: (lengths) => {
      const starts = lengths.map((_, i) => scratch + lengths.slice(0, i).reduce((s, n) => s + bytes(n), 0));
      grow(scratch + lengths.reduce((s, n) => s + bytes(n), 0));
      return lengths.map((n, i) => new Float64Array(kernel.memory.buffer, starts[i], n));
    },
    layer: (l, x, y, D, B, K, states) => {
      const layer = net.layers[l],
        own = KERNEL_ACTIVATIONS[layer.activation];
      if (!own || !(layer.through ?? layer.W)) return steps(l, x, y, D, B, K, states);
      // a dense W with the kernel's σ: the values' product, σ and σ' there, then the tangents' product with the chain
      // rule (and a one-term step) in its write-back, so the tangents are written once instead of three times
      const rows = layer.outWidth,
        cols = layer.through?.cols ?? layer.inWidth,
        units = B * rows,
        step = stepOf(layer, l + 1),
        oneTerm = step.coeffs.length === 1 && step.s !== null;
      const [xAt, yAt, dAt, pAt] = [x.byteOffset, y.byteOffset, D.byteOffset, oneTerm ? states[0].byteOffset : 0];
      kernel.affine(wAt[l], xAt, yAt, rows, cols, B);
      kernel[own](yAt, bAt[l], dAt, units, rows);
      if (oneTerm) kernel.chain_step(yAt, dAt, pAt, units, 1, step.coeffs[0], step.s!);
      else kernel.chain(yAt, dAt, units, 1);
      const [c, s] = oneTerm ? [step.coeffs[0], step.s!] : [0, 1];
      if (K > 1)
        kernel.affine_chain(
          wAt[l],
          xAt + 8 * B * cols,
          yAt + 8 * units,
          rows,
          cols,
          (K - 1) * B,
          dAt + 8 * units,
          B,
          pAt + 8 * units,
          c,
          s,
          +oneTerm,
        );
      if (!oneTerm) applyStep(step, states, y, K * units);
    },
    release: () => {
      backend.busy = false;
    },
  };
  return backend;
}

/** The backend for a pass: by KERNEL (or the named one); a pass started inside another's visit gets its own memory. */
function backendFor(net: PreparedNetwork, kernel: KernelName): BlockBackend {
  if (kernel !== "wasm" || !wasmKernelAvailable()) return jsBackend(net);
  const cached = wasmBlocks.get(net);
  const fresh = cached && !cached.busy ? null : newWasmKernel();
  if (!(cached && !cached.busy) && !fresh) return jsBackend(net); // no address space for a memory: the loop
  const backend = fresh ? wasmBackend(net, fresh) : cached!;
  if (!cached) wasmBlocks.set(net, backend);
  backend.busy = true;
  return backend;
}

/**
 * Second derivatives a block pass carries besides the first: S components per point, f''[p, q] for a pair of
 * directions (p, q) each, `pairs` holding point k's s-th pair at (k·S + s)·2n: p's n entries, then q's. The
 * geodesic equation asks for f''[v, v] (one pair per point), the energy's gradient for f''[e_a, d] (a = 1 … n).
 */
export interface SecondOrder {
  S: number;
  pairs: Float64Array;
}

/**
 * x_L and its n first derivatives with respect to x_0 at `count` points (row after row in `points`, n each), `block`
 * points at a time (by default up to 128, fewer where a block's buffer would pass BLOCK_DOUBLES); `visit` reads each
 * block's jets while they are valid (the buffers are reused for the next). With `second`, each point also carries its
 * S second derivatives f''[p, q] as components n + 1 … n + S (Y[((1 + n + s)·B + b)·m + i]): per layer
 * z''[p, q] = W x''[p, q] and σ(z)''[p, q] = σ'(z) z''[p, q] + σ''(z) z'[p] z'[q], as propagate's jets compose them.
 */
export function propagateBlocks(
  net: PreparedNetwork,
  points: Float64Array,
  n: number,
  visit: (jets: JetBlock) => void,
  blockSize?: number,
  kernel: KernelName = KERNEL,
  second: SecondOrder | null = null,
): void {
  const count = points.length / n,
    S = second?.S ?? 0,
    K = n + 1 + S;
  const widths = [n, ...net.layers.map((l) => l.outWidth)];
  const maxW = Math.max(...widths);
  const block = blockSize ?? Math.max(1, Math.min(128, Math.floor(BLOCK_DOUBLES / (K * maxW))));
  const reads = maxReads(net);
  const backend = backendFor(net, kernel);
  try {
    // σ … σ''' of a layer (activations write all four), the states a recurrence reads (newest first), the layer being built
    const [D, ...pool] = backend.buffers([4 * block * maxW, ...Array.from({ length: reads + 1 }, () => K * block * maxW)]);
    for (let first = 0; first < count; first += block) {
      const B = Math.min(block, count - first);
      const states: Float64Array[] = [];
      let x = pool[0];
      x.fill(0, 0, K * B * n);
      for (let b = 0; b < B; b++)
        for (let a = 0; a < n; a++) {
          x[b * n + a] = points[(first + b) * n + a];
          x[((1 + a) * B + b) * n + a] = 1;
        }
      states.unshift(x);
      for (let l = 0; l < net.layers.length; l++) {
        // a linear layer folded into the next (PreparedLayer.through): both layers as one product
        if (net.layers[l + 1]?.through) l++;
        const y = pool.find((p) => !states.includes(p))!;
        if (second) {
          // the second derivatives first, from the tangents before the chain rule scales them; the step is linear in
          // every component
          const units = B * widths[l + 1],
            step = stepOf(net.layers[l], l + 1);
          backend.parts.affine(l, x, y, K * B);
          backend.parts.activate(l, y, D, units);
          secondDerivatives(net.layers[l], y, D, B, widths[l + 1], n, second, first);
          backend.parts.chain(y, D, units, n + 1);
          applyStep(step, states, y, K * units);
        } else backend.layer(l, x, y, D, B, K, states);
        shift(states, y, reads);
        x = y;
      }
      visit({ Y: x, B, m: widths[widths.length - 1], first });
    }
  } finally {
    backend.release();
  }
}

/** The bias a layer's σ adds in the block pass: its own, or the folded pair's (PreparedLayer.through). */
const biasOf = (layer: PreparedLayer): Float64Array => layer.through?.b ?? layer.b!;

/**
 * A layer's second-derivative components over a block, in place: y_s = σ'(z) y_s + σ''(z) z'[p_s] z'[q_s], with
 * z'[p] = Σ_a p^a z_a from the tangents (not yet scaled by σ'). D holds σ(z + b) on entry; σ', σ'' and σ''' are
 * written from it by the registry's derivatives (core/jet.ts), the numbers the point-by-point pass uses.
 */
function secondDerivatives(
  layer: PreparedLayer,
  y: Float64Array,
  D: Float64Array,
  B: number,
  w: number,
  n: number,
  { S, pairs }: SecondOrder,
  first: number,
): void {
  const units = B * w,
    bias = biasOf(layer),
    derivatives = derivativesOf(layer.activation);
  for (let u = 0, i = 0; u < units; u++, i = i + 1 === w ? 0 : i + 1) derivatives(y[u] + bias[i], D[u], D, u, units);
  // z'[p] and z'[q] of every unit, a point's first tangent's term then the others' (the same sums as a loop over a)
  const zp = new Float64Array(w),
    zq = new Float64Array(w);
  for (let b = 0; b < B; b++) {
    const at = (first + b) * S * 2 * n,
      u0 = b * w;
    for (let s = 0; s < S; s++) {
      const p = at + s * 2 * n,
        q = p + n,
        ys = (1 + n + s) * units + u0;
      let same = true; // f''[v, v] (the geodesic equation's): z'[q] is z'[p]
      for (let a = 0; a < n && same; a++) same = pairs[p + a] === pairs[q + a];
      if (same) {
        for (let a = 0; a < n; a++) {
          const pa = pairs[p + a],
            o = (1 + a) * units + u0;
          if (a === 0) for (let i = 0; i < w; i++) zp[i] = pa * y[o + i];
          else for (let i = 0; i < w; i++) zp[i] += pa * y[o + i];
        }
        const d1 = units + u0,
          d2 = 2 * units + u0;
        for (let i = 0; i < w; i++) y[ys + i] = D[d1 + i] * y[ys + i] + D[d2 + i] * zp[i] * zp[i];
        continue;
      }
      for (let a = 0; a < n; a++) {
        const pa = pairs[p + a],
          qa = pairs[q + a],
          o = (1 + a) * units + u0;
        if (a === 0)
          for (let i = 0; i < w; i++) {
            zp[i] = pa * y[o + i];
            zq[i] = qa * y[o + i];
          }
        else
          for (let i = 0; i < w; i++) {
            zp[i] += pa * y[o + i];
            zq[i] += qa * y[o + i];
          }
      }
      const d1 = units + u0,
        d2 = 2 * units + u0;
      for (let i = 0; i < w; i++) y[ys + i] = D[d1 + i] * y[ys + i] + D[d2 + i] * zp[i] * zq[i];
    }
  }
}

/** σ(z + b), σ'(z + b) of the layer's units into D (the pre-activations z are y's values). */
function activate(act: ActivationDerivatives, bias: Float64Array, y: Float64Array, D: Float64Array, units: number): void {
  const wo = bias.length;
  for (let u = 0, i = 0; u < units; u++, i = i + 1 === wo ? 0 : i + 1) act(y[u] + bias[i], D, u, units);
}

/** The chain rule over the K components: σ(z) on the values, σ'(z)·∂z on the tangents. */
export function chain(y: Float64Array, D: Float64Array, units: number, K: number): void {
  for (let u = 0; u < units; u++) y[u] = D[u];
  for (let k = 1; k < K; k++) for (let u = 0, o = k * units; u < units; u++) y[o + u] *= D[units + u];
}

/**
 * chain, then a one-term step y = c·x + s·y (the residual kind) in the same sweep: one memory pass where chain and
 * applyStep take two, and the same sums in the same order as theirs.
 */
export function chainStep(y: Float64Array, D: Float64Array, units: number, K: number, c: number, x: Float64Array, s: number): void {
  for (let u = 0; u < units; u++) y[u] = c * x[u] + s * D[u];
  for (let k = 1; k < K; k++) for (let u = 0, o = k * units; u < units; u++) y[o + u] = c * x[o + u] + s * (y[o + u] * D[units + u]);
}
