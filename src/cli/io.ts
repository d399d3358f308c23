// What a command needs from the outside world, so that tests run commands in-process.
import { readFileSync } from "node:fs";

export interface IO {
  out(text: string): void;
  err(text: string): void;
  readStdin(): string;
  readFile(path: string): string;
}

export const processIO: IO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readStdin: () => readFileSync(0, "utf8"),
  readFile: (p) => readFileSync(p, "utf8"),
};

/** Exit codes: 0 success, 1 the input (or a check) is bad, 2 the command line is bad. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Thrown by a command to stop with a usage error (exit 2). */
export class UsageError extends Error {}
