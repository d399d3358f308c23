// Reading a spec named on the command line ("-" is standard input) into a model.
import type { Model } from "../semantics/model.js";
import { loadSpec } from "../semantics/load.js";
import { DiagnosticError } from "../syntax/diagnostics.js";
import type { IO } from "./io.js";

export type Loaded = { ok: true; model: Model } | { ok: false; message: string };

export function readSpec(io: IO, path: string): Loaded {
  const file = path === "-" ? "<stdin>" : path;
  let source: string;
  try {
    source = path === "-" ? io.readStdin() : io.readFile(path);
  } catch (e: any) {
    const why = e?.code === "ENOENT" ? "no such file" : e?.code === "EISDIR" ? "it is a directory" : String(e?.message ?? e);
    return { ok: false, message: `${file}: error: cannot read: ${why}` };
  }
  try {
    return { ok: true, model: loadSpec(source, file, path === "-" ? process.cwd() : undefined) };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, message: e.message };
    throw e;
  }
}
