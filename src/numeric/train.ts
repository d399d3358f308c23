// Training the small networks a spec declares: cross-entropy through a softmax head, Adam,
// seeded mini-batches, early stopping on a held-out split. Gradients by reverse mode, by each
// layer kind's own rule (core/layers/) over the network's states.
import { LAYER_KINDS, type NumericCache, type NumericInput, type Taps } from "../core/layers/index.js";
import { denseOperator, kernelGradient } from "../core/layers/shape.js";
import type { Layer, Network, ParamTensor } from "../semantics/model.js";
import { ACTIVATION } from "./activations.js";
import { EvaluationError } from "./evaluate.js";
import type { Dataset } from "./data.js";
import { paramValues } from "./forward.js";
import { rng } from "../core/random.js";
import { slopeBound, spectralNorm } from "./diffeo.js";

/** Where a layer's W or b lives: in the trained vector θ (offset) or fixed. */
interface Slot {
  name: string;
  offset: number;
  fixed: Float64Array | null;
  size: number;
  /** A shaped layer's trained kernel (or per-channel bias) in θ, and how it makes the layer's dense W (or b). */
  tie?: Tie;
}
/** W from the kernel through the operator's taps (rows × cols), or b from one bias per channel spread over `per`. */
type Tie = { taps: Taps; rows: number; cols: number; fan: number } | { per: number; rows: number };

/** A tied slot's dense W or b from its θ entries. */
function expand(tie: Tie, v: Float64Array): Float64Array {
  if ("taps" in tie) return denseOperator(tie.taps, tie.rows, tie.cols, v);
  const out = new Float64Array(tie.rows);
  for (let i = 0; i < tie.rows; i++) out[i] = v[Math.floor(i / tie.per)];
  return out;
}

/** ∂loss/∂(kernel or per-channel bias) from ∂loss/∂(dense W or b), added into g: the sum over the entries it makes. */
function reduceInto(tie: Tie, dense: Float64Array, g: Float64Array): void {
  if ("taps" in tie) {
    const gk = kernelGradient(tie.taps, tie.cols, dense, g.length);
    for (let i = 0; i < g.length; i++) g[i] += gk[i];
  } else for (let i = 0; i < tie.rows; i++) g[Math.floor(i / tie.per)] += dense[i];
}

export interface Trainable {
  net: Network;
  /** Trained tensors by name (shared names are one tensor), in θ order. */
  tensors: { name: string; shape: number[]; offset: number }[];
  size: number;
  layers: { layer: Layer; W: Slot | null; b: Slot | null; h: number; eps: number }[];
}

/** Symbolic W and b are trained; numeric ones stay fixed; steps h must have values. */
export function trainable(net: Network, env: ReadonlyMap<string, number>): Trainable {
  const tensors: Trainable["tensors"] = [];
  const byName = new Map<string, { offset: number; shape: number[] }>();
  let size = 0;
  const slot = (p: ParamTensor | undefined): Slot | null => {
    if (!p) return null;
    const count = p.shape.reduce((a, b) => a * b, 1);
    if (p.values) return { name: p.name, offset: -1, fixed: p.values, size: count };
    let t = byName.get(p.name);
    if (t && t.shape.join() !== p.shape.join()) throw new EvaluationError(`parameter '${p.name}' is shared by layers of different shapes`);
    if (!t) {
      t = { offset: size, shape: p.shape };
      byName.set(p.name, t);
      tensors.push({ name: p.name, shape: p.shape, offset: size });
      size += count;
    }
    return { name: p.name, offset: t.offset, fixed: null, size: count };
  };
  const layers = net.layers.map((layer) => {
    let h = 0;
    if (layer.h) {
      try {
        h = paramValues(layer.h, env)[0];
      } catch {
        throw new EvaluationError(
          `layer ${layer.index} of '${net.name}': its step '${layer.h.name}' needs a value (write h = 0.5 in the spec, or ` +
            `--set ${layer.h.name}=…); steps are not trained`,
        );
      }
    }
    const eps = layer.eps ? paramValues(layer.eps, env)[0] : 0;
    const shaped = layer.shaped;
    if (!shaped?.K || !shaped.bias) return { layer, W: slot(layer.W), b: slot(layer.b), h, eps };
    // a convolution trains its kernel and per-channel bias (names K{l}, b{l} as written); numeric ones stay fixed
    const [K, bias] = [slot(shaped.K), slot(shaped.bias)];
    const K0 = shaped.K.shape,
      receptive = K0[2] * K0[3];
    return {
      layer,
      W: K?.fixed
        ? slot(layer.W)
        : { ...K!, tie: { taps: shaped.taps, rows: layer.outWidth, cols: layer.inWidth, fan: (K0[0] + K0[1]) * receptive } },
      b: bias?.fixed ? slot(layer.b) : { ...bias!, tie: { per: layer.outWidth / shaped.bias.shape[0], rows: layer.outWidth } },
      h,
      eps,
    };
  });
  if (size === 0)
    throw new EvaluationError(
      `'${net.name}' has no symbolic weights to train: give W and b as names (or leave them out) to have them trained`,
    );
  return { net, tensors, size, layers };
}

