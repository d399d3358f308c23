// The matrix engine's network: parameters bound once into Float64Arrays, a forward pass that
// carries the n input directions' derivatives to third order through every layer as jets, and a
// reverse pass for the Jacobian when the output is smaller than the input. Nothing here builds an
// expression; no width × width layer Jacobian is ever formed (a layer acts as diag(σ') W). Each kind's step is
// read from its one home, LAYER_KINDS[kind].recurrence: x_l = Σ_k c_k x_{l−1−k} + s(h) σ(W x_{l−1} + b).
import { scaleValue } from "../../core/layers/affine.js";
import { LAYER_KINDS } from "../../core/layers/index.js";
import type { Activation, LayerKind, Network } from "../../semantics/model.js";
import { freeSymbols } from "../../symbolic/expr.js";
import { fromMath } from "../../symbolic/mathjs.js";
import { assertValued } from "../evaluate.js";
import { paramValues } from "../forward.js";
import { ACTIVATION_DERIVATIVES, KERNEL_ACTIVATIONS, KERNEL_HIGHER } from "./activations.js";
import { type Taps, tapCoef } from "../../core/layers/shape.js";
import type { JetArithmetic } from "../../core/layers/types.js";
import { composeJets, type JetLayout, jetLayout, scaleJets } from "./jets.js";
import { activateWasm, affine, affineTaps } from "./kernel.js";

export interface PreparedLayer {
  kind: LayerKind;
  activation: Activation;
  inWidth: number;
  outWidth: number;
  /** Row-major outWidth × inWidth (null for kinds without W, softmax). */
  W: Float64Array | null;
  b: Float64Array | null;
  h: number;
  /** The kind's constant ε (layer_norm). */
  eps?: number;
  /** A shaped layer's operator as its nonzero entries by row (W is then null): the passes apply it tap by tap. */
  sparse?: SparseOperator;
  /**
   * Set when the layer before this one is linear (x = W' x' + b', nothing else reading it) and folding costs fewer
   * products: this layer's pre-activation straight from that layer's input, z = (A W') x' + (A b' + b), dense
   * (outWidth × that layer's inWidth). Passes that keep no per-layer caches run the two layers as this one product.
   */
  through?: Through;
}

/** Two layers' affine maps multiplied out: W (rows × cols, row-major) and b. */
export interface Through {
  W: Float64Array;
  b: Float64Array;
  cols: number;
}

/** An out × in operator by rows (CSR): row i's entries are val[k] at column col[k] for start[i] ≤ k < start[i + 1]. */
export interface SparseOperator {
  start: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/** A shaped layer's operator from its taps and its kernel's values (null: the kind's fixed coefficient), by rows. */
export function sparseOperator(taps: Taps, rows: number, kernel: ArrayLike<number> | null): SparseOperator {
  const nnz = taps.rows.length;
  const start = new Int32Array(rows + 1);
  for (let k = 0; k < nnz; k++) start[taps.rows[k] + 1]++;
  for (let i = 0; i < rows; i++) start[i + 1] += start[i];
  const fill = start.slice(0, rows),
    col = new Int32Array(nnz),
    val = new Float64Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const at = fill[taps.rows[k]]++,
      i = taps.index[k];
    col[at] = taps.cols[k];
    val[at] = i < 0 ? tapCoef(taps, k) : kernel![i];
  }
  return { start, col, val };
}

/**
 * Z[k·rows + i] = Σ_j A[i][j] X[k·cols + j] (+ b[i] on the value) for the K components, A sparse by rows. Up to
 * eight components share one sweep over the taps: at decoder scale the taps (12 bytes each) do not fit in cache, and
 * reading them once per component made the loop memory-bound.
 */
