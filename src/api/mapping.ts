// A map or network as plain data: its output, Jacobian and pulled-back metric at points (all at once, or streamed
// from one compiled evaluator), and its closed form.
import { inRequestGraph } from "../symbolic/expr.js";
import type { Mapping } from "../semantics/model.js";
import { metricRank } from "../numeric/linalg.js";
import { eachPoint, pointMapping } from "../numeric/route.js";
import { mappingExprs } from "../symbolic/metric.js";
import { print } from "../symbolic/print.js";
import { assertInChart } from "./chart.js";

export interface MappingValue {
  point: number[];
  output: number[];
  /** ∂output_i/∂x_j */
  jacobian: number[][];
  /** Jᵀ J: the Euclidean metric of the output pulled back to the input. */
  metric: number[][];
  rank: number;
}

/**
 * A network's (or map's) output, Jacobian and pulled-back Euclidean metric at each point.
 * @example
 * const [r] = evaluateAt(pickMapping(model), [[0.3, -0.7]], valuesOf(model));
 * r.output; r.jacobian; r.metric; r.rank;
 */
export function evaluateAt(mapping: Mapping, points: number[][], env: ReadonlyMap<string, number>): MappingValue[] {
  assertInChart(mapping.source, points);
  const ev = inRequestGraph(mapping, () => pointMapping(mapping, env));
  return ev.many(points).map((r, k) => ({ point: points[k], ...r, rank: metricRank(r.metric) }));
}

export interface MappingEvaluator {
  /** The points' values one at a time, evaluated a chunk at a time as they are asked for; throws EvaluationError
   *  at the first point that cannot be evaluated, after yielding the points before it. */
  each(points: number[][]): Generator<MappingValue>;
}

/**
 * `evaluateAt` for streaming and for many calls: the mapping is compiled once (the matrix engine where the
 * symbolic route would be large), and `each` yields rows as they are evaluated, so a million need not be held
 * at once (`rgnn eval --points`).
 * @example
 * const ev = mappingEvaluator(pickMapping(model), valuesOf(model));
 * for (const r of ev.each(points)) console.log(r.output);
 */
export function mappingEvaluator(mapping: Mapping, env: ReadonlyMap<string, number>): MappingEvaluator {
  const ev = inRequestGraph(mapping, () => pointMapping(mapping, env));
  return {
    *each(points) {
      assertInChart(mapping.source, points);
      let k = 0;
      for (const r of eachPoint(ev, points)) yield { point: points[k++], ...r, rank: metricRank(r.metric) };
    },
  };
}

export interface SymbolicMapping {
  name: string;
  /** The output coordinates as text. */
  components: string[];
  /** ∂output_i/∂x_j as text. */
  jacobian: string[][];
}

/**
 * A map's (or network's) output and Jacobian in closed form.
 * @example
 * mappingSymbolic(pickMapping(model)).jacobian[0][0];
 */
export function mappingSymbolic(mapping: Mapping): SymbolicMapping {
  return inRequestGraph(mapping, () => {
    const F = mappingExprs(mapping);
    return {
      name: mapping.name,
      components: F.components.map((e) => print(e)),
      jacobian: F.jacobian.map((row) => row.map((e) => print(e))),
    };
  });
}
