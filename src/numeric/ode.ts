// ODE integrators for y' = f(t, y): Dormand–Prince 5(4) with adaptive steps and dense output,
// and classical RK4 with a fixed step (the fallback, and a reference of known order).

export type Rhs = (t: number, y: Float64Array, out: Float64Array) => void;

/**
 * A right-hand side that may pause for its values: it returns a generator yielding requests (of type A) that whoever
 * drives the integration answers before resuming it, so that many integrations can share one evaluation of their
 * requests (geodesic.ts); or nothing, having written `out` (a plain Rhs).
 */
export type RhsTask<A> = (t: number, y: Float64Array, out: Float64Array) => Generator<A, void, void> | void;

export class IntegrationError extends Error {}

// Dormand–Prince 5(4) tableau and its 4th-order dense-output weights. The last row of A is the
// 5th-order weights (first same as last), so stage 7 is evaluated at the new solution.
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]; // b5 − b4
const D = [
  -12715105075 / 11282082432,
  0,
  87487479700 / 32700410799,
  -10690763975 / 1880347072,
  701980252875 / 199316789632,
  -1453857185 / 822651844,
  69997945 / 29380423,
];

export interface Solution {
  /** Accepted step end times, starting with t0. */
  t: number[];
  y: Float64Array[];
  /** y at any t in [t0, t1] (continuous extension of order 4 for DP5, cubic Hermite for RK4). */
  at(t: number): Float64Array;
  steps: number;
  rejected: number;
  evaluations: number;
}

export interface Dp5Options {
  rtol?: number;
  atol?: number;
  /** Initial step (default: chosen from f(t0, y0)). */
  h0?: number;
  maxSteps?: number;
  /** Fixed step size: no error control (used to measure the order). */
  fixedStep?: number;
  /** Stop early when this returns a reason (e.g. the metric became degenerate). */
  guard?: (t: number, y: Float64Array) => string | null;
}

export function dopri5(f: Rhs, t0: number, y0: ArrayLike<number>, t1: number, opts: Dp5Options = {}): Solution {
  const r = dopri5Task<never>(f, t0, y0, t1, opts).next();
  if (!r.done) throw new Error("internal error: a plain right-hand side asked for values");
  return r.value;
}

/** dopri5 with a right-hand side that may yield requests: the same steps, each stage's requests passed on. */
export function* dopri5Task<A>(
  f: RhsTask<A>,
  t0: number,
  y0: ArrayLike<number>,
  t1: number,
  opts: Dp5Options = {},
): Generator<A, Solution, void> {
  const n = y0.length,
    rtol = opts.rtol ?? 1e-10,
    atol = opts.atol ?? 1e-12,
    maxSteps = opts.maxSteps ?? 200_000;
  const dir = Math.sign(t1 - t0) || 1;
  const k = Array.from({ length: 7 }, () => new Float64Array(n));
  const tmp = new Float64Array(n);
  let y = Float64Array.from(y0),
    t = t0,
    evaluations = 0;
  const ts = [t0],
    ys = [Float64Array.from(y)];
  const dense: { t: number; h: number; y: Float64Array; r: Float64Array[] }[] = [];
  yield* stage(f, t, y, k[0]);
  evaluations++;
  let h = opts.fixedStep ?? opts.h0 ?? (yield* initialStep(f, t0, y, k[0], dir, rtol, atol));
  h = dir * Math.abs(h);
  let steps = 0,
    rejected = 0;
  while (dir * (t1 - t) > 1e-14 * Math.max(1, Math.abs(t1))) {
    if (steps + rejected >= maxSteps)
      throw new IntegrationError(`the integrator needed more than ${maxSteps} steps (stiff or singular problem?)`);
    if (dir * (t + h - t1) > 0) h = t1 - t;
    for (let s = 1; s < 7; s++) {
      for (let i = 0; i < n; i++) {
        let acc = y[i];
        for (let j = 0; j < s; j++) acc += h * A[s][j] * k[j][i];
        tmp[i] = acc;
      }
      yield* stage(f, t + C[s] * h, tmp, k[s]);
      evaluations++;
    }
    // tmp now holds the 5th-order solution (stage 7 is evaluated at it: FSAL)
    let err = 0;
    for (let i = 0; i < n; i++) {
      let e = 0;
      for (let s = 0; s < 7; s++) e += E[s] * k[s][i];
      const sc = atol + rtol * Math.max(Math.abs(y[i]), Math.abs(tmp[i]));
      err += ((h * e) / sc) ** 2;
    }
    err = Math.sqrt(err / n);
    if (!Number.isFinite(err)) {
      if (opts.fixedStep) throw new IntegrationError(`the solution is not finite at t = ${t}`);
      h /= 4;
      rejected++;
      if (Math.abs(h) < 1e-14 * Math.max(1, Math.abs(t))) throw new IntegrationError(`the solution is not finite near t = ${t}`);
      continue;
    }
    if (opts.fixedStep || err <= 1) {
      // dense output coefficients for this step
      const r = [Float64Array.from(y), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
      for (let i = 0; i < n; i++) {
        const ydiff = tmp[i] - y[i];
        const bspl = h * k[0][i] - ydiff;
        r[1][i] = ydiff;
        r[2][i] = bspl;
        r[3][i] = ydiff - h * k[6][i] - bspl;
        let dd = 0;
        for (let s = 0; s < 7; s++) dd += D[s] * k[s][i];
        r[4][i] = h * dd;
      }
      dense.push({ t, h, y: r[0], r });
      t += h;
      y = Float64Array.from(tmp);
      k[0].set(k[6]);
      ts.push(t);
      ys.push(Float64Array.from(y));
      steps++;
      const reason = opts.guard?.(t, y);
      if (reason) throw new IntegrationError(reason);
    } else rejected++;
    if (!opts.fixedStep) {
      const factor = err === 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * err ** -0.2));
      h *= factor;
    }
  }
  const at = (tq: number): Float64Array => {
    if (dense.length === 0) return Float64Array.from(y0);
    let lo = 0,
      hi = dense.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (dir * (dense[mid].t - tq) <= 0) lo = mid;
      else hi = mid - 1;
    }
    const d = dense[lo];
    const th = (tq - d.t) / d.h,
      th1 = 1 - th;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = d.r[0][i] + th * (d.r[1][i] + th1 * (d.r[2][i] + th * (d.r[3][i] + th1 * d.r[4][i])));
    return out;
  };
  return { t: ts, y: ys, at, steps, rejected, evaluations };
}

