// Plain-text summaries of witnesses, shared by every view of a derivation.
import { rounded } from "../core/numbers.js";
import { type Derivation, roleOf, routeOf, type Step, stepCounts, type WitnessResult } from "./model.js";

const num = (x: number) => rounded(x, 6);

/** What went wrong in a failed witness: the point, the component and both values. */
export function failureText(s: Step): string {
  const w = s.witness!;
  const f = w.failure;
  if (!f) return `max error ${num(w.maxError)} > tolerance ${num(w.tolerance)}`;
  const at = Object.entries(f.point)
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(", ");
  if (f.reason) return `${f.reason}${at ? ` at ${at}` : ""}`;
  return (
    `at ${at}: ${f.component} left ${num(f.lhs)} vs right ${num(f.rhs)} (relative error ${num(w.maxError)}, ` +
    `tolerance ${num(w.tolerance)})`
  );
}

/** One line on a witness that held. */
export function successText(s: Step): string {
  const w = s.witness!;
  return `max error ${num(w.maxError)} over ${w.points} points, against ${w.against}`;
}

/** Where a witness's points came from, in words: "8 points uniform in [-1, 1] for x, y (step seed 123)". */
export function domainText(w: WitnessResult): string {
  const d = w.domain;
  if (!d) return `${w.points} points`;
  const at = (p: Record<string, number>) =>
    `(${Object.keys(p).join(", ")}) = (${Object.values(p)
      .map((v) => num(v))
      .join(", ")})`;
  let text: string;
  if (d.kind === "point") text = d.at && Object.keys(d.at).length ? `at ${at(d.at)}` : "at the given point";
  else if (d.kind === "samples") return d.instances ? `on ${d.instances}` : "on the solver's own samples";
  else {
    const ranges = d.box?.ranges;
    const box = !d.box?.coords.length
      ? ""
      : ranges
        ? ` uniform in ${d.box.coords.map((c, i) => `${c} ∈ [${num(ranges[i][0])}, ${num(ranges[i][1])}]`).join(", ")}`
        : ` for ${d.box.coords.join(", ")} uniform in [${num(d.box.lo)}, ${num(d.box.hi)}]`;
    const params = d.params?.length ? `, free parameters ${d.params.join(", ")} sampled too (h in [0.05, 1], others in [-1, 1])` : "";
    text = `${w.points} random points${box}${params}${d.seed === undefined ? "" : ` (step seed ${d.seed})`}`;
  }
  return d.instances ? `${text}; ${d.instances}` : text;
}

/** The route in words: what the step was compared with and the route's kind. */
export function routeText(s: Step): string {
  const w = s.witness!;
  const kind = routeOf(w);
  return kind === "other" ? w.against : `${w.against} [route: ${kind}]`;
}

/** A step's kind in headings: its justification, and "witnessed" or "definition" unless the justification says it. */
export const kindLabel = (s: Step): string =>
  s.justification === roleOf(s) ? s.justification : `${s.justification}; ${roleOf(s) === "definition" ? "a definition" : "witnessed"}`;

/** The route's kind for tables (its description when it has no kind). */
export const routeName = (w: WitnessResult): string => (routeOf(w) === "other" ? w.against : routeOf(w));

/** One line on a step's check for the documents: what it was compared with, where, and the result. */
export function checkText(s: Step): string {
  const w = s.witness!;
  const what =
    roleOf(s) === "definition"
      ? `Definition, re-evaluated against ${routeText(s)}: a check of the code, not evidence;`
      : `Witnessed against ${routeText(s)},`;
  return `${what} ${domainText(w)}: largest relative difference ${short(w.maxError)} (tolerance ${short(w.tolerance)}).`;
}

/** The documents' opening: what a step claims, what its check means, and the count. */
export function introText(d: Derivation): string {
  const o = d.options;
  return (
    "Each step states an equation and says why it holds. A definition is true by fiat: where it is re-evaluated by a " +
    "second implementation, that checks the code, not the mathematics. Every other step was witnessed numerically by an " +
    `independent route at random points (run seed ${o.seed}, ${o.points} points per step, relative tolerance ` +
    `${short(o.tolerance)}); each step says which route and where its points came from. ${countsText(d)}`
  );
}

/** The count a reader can trust: definitions apart from the steps witnessed by independent routes. */
export function countsText(d: Derivation): string {
  const c = stepCounts(d);
  const defs =
    `${c.definitions} ${c.definitions === 1 ? "is a definition" : "are definitions"}` +
    (c.reEvaluated ? ` (${c.reEvaluated} re-evaluated by a second implementation: a check of the code, not evidence)` : "");
  const those = `${c.witnessed} ${c.witnessed === 1 ? "is" : "are"} witnessed by independent routes`;
  const witnessed =
    c.failed === 0 ? `${those}, and all ${c.witnessed} checks passed` : `${those}; ${c.failed} check${c.failed === 1 ? "" : "s"} FAILED`;
  return `Of the ${c.steps} steps, ${defs}; ${witnessed}.`;
}

/** A number in a document's check line: two significant digits. */
export const short = (x: number) => (x === 0 ? "0" : Number.isFinite(x) ? x.toExponential(1) : String(x));
