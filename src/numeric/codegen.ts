// DAG -> JavaScript. One statement per node in topological order, so every shared subexpression is
// computed once per point; each is spelled by the one printer's JavaScript dialect (symbolic/print.ts's
// printNode). Large DAGs are cut into chunks of straight-line code (V8 will not optimize a function past a
// bytecode size limit); values that cross a chunk boundary go through a Float64Array scratch buffer, all
// others stay in locals.
import { JS_RUNTIME } from "../core/functions.js";
import { type Expr, nodeTags, topoOrder } from "../symbolic/expr.js";
import { JAVASCRIPT, JS_CONSTANTS, printNode } from "../symbolic/print.js";

export interface CompiledFunction {
  /** Symbols read from each point, in order. */
  readonly inputs: readonly string[];
  /** Other free symbols (constants, symbolic weights), read from the parameter array. */
  readonly params: readonly string[];
  readonly outputCount: number;
  /** Statements emitted (one per non-leaf node). */
  readonly statements: number;
  /** Evaluate at `count` points laid out point-major: input[k*inputs.length + i]. */
  run(input: Float64Array, params: Float64Array, out: Float64Array, count?: number): void;
  /** Convenience: one point, fresh output array. */
  at(point: ArrayLike<number>, params?: ArrayLike<number>): Float64Array;
}

export interface CompileOptions {
  /** Characters of generated code per chunk: V8 stops optimizing functions past a bytecode size. */
  chunkChars?: number;
}

/**
 * Measured on Node 20 (curvature and metric DAGs of 11k–66k statements): throughput rises with
 * chunk size up to 45k characters and collapses 20× at 60k, where V8 no longer optimizes the
 * function. 40k keeps a margin below that cliff.
 */
export const CHUNK_CHARS = 40_000;

