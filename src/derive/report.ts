// Plain-text summaries of witnesses, shared by every view of a derivation.
import { rounded } from "../core/numbers.js";
import type { Step } from "./model.js";

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