export function affineSparse(
  A: SparseOperator,
  b: Float64Array | null,
  X: Float64Array,
  Z: Float64Array,
  rows: number,
  cols: number,
  K: number,
): void {
  const { start, col, val } = A;
  for (let k = 0; k < K; k += 8) {
    const n = Math.min(8, K - k);
    // components past K read the last one again (in bounds) and are not stored
    const xo = (j: number) => (k + Math.min(j, n - 1)) * cols;
    const x0 = xo(0),
      x1 = xo(1),
      x2 = xo(2),
      x3 = xo(3),
      x4 = xo(4),
      x5 = xo(5),
      x6 = xo(6),
      x7 = xo(7);
    const z0 = k * rows,
      bias = k === 0 ? b : null;
    for (let i = 0; i < rows; i++) {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        a4 = 0,
        a5 = 0,
        a6 = 0,
        a7 = 0;
      if (n <= 4)
        for (let t = start[i], e = start[i + 1]; t < e; t++) {
          const v = val[t],
            c = col[t];
          a0 += v * X[x0 + c];
          a1 += v * X[x1 + c];
          a2 += v * X[x2 + c];
          a3 += v * X[x3 + c];
        }
      else
        for (let t = start[i], e = start[i + 1]; t < e; t++) {
          const v = val[t],
            c = col[t];
          a0 += v * X[x0 + c];
          a1 += v * X[x1 + c];
          a2 += v * X[x2 + c];
          a3 += v * X[x3 + c];
          a4 += v * X[x4 + c];
          a5 += v * X[x5 + c];
          a6 += v * X[x6 + c];
          a7 += v * X[x7 + c];
        }
      Z[z0 + i] = bias ? a0 + bias[i] : a0;
      if (n > 1) Z[z0 + rows + i] = a1;
      if (n > 2) Z[z0 + 2 * rows + i] = a2;
      if (n > 3) Z[z0 + 3 * rows + i] = a3;
      if (n > 4) Z[z0 + 4 * rows + i] = a4;
      if (n > 5) Z[z0 + 5 * rows + i] = a5;
      if (n > 6) Z[z0 + 6 * rows + i] = a6;
      if (n > 7) Z[z0 + 7 * rows + i] = a7;
    }
  }
}

/** A layer's Z = W X (+ b on the value): the dense kernel, or the operator's taps for a shaped layer; with `through`,
 *  the layer's product folded with the linear layer before it (X is then that layer's input). */
export function layerAffine(
  layer: PreparedLayer,
  b: Float64Array | null,
  X: Float64Array,
  Z: Float64Array,
  K: number,
  through?: Through,
): void {
  if (through) affine(through.W, b && through.b, X, Z, layer.outWidth, through.cols, K);
  else if (layer.sparse && affineTaps(layer.sparse, b, X, Z, layer.outWidth, layer.inWidth, K)) return;
  else if (layer.sparse) affineSparse(layer.sparse, b, X, Z, layer.outWidth, layer.inWidth, K);
  else affine(layer.W!, b, X, Z, layer.outWidth, layer.inWidth, K);
}
export interface PreparedNetwork {
  name: string;
  layers: PreparedLayer[];
}

const prepared = new WeakMap<Network, PreparedNetwork>();

/** Bind a network's parameters: numeric weights as they are, symbolic ones from `env` (as forward.ts does). */
export function prepareNetwork(net: Network, env: ReadonlyMap<string, number> = new Map()): PreparedNetwork {
  // a shaped layer's parameters are its kernel and bias: its dense W is never read here (nor written out)
  const params = (l: Network["layers"][number]) => (l.shaped ? [l.shaped.K, l.b] : [l.W, l.b, l.h, l.eps]);
  const numeric = net.layers.every((l) => params(l).every((p) => !p || p.values));
  const hit = numeric ? prepared.get(net) : undefined;
  if (hit) return hit;
  if (!numeric) {
    const symbols = net.layers.flatMap((l) => params(l).flatMap((p) => (p && !p.values ? freeSymbols(p.entries.map(fromMath)) : [])));
    assertValued(
      symbols.filter((s) => s !== "pi"),
      env,
      `the weights of '${net.name}'`,
    );
  }
  const vals = (p: Parameters<typeof paramValues>[0] | undefined) => (p ? (p.values ?? Float64Array.from(paramValues(p, env))) : null);
  const out: PreparedNetwork = {
    name: net.name,
    layers: net.layers.map((l) => {
      // a shaped layer runs from its taps and kernel: its dense W is never read (nor copied into the kernel's memory)
      const sparse = l.shaped && sparseOperator(l.shaped.taps, l.outWidth, l.shaped.K ? vals(l.shaped.K) : null);
      return {
        kind: l.kind,
        activation: l.activation,
        inWidth: l.inWidth,
        outWidth: l.outWidth,
        W: sparse ? null : vals(l.W),
        b: vals(l.b),
        h: l.h ? vals(l.h)![0] : 0,
        eps: l.eps ? vals(l.eps)![0] : 0,
        ...(sparse ? { sparse } : {}),
      };
    }),
  };
  foldLinear(out.layers);
  if (numeric) prepared.set(net, out);
  return out;
}

