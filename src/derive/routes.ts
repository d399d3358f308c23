// Independent numeric routes for witnesses: forward mode and finite differences on the model,
// sharing nothing with the symbolic path they check.
import type { Manifold, Mapping, Metric, Network } from "../semantics/model.js";
import { forwardMapping, forwardMetric, forwardNetwork } from "../numeric/forward.js";
import { congruenceN, type Mat } from "../numeric/linalg.js";
import type { Route } from "./witness.js";

export const pointOf = (chart: Manifold, env: ReadonlyMap<string, number>) => chart.coords.map((c) => env.get(c)!);

/** The metric by forward mode through every pullback. */
export const oracleMetric = (metric: Metric): Route => (env) => forwardMetric(metric, pointOf(metric.manifold, env), env).flat();

/** Jacobian by the 5-point central stencil on forward-mode *values* only (no derivative code). */
export function fdJacobian(f: (x: number[]) => number[], x: number[], eps = 1e-3): Mat {
  const cols = x.map((_, j) => {
    const at = (k: number) => f(x.map((v, i) => (i === j ? v + k * eps : v)));
    const [m2, m1, p1, p2] = [at(-2), at(-1), at(1), at(2)];
    return p1.map((_, i) => (m2[i] - 8 * m1[i] + 8 * p1[i] - p2[i]) / (12 * eps));
  });
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

/** g = Jᵀ (G∘F) J with J from finite differences of F's values. */
export function fdPullback(along: Mapping, of: Metric, chart: Manifold, from = 0): Route {
  return (env) => {
    const p = pointOf(chart, env);
    const F = (x: number[]) => (along.kind === "network" ? last(forwardNetwork(along, x, env, from)).x : forwardMapping(along, x, env).x);
    return congruenceN(fdJacobian(F, p), forwardMetric(of, F(p), env)).flat();
  };
}

/** States x_0 … x_l of a network by forward mode, from input-chart coordinates in env. */
export const statesAt = (net: Network, env: ReadonlyMap<string, number>) => forwardNetwork(net, pointOf(net.source, env), env);

export const last = <T>(xs: T[]): T => xs[xs.length - 1];
