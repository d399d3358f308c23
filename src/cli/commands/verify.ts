// `rgnn verify FILE`: run every step's witness and every claim in the spec; a table; exit 0
// only if all pass. A failure names the step, the point, and both values.
import { derivation, verifyResult } from "../../api/derivation.js";
import { allSteps, type Derivation, evidenceOf, stepCounts } from "../../derive/model.js";
import { checkedText, countsText, failureText, routeName, successText } from "../../derive/report.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { json } from "../format.js";
import { choice } from "../options.js";
import { FORMATS } from "../formats.js";
import { readSpec } from "../spec.js";

export interface VerifyOptions {
  points: string;
  seed: string;
  tol: string;
  format: string;
}

export function witnessOptions(opts: { points: string; seed: string; tol: string }) {
  const points = Number(opts.points),
    seed = Number(opts.seed),
    tolerance = Number(opts.tol);
  if (!Number.isInteger(points) || points < 1 || points > 10000)
    throw new UsageError(`--points must be a whole number from 1 to 10000, not '${opts.points}'`);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number ≥ 0, not '${opts.seed}'`);
  if (!(tolerance > 0 && tolerance < 1)) throw new UsageError(`--tol must be a number between 0 and 1, not '${opts.tol}'`);
  return { points, seed, tolerance };
}

/** Status words of the table: evidence that held ("ok"), an identity's and a definition's re-check ("id", "def"), failures. */
const STATUS = { definition: "def ", identity: "id  ", independent: "ok  ", sampled: "ok  ", unchecked: "    " } as const;

/**
 * Every checked step: its status, route and what the check is worth, and where its points came from; the evidence
 * (independent routes, sampled statements) counted apart from identities and re-evaluated definitions.
 */
export function verifyTable(d: Derivation): string {
  const steps = allSteps(d).filter((s) => s.witness);
  const idW = Math.max(...steps.map((s) => s.id.length));
  const pad = " ".repeat(idW + 10);
  const lines = steps.map((s) => {
    const w = s.witness!;
    const status = w.passed ? STATUS[evidenceOf(s)] : "FAIL";
    const detail = w.passed ? `${successText(s)} [route: ${routeName(w)}]\n${pad}${checkedText(w)}` : failureText(s);
    const where = s.span ? ` (line ${s.span.line})` : "";
    return `  ${status}  ${s.id.padEnd(idW)}  ${s.title}${where}\n${pad}${detail}`;
  });
  const c = stepCounts(d);
  return (
    `${d.file}: ${c.evidence} steps of evidence (${c.independent} against independent routes, ${c.sampled} at sampled points ` +
    `only), ${c.identities} identities (id) and ${c.reEvaluated} re-evaluated definitions (def); ${d.options.points} points ` +
    `per step (seed ${d.options.seed}, tolerance ${d.options.tolerance})\n\n${lines.join("\n")}\n\n${countsText(d)}\n`
  );
}

export function verifyCommand(io: IO, file: string, opts: VerifyOptions): number {
  const format = choice(opts.format, FORMATS.verify, "--format");
  const wopts = witnessOptions(opts);
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const d = derivation(loaded.model, wopts);
  const result = verifyResult(d);
  io.out(format === "json" ? json(result) : verifyTable(d));
  return result.passed ? EXIT.ok : EXIT.failure;
}