/** Products one application of a layer's operator costs: its entries (taps, or the dense W's). */
const products = (l: PreparedLayer) => (l.sparse ? l.sparse.val.length : l.outWidth * l.inWidth);
/** The most multiply-adds spent multiplying two layers out (A W' costs products(A) · inWidth'). */
const FOLD_WORK = 2 ** 27;

/**
 * Linear layers folded into the layer after them (PreparedLayer.through) where that is cheaper: a decoder's
 * Linear(2, 64·7·7) before a transposed convolution with 1.6 million taps becomes one 6272 × 2 product. Only where
 * the linear layer's state is read by the next layer's σ(A x + b) alone: it is a plain σ(z) step with σ the
 * identity, the next layer's step reads no earlier state, and no layer reads further back than one state.
 */
function foldLinear(layers: PreparedLayer[]): void {
  if (layers.some((l) => LAYER_KINDS[l.kind].reads > 1)) return;
  for (let l = 0; l + 1 < layers.length; l++) {
    const a = layers[l],
      next = layers[l + 1];
    const ka = LAYER_KINDS[a.kind],
      kn = LAYER_KINDS[next.kind];
    if (a.activation !== "linear" || !ka.recurrence || ka.engine || !kn.recurrence || kn.engine) continue;
    const ra = ka.recurrence(1),
      rn = kn.recurrence(1);
    if (ra.coeffs.length || ra.scale !== null || rn.coeffs.some((c) => c !== 0) || !a.b || !next.b) continue;
    const cols = a.inWidth,
      rows = next.outWidth;
    if (rows * cols >= products(a) + products(next) || products(next) * cols > FOLD_WORK) continue;
    // row i of A W': Σ_j A[i][j] W'[j][·], A's entries in its row order, W' dense or by taps
    const W = new Float64Array(rows * cols),
      b = Float64Array.from(next.b);
    const addRow = (i: number, j: number, v: number) => {
      b[i] += v * a.b![j];
      const o = i * cols;
      if (a.sparse) {
        const { start, col, val } = a.sparse;
        for (let t = start[j]; t < start[j + 1]; t++) W[o + col[t]] += v * val[t];
      } else for (let c = 0, r = j * cols; c < cols; c++) W[o + c] += v * a.W![r + c];
    };
    for (let i = 0; i < rows; i++) {
      if (next.sparse) {
        const { start, col, val } = next.sparse;
        for (let t = start[i]; t < start[i + 1]; t++) addRow(i, col[t], val[t]);
      } else for (let j = 0, r = i * next.inWidth; j < next.inWidth; j++) addRow(i, j, next.W![r + j]);
    }
    next.through = { W, b, cols };
    l++; // the folded pair is done; the next layer's own input is no longer a state
  }
}

export type NetworkLike = Network | PreparedNetwork;
export const resolve = (net: NetworkLike, env?: ReadonlyMap<string, number>): PreparedNetwork =>
  "kind" in net ? prepareNetwork(net, env) : net;

