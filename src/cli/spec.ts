// Reading a spec named on the command line ("-" is standard input) into a model.
import type { Model } from "../semantics/model.js";
import { loadSpec } from "../semantics/load.js";
import { recordingWeights } from "../semantics/weights.js";
import { DiagnosticError, formatDiagnostic } from "../syntax/diagnostics.js";
import { InputError, NotTextError, stripBom } from "../syntax/input.js";
import type { IO } from "./io.js";
import { parseAssignments } from "./options.js";

/** `source`: the spec's text, and `weights` the bytes of the weights files it read, for workers that load it again. */
export type Loaded = { ok: true; model: Model; source: string; weights: Map<string, Uint8Array> } | { ok: false; message: string };

/** `set`: the --set assignments; those naming constants give them their value for the whole run (weights included). */
export function readSpec(io: IO, path: string, set?: string): Loaded {
  const file = path === "-" ? "<stdin>" : path;
  let source: string;
  try {
    source = stripBom(path === "-" ? io.readStdin() : io.readFile(path, "spec"));
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException;
    if (!(e instanceof InputError) && !e?.code) throw e;
    const why =
      e instanceof InputError
        ? e.message
        : e.code === "ENOENT"
          ? "no such file"
          : e.code === "EISDIR"
            ? "it is a directory"
            : String(e.message ?? e);
    return { ok: false, message: `${file}: error: ${e instanceof NotTextError ? "" : "cannot read: "}${why}` };
  }
  try {
    const recorded = recordingWeights();
    const model = loadSpec(source, file, path === "-" ? process.cwd() : undefined, parseAssignments(set), recorded.access);
    for (const w of model.warnings) io.err(`${formatDiagnostic(w)}\n`);
    return { ok: true, model, source, weights: recorded.read };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, message: e.message };
    throw e;
  }
}
