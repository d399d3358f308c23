// Independent numeric routes for witnesses: forward mode and finite differences on the model,
// sharing nothing with the symbolic path they check.
import type { FiniteDifferences } from "../core/quantities.js";
import type { Manifold, Mapping, Metric } from "../semantics/model.js";
import { forwardMapping, forwardMetric, forwardNetwork } from "../numeric/forward.js";
import { congruenceN, detN, inverseN, type Mat } from "../numeric/linalg.js";
import type { Route } from "./witness.js";

export const pointOf = (chart: Manifold, env: ReadonlyMap<string, number>) => chart.coords.map((c) => env.get(c)!);

/** The metric by forward mode through every pullback. */
export const oracleMetric =
  (metric: Metric): Route =>
  (env) =>
    forwardMetric(metric, pointOf(metric.manifold, env), env).flat();

/** Jacobian by the 5-point central stencil on forward-mode *values* only (no derivative code). */
export function fdJacobian(f: (x: number[]) => number[], x: number[], eps = 1e-3): Mat {
  const cols = x.map((_, j) => {
    const at = (k: number) => f(x.map((v, i) => (i === j ? v + k * eps : v)));
    const [m2, m1, p1, p2] = [at(-2), at(-1), at(1), at(2)];
    return p1.map((_, i) => (m2[i] - 8 * m1[i] + 8 * p1[i] - p2[i]) / (12 * eps));
  });
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

/** Steps tried per coordinate by `fdJacobianScaled`: h_k = H0 · max(1, |x_j|) · 2^-k, k = 0 … STEPS − 1. */
const H0 = 0.05,
  STEPS = 12;

/**
 * Jacobian by finite differences of values only, the step chosen per coordinate by the point's scale and the function's
 * derivatives. A 5-point stencil's error is c·h⁴·f⁽⁵⁾ (truncation) plus ε·|f|/h (round-off): one fixed step fails on
 * networks with large weights, whose f⁽⁵⁾ grows like ‖W‖⁵ per layer (trained nets: 1e-3 gives 9e-7 where 1e-4 gives
 * 9e-11). So the stencil is taken at steps h_k = 0.05·max(1, |x_j|)·2⁻ᵏ, halving; consecutive values differ by
 * (15/16)·c·h_k⁴·f⁽⁵⁾ while truncation dominates and grow again once round-off does. The pair that differs least
 * marks the best step, and Richardson's (16·D(h/2) − D(h))/15 of that pair cancels the h⁴ term.
 */
export function fdJacobianScaled(f: (x: number[]) => number[], x: number[]): Mat {
  const cols = x.map((xj, j) => {
    const at = (h: number, k: number) => f(x.map((v, i) => (i === j ? v + k * h : v)));
    const stencil = (h: number) => {
      const [m2, m1, p1, p2] = [at(h, -2), at(h, -1), at(h, 1), at(h, 2)];
      return p1.map((_, i) => (m2[i] - 8 * m1[i] + 8 * p1[i] - p2[i]) / (12 * h));
    };
    const scale = Math.max(1, Math.abs(xj));
    let coarse = stencil(H0 * scale),
      best: number[] = coarse,
      bestGap = Infinity;
    for (let k = 1; k < STEPS; k++) {
      const fine = stencil(H0 * scale * 2 ** -k);
      // the largest gap relative to the entries' size: one number per step for every output
      const gap = Math.max(...fine.map((v, i) => Math.abs(v - coarse[i]) / (1 + Math.abs(v))));
      if (gap < bestGap) {
        bestGap = gap;
        best = fine.map((v, i) => (16 * v - coarse[i]) / 15);
      }
      coarse = fine;
    }
    return best;
  });
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

/** g = Jᵀ (G∘F) J with J from finite differences of F's values (the step chosen by `fdJacobianScaled`). */
export function fdPullback(along: Mapping, of: Metric, chart: Manifold, from = 0): Route {
  return (env) => {
    const p = pointOf(chart, env);
    const F = (x: number[]) => (along.kind === "network" ? last(forwardNetwork(along, x, env, from)).x : forwardMapping(along, x, env).x);
    return congruenceN(fdJacobianScaled(F, p), forwardMetric(of, F(p), env)).flat();
  };
}

export const last = <T>(xs: T[]): T => xs[xs.length - 1];

/**
 * The geometry of a metric from finite differences of its forward-mode *values*: ∂g by a
 * 5-point stencil (ε = 1e-3), Γ from it, and ∂Γ by a second 5-point stencil (ε = 1e-2).
 * Accurate to ~1e-7 for Γ and ~1e-6 for curvature on O(1)-scaled metrics. `gAt` gives the metric's values (forward mode
 * unless told otherwise: a wide network's derivation passes the engine's g, whose derivatives are what it checks).
 */
export function fdGeometry(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  stepScale = 1,
  gAt: (x: number[]) => Mat = (x) => forwardMetric(metric, x, env),
) {
  const n = metric.manifold.dim;
  const e1 = 1e-3 * stepScale,
    e2 = 1e-2 * stepScale;
  const christoffel = (x: number[]): number[][][] => {
    const g = gAt(x),
      inv = inverseN(g) ?? g.map((r) => r.map(() => NaN));
    const dg = x.map((_, c) => {
      const J = fdJacobian((y) => gAt(y).flat(), x, e1);
      return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => J[a * n + b][c]));
    });
    return Array.from({ length: n }, (_, a) =>
      Array.from({ length: n }, (_, b) =>
        Array.from({ length: n }, (_, c) => {
          let s = 0;
          for (let d = 0; d < n; d++) s += inv[a][d] * 0.5 * (dg[b][d][c] + dg[c][d][b] - dg[d][b][c]);
          return s;
        }),
      ),
    );
  };
  const riemann = (x: number[]): number[][][][] => {
    const G = christoffel(x);
    const dGflat = fdJacobian((y) => christoffel(y).flat(2), x, e2); // [a*n*n + b*n + d][c] = ∂_c Γ^a_bd
    const dG = (c: number, a: number, b: number, d: number) => dGflat[(a * n + b) * n + d][c];
    return Array.from({ length: n }, (_, a) =>
      Array.from({ length: n }, (_, b) =>
        Array.from({ length: n }, (_, c) =>
          Array.from({ length: n }, (_, d) => {
            let s = dG(c, a, d, b) - dG(d, a, c, b);
            for (let e = 0; e < n; e++) s += G[a][c][e] * G[e][d][b] - G[a][d][e] * G[e][c][b];
            return s;
          }),
        ),
      ),
    );
  };
  const ricci = (x: number[]) => {
    const R = riemann(x);
    return Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, d) => R.reduce((s, Ra, a) => s + Ra[b][a][d], 0)));
  };
  const scalar = (x: number[]) => {
    const Ric = ricci(x),
      inv = inverseN(gAt(x)) ?? [];
    let s = 0;
    for (let b = 0; b < n; b++) for (let d = 0; d < n; d++) s += inv[b][d] * Ric[b][d];
    return s;
  };
  const det = (x: number[]) => detN(gAt(x));
  const inverse = (x: number[]) => inverseN(gAt(x)) ?? gAt(x).map((r) => r.map(() => NaN));
  return { gAt, det, inverse, christoffel, riemann, ricci, scalar } satisfies FiniteDifferences;
}

const _cubeOf = <T>(n: number, f: (a: number, b: number, c: number) => T): T[][][] =>
  Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, c) => f(a, b, c))));

/**
 * A finite-difference route that vouches for itself: evaluated with two step sizes, and NaN
 * (so the witness skips the point) where they disagree by more than `trust` — near a
 * singularity, where differences of the metric's values say nothing reliable.
 */
export function selfCheckedRoute(route: (stepScale: number) => Route, trust: number): Route {
  const a = route(1),
    b = route(0.5);
  return (env) => {
    const va = a(env),
      vb = b(env);
    const ok = va.every((x, i) => Math.abs(x - vb[i]) <= trust * (1 + Math.abs(x)));
    return ok ? va : va.map(() => NaN);
  };
}
