// What a command needs from the outside world, so that tests run commands in-process.
import { EXIT, RgnnError } from "../core/errors.js";
import { type InputKind, readInputText, readStdinText } from "../syntax/input.js";
import { writeStdout } from "./output.js";

export interface IO {
  out(text: string): void;
  err(text: string): void;
  readStdin(): string;
  /** A regular file as text, within the size limit of its kind (default: spec); throws InputError. */
  readFile(path: string, kind?: InputKind): string;
}

export const processIO: IO = {
  out: writeStdout,
  err: (t) => process.stderr.write(t),
  readStdin: () => readStdinText("spec"),
  readFile: (p, kind = "spec") => readInputText(p, kind),
};

export { EXIT } from "../core/errors.js";

/** Thrown by a command to stop with a usage error (exit 2). */
export class UsageError extends RgnnError {
  readonly exitCode = EXIT.usage;
}