/** One evaluation of f: its requests passed on, if it has any. */
function* stage<A>(f: RhsTask<A>, t: number, y: Float64Array, out: Float64Array): Generator<A, void, void> {
  const asks = f(t, y, out);
  if (asks) yield* asks;
}

function* initialStep<A>(
  f: RhsTask<A>,
  t0: number,
  y0: Float64Array,
  f0: Float64Array,
  dir: number,
  rtol: number,
  atol: number,
): Generator<A, number, void> {
  const n = y0.length;
  let d0 = 0,
    d1 = 0;
  for (let i = 0; i < n; i++) {
    const sc = atol + rtol * Math.abs(y0[i]);
    d0 += (y0[i] / sc) ** 2;
    d1 += (f0[i] / sc) ** 2;
  }
  d0 = Math.sqrt(d0 / n);
  d1 = Math.sqrt(d1 / n);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
  const y1 = new Float64Array(n),
    f1 = new Float64Array(n);
  for (let i = 0; i < n; i++) y1[i] = y0[i] + dir * h0 * f0[i];
  yield* stage(f, t0 + dir * h0, y1, f1);
  let d2 = 0;
  for (let i = 0; i < n; i++) d2 += ((f1[i] - f0[i]) / (atol + rtol * Math.abs(y0[i]))) ** 2;
  d2 = Math.sqrt(d2 / n) / h0;
  const h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** 0.2;
  return Math.min(100 * h0, h1);
}

/** Classical RK4 with N equal steps; dense output by cubic Hermite interpolation. */
export function rk4(f: Rhs, t0: number, y0: ArrayLike<number>, t1: number, steps: number): Solution {
  const n = y0.length,
    h = (t1 - t0) / steps;
  const k1 = new Float64Array(n),
    k2 = new Float64Array(n),
    k3 = new Float64Array(n),
    k4 = new Float64Array(n),
    tmp = new Float64Array(n);
  let y = Float64Array.from(y0);
  const ts = [t0],
    ys = [Float64Array.from(y)],
    slopes: Float64Array[] = [];
  for (let s = 0; s < steps; s++) {
    const t = t0 + s * h;
    f(t, y, k1);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k1[i];
    f(t + 0.5 * h, tmp, k2);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + 0.5 * h * k2[i];
    f(t + 0.5 * h, tmp, k3);
    for (let i = 0; i < n; i++) tmp[i] = y[i] + h * k3[i];
    f(t + h, tmp, k4);
    slopes.push(Float64Array.from(k1));
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = y[i] + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    y = next;
    ts.push(t0 + (s + 1) * h);
    ys.push(y);
  }
  const last = new Float64Array(n);
  f(t1, y, last);
  slopes.push(last);
  const at = (tq: number): Float64Array => {
    const s = Math.min(steps - 1, Math.max(0, Math.floor((tq - t0) / h)));
    const th = (tq - ts[s]) / h;
    const h00 = 2 * th ** 3 - 3 * th ** 2 + 1,
      h10 = th ** 3 - 2 * th ** 2 + th,
      h01 = -2 * th ** 3 + 3 * th ** 2,
      h11 = th ** 3 - th ** 2;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = h00 * ys[s][i] + h10 * h * slopes[s][i] + h01 * ys[s + 1][i] + h11 * h * slopes[s + 1][i];
    return out;
  };
  return { t: ts, y: ys, at, steps, rejected: 0, evaluations: 4 * steps + 1 };
}
