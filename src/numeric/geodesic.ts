// Geodesics of a metric: ẍ^a = −Γ^a_bc ẋ^b ẋ^c as a first-order system, integrated with
// Dormand–Prince; boundary-value problems by shooting with a damped Newton method.
import type { Metric } from "../semantics/model.js";
import { bindParams, EvaluationError } from "./evaluate.js";
import { DEGENERATE, geodesicEvaluators } from "./geometry.js";
import { solveN } from "./linalg.js";
import { dopri5, IntegrationError, type Solution } from "./ode.js";

export interface GeodesicPath {
  /** Samples (t, x, v) along t ∈ [0, 1]. */
  samples: { t: number; x: number[]; v: number[] }[];
  from: number[];
  to: number[];
  velocity: number[];
  /** ∫ √(g(ẋ, ẋ)) dt: the length as the metric sees it. */
  length: number;
  /** |to − from| in the chart: the straight-line (Euclidean) distance. */
  chartDistance: number;
  /** Newton iterations used (0 for an initial-value problem). */
  iterations: number;
  steps: number;
}

export interface GeodesicOptions {
  rtol?: number;
  atol?: number;
  samples?: number;
  maxIterations?: number;
  tolerance?: number;
  maxSteps?: number;
}

class GeodesicSystem {
  private readonly gamma;
  private readonly metric;
  private readonly gp: Float64Array;
  private readonly mp: Float64Array;
  readonly n: number;
  constructor(
    readonly spec: Metric,
    env: ReadonlyMap<string, number>,
  ) {
    this.n = spec.manifold.coords.length;
    const ev = geodesicEvaluators(spec); // compiled once per metric
    this.gamma = ev.gamma;
    this.metric = ev.metric;
    this.gp = bindParams(this.gamma, env, `metric '${spec.name}'`);
    this.mp = bindParams(this.metric, env, `metric '${spec.name}'`);
  }
  /** Γ at the current point; reused by every evaluation of the right-hand side. */
  private gammaBuffer: Float64Array | null = null;
  /** y = (x, v) ↦ (v, −Γ(x)(v, v)). */
  rhs = (_t: number, y: Float64Array, out: Float64Array): void => {
    const n = this.n;
    if (!this.gammaBuffer) this.gammaBuffer = new Float64Array(n * n * n);
    const G = this.gammaBuffer;
    this.gamma.run(y.subarray(0, n), this.gp, G, 1);
    for (let a = 0; a < n; a++) {
      out[a] = y[n + a];
      let acc = 0;
      for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) acc += G[(a * n + b) * n + c] * y[n + b] * y[n + c];
      out[n + a] = -acc;
    }
  };
  /** g at x, flat, and det g. */
  metricAt(x: ArrayLike<number>): { g: Float64Array; det: number } {
    const v = this.metric.at(x, this.mp);
    return { g: v.subarray(0, this.n * this.n), det: v[this.n * this.n] };
  }
  degenerate(x: ArrayLike<number>): string | null {
    const { g, det } = this.metricAt(x);
    const scale = Math.max(...Array.from(g).map(Math.abs)) ** this.n;
    if (!Number.isFinite(det) || Math.abs(det) <= DEGENERATE * Math.max(scale, 1e-300)) {
      return `the metric '${this.spec.name}' is degenerate at (${Array.from(x)
        .map((v) => Number(v.toPrecision(8)))
        .join(", ")}): det g = ${det}`;
    }
    return null;
  }
  speed2(x: ArrayLike<number>, v: ArrayLike<number>): number {
    const { g } = this.metricAt(x);
    let s = 0;
    for (let a = 0; a < this.n; a++) for (let b = 0; b < this.n; b++) s += g[a * this.n + b] * v[a] * v[b];
    return s;
  }
}

function integrate(sys: GeodesicSystem, x0: number[], v0: number[], opts: GeodesicOptions): Solution {
  const bad = sys.degenerate(x0);
  if (bad) throw new EvaluationError(bad);
  try {
    return dopri5(sys.rhs, 0, [...x0, ...v0], 1, {
      rtol: opts.rtol ?? 1e-11,
      atol: opts.atol ?? 1e-13,
      maxSteps: opts.maxSteps,
      guard: (_t, y) => sys.degenerate(y.subarray(0, sys.n)),
    });
  } catch (e) {
    if (e instanceof IntegrationError)
      throw new EvaluationError(`geodesic from (${x0.join(", ")}) with velocity (${v0.join(", ")}): ${e.message}`);
    throw e;
  }
}