/** Glorot-uniform weights, zero biases (the residual blocks start close to the identity). */
export function initialParameters(t: Trainable, seed: number): Float64Array {
  const r = rng(seed),
    theta = new Float64Array(t.size);
  for (const { layer, W, b } of t.layers) {
    const specs = LAYER_KINDS[layer.kind].params;
    const init = (name: "W" | "b") => specs.find((p) => p.name === name)?.init;
    const bInit = init("b");
    if (b && !b.fixed && bInit !== undefined) theta.fill(bInit, b.offset, b.offset + b.size);
    if (!W || W.fixed) continue;
    const wInit = init("W");
    if (wInit !== undefined) {
      theta.fill(wInit, W.offset, W.offset + W.size); // layer_norm's γ starts at 1, as torch's
      continue;
    }
    // Glorot: fan in + fan out; a kernel's are (C_in/groups + C_out)·kH·kW (torch's count for a conv weight)
    const fans = W.tie && "taps" in W.tie ? W.tie.fan : layer.inWidth + layer.outWidth;
    const a = Math.sqrt(6 / fans) * LAYER_KINDS[layer.kind].initScale;
    for (let i = 0; i < W.size; i++) theta[W.offset + i] = (2 * r() - 1) * a;
  }
  return theta;
}

const view = (s: Slot | null, theta: Float64Array) => {
  if (!s) return undefined;
  if (s.fixed) return s.fixed;
  const v = theta.subarray(s.offset, s.offset + s.size);
  return s.tie ? expand(s.tie, v) : v;
};

/** Loss (−log p_y), probabilities, and (if grad is given) ∂loss/∂θ accumulated into grad. */
export function sampleLoss(
  t: Trainable,
  theta: Float64Array,
  x0: ArrayLike<number>,
  label: number,
  grad?: Float64Array,
): { loss: number; p: number[] } {
  const states: number[][] = [Array.from(x0)];
  const inputs: NumericInput[] = [],
    caches: NumericCache[] = [];
  for (const { layer, W, b, h, eps } of t.layers) {
    const kind = LAYER_KINDS[layer.kind];
    const xs: number[][] = [];
    for (let k = 1; k <= kind.reads && k <= states.length; k++) xs.push(states[states.length - k]);
    const input: NumericInput = {
      xs,
      W: view(W, theta),
      b: view(b, theta),
      h,
      eps,
      inWidth: layer.inWidth,
      outWidth: layer.outWidth,
      act: ACTIVATION[layer.activation],
      taps: layer.shaped?.taps,
    };
    const c = kind.evaluate(input);
    inputs.push(input);
    caches.push(c);
    states.push(c.x);
  }
  const out = states[states.length - 1];
  const endsInSoftmax = LAYER_KINDS[t.layers[t.layers.length - 1].layer.kind].probabilities;
  let p: number[];
  if (endsInSoftmax) p = out;
  else {
    const m = Math.max(...out),
      e = out.map((v) => Math.exp(v - m)),
      s = e.reduce((a, c) => a + c, 0);
    p = e.map((v) => v / s);
  }
  const loss = -Math.log(Math.max(p[label], 1e-300));
  if (!grad) return { loss, p };
  // reverse sweep: G[k] = ∂loss/∂x_k
  const G: number[][] = states.map((s) => new Array(s.length).fill(0));
  const L = t.layers.length;
  if (endsInSoftmax) G[L] = p.map((_, i) => (i === label ? -1 / Math.max(p[label], 1e-300) : 0));
  else G[L] = p.map((pi, i) => pi - (i === label ? 1 : 0));
  for (let l = L; l >= 1; l--) {
    const { layer, W, b } = t.layers[l - 1],
      input = inputs[l - 1];
    const gx = input.xs.map((_, k) => G[l - 1 - k]);
    const slot = (s: Slot | null) =>
      !s || s.fixed
        ? null
        : s.tie
          ? new Float64Array(s.tie.rows * ("taps" in s.tie ? s.tie.cols : 1))
          : grad.subarray(s.offset, s.offset + s.size);
    const [gW, gb] = [slot(W), slot(b)];
    LAYER_KINDS[layer.kind].vjp(input, caches[l - 1], G[l], { gx, gW, gb });
    for (const [s, dense] of [
      [W, gW],
      [b, gb],
    ] as const)
      if (s?.tie && dense) reduceInto(s.tie, dense, grad.subarray(s.offset, s.offset + s.size));
  }
  return { loss, p };
}

