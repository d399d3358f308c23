// Whether a point lies in its chart's declared domain (`manifold M (…) on [a,b] x …`): read by the spec checker for the
// points a spec names (`evaluate g at (…)`) and by the api for the points every command and the server are given.
import type { Manifold } from "./model.js";

const num = (v: number) => String(Number(v.toPrecision(12)));

/** The chart's domain as written: `[-1, 1] x [2, 10]`. */
export function domainText(chart: Manifold): string {
  return (chart.domain ?? []).map(([lo, hi]) => `[${num(lo)}, ${num(hi)}]`).join(" x ");
}

/** A point's coordinates as the messages show them: `(0, 0.5, 1, 1)`. */
export function pointText(point: readonly number[]): string {
  return `(${point.map(num).join(", ")})`;
}

/**
 * Why `point` is outside `chart`'s declared domain (the first coordinate out of its closed interval), or null when
 * it is inside or the chart declares none.
 */
export function outsideChart(chart: Manifold, point: readonly number[]): string | null {
  const d = chart.domain;
  if (!d) return null;
  for (let i = 0; i < d.length; i++) {
    const x = point[i];
    if (!(x >= d[i][0] && x <= d[i][1])) return `${chart.coords[i]} = ${num(x)} is not in [${num(d[i][0])}, ${num(d[i][1])}]`;
  }
  return null;
}

/** The sentence after "… is outside the chart M: why": what the chart declares and what to do. */
export function chartAdvice(chart: Manifold): string {
  return (
    `(${chart.name} is declared on ${domainText(chart)}); give a point inside the chart, ` +
    "or widen the chart's 'on' intervals if the metric holds there"
  );
}
