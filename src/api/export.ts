// A spec as a Python module (torch or NumPy).
import { inRequestGraph } from "../symbolic/expr.js";
import type { Model } from "../semantics/model.js";
import { type PythonTarget, pythonModule } from "../numeric/python.js";

/**
 * A self-contained Python module (torch or NumPy) of the spec's network, Jacobian, metric and what follows from
 * the metric, generated from the same DAG as rgnn's own evaluators (`rgnn export`). `name` is the spec's name in
 * the module's docstring. Throws PythonExportError for what the target cannot spell.
 * @example
 * writeFileSync("toy.py", pythonExport(model, "numpy", "paper-toy.rgnn"));
 */
export function pythonExport(model: Model, target: PythonTarget, name: string): string {
  return inRequestGraph(model, () => pythonModule(model, target, name));
}
