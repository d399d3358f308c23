// `rgnn verify FILE`: run every step's witness and every claim in the spec; a table; exit 0
// only if all pass. A failure names the step, the point, and both values.
import { derivation, verifyResult } from "../../api/derivation.js";
import { allSteps, type Derivation, roleOf, stepCounts } from "../../derive/model.js";
import { countsText, domainText, failureText, routeName, successText } from "../../derive/report.js";
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

/** Witnessed steps ("ok"/"FAIL") and re-evaluated definitions ("def"), each with its route and where its points came from. */
export function verifyTable(d: Derivation): string {
  const steps = allSteps(d).filter((s) => s.witness);
  const idW = Math.max(...steps.map((s) => s.id.length));
  const pad = " ".repeat(idW + 10);
  const lines = steps.map((s) => {
    const w = s.witness!;
    const status = !w.passed ? "FAIL" : roleOf(s) === "definition" ? "def " : "ok  ";
    const detail = w.passed ? `${successText(s)} [route: ${routeName(w)}]\n${pad}${domainText(w)}` : failureText(s);
    const where = s.span ? ` (line ${s.span.line})` : "";
    return `  ${status}  ${s.id.padEnd(idW)}  ${s.title}${where}\n${pad}${detail}`;
  });
  const c = stepCounts(d);
  return (
    `${d.file}: ${c.witnessed} witnessed steps and ${c.reEvaluated} re-evaluated definitions (def), ${d.options.points} points ` +
    `each (seed ${d.options.seed}, tolerance ${d.options.tolerance})\n\n${lines.join("\n")}\n\n${countsText(d)}\n`
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
