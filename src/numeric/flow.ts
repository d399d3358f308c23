// Residual networks as ODE flows. A block of residual layers x_{k+1} = x_k + h σ(W_k x_k + b_k)
// is the forward-Euler discretisation of dx/dt = σ(W(t) x + b(t)); a block of second-order layers
// is the central-difference discretisation of d²x/dt² = σ(W(t) x + b(t)). Here the weights of the
// block define W(t), b(t); networks of any depth N are resampled from them with h = T/N, and their
// outputs and pulled-back metrics are compared with the exact flow and its variational equation.
import { LAYER_KINDS, type LayerKind } from "../core/layers/index.js";
import { scaleValue } from "../core/layers/affine.js";
import type { Activation, Layer, Network } from "../semantics/model.js";
import { ACTIVATION } from "./activations.js";
import { assertValued, EvaluationError } from "./evaluate.js";
import { paramSymbols, paramValues } from "./forward.js";
import { dopri5, IntegrationError } from "./ode.js";

export type Interpolation = "constant" | "linear";

export interface Block {
  /** A kind with an ODE limit (core/layers/: `ode` and `recurrence`). */
  kind: LayerKind;
  /** Layer indices (1-based) of the block's first and last layer. */
  first: number;
  last: number;
  width: number;
  /** Layer start times t_k and the end time T. */
  times: number[];
  T: number;
  W: Float64Array[];
  b: Float64Array[];
  activations: Activation[];
}

const hasLimit = (l: Layer) => LAYER_KINDS[l.kind].ode !== null && LAYER_KINDS[l.kind].recurrence !== undefined;

/** The longest run of layers of one kind with an ODE limit (residual, second-order) and one width. */
export function odeBlock(net: Network, env: ReadonlyMap<string, number>): Block {
  let best: Layer[] = [];
  let run: Layer[] = [];
  for (const l of net.layers) {
    const fits = hasLimit(l) && (run.length === 0 || (l.kind === run[0].kind && l.inWidth === run[0].inWidth));
    if (fits) run.push(l);
    else run = hasLimit(l) ? [l] : [];
    if (run.length > best.length) best = [...run];
  }
  if (best.length === 0)
    throw new EvaluationError(
      `'${net.name}' has no residual or second-order layers: a dense network is a static map, with no ODE (flow) limit`,
    );
  const symbols = net.layers.flatMap((l) => [l.W, l.b, l.h].flatMap((p) => (p ? paramSymbols(p) : [])));
  assertValued(symbols, env, `'${net.name}'`);
  return blockOf(net, env, best);
}

/** The block of the given layers (consecutive, of one kind with an ODE limit, one width): its weight function. */
export function blockOf(net: Network, env: ReadonlyMap<string, number>, best: Layer[]): Block {
  const times = [0];
  const W: Float64Array[] = [],
    b: Float64Array[] = [];
  for (const l of best) {
    const h = paramValues(l.h!, env)[0];
    if (!(h > 0)) throw new EvaluationError(`layer ${l.index} of '${net.name}' has step h = ${h}; a flow needs h > 0`);
    times.push(times[times.length - 1] + h);
    W.push(Float64Array.from(paramValues(l.W!, env)));
    b.push(Float64Array.from(paramValues(l.b!, env)));
  }
  const T = times.pop()!;
  return {
    kind: best[0].kind,
    first: best[0].index,
    last: best[best.length - 1].index,
    width: best[0].inWidth,
    times,
    T,
    W,
    b,
    activations: best.map((l) => l.activation),
  };
}