/** Which layers to run: the point lives on layer `from` (0 = the input), the result on layer `to` (default: the last). */
export interface LayerRange {
  from?: number;
  to?: number;
}

function range(net: PreparedNetwork, r: LayerRange): [number, number] {
  const from = r.from ?? 0,
    to = r.to ?? net.layers.length;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= net.layers.length)) {
    throw new Error(`layers ${from} … ${to} are not a range of '${net.name}' (layers 0 … ${net.layers.length})`);
  }
  // layer l reads x_{l−1} … x_{l−reads}: from a hidden layer, one that reads across it has no state to start from
  // (at the input, such a layer takes its starting step instead)
  for (let l = from + 1; l <= to && from > 0; l++) {
    const kind = LAYER_KINDS[net.layers[l - 1].kind];
    if (l - kind.reads >= from) continue;
    const span = (a: number, b: number) => (a === b ? `layer ${a}` : `layers ${a} ${b === a + 1 ? "and" : "to"} ${b}`);
    throw new Error(
      `layer ${l} of '${net.name}' is ${kind.labels.prose}: it needs ${span(Math.max(0, l - kind.reads), from - 1)} as well as ` +
        span(from, l - 1),
    );
  }
  return [from, to];
}

/** How many previous states the network's layers read at most (the ring of states the passes keep). */
export const maxReads = (net: PreparedNetwork) => Math.max(1, ...net.layers.map((l) => LAYER_KINDS[l.kind].reads));

/** A layer's step given how many previous states exist: x_l = Σ_k coeffs[k] x_{l−1−k} + s·σ(z) (s null: σ(z) alone). */
export interface Step {
  coeffs: readonly number[];
  s: number | null;
}
/** Each layer's steps by how many states exist (1 … reads), built once: the passes ask per layer per point. */
const steps = new WeakMap<PreparedLayer, Step[]>();
export function stepOf(layer: PreparedLayer, available: number): Step {
  const { recurrence: rec, reads } = LAYER_KINDS[layer.kind];
  if (!rec) throw new Error(`internal error: layer kind '${layer.kind}' has no recurrence for the matrix engine`);
  let byAvailable = steps.get(layer);
  if (!byAvailable) {
    byAvailable = Array.from({ length: reads }, (_, k) => {
      const r = rec(k + 1);
      return { coeffs: r.coeffs, s: scaleValue(r, layer.h) };
    });
    steps.set(layer, byAvailable);
  }
  return byAvailable[Math.min(available, reads) - 1];
}

/** The jet arithmetic a layout lends kinds' own steps (core/layers/types.ts), made once per layout. */
const arithmetics = new WeakMap<JetLayout, JetArithmetic>();
function arithmetic(L: JetLayout): JetArithmetic {
  let a = arithmetics.get(L);
  if (!a) {
    a = { K: L.K, compose: (u, D, w) => composeJets(L, u, D, w), scale: (u, v, w, out) => scaleJets(L, u, v, w, out) };
    arithmetics.set(L, a);
  }
  return a;
}

/** What the forward pass keeps of one layer when asked to. */
export interface LayerCache {
  /** Pre-activation values W x_{l−1} + b (null for kinds with their own engine step, softmax). */
  z: Float64Array | null;
  /** σ(z), σ'(z), σ''(z), σ'''(z), each a block of outWidth (null for kinds with their own engine step). */
  sigma: Float64Array | null;
  /** x_l. */
  x: Float64Array;
}

export interface JetPass {
  layout: JetLayout;
  /** x_to with its derivatives ∂/∂x_from: K × width, component-major (see jets.ts). */
  out: Float64Array;
  width: number;
  /** Layers from+1 … to, when requested. */
  caches: LayerCache[] | null;
}

/** Reusable buffers for one network, jet order and input dimension (for evaluation at many points). */
export interface Workspace {
  layout: JetLayout;
  pool: Float64Array[];
  D: Float64Array;
  S: Float64Array;
}

