// DAG -> Python statements (PyTorch or NumPy), the counterpart of codegen.ts: one assignment per node in topological
// order, so a shared subexpression is computed once, on whole batches of points at a time. Each node is printed by
// the Python dialect of symbolic/print.ts with its operands named. Also the one escaping of user text into a Python
// string literal.
import { EXIT, RgnnError } from "../core/errors.js";
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { type Expr, type Fn, num, substitute, topoOrder } from "../symbolic/expr.js";
import { printIn, pythonDialect } from "../symbolic/print.js";

export type PythonTarget = "torch" | "numpy";

export class PythonExportError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/**
 * The body of a Python string literal (between double quotes, single or triple) that reads back as `text`: a
 * backslash, a double quote and everything outside printable ASCII escaped, so no text can end the literal, start
 * an escape of its own (`\N{`, `\x`, a trailing backslash) or smuggle a line break into the module.
 */
export function pyString(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return out;
}

/** The helpers a NumPy module defines for these functions: the registry's, where NumPy has no callable of its own. */
export function numpyHelpers(used: ReadonlySet<Fn>): string[] {
  return [...used].sort().flatMap((f) => {
    const numpy = (REGISTRY[f] as FunctionDef).python.numpy;
    return typeof numpy === "string" ? [] : [numpy.helper];
  });
}

/** The functions a set of expressions calls. */
export function functionsUsed(outputs: readonly Expr[]): Set<Fn> {
  return new Set(topoOrder(outputs).flatMap((e) => (e.op === "fn" ? [e.name as Fn] : [])));
}

/**
 * The body of a Python function of the tensors `inputs` (symbol names → Python names) returning `outputs` as a
 * list; the symbols of `values` (the spec's constants, --set) are written as their numbers. Constant outputs are
 * broadcast to the input's shape (and device and dtype) via `like`.
 */
export function pythonBody(
  outputs: readonly Expr[],
  inputs: ReadonlyMap<string, string>,
  values: ReadonlyMap<string, number>,
  target: PythonTarget,
  like: string,
): string[] {
  const dialect = pythonDialect(target);
  const missing = topoOrder(outputs).filter((e) => e.op === "sym" && !inputs.has(e.name) && !values.has(e.name) && e.name !== "pi");
  if (missing.length) throw unvaluedSymbols(missing.map((e) => e.name));
  // the values folded in as numbers, so what no longer depends on the inputs is a constant the DAG has folded
  const bound = new Map([...values].filter(([k]) => !inputs.has(k)).map(([k, v]) => [k, num(v)] as const));
  const roots = bound.size ? substitute(outputs, bound) : outputs;
  const names = new Map<Expr, string>();
  const order = topoOrder(roots);
  const varying = new Set<Expr>();
  for (const e of order) {
    if (e.op === "sym") names.set(e, inputs.get(e.name) ?? "math.pi");
    if ((e.op === "sym" && inputs.has(e.name)) || e.args.some((a) => varying.has(a))) varying.add(e);
  }
  const lines: string[] = [];
  for (const e of order) {
    if (e.op === "num" || e.op === "sym") continue;
    lines.push(`t${e.id} = ${printIn(dialect, e, names)}`);
    names.set(e, `t${e.id}`);
  }
  // an output that does not vary with the inputs (a number, pi, 2 ** 0.5) is broadcast to their shape, device, dtype
  const ref = (e: Expr) => {
    if (varying.has(e)) return names.get(e)!;
    const v = names.get(e) ?? printIn(dialect, e);
    return target === "torch" ? `torch.full_like(${like}, ${v})` : `numpy.full_like(${like}, ${v})`;
  };
  // the printer writes a negated term afresh (a - b for a + (-1)·b), which can leave a temporary unread: drop those
  const ret = `return [${roots.map(ref).join(", ")}]`;
  const read = new Set(ret.match(/\bt\d+\b/g));
  const kept = [ret];
  for (let i = lines.length - 1; i >= 0; i--) {
    const [name, rhs] = lines[i].split(" = ", 2);
    if (!read.has(name)) continue;
    kept.push(lines[i]);
    for (const t of rhs.match(/\bt\d+\b/g) ?? []) read.add(t);
  }
  return kept.reverse();
}

/** Symbols a module needs that have no value, named (the first eight), with how to give them. */
export function unvaluedSymbols(names: string[], what = ""): PythonExportError {
  const unique = [...new Set(names)].sort();
  const shown =
    unique
      .slice(0, 8)
      .map((s) => `'${s}'`)
      .join(", ") + (unique.length > 8 ? `, … (${unique.length} in all)` : "");
  const one = unique.length === 1;
  return new PythonExportError(
    `${what}${shown} ${one ? "has no value" : "have no values"}: give ${one ? "it" : "them"} with --set NAME=VALUE ` +
      "(or give the constant a value in the spec)",
  );
}