/** The layer whose interval contains t (the last one from T on), by bisection: this runs on every ODE evaluation. */
function intervalOf(block: Block, t: number): number {
  const tt = t + 1e-15 * block.T;
  let lo = 0,
    hi = block.times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (block.times[mid] <= tt) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** W(t), b(t) and σ(t) of the weight function. */
export function weightsAt(
  block: Block,
  t: number,
  interp: Interpolation,
): { W: Float64Array; b: Float64Array; sigma: (z: number) => [number, number] } {
  const k = intervalOf(block, t);
  const sigma = ACTIVATION[block.activations[k]];
  if (interp === "constant" || k + 1 >= block.W.length) return { W: block.W[k], b: block.b[k], sigma };
  const s = (t - block.times[k]) / (block.times[k + 1] - block.times[k]);
  const mix = (a: Float64Array, c: Float64Array) => a.map((v, i) => (1 - s) * v + s * c[i]);
  return { W: mix(block.W[k], block.W[k + 1]), b: mix(block.b[k], block.b[k + 1]), sigma };
}

/** f(x, t) = σ(W(t) x + b(t)) and its Jacobian Df = diag(σ'(z)) W(t). */
function field(block: Block, interp: Interpolation, t: number, x: ArrayLike<number>, f: Float64Array, Df?: Float64Array): void {
  const n = block.width,
    { W, b, sigma } = weightsAt(block, t, interp);
  for (let i = 0; i < n; i++) {
    let z = b[i];
    for (let j = 0; j < n; j++) z += W[i * n + j] * x[j];
    const [s, ds] = sigma(z);
    f[i] = s;
    if (Df) for (let j = 0; j < n; j++) Df[i * n + j] = ds * W[i * n + j];
  }
}

export interface FlowState {
  x: Float64Array /** ∂x(T)/∂x(0), row-major */;
  J: Float64Array;
}

/** The network of depth N resampled from the weight function: its output and Jacobian. */
export function discreteFlow(block: Block, interp: Interpolation, x0: number[], N: number): FlowState {
  const n = block.width,
    h = block.T / N;
  const f = new Float64Array(n),
    Df = new Float64Array(n * n);
  const recurrence = LAYER_KINDS[block.kind].recurrence!;
  const xs: Float64Array[] = [Float64Array.from(x0)],
    Js: Float64Array[] = [identity(n)]; // newest first
  for (let k = 0; k < N; k++) {
    const x = xs[0],
      J = Js[0];
    field(block, interp, k * h, x, f, Df);
    const DfJ = matMul(Df, J, n);
    const r = recurrence(xs.length),
      s = scaleValue(r, h)!;
    const xNext = new Float64Array(n),
      JNext = new Float64Array(n * n);
    // x_{k+1} = Σ_i c_i x_{k−i} + s f, and its variational equation J_{k+1} = Σ_i c_i J_{k−i} + s Df J_k
    step(r.coeffs, xs, s, f, xNext);
    step(r.coeffs, Js, s, DfJ, JNext);
    xs.unshift(xNext);
    Js.unshift(JNext);
    xs.length = Js.length = Math.min(xs.length, LAYER_KINDS[block.kind].reads);
  }
  return { x: xs[0], J: Js[0] };
}

function step(coeffs: readonly number[], prev: Float64Array[], s: number, f: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    let v = coeffs[0] * prev[0][i];
    for (let k = 1; k < coeffs.length; k++) v += coeffs[k] * prev[k][i];
    out[i] = v + s * f[i];
  }
}

/** The exact flow at T with its variational equation dJ/dt = Df J (order k: d^kJ/dt^k = Df J), started at rest,
 * by DP5 between breakpoints. */
export function continuousFlow(block: Block, interp: Interpolation, x0: number[]): FlowState {
  const n = block.width,
    order = LAYER_KINDS[block.kind].ode!.order,
    m = n + n * n;
  const dim = order * m;
  const y0 = new Float64Array(dim);
  y0.set(x0, 0);
  const I = identity(n);
  y0.set(I, n);
  const f = new Float64Array(n),
    Df = new Float64Array(n * n);
  const rhs = (t: number, y: Float64Array, out: Float64Array) => {
    const x = y.subarray(0, n),
      J = y.subarray(n, n + n * n);
    field(block, interp, t, x, f, Df);
    const DfJ = matMul(Df, J, n);
    // y = (x, J, x', J', …, x^(k−1), J^(k−1)): each pair's derivative is the next, the last's is (f, Df J)
    out.set(y.subarray(m), 0);
    out.set(f, (order - 1) * m);
    out.set(DfJ, (order - 1) * m + n);
  };
  // integrate interval by interval: the weight function has kinks (or jumps) at the layer times
  let y: Float64Array = y0;
  const breaks = [...block.times, block.T];
  try {
    for (let k = 0; k + 1 < breaks.length; k++) {
      const sol = dopri5(
        (t, yy, out) => rhs(Math.min(Math.max(t, breaks[k]), breaks[k + 1] - 1e-15), yy, out),
        breaks[k],
        y,
        breaks[k + 1],
        { rtol: 1e-12, atol: 1e-14 },
      );
      y = sol.y[sol.y.length - 1];
    }
  } catch (e) {
    if (e instanceof IntegrationError) throw new EvaluationError(`the flow from (${x0.join(", ")}): ${e.message}`);
    throw e;
  }
  return { x: y.slice(0, n), J: y.slice(n, n + n * n) };
}

export interface ConvergenceRow {
  depth: number;
  h: number;
  stateError: number;
  metricError: number;
  stateOrder: number | null;
  metricOrder: number | null;
}

export interface Convergence {
  block: Block;
  interpolation: Interpolation;
  point: number[];
  rows: ConvergenceRow[];
  /** The smallest depth the orders are fitted from. */
  fittedFrom: number;
  /** Least-squares slope of log error against log h over depths ≥ fittedFrom (errors above round-off only). */
  stateOrder: number;
  metricOrder: number;
  expectedOrder: number;
  /** Where the weight function is not one formula: what caps the expected order (weightRegularity). */
  weights: "jumps" | "bends" | "smooth";
}

const gram = (J: Float64Array, n: number) => {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += J[k * n + i] * J[k * n + j];
      g[i * n + j] = s;
    }
  return g;
};
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
};

