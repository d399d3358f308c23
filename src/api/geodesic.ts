// Geodesics as plain data: one path, or distances between many pairs with the metric compiled once.
import { inRequestGraph } from "../symbolic/expr.js";
import type { Metric } from "../semantics/model.js";
import { type GeodesicPath, geodesicBVP, geodesicIVP, geodesicSolver } from "../numeric/geodesic.js";

/**
 * A geodesic from `from`: to the point `to` (shooting), or with initial velocity `velocity` for t ∈ [0, 1].
 * @example
 * const path = geodesic(pickMetric(model), valuesOf(model), [-1, 1], { to: [1, 1], samples: 11 });
 * path.length; path.chartDistance; path.samples;
 */
export function geodesic(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  from: number[],
  end: { to: number[]; velocity?: undefined; samples?: number } | { velocity: number[]; to?: undefined; samples?: number },
): GeodesicPath {
  return inRequestGraph(metric, () =>
    end.to
      ? geodesicBVP(metric, env, from, end.to, { samples: end.samples })
      : geodesicIVP(metric, env, from, end.velocity!, { samples: end.samples }),
  );
}

/**
 * The geodesic distance between two points, as a function that compiles the metric's evaluators once for
 * many pairs (`rgnn distances`). Throws EvaluationError when the metric cannot be compiled or a shot fails.
 * @example
 * const d = geodesicDistance(pickMetric(model), valuesOf(model));
 * d([-1, 1], [1, 1]);
 */
export function geodesicDistance(metric: Metric, env: ReadonlyMap<string, number>): (from: number[], to: number[]) => number {
  const solver = inRequestGraph(metric, () => geodesicSolver(metric, env));
  return (from, to) => solver.bvp(from, to, { samples: 2 }).length;
}
