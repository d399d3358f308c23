// A spec as a Python module (torch or NumPy).
import { inRequestGraph } from "../symbolic/expr.js";
import type { Model } from "../semantics/model.js";
import { type PythonForm, type PythonTarget, pythonModule } from "../numeric/python.js";
import { type Values, valuesOf } from "./values.js";

export interface PythonExportOptions {
  /** Values for the spec's symbols over its constants' own (as `--set` gives them); the module is written with them. */
  values?: Values;
  /** "scalar" (closed forms per component) or "matrix" (weights as arrays, batched layers); default: by size. */
  form?: PythonForm;
}

/**
 * A self-contained Python module (torch or NumPy) of the spec's network, Jacobian, metric and what follows from
 * the metric (`rgnn export`). Small maps and manifolds are written as closed forms from the same DAG as rgnn's own
 * evaluators; networks beyond that at the matrix level (weights embedded as arrays, one matrix product per layer over
 * all points, the geometry from second-order jets). `name` is the spec's name in the module's docstring (escaped).
 * Throws PythonExportError for what the target cannot spell or a symbol without a value.
 * @example
 * writeFileSync("sphere.py", pythonExport(model, "numpy", "sphere.rgnn", { values: { R: 3 } }));
 */
export function pythonExport(model: Model, target: PythonTarget, name: string, options: PythonExportOptions = {}): string {
  const env = valuesOf(model, options.values);
  return inRequestGraph(model, () => pythonModule(model, target, name, { env, ...(options.form ? { form: options.form } : {}) }));
}