/** Convergence of the depth-N networks to the flow at T, in state and in pulled-back metric. */
export function convergence(block: Block, interp: Interpolation, x0: number[], depths: number[]): Convergence {
  const n = block.width;
  const exact = continuousFlow(block, interp, x0);
  const gExact = gram(exact.J, n);
  const rows: ConvergenceRow[] = depths.map((N) => {
    const d = discreteFlow(block, interp, x0, N);
    return {
      depth: N,
      h: block.T / N,
      stateError: dist(d.x, exact.x),
      metricError: dist(gram(d.J, n), gExact),
      stateOrder: null,
      metricOrder: null,
    };
  });
  for (let i = 1; i < rows.length; i++) {
    const ratio = Math.log(rows[i - 1].h / rows[i].h);
    rows[i].stateOrder = Math.log(rows[i - 1].stateError / rows[i].stateError) / ratio;
    rows[i].metricOrder = Math.log(rows[i - 1].metricError / rows[i].metricError) / ratio;
  }
  // the asymptotic regime starts where no step spans several layers' weights (N ≥ the block's depth): coarser
  // networks alias the weight function, and their errors need not fall at the scheme's order
  const fine = rows.filter((r) => r.depth >= block.W.length);
  const fitted = fine.length >= 2 ? fine : rows;
  return {
    block,
    interpolation: interp,
    point: x0,
    rows,
    fittedFrom: fitted[0].depth,
    stateOrder: fittedOrder(fitted.map((r) => [r.h, r.stateError])),
    metricOrder: fittedOrder(fitted.map((r) => [r.h, r.metricError])),
    expectedOrder: expectedOrder(block.kind, interp, block),
    weights: weightRegularity(block, interp),
  };
}

/**
 * How smooth the block's weight function is where it is not one formula: piecewise constant W(t) jumps at the layer
 * times where consecutive layers' weights differ; linearly interpolated W(t) bends (its slope jumps) where the slopes
 * (W_{k+1} − W_k)/(t_{k+1} − t_k) of consecutive intervals differ — the last interval, [t_L, T], is flat, so weights
 * that change at all bend somewhere. "smooth": one formula throughout (every layer's weights equal, or linear in t).
 */
export function weightRegularity(block: Block, interp: Interpolation): "jumps" | "bends" | "smooth" {
  const params = block.W.map((W, k) => [...W, ...block.b[k]]);
  const scale = Math.max(1, ...params.flat().map(Math.abs));
  const same = (a: number[], c: number[]) => a.every((v, i) => Math.abs(v - c[i]) <= 1e-12 * scale);
  if (params.every((p) => same(p, params[0]))) return "smooth";
  if (interp === "constant") return "jumps";
  const t = [...block.times, block.T];
  // slopes of the linear pieces, and the flat piece after the last layer's time
  const slopes = params.map((p, k) =>
    k + 1 < params.length ? p.map((v, i) => (params[k + 1][i] - v) / (t[k + 1] - t[k])) : p.map(() => 0),
  );
  return slopes.every((sl) => same(sl, slopes[0])) ? "smooth" : "bends";
}

/**
 * The order the scheme converges with. For d^K x/dt^K = f the scheme is exact to its accuracy where f is smooth; where
 * the weight function is not, a K-step recurrence (K-fold root at 1) carries a local defect δ over ~N^{K−1} steps.
 * Where W(t) jumps (piecewise constant), x^(K) jumps and δ ~ h^K: order min(accuracy, 1). Where it bends (linear
 * between layers that differ), x^(K+1) jumps and δ ~ h^(K+1): order min(accuracy, 2) — measured on 16 layers of varying
 * weights over N = 64 … 2048: 1.99 (order-3 multistep, state), 2.1 (order 4, before round-off), 2.09 (second order).
 * Without a block the weights are taken to vary.
 */
export function expectedOrder(kind: LayerKind, interp: Interpolation, block?: Block): number {
  const accuracy = LAYER_KINDS[kind].ode!.accuracy;
  const regularity = block ? weightRegularity(block, interp) : interp === "constant" ? "jumps" : "bends";
  return regularity === "jumps" ? Math.min(accuracy, 1) : regularity === "bends" ? Math.min(accuracy, 2) : accuracy;
}

/**
 * How far a fitted order may fall below the expected one before the run counts as not converging at that order. A
 * higher fitted order is not a failure: over short depth ranges the errors can fall faster than the asymptotic rate.
 */
export const ORDER_TOLERANCE = 0.25; // the one tolerance: `rgnn flow`, `derive`'s flow step and its bundle witness

/** The fitted orders (state, metric) that miss the expected order by more than ORDER_TOLERANCE, as prose; finite
 *  orders only (at round-off there is no order to compare). */
export function orderMismatches(c: Convergence): string[] {
  return (
    [
      ["state", c.stateOrder],
      ["metric", c.metricOrder],
    ] as const
  )
    .filter(([, p]) => Number.isFinite(p) && p < c.expectedOrder - ORDER_TOLERANCE)
    .map(([what, p]) => `the ${what} error falls with order ${p.toFixed(3)}, not ${c.expectedOrder}`);
}

/** Slope of log e against log h over the points clear of round-off (e > 1e-11). */
export function fittedOrder(points: [number, number][]): number {
  const pts = points.filter(([, e]) => e > 1e-11).map(([h, e]) => [Math.log(h), Math.log(e)]);
  if (pts.length < 2) return NaN;
  const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length,
    my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  let num = 0,
    den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}
function matMul(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k];
      if (a !== 0) for (let j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
    }
  return C;
}
