// A chart's declared domain (`manifold M (…) on [a,b] x …`) as a promise about points: every route that takes points of
// a chart — metric, geometry, eval, geodesics, distances, the server — refuses one outside it, with one message naming
// the chart, the coordinate and its interval (Schwarzschild declared on r ∈ [2, 10] is not evaluated at r = 0.5).
import type { Manifold } from "../semantics/model.js";
import { chartAdvice, outsideChart, pointText } from "../semantics/chart-domain.js";
import { EvaluationError } from "../numeric/evaluate.js";

/** A point outside its chart's declared domain. */
export class ChartDomainError extends EvaluationError {}

/**
 * Throws ChartDomainError for the first of `points` outside `chart`'s declared domain. `what` names the points in
 * the message ("point", "the start"); with several points the message gives the point's index (from 1).
 */
export function assertInChart(chart: Manifold, points: readonly (readonly number[])[], what = "point"): void {
  if (!chart.domain) return;
  for (let k = 0; k < points.length; k++) {
    const why = outsideChart(chart, points[k]);
    if (!why) continue;
    const which = points.length > 1 ? `${what} ${k + 1} of ${points.length}` : what;
    const shown = points[k].length <= 8 ? `${pointText(points[k])} ` : "";
    throw new ChartDomainError(`${which} ${shown}is outside the chart ${chart.name}: ${why} ${chartAdvice(chart)}`);
  }
}
