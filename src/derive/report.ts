// Plain-text summaries of witnesses, shared by every view of a derivation.
import { rounded } from "../core/numbers.js";
import { type Derivation, type Evidence, evidenceOf, routeOf, type Step, stepCounts, type WitnessResult } from "./model.js";

const num = (x: number) => rounded(x, 6);

/** How many of a failure point's coordinates and parameters a message lists. */
const POINT_ENTRIES = 12;

/** What went wrong in a failed witness: the point, the component and both values. */
export function failureText(s: Step): string {
  const w = s.witness!;
  const f = w.failure;
  if (!f) return `max error ${num(w.maxError)} > tolerance ${num(w.tolerance)}`;
  // a deep network's failure point has hundreds of sampled parameters: the first few, the rest counted (all of them
  // are in the derivation's JSON)
  const entries = Object.entries(f.point),
    shown = entries.slice(0, POINT_ENTRIES).map(([k, v]) => `${k}=${num(v)}`);
  if (entries.length > POINT_ENTRIES) shown.push(`… (${entries.length - POINT_ENTRIES} more values in the derivation's JSON)`);
  const at = shown.join(", ");
  if (f.reason) return `${f.reason}${at ? ` at ${at}` : ""}`;
  return (
    `at ${at}: ${f.component} left ${num(f.lhs)} vs right ${num(f.rhs)} (relative error ${num(w.maxError)}, ` +
    `tolerance ${num(w.tolerance)})`
  );
}

/** One line on a witness that held: what the check is worth and its route. */
export function successText(s: Step): string {
  const w = s.witness!;
  return `${EVIDENCE_WORDS[evidenceOf(s)]}: ${w.against}`;
}

/** Where a witness that held was checked, and its largest difference: "checked at 8 sampled points, …: max error 0". */
export const checkedText = (w: WitnessResult): string => `checked ${domainText(w)}: max error ${num(w.maxError)}`;

/** What a step's check is worth, in a word or two (verify's table, the documents' tables). */
export const EVIDENCE_WORDS: Record<Evidence, string> = {
  definition: "definition, re-evaluated",
  identity: "identity, re-checked",
  independent: "independent route",
  sampled: "at sampled points only",
  unchecked: "unchecked",
};

/** Why an identity holds whatever the values (the builder's reason, or that both sides are one expression). */
export const identityReason = (s: Step): string | undefined =>
  s.identity ?? (s.witness?.sameExpression ? "both sides are the same expression" : undefined);

/** Where a witness's points came from, in words: "at 8 sampled points, x, y uniform in [-1, 1] (step seed 123)". */
export function domainText(w: WitnessResult): string {
  const d = w.domain;
  if (!d) return `at ${w.points} sampled points`;
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
        : ` ${d.box.coords.join(", ")} uniform in [${num(d.box.lo)}, ${num(d.box.hi)}]`;
    const params = d.params?.length ? `, free parameters ${d.params.join(", ")} sampled too (h in [0.05, 1], others in [-1, 1])` : "";
    const also = d.also ? `, ${d.also} drawn too` : "";
    const seed = d.seed === undefined ? "" : ` (step seed ${d.seed})`;
    text = `at ${w.points} sampled point${w.points === 1 ? "" : "s"},${box}${params}${also}${seed}`;
  }
  return d.instances ? `${text}; ${d.instances}` : text;
}

/** The route in words: what the step was compared with and the route's kind. */
export function routeText(s: Step): string {
  const w = s.witness!;
  const kind = routeOf(w);
  return kind === "other" ? w.against : `${w.against} [route: ${kind}]`;
}

/** A step's kind in headings: its justification, and what its check is worth unless the justification says it. */
export const kindLabel = (s: Step): string => {
  const e = evidenceOf(s);
  const word = {
    definition: "a definition",
    identity: "an identity",
    independent: "witnessed",
    sampled: "at sampled points",
    unchecked: "unchecked",
  }[e];
  return s.justification === e ? s.justification : `${s.justification}; ${word}`;
};

/** A step's result in the documents' tables: no check, failed, a re-check of a definition or identity, or passed. */
export function resultWord(s: Step): "—" | "failed" | "re-evaluated" | "re-checked" | "passed" {
  const w = s.witness;
  if (!w) return "—";
  if (!w.passed) return "failed";
  const e = evidenceOf(s);
  return e === "definition" ? "re-evaluated" : e === "identity" ? "re-checked" : "passed";
}

/** The route's kind for tables (its description when it has no kind). */
export const routeName = (w: WitnessResult): string => (routeOf(w) === "other" ? w.against : routeOf(w));

/** One line on a step's check for the documents: what it was compared with, where, what it is worth, and the result. */
export function checkText(s: Step): string {
  const w = s.witness!;
  const where = domainText(w);
  const result = `largest relative difference ${short(w.maxError)} (tolerance ${short(w.tolerance)})`;
  switch (evidenceOf(s)) {
    case "definition":
      return `Definition, re-evaluated against ${routeText(s)} ${where}: a check of the code, not evidence; ${result}.`;
    case "identity":
      return `Identity (${identityReason(s)}), re-checked against ${routeText(s)} ${where}: a check of the code, not evidence; ${result}.`;
    case "independent":
      return `Checked against an independent route, ${routeText(s)}, ${where}: ${result}.`;
    default:
      return `Checked only ${where}, by ${routeText(s)}: it holds at those points, which does not show it everywhere; ${result}.`;
  }
}

/** The documents' opening: what a step claims, what its check means, and the count. */
export function introText(d: Derivation): string {
  const o = d.options;
  return (
    "Each step states an equation and says why it holds. A definition is true by fiat, and an identity holds whatever " +
    "the values (both sides are one expression, a law of algebra, or a definition rearranged): where they are " +
    "re-evaluated by a second implementation, that checks the code, not the mathematics. Every other step was checked " +
    `numerically at sampled points (run seed ${o.seed}, ${o.points} points per step, relative tolerance ${short(o.tolerance)}): ` +
    "a closed form against a route independent of the symbolic path that built it, or a statement tested at the points " +
    "only, which shows it there and not everywhere; each step says which, and where its points came from. " +
    countsText(d)
  );
}

const are = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The count a reader can trust: definitions and identities apart from the evidence, and that apart by its kind. */
export function countsText(d: Derivation): string {
  const c = stepCounts(d);
  const parts = [
    are(c.definitions, "is a definition", "are definitions") +
      (c.reEvaluated ? ` (${c.reEvaluated} re-evaluated by a second implementation: a check of the code, not evidence)` : ""),
    ...(c.identities ? [`${are(c.identities, "is an identity", "are identities")} (true whatever the values: checked, not evidence)`] : []),
    ...(c.unchecked ? [`${are(c.unchecked, "is", "are")} stated without a check`] : []),
  ];
  const kinds = [
    ...(c.independent ? [`${c.independent} against independent routes`] : []),
    ...(c.sampled ? [`${c.sampled} tested at the sampled points only`] : []),
  ];
  const evidence = c.evidence
    ? ` The evidence is ${are(c.evidence, "step", "steps")}, checked numerically at sampled points: ${kinds.join(" and ")}.`
    : " No step is evidence beyond its definitions and identities.";
  const checks = c.failed === 0 ? " Every check passed." : ` ${are(c.failed, "check", "checks")} FAILED.`;
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : parts[0];
  return `Of the ${c.steps} steps, ${list}.${evidence}${checks}`;
}

/** A number in a document's check line: two significant digits. */
export const short = (x: number) => (x === 0 ? "0" : Number.isFinite(x) ? x.toExponential(1) : String(x));