export function workspace(net: PreparedNetwork, n: number, order: 0 | 1 | 2 | 3): Workspace {
  const layout = jetLayout(n, order);
  const maxW = Math.max(n, ...net.layers.map((l) => l.outWidth));
  return {
    layout,
    // the states the layers read, the layer being computed, and a kind's own step's scratch block
    pool: Array.from({ length: maxReads(net) + 2 }, () => new Float64Array(layout.K * maxW)),
    D: new Float64Array(4 * maxW),
    S: new Float64Array(4 * layout.K),
  };
}

/**
 * x_to and its derivatives up to `order` with respect to x_from at `point`: the input is the jet
 * of the identity, each layer maps jets to jets (affine part: K products with W; σ: Faà di Bruno;
 * the kind's recurrence: linear in the states). A layer reading k states uses the states up to k layers back;
 * where fewer exist (the start of the network) its recurrence gives the starting step, e.g. a second-order layer's
 * Taylor step from rest, x₁ = x₀ + ½h²σ(W x₀ + b).
 * Cost: Σ_l 2 w_l w_{l−1} K flops for the products plus O(w_l K) for the rest, K = 1 + n + n(n+1)/2
 * + n(n+1)(n+2)/6 truncated at `order` (n = dim x_from): order 1 is (n+1) forward passes' worth.
 */
export function propagate(
  net: PreparedNetwork,
  point: ArrayLike<number>,
  order: 0 | 1 | 2 | 3,
  r: LayerRange = {},
  keepCaches = false,
  ws?: Workspace,
): JetPass {
  const [from, to] = range(net, r);
  const n = point.length;
  const inWidth = from === 0 ? (net.layers[0]?.inWidth ?? n) : net.layers[from - 1].outWidth;
  if (n !== inWidth) throw new Error(`'${net.name}' takes ${inWidth} coordinates on layer ${from}, got ${n}`);
  const R = maxReads(net);
  if (!ws || ws.layout.n !== n || ws.layout.order !== order || ws.pool.length < R + 2) ws = workspace(net, n, order);
  const { layout: L, pool, D, S } = ws;
  const K = L.K;
  let x = pool[0];
  x.fill(0, 0, K * n);
  for (let i = 0; i < n; i++) {
    x[i] = point[i];
    if (order >= 1) x[(1 + i) * n + i] = 1;
  }
  const xs = [x]; // x_l, x_{l−1}, …: newest first, as many as the layers read
  const caches: LayerCache[] | null = keepCaches ? [] : null;
  const free = (...used: Float64Array[]) => pool.find((b) => !used.includes(b) && !xs.includes(b))!;
  let w = n;
  for (let l = from; l < to; l++) {
    // a linear layer folded into the next (PreparedLayer.through): one product for both, when no caches are kept
    const through = !caches && l + 1 < to ? net.layers[l + 1].through : undefined;
    if (through) l++;
    const layer = net.layers[l],
      wo = layer.outWidth;
    let y: Float64Array;
    const own = LAYER_KINDS[layer.kind].engine;
    if (own) {
      // a kind that is not a recurrence of σ(W x + b) brings its own step (softmax)
      y = free();
      own.jets(arithmetic(L), x, w, y, { block: free(y), D, S }, layer);
      if (caches) caches.push({ z: null, sigma: null, x: y.slice(0, wo) });
    } else {
      y = free();
      layerAffine(layer, through ? through.b : layer.b!, x, y, K, through);
      activateLayer(layer.activation, y, D, wo);
      const z = caches ? y.slice(0, wo) : null;
      composeJets(L, y, D, wo);
      applyStep(stepOf(layer, xs.length), xs, y, K * wo);
      if (caches) caches.push({ z, sigma: D.slice(0, 4 * wo), x: y.slice(0, wo) });
    }
    shift(xs, y, R);
    x = y;
    w = wo;
  }
  return { layout: L, out: x.subarray(0, K * w), width: w, caches };
}