export function compile(outputs: readonly Expr[], inputs: readonly string[], opts: CompileOptions = {}): CompiledFunction {
  const chunkChars = opts.chunkChars ?? CHUNK_CHARS;
  const order = topoOrder(outputs);
  const inputIndex = new Map(inputs.map((n, i) => [n, i] as const));
  const params: string[] = [];
  const paramIndex = new Map<string, number>();
  // One pass names every node: a statement's temporary, or a leaf's text (literal, input, parameter). A node's
  // tag indexes them (i ≥ 0: body[i]; −1 − k: leaves[k]), set here and read only during this call: Maps keyed
  // by nodes, and a pass per question, cost most of the code generation's own time (the DAG is memory bound).
  const tag = nodeTags();
  const body: Expr[] = [],
    names: string[] = [],
    leaves: string[] = [];
  for (const e of order) {
    if (e.op === "num" || e.op === "sym") {
      tag[e.id] = -1 - leaves.length;
      leaves.push(leafText(e));
    } else {
      tag[e.id] = body.length;
      body.push(e);
      names.push(`t${e.id}`);
    }
  }
  function leafText(e: Expr): string {
    if (e.op === "num") return JAVASCRIPT.number(e.value);
    const i = inputIndex.get(e.name);
    if (i !== undefined) return `a${i}`;
    if (Object.hasOwn(JS_CONSTANTS, e.name)) return JAVASCRIPT.symbol(e.name);
    let k = paramIndex.get(e.name);
    if (k === undefined) {
      k = params.length;
      paramIndex.set(e.name, k);
      params.push(e.name);
    }
    return `p${k}`;
  }
  const ref = (e: Expr) => (tag[e.id] >= 0 ? names[tag[e.id]] : leaves[-1 - tag[e.id]]);

  // the one printer's JavaScript dialect, one node at a time over the temporaries' names
  const statement = (e: Expr): string => printNode(JAVASCRIPT, e, ref);

  const refLength = (e: Expr) => (tag[e.id] >= 0 ? names[tag[e.id]] : leaves[-1 - tag[e.id]]).length;
  /** The length of `const tN = …;` without building it (sums and products are most statements). */
  const textLength = (i: number): number => {
    const e = body[i],
      args = e.args;
    let n = 0;
    if (e.op === "add" || e.op === "mul") for (let k = 0; k < args.length; k++) n += (k ? 3 : 0) + refLength(args[k]);
    else n = statement(e).length;
    return 10 + names[i].length + n;
  };

  // First pass: cut the statements into chunks of about chunkChars characters each. Nodes read outside
  // their chunk (or returned) live in the scratch buffer s, at slot[i] (−1: not exported), and are loaded
  // once by each later chunk that reads them. Only lengths are kept: the text is built chunk by chunk
  // below and joined at once, so that a large DAG's statements do not all stay alive as separate strings.
  const starts = [0];
  const chunkOf = new Int32Array(body.length);
  const slot = new Int32Array(body.length).fill(-1);
  const importedBy = new Int32Array(body.length).fill(-1); // the last chunk that loaded each node
  const imports: number[][] = [[]];
  let slots = 0,
    size = 0;
  for (let i = 0; i < body.length; i++) {
    const length = textLength(i);
    if (size > 0 && size + length > chunkChars) {
      starts.push(i);
      imports.push([]);
      size = 0;
    }
    size += length;
    const c = starts.length - 1;
    chunkOf[i] = c;
    if (c === 0) continue;
    for (const a of body[i].args) {
      const j = tag[a.id];
      if (j < 0 || chunkOf[j] === c) continue;
      if (slot[j] < 0) slot[j] = slots++;
      if (importedBy[j] !== c) {
        importedBy[j] = c;
        imports[c].push(j);
      }
    }
  }
  const chunks = starts.length;
  const single = chunks === 1;
  if (!single)
    for (const o of outputs) {
      if (tag[o.id] >= 0 && slot[tag[o.id]] < 0) slot[tag[o.id]] = slots++;
    }
  const text = (i: number) => `const ${names[i]} = ${statement(body[i])};`;

  const loadInputs = inputs.map((_, i) => `const a${i} = inp[ib + ${i}];`).join(" ");
  const loadParams = params.map((_, i) => `const p${i} = p[${i}];`).join(" ");
  let src: string;
  if (single) {
    const stmts = body.map((_, i) => text(i)).join("\n    ");
    const stores = outputs.map((o, k) => `out[ob + ${k}] = ${ref(o)};`).join(" ");
    src = `return function run(inp, p, out, count) {
  ${loadParams}
  for (let pt = 0; pt < count; pt++) {
    const ib = pt * ${inputs.length}, ob = pt * ${outputs.length};
    ${loadInputs}
    ${stmts}
    ${stores}
  }
};`;
  } else {
    const fns: string[] = [];
    for (let c = 0; c < chunks; c++) {
      const from = starts[c],
        to = c + 1 < chunks ? starts[c + 1] : body.length;
      const lines = imports[c].map((j) => `const ${names[j]} = s[${slot[j]}];`);
      for (let i = from; i < to; i++) {
        lines.push(text(i));
        if (slot[i] >= 0) lines.push(`s[${slot[i]}] = ${names[i]};`);
      }
      fns.push(`function c${c}(inp, ib, p, s) {\n  ${loadInputs} ${loadParams}\n  ${lines.join("\n  ")}\n}`);
    }
    const outRef = (o: Expr): string => {
      if (tag[o.id] >= 0) return `s[${slot[tag[o.id]]}]`;
      if (o.op === "sym" && inputIndex.has(o.name)) return `inp[ib + ${inputIndex.get(o.name)}]`;
      if (o.op === "sym" && paramIndex.has(o.name)) return `p[${paramIndex.get(o.name)}]`;
      return ref(o);
    };
    src = `${fns.join("\n")}
const s = new Float64Array(${Math.max(1, slots)});
return function run(inp, p, out, count) {
  for (let pt = 0; pt < count; pt++) {
    const ib = pt * ${inputs.length}, ob = pt * ${outputs.length};
    ${Array.from({ length: chunks }, (_, c) => `c${c}(inp, ib, p, s);`).join(" ")}
    ${outputs.map((o, k) => `out[ob + ${k}] = ${outRef(o)};`).join(" ")}
  }
};`;
  }
  // the registry's runtime helpers (erf, …) are the generated code's parameters
  const run = new Function(...Object.keys(JS_RUNTIME), src)(...Object.values(JS_RUNTIME)) as (
    i: Float64Array,
    p: Float64Array,
    o: Float64Array,
    n: number,
  ) => void;
  const n = outputs.length,
    empty = new Float64Array(0);
  return {
    inputs,
    params,
    outputCount: n,
    statements: body.length,
    run: (input, p, out, count = 1) => run(input, p, out, count),
    at: (point, p = empty) => {
      const out = new Float64Array(n);
      run(Float64Array.from(point), Float64Array.from(p), out, 1);
      return out;
    },
  };
}