export interface TrainOptions {
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  patience?: number;
  validation?: number;
  /** Cap c·sup|σ′|·‖W‖₂ of every trained residual step x + cσ(Wx + b) at this value after each update (spectral
   *  normalisation, as in invertible ResNets): below 1, every step stays a diffeomorphism of Rⁿ. */
  stepBound?: number;
}
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
}
export interface TrainResult {
  theta: Float64Array;
  curve: EpochRecord[];
  bestEpoch: number;
  accuracy: number;
  stoppedEarly: boolean;
}

function evaluateSet(t: Trainable, theta: Float64Array, d: Dataset, idx: number[]): { loss: number; accuracy: number } {
  let loss = 0,
    right = 0;
  for (const i of idx) {
    const r = sampleLoss(t, theta, d.x.subarray(2 * i, 2 * i + 2), d.y[i]);
    loss += r.loss;
    if (r.p.indexOf(Math.max(...r.p)) === d.y[i]) right++;
  }
  return { loss: loss / Math.max(1, idx.length), accuracy: right / Math.max(1, idx.length) };
}

/** The fraction of a data set the network classifies right (e.g. a held-out test set). */
export function accuracyOn(t: Trainable, theta: Float64Array, d: Dataset): number {
  return evaluateSet(
    t,
    theta,
    d,
    Array.from({ length: d.count }, (_, i) => i),
  ).accuracy;
}

/** Rescales W of each trained one-step residual layer so that c·sup|σ′|·‖W‖₂ ≤ bound (c = factor·h^power). */
function stepCapper(t: Trainable, bound: number): (theta: Float64Array) => void {
  const caps = t.layers.flatMap(({ layer, W, h }) => {
    const kind = LAYER_KINDS[layer.kind],
      rec = kind.recurrence?.(1);
    if (!W || W.fixed || kind.reads !== 1 || !rec?.scale || rec.coeffs.length !== 1) return [];
    return [{ layer, W, c: Math.abs(rec.scale.factor * h ** rec.scale.power) * slopeBound(layer.activation) }];
  });
  return (theta) => {
    for (const { layer, W, c } of caps) {
      const w = theta.subarray(W.offset, W.offset + W.size);
      const k = c * spectralNorm(w, layer.outWidth, layer.inWidth);
      if (k > bound) for (let i = 0; i < w.length; i++) w[i] *= bound / k;
    }
  };
}