/**
 * ∂x_to/∂x_from (width_to × n, row-major) by reverse mode: the m output rows pulled back through
 * the layers, A_{l−1} += A_l (c_0 I + s diag(σ') W) and A_{l−1−k} += c_k A_l for the states further back that the
 * layer's recurrence reads. Cost: one forward pass plus Σ_l 2 m w_l w_{l−1} flops (m = output width).
 */
export function reverseJacobian(
  net: PreparedNetwork,
  point: ArrayLike<number>,
  r: LayerRange = {},
): { output: Float64Array; J: Float64Array } {
  const [from, to] = range(net, r);
  const pass = propagate(net, point, 0, r, true);
  const caches = pass.caches!;
  const widths = [point.length, ...net.layers.slice(from, to).map((l) => l.outWidth)];
  const m = widths[widths.length - 1],
    L = to - from;
  const A: (Float64Array | null)[] = widths.map(() => null);
  const adj = (k: number) => (A[k] ??= new Float64Array(m * widths[k]));
  const top = adj(L);
  for (let i = 0; i < m; i++) top[i * m + i] = 1;
  for (let k = L; k >= 1; k--) {
    const layer = net.layers[from + k - 1],
      a = A[k]!,
      wo = widths[k],
      wi = widths[k - 1],
      b = adj(k - 1);
    const own = LAYER_KINDS[layer.kind].engine;
    if (own) own.pullback(caches[k - 1].x, a, b, m, wo, layer, k >= 2 ? caches[k - 2].x : point);
    else {
      const W = layer.W,
        A = layer.sparse,
        d = caches[k - 1].sigma!;
      const { coeffs, s: scale } = stepOf(layer, k); // k states exist before it: x_from … x_{from+k−1}
      const c = scale ?? 1,
        diag = coeffs[0] ?? 0;
      for (let r = 0; r < m; r++) {
        const ro = r * wo,
          bo = r * wi;
        if (diag) for (let j = 0; j < wi; j++) b[bo + j] += diag * a[ro + j];
        for (let i = 0; i < wo; i++) {
          const s = c * a[ro + i] * d[wo + i];
          if (s === 0) continue;
          if (A) for (let t = A.start[i], e = A.start[i + 1]; t < e; t++) b[bo + A.col[t]] += s * A.val[t];
          else for (let j = 0, wr = i * wi; j < wi; j++) b[bo + j] += s * W![wr + j];
        }
      }
      for (let j = 1; j < coeffs.length; j++) {
        const cj = coeffs[j];
        if (cj === 0) continue; // a skip block's inner states: read by nothing, of any width
        const bj = adj(k - 1 - j);
        for (let i = 0; i < bj.length; i++) bj[i] += cj * a[i];
      }
    }
    if (k < L) A[k] = null;
  }
  return { output: caches.length ? caches[caches.length - 1].x : Float64Array.from(point), J: A[0]! };
}

/**
 * x_to with its n first partial derivatives and its second derivative along one direction v, f''[v, v]
 * (K = n + 2 components, component-major as in propagate: value, ∂_1 … ∂_n, ∂_v∂_v). The geodesic equation needs
 * only that much of the second derivatives (Γ(v, v) = g⁻¹ Jᵀ G f''[v, v] for a pulled-back constant G), against
 * n(n+1)/2 second-order components for all of Γ. The pre-activation's v-derivative Σ_a v^a z_a is formed per layer
 * rather than carried: one product with W fewer. Kinds with their own engine step (softmax) are not served (null):
 * use propagate's full jets.
 */
