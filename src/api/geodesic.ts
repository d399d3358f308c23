// Geodesics as plain data: one path, or distances between many pairs with the metric compiled once.
import { inRequestGraph } from "../symbolic/expr.js";
import type { Metric } from "../semantics/model.js";
import { type GeodesicPath, geodesicBVP, geodesicIVP, geodesicSolver } from "../numeric/geodesic.js";
import { assertInChart } from "./chart.js";
import { metricAt } from "./metric.js";
import { EvaluationError } from "../numeric/evaluate.js";

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
  assertInChart(metric.manifold, [from], "the start");
  if (end.to) assertInChart(metric.manifold, [end.to], "the end");
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
  return (from, to) => {
    assertInChart(metric.manifold, [from], "the pair's first point");
    assertInChart(metric.manifold, [to], "the pair's second point");
    return solver.bvp(from, to, { samples: 2 }).length;
  };
}

/**
 * Geodesic distances between many pairs at once, the metric's evaluators compiled once: the pairs' solves run in
 * lockstep, so that on the matrix engine their evaluations share block passes through the network (`rgnn distances`).
 * Each entry is the pair's length, or the EvaluationError that stopped its solve.
 * @example
 * const d = geodesicDistances(pickMetric(model), valuesOf(model));
 * d([[[-1, 1], [1, 1]], [[0, 0], [1, 0]]]); // [length, length]
 */
export function geodesicDistances(
  metric: Metric,
  env: ReadonlyMap<string, number>,
): (pairs: readonly [number[], number[]][]) => (number | EvaluationError)[] {
  const solver = inRequestGraph(metric, () => geodesicSolver(metric, env));
  return (pairs) => {
    for (const [from, to] of pairs) {
      assertInChart(metric.manifold, [from], "the pair's first point");
      assertInChart(metric.manifold, [to], "the pair's second point");
    }
    return solver.bvps(pairs, { samples: 2 }).map((p) => (p instanceof EvaluationError ? p : p.length));
  };
}

/**
 * Throws EvaluationError, before any pair is solved, when the metric has eigenvalues of both signs at one of the
 * points: the "length" of a geodesic is then a proper time, a proper distance or 0 for null-separated points, and one
 * unlabelled matrix of them (as `rgnn distances` printed for Minkowski space) reads as distances that they are not.
 */
export function assertDefiniteForDistances(metric: Metric, env: ReadonlyMap<string, number>, points: number[][]): void {
  const values = metricAt(metric, points, env);
  const k = values.findIndex((v) => v.signature[0] > 0 && v.signature[1] > 0);
  if (k < 0) return;
  const v = values[k];
  throw new EvaluationError(
    `a distance matrix needs a definite metric, but '${metric.name}' is ${v.type} (signature (${v.signature.join(",")})) at ` +
      `point ${k + 1} (${v.point.join(", ")}): its geodesics' lengths mix timelike, spacelike and null intervals; use ` +
      "`rgnn geodesic --from P --to Q`, which names each geodesic's type",
  );
}

/** A request refused before any work because of what it would cost (time, memory), with what to do instead. */
export class CostLimitError extends EvaluationError {}

/**
 * Most points of one geodesic distance matrix in one run (`rgnn distances`, the server, the Python package without a
 * cluster): 4096 points are 8,386,560 boundary-value problems — hours on one core at a millisecond or more each — and a
 * matrix of 134 MB. 20,000 points (2·10⁸ pairs) ran the process out of memory before this limit.
 */
export const MAX_DISTANCE_POINTS = 4096;

/** Throws CostLimitError when a distance matrix of `points` points is beyond MAX_DISTANCE_POINTS, before any work. */
export function assertDistancesFeasible(points: number): void {
  if (points <= MAX_DISTANCE_POINTS) return;
  const pairs = (points * (points - 1)) / 2;
  const gb = (points * points * 8) / 1e9;
  throw new CostLimitError(
    `a distance matrix of ${points.toLocaleString("en")} points is ${pairs.toLocaleString("en")} geodesic problems and a ` +
      `${points} × ${points} matrix (${gb < 10 ? gb.toFixed(1) : Math.round(gb)} GB): more than the ` +
      `${MAX_DISTANCE_POINTS.toLocaleString("en")} points of one run; compute it on a sample of the points, or shard it over a ` +
      `Dask cluster from Python (geometry.distances(points, client=…), docs/python.md)`,
  );
}
