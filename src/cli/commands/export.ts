// rgnn export FILE --target torch|numpy: the spec's network, Jacobian, metric and what follows from the metric, as a
// self-contained Python module: closed forms from the same DAG as rgnn's own evaluators for small maps, the matrix
// level (weights as arrays, batched layers) for networks beyond that.
import { basename, dirname, resolve } from "node:path";
import { PythonExportError, type PythonForm, type PythonTarget } from "../../numeric/python.js";
import { pythonExport } from "../../api/export.js";
import { commandEnv } from "../env.js";
import { EXIT, type IO } from "../io.js";
import { choice } from "../options.js";
import { readSpec } from "../spec.js";
import { refuseInput, writeFileAtomic } from "../output.js";

const TARGETS: readonly PythonTarget[] = ["torch", "numpy"];
const FORMS: readonly PythonForm[] = ["scalar", "matrix"];

export function exportCommand(
  io: IO,
  file: string,
  opts: { target: string; output?: string; set?: string; weights?: string; form?: string },
): number {
  const target = choice(opts.target, TARGETS, "--target");
  const form = opts.form === undefined ? undefined : choice(opts.form, FORMS, "--form");
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const model = loaded.model;
  if (opts.output) {
    const weights = [...model.mappings.values()].flatMap((m) => (m.kind === "network" && m.weightsFile ? [m.weightsFile] : []));
    refuseInput(opts.output, [file, opts.weights, ...weights.map((w) => resolve(dirname(file), w))]);
  }
  const env = commandEnv(io, model, opts);
  if (!env) return EXIT.failure;
  let text: string;
  try {
    text = pythonExport(model, target, basename(model.file), { values: env, ...(form ? { form } : {}) });
  } catch (e) {
    if (!(e instanceof PythonExportError)) throw e;
    io.err(`rgnn export: ${file}: ${e.message}\n`);
    return EXIT.failure;
  }
  if (!opts.output) {
    io.out(text);
    return EXIT.ok;
  }
  writeFileAtomic(opts.output, text, [file], { io });
  return EXIT.ok;
}
