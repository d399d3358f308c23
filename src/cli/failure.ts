// The one way a command reports a value it could not compute (a non-finite component, a degenerate
// metric, a shot that did not converge): `FILE: error: …`, exit 1. Anything else is not ours to handle.
import { EvaluationError } from "../numeric/evaluate.js";
import { EXIT, type IO } from "./io.js";

export function evaluationFailure(io: IO, file: string, e: unknown): number {
  if (!(e instanceof EvaluationError)) throw e;
  io.err(`${file}: error: ${e.message}\n`);
  return EXIT.failure;
}
