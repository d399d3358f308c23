// rgnn export FILE --target torch|numpy: the spec's network, Jacobian, metric and what follows from the metric,
// as a self-contained Python module generated from the same DAG as rgnn's own evaluators.
import { basename } from "node:path";
import { PythonExportError, type PythonTarget } from "../../numeric/python.js";
import { pythonExport } from "../../api/export.js";
import { EXIT, type IO } from "../io.js";
import { choice } from "../options.js";
import { readSpec } from "../spec.js";
import { checkOutputs, writeFileAtomic } from "../output.js";

const TARGETS: readonly PythonTarget[] = ["torch", "numpy"];

export function exportCommand(io: IO, file: string, opts: { target: string; output?: string }): number {
  const target = choice(opts.target, TARGETS, "--target");
  if (opts.output) checkOutputs([opts.output], [file]);
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  let text: string;
  try {
    text = pythonExport(loaded.model, target, basename(loaded.model.file));
  } catch (e) {
    if (!(e instanceof PythonExportError)) throw e;
    io.err(`rgnn export: ${file}: ${e.message}\n`);
    return EXIT.failure;
  }
  if (!opts.output) {
    io.out(text);
    return EXIT.ok;
  }
  writeFileAtomic(opts.output, text, [file]);
  io.err(`wrote ${opts.output}\n`);
  return EXIT.ok;
}