function pathOf(
  sys: GeodesicSystem,
  sol: Solution,
  from: number[],
  velocity: number[],
  opts: GeodesicOptions,
  iterations: number,
): GeodesicPath {
  const n = sys.n,
    m = Math.max(2, opts.samples ?? 101);
  const samples = Array.from({ length: m }, (_, i) => {
    const t = i / (m - 1);
    const y = i === m - 1 ? sol.y[sol.y.length - 1] : sol.at(t);
    return { t, x: Array.from(y.subarray(0, n)), v: Array.from(y.subarray(n)) };
  });
  // length by composite Simpson on a fine grid of the dense output
  const K = 400;
  let length = 0;
  for (let i = 0; i <= K; i++) {
    const y = sol.at(i / K);
    const w = i === 0 || i === K ? 1 : i % 2 ? 4 : 2;
    length += w * Math.sqrt(Math.max(0, sys.speed2(y.subarray(0, n), y.subarray(n))));
  }
  length /= 3 * K;
  const to = samples[m - 1].x;
  return { samples, from, to, velocity, length, chartDistance: Math.hypot(...to.map((v, i) => v - from[i])), iterations, steps: sol.steps };
}

/** The geodesic from x0 with initial velocity v0, for t ∈ [0, 1]. */
export function geodesicIVP(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  x0: number[],
  v0: number[],
  opts: GeodesicOptions = {},
): GeodesicPath {
  const sys = new GeodesicSystem(metric, env);
  return pathOf(sys, integrate(sys, x0, v0, opts), x0, v0, opts, 0);
}

/** The geodesic from x0 to x1 (t ∈ [0, 1]) by shooting on the initial velocity with Newton's method. */
export function geodesicBVP(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  x0: number[],
  x1: number[],
  opts: GeodesicOptions = {},
): GeodesicPath {
  const sys = new GeodesicSystem(metric, env);
  const n = sys.n;
  const maxIt = opts.maxIterations ?? 40;
  const tol = opts.tolerance ?? Math.max(1e-10, 10 * (opts.rtol ?? 1e-11)) * (1 + Math.hypot(...x1));
  const end = (v: number[]) => {
    const s = integrate(sys, x0, v, opts);
    return { sol: s, x: Array.from(s.y[s.y.length - 1].subarray(0, n)) };
  };
  const what = `geodesic shooting from (${x0.join(", ")}) to (${x1.join(", ")})`;
  let it = 0;
  try {
    return shoot();
  } catch (e) {
    if (e instanceof EvaluationError && !e.message.startsWith(what))
      throw new EvaluationError(`${what} failed after ${it} Newton steps: ${e.message}`);
    throw e;
  }

  function shoot(): GeodesicPath {
    let v = x1.map((x, i) => x - x0[i]); // the straight line in the chart
    let cur = end(v);
    let res = cur.x.map((x, i) => x - x1[i]);
    let norm = Math.hypot(...res);
    for (it = 1; it <= maxIt; it++) {
      if (norm <= tol) return pathOf(sys, cur.sol, x0, v, opts, it - 1);
      // Jacobian of the end point with respect to the initial velocity, by central differences
      const J = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      for (let j = 0; j < n; j++) {
        const eps = 1e-6 * Math.max(1, Math.abs(v[j]));
        const plus = end(v.map((x, i) => (i === j ? x + eps : x))).x,
          minus = end(v.map((x, i) => (i === j ? x - eps : x))).x;
        for (let i = 0; i < n; i++) J[i][j] = (plus[i] - minus[i]) / (2 * eps);
      }
      const step = solveN(
        J,
        res.map((r) => -r),
      );
      if (!step) throw new EvaluationError(`${what} hit a singular Jacobian (conjugate points?) after ${it - 1} Newton steps`);
      // damped: halve the step until the miss shrinks
      let lambda = 1,
        accepted = false;
      while (lambda >= 1 / 64) {
        const vTry = v.map((x, i) => x + lambda * step[i]);
        try {
          const tryEnd = end(vTry);
          const tryRes = tryEnd.x.map((x, i) => x - x1[i]);
          const tryNorm = Math.hypot(...tryRes);
          if (tryNorm < norm) {
            v = vTry;
            cur = tryEnd;
            res = tryRes;
            norm = tryNorm;
            accepted = true;
            break;
          }
        } catch (e) {
          if (!(e instanceof EvaluationError)) throw e;
        }
        lambda /= 2;
      }
      if (!accepted) break;
    }
    if (norm <= tol) return pathOf(sys, cur.sol, x0, v, opts, maxIt);
    throw new EvaluationError(
      `${what} did not converge after ${maxIt} Newton steps: the closest geodesic found ends ${norm.toExponential(2)} away from the target`,
    );
  }
}