export function propagateAlong(
  net: PreparedNetwork,
  point: ArrayLike<number>,
  v: ArrayLike<number>,
  r: LayerRange = {},
  ws?: Workspace,
): { out: Float64Array; width: number } | null {
  const [from, to] = range(net, r);
  const n = point.length,
    K = n + 2,
    vv = n + 1;
  for (let l = from; l < to; l++) if (LAYER_KINDS[net.layers[l].kind].engine) return null;
  const inWidth = from === 0 ? (net.layers[0]?.inWidth ?? n) : net.layers[from - 1].outWidth;
  if (n !== inWidth) throw new Error(`'${net.name}' takes ${inWidth} coordinates on layer ${from}, got ${n}`);
  // a workspace of order 1 (K = n + 1) holds only n + 1 components: ask for order 2 (K ≥ n + 2)
  const R = maxReads(net);
  if (!ws || ws.layout.n !== n || ws.layout.order < 2 || ws.pool.length < R + 1) ws = workspace(net, n, 2);
  const { pool, D } = ws;
  let x = pool[0];
  x.fill(0, 0, K * n);
  for (let i = 0; i < n; i++) {
    x[i] = point[i];
    x[(1 + i) * n + i] = 1;
  }
  const xs = [x]; // newest first, as in propagate
  let w = n;
  for (let l = from; l < to; l++) {
    const through = l + 1 < to ? net.layers[l + 1].through : undefined;
    if (through) l++;
    const layer = net.layers[l],
      wo = layer.outWidth;
    const y = pool.find((b) => !xs.includes(b))!;
    layerAffine(layer, through ? through.b : layer.b!, x, y, K, through);
    activateLayer(layer.activation, y, D, wo);
    for (let i = 0; i < wo; i++) {
      let zv = 0;
      for (let a = 0; a < n; a++) zv += v[a] * y[(1 + a) * wo + i];
      const d1 = D[wo + i];
      y[vv * wo + i] = d1 * y[vv * wo + i] + D[2 * wo + i] * zv * zv;
      for (let a = 1; a <= n; a++) y[a * wo + i] *= d1;
      y[i] = D[i];
    }
    applyStep(stepOf(layer, xs.length), xs, y, K * wo);
    shift(xs, y, R);
    x = y;
    w = wo;
  }
  return { out: x.subarray(0, K * w), width: w };
}

/**
 * σ and its first three derivatives at a layer's pre-activations y[0 … wo − 1] into D (blocks of wo): the kernel's σ
 * and σ' where it has the activation (as the block pass takes them) and the layer is wide enough to pay for the
 * copies, with σ'' and σ''' from those; else the registry's σ and derivatives, unit by unit.
 */
function activateLayer(activation: Activation, y: Float64Array, D: Float64Array, wo: number): void {
  const fn = KERNEL_ACTIVATIONS[activation],
    higher = fn && KERNEL_HIGHER[fn];
  if (higher && activateWasm(fn, y, D, wo)) {
    for (let i = 0; i < wo; i++) higher(D, i, wo);
    return;
  }
  const act = ACTIVATION_DERIVATIVES[activation];
  for (let i = 0; i < wo; i++) act(y[i], D, i, wo);
}

/** The new state y in front of the states xs (newest first), keeping the `keep` newest. */
export function shift(xs: Float64Array[], y: Float64Array, keep: number): void {
  xs.unshift(y);
  if (xs.length > keep) xs.length = keep;
}

/**
 * A layer's recurrence in place on the first `len` jet entries of y, which holds σ's jets on entry:
 * y = Σ_k c_k xs[k] + s·y (xs newest first; the combination summed first, in order, then the σ term).
 */
export function applyStep({ coeffs: c, s }: Step, xs: readonly Float64Array[], y: Float64Array, len: number): void {
  const m = c.length;
  if (m === 0) {
    if (s !== null) for (let i = 0; i < len; i++) y[i] *= s;
    return;
  }
  const x0 = xs[0],
    c0 = c[0];
  if (m === 1) {
    if (s === null) for (let i = 0; i < len; i++) y[i] = c0 * x0[i] + y[i];
    else for (let i = 0; i < len; i++) y[i] = c0 * x0[i] + s * y[i];
    return;
  }
  for (let i = 0; i < len; i++) {
    let v = c0 === 0 ? 0 : c0 * x0[i];
    for (let k = 1; k < m; k++) if (c[k] !== 0) v += c[k] * xs[k][i];
    y[i] = s === null ? v + y[i] : v + s * y[i];
  }
}
