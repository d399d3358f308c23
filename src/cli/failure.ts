// The one way a command reports a value it could not compute (a non-finite component, a degenerate
// metric, a shot that did not converge): `FILE: error: …`, exit 1. Anything else is not ours to handle.
import { EvaluationError } from "../numeric/evaluate.js";
import { EXIT, type IO } from "./io.js";

/** Columns of a wrapped message's lines; a line up to LONG_LINE columns (a message and its one reason) stays one line. */
export const MESSAGE_WIDTH = 100,
  LONG_LINE = 160;

/**
 * A long message as lines of at most `width` columns: a line over LONG_LINE is broken after each of its clauses
 * ("; ", where a reason lists the attempts that failed), each clause on a line of its own indented by two spaces,
 * and between words, a clause's further lines by four. Lines within the width, and words longer than it (a path),
 * stay whole.
 */
export function wrapMessage(text: string, width = MESSAGE_WIDTH): string {
  const indent = "  ",
    more = "    ";
  return text
    .split("\n")
    .map((line) => {
      if ([...line].length <= Math.max(width, LONG_LINE)) return line;
      const out: string[] = [];
      let current = "";
      for (const clause of line.split(/(?<=;) /)) {
        if (current) out.push(current);
        current = out.length ? indent : "";
        for (const word of clause.split(" ")) {
          const room = current.trim() === "";
          if (!room && [...current].length + 1 + [...word].length > width) {
            out.push(current);
            current = more + word;
          } else current += room ? word : ` ${word}`;
        }
      }
      out.push(current);
      return out.join("\n");
    })
    .join("\n");
}

export function evaluationFailure(io: IO, file: string, e: unknown): number {
  if (!(e instanceof EvaluationError)) throw e;
  io.err(`${wrapMessage(`${file}: error: ${e.message}`)}\n`);
  return EXIT.failure;
}