export function train(t: Trainable, d: Dataset, opts: TrainOptions = {}, onEpoch?: (r: EpochRecord) => void): TrainResult {
  const epochs = opts.epochs ?? 1000,
    batch = opts.batch ?? 32,
    lr = opts.learningRate ?? 0.02,
    seed = opts.seed ?? 1;
  const patience = opts.patience ?? 200;
  if (t.net.source.dim !== 2)
    throw new EvaluationError(`'${t.net.name}' takes ${t.net.source.dim} inputs; the toy data sets are 2-dimensional`);
  if (t.net.target.dim < 2)
    throw new EvaluationError(`'${t.net.name}' has ${t.net.target.dim} output; a softmax head over two classes needs at least 2`);
  const r = rng(seed);
  const order = Array.from({ length: d.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.floor((opts.validation ?? 0.2) * d.count);
  const val = order.slice(0, nVal),
    tr = order.slice(nVal);
  let theta = initialParameters(t, seed);
  const cap = opts.stepBound === undefined ? null : stepCapper(t, opts.stepBound);
  cap?.(theta);
  const m = new Float64Array(t.size),
    v = new Float64Array(t.size),
    grad = new Float64Array(t.size);
  let step = 0,
    best = Infinity,
    bestTheta = theta.slice(),
    bestEpoch = 0;
  const curve: EpochRecord[] = [];
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = tr.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [tr[i], tr[j]] = [tr[j], tr[i]];
    }
    for (let s = 0; s < tr.length; s += batch) {
      const chunk = tr.slice(s, s + batch);
      grad.fill(0);
      for (const i of chunk) sampleLoss(t, theta, d.x.subarray(2 * i, 2 * i + 2), d.y[i], grad);
      step++;
      const b1 = 0.9,
        b2 = 0.999,
        c1 = 1 - b1 ** step,
        c2 = 1 - b2 ** step;
      for (let k = 0; k < t.size; k++) {
        const g = grad[k] / chunk.length;
        m[k] = b1 * m[k] + (1 - b1) * g;
        v[k] = b2 * v[k] + (1 - b2) * g * g;
        theta[k] -= (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + 1e-8);
      }
      cap?.(theta);
    }
    const trainM = evaluateSet(t, theta, d, tr),
      valM = nVal ? evaluateSet(t, theta, d, val) : trainM;
    if (!Number.isFinite(trainM.loss))
      throw new EvaluationError(`training diverged at epoch ${epoch} (loss ${trainM.loss}); try a smaller learning rate`);
    const rec = { epoch, loss: trainM.loss, accuracy: trainM.accuracy, valLoss: valM.loss, valAccuracy: valM.accuracy };
    curve.push(rec);
    onEpoch?.(rec);
    if (valM.loss < best - 1e-6) {
      best = valM.loss;
      bestTheta = theta.slice();
      bestEpoch = epoch;
    } else if (epoch - bestEpoch >= patience) {
      stoppedEarly = true;
      break;
    }
  }
  theta = bestTheta;
  const all = evaluateSet(t, theta, d, order);
  return { theta, curve, bestEpoch, accuracy: all.accuracy, stoppedEarly };
}

/** Every parameter of the network as the JSON a spec's `weights` clause loads. */
export function weightsJson(t: Trainable, theta: Float64Array, env: ReadonlyMap<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (p: ParamTensor | undefined, slot: Slot | null) => {
    if (!p || out[p.name] !== undefined) return;
    const vals = slot && !slot.fixed ? Array.from(theta.subarray(slot.offset, slot.offset + slot.size)) : paramValues(p, env);
    // nested row-major: a matrix by rows, a kernel [out, in, kH, kW] four arrays deep
    const nest = (v: number[], shape: number[]): unknown =>
      shape.length === 1
        ? v
        : Array.from({ length: shape[0] }, (_, i) =>
            nest(v.slice((i * v.length) / shape[0], ((i + 1) * v.length) / shape[0]), shape.slice(1)),
          );
    out[p.name] = p.shape.length === 0 ? vals[0] : nest(vals, p.shape);
  };
  for (const { layer, W, b } of t.layers) {
    if (layer.shaped) {
      // what the spec writes: the kernel and per-channel bias (a shaped layer without them has nothing to write)
      const { K, bias } = layer.shaped;
      put(K, W?.tie ? W : null);
      put(bias, b?.tie ? b : null);
      continue;
    }
    put(layer.W, W);
    put(layer.b, b);
    put(layer.h, null);
  }
  return out;
}

/** Trained values as symbol values for the evaluators (W1_12 = …). */
export function parameterEnv(
  t: Trainable,
  theta: Float64Array,
  entryName: (name: string, shape: number[], i: number) => string,
): Map<string, number> {
  const env = new Map<string, number>();
  for (const tensor of t.tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < count; i++) env.set(entryName(tensor.name, tensor.shape, i), theta[tensor.offset + i]);
  }
  return env;
}
