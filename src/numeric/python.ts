// DAG -> Python (PyTorch or NumPy), the counterpart of codegen.ts: one assignment per node in topological
// order, so a shared subexpression is computed once, on whole batches of points at a time. Each node is
// printed by the Python dialect of symbolic/print.ts with its operands named.
import { EXIT, RgnnError } from "../core/errors.js";
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { QUANTITY_NAMES, quantity } from "../core/quantities.js";
import type { Model } from "../semantics/model.js";
import { type Expr, type Fn, topoOrder } from "../symbolic/expr.js";
import { DAG, geometry } from "../symbolic/geometry.js";
import { mappingExprs, metricComponents } from "../symbolic/metric.js";
import { printIn, pythonDialect } from "../symbolic/print.js";

export type PythonTarget = "torch" | "numpy";

export class PythonExportError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** The helpers a NumPy module defines for these functions: the registry's, where NumPy has no callable of its own. */
export function numpyHelpers(used: ReadonlySet<Fn>): string[] {
  return [...used].flatMap((f) => {
    const numpy = (REGISTRY[f] as FunctionDef).python.numpy;
    return typeof numpy === "string" ? [] : [numpy.helper];
  });
}

/** The functions a set of expressions calls. */
export function functionsUsed(outputs: readonly Expr[]): Set<Fn> {
  return new Set(topoOrder(outputs).flatMap((e) => (e.op === "fn" ? [e.name as Fn] : [])));
}

/**
 * The body of a Python function of the tensors `inputs` (symbol names → Python names) returning `outputs`
 * as a list; constant outputs are broadcast to the input's shape (and device and dtype) via `like`.
 */
export function pythonBody(outputs: readonly Expr[], inputs: ReadonlyMap<string, string>, target: PythonTarget, like: string): string[] {
  const dialect = pythonDialect(target);
  const names = new Map<Expr, string>();
  for (const e of topoOrder(outputs))
    if (e.op === "sym") names.set(e, inputs.get(e.name) ?? (e.name === "pi" ? "math.pi" : symbolError(e.name)));
  const lines: string[] = [];
  for (const e of topoOrder(outputs)) {
    if (e.op === "num" || e.op === "sym") continue;
    lines.push(`t${e.id} = ${printIn(dialect, e, names)}`);
    names.set(e, `t${e.id}`);
  }
  const ref = (e: Expr) => {
    const name = names.get(e);
    if (name) return name;
    const v = printIn(dialect, e);
    return target === "torch" ? `torch.full_like(${like}, ${v})` : `numpy.full_like(${like}, ${v})`;
  };
  // the printer writes a negated term afresh (a - b for a + (-1)·b), which can leave a temporary unread: drop those
  const ret = `return [${outputs.map(ref).join(", ")}]`;
  const read = new Set(ret.match(/\bt\d+\b/g));
  const kept = [ret];
  for (let i = lines.length - 1; i >= 0; i--) {
    const [target, rhs] = lines[i].split(" = ", 2);
    if (!read.has(target)) continue;
    kept.push(lines[i]);
    for (const t of rhs.match(/\bt\d+\b/g) ?? []) read.add(t);
  }
  return kept.reverse();
}

function symbolError(name: string): never {
  throw new PythonExportError(`'${name}' has no value: give the spec's symbols values before exporting`);
}

/** The quantities of a metric a module defines besides the metric itself (where the metric admits them): the table's. */
export const EXPORTED = QUANTITY_NAMES.filter((q) => quantity(q).exported);

interface Exported {
  name: string;
  doc: string;
  /** Components row-major, and the trailing shape they are reshaped to ([] for a scalar). */
  components: Expr[];
  shape: number[];
}

/**
 * A self-contained Python module for a spec: `network(x)` and `jacobian(x)` for its first network, `metric(x)` for
 * its first metric, and the quantities of EXPORTED when the metric is nondegenerate (not pulled back to more
 * coordinates than the map has outputs). Each function maps a batch (..., n) to (..., shape).
 */
export function pythonModule(model: Model, target: PythonTarget, source: string): string {
  const net = [...model.mappings.values()].find((m) => m.kind === "network");
  const metric = [...model.metrics.values()][0];
  const coords = metric?.manifold.coords ?? net?.source.coords;
  if (!coords) throw new PythonExportError("the spec defines no network and no metric");
  const parts: Exported[] = [];
  if (net) {
    const ex = mappingExprs(net);
    const [n, m] = [net.source.dim, net.target.dim];
    parts.push({ name: "network", doc: `${net.name}: (..., ${n}) -> (..., ${m})`, components: ex.components, shape: [m] });
    parts.push({
      name: "jacobian",
      doc: `d ${net.name}/dx: (..., ${n}) -> (..., ${m}, ${n})`,
      components: ex.jacobian.flat(),
      shape: [m, n],
    });
  }
  if (metric) {
    const n = metric.manifold.dim;
    const g = metricComponents(metric);
    parts.push({ name: "metric", doc: `${metric.name}_ab: (..., ${n}) -> (..., ${n}, ${n})`, components: g.flat(), shape: [n, n] });
    const def = metric.def;
    const degenerate = def.kind === "pullback" && def.along.target.dim < n;
    if (!degenerate) {
      const geo = geometry(g, metric.manifold.coords).quantities;
      for (const q of EXPORTED) {
        const entry = quantity(q);
        if (entry.dimension !== undefined && entry.dimension !== n) continue;
        const shape = entry.shape(n);
        const doc = `${entry.title} of ${metric.name}: (..., ${n}) -> (..., ${[...shape, ""].join(", ")})`.replace(", )", ")");
        parts.push({ name: q, doc, components: entry.define(DAG, geo), shape });
      }
    }
  }
  const args = coords.map((_, i) => `a${i}`);
  const inputs = new Map(coords.map((c, i) => [c, args[i]] as const));
  const used = functionsUsed(parts.flatMap((p) => p.components));
  const lib = target;
  const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join("\n");
  const functions = parts.map((p) => {
    const body = pythonBody(p.components, inputs, target, "a0");
    const result = p.shape.length === 0 ? "out[0]" : `${lib}.stack(out, -1).reshape(tuple(x.shape[:-1]) + ${pyTuple(p.shape)})`;
    return [
      `def _${p.name}(${args.join(", ")}):`,
      indent(body),
      "",
      "",
      `def ${p.name}(x):`,
      `    """${p.doc}."""`,
      `    out = _${p.name}(${coords.map((_, i) => `x[..., ${i}]`).join(", ")})`,
      `    return ${result}`,
    ].join("\n");
  });
  const header = [
    `"""Generated by rgnn export from ${source} (target: ${target}); coordinates ${coords.join(", ")}.`,
    "",
    target === "torch"
      ? "Tensors in, tensors out: any device and floating dtype, any batch shape (..., n)."
      : "Arrays in, arrays out: any batch shape (..., n), float64.",
    'Each function computes its components once per shared subexpression (one temporary per node)."""',
    "import math  # noqa: F401",
    "",
    `import ${lib}`,
    "",
    `COORDINATES = ${pyTuple(coords.map((c) => JSON.stringify(c)))}`,
  ];
  const helpers = target === "numpy" ? numpyHelpers(used) : [];
  return `${[header.join("\n"), ...helpers, ...functions].join("\n\n\n")}\n`;
}

const pyTuple = (xs: readonly (string | number)[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`);
