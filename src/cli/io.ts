// What a command needs from the outside world, so that tests run commands in-process.
import { EXIT, RgnnError } from "../core/errors.js";
import { escapeControls } from "../syntax/diagnostics.js";
import { type InputKind, readInputText, readStdinText } from "../syntax/input.js";
import { writeStdout } from "./output.js";

export interface IO {
  out(text: string): void;
  err(text: string): void;
  readStdin(): string;
  /** A regular file as text, within the size limit of its kind (default: spec); throws InputError. */
  readFile(path: string, kind?: InputKind): string;
}

/** Text for the terminal: control characters from the input (a spec line, an ONNX node name) shown escaped. */
const printable = (text: string) => escapeControls(text, "\n\t");

export const processIO: IO = {
  // a command's output to a file or a pipe is its data, as written; on a terminal, nothing in it acts on the terminal
  out: (t) => writeStdout(process.stdout.isTTY ? printable(t) : t),
  err: (t) => process.stderr.write(printable(t)),
  readStdin: () => readStdinText("spec"),
  readFile: (p, kind = "spec") => readInputText(p, kind),
};

export { EXIT } from "../core/errors.js";

/** Thrown by a command to stop with a usage error (exit 2). */
export class UsageError extends RgnnError {
  readonly exitCode = EXIT.usage;
}
