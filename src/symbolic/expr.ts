// The expression DAG. Every node is hash-consed (structurally equal nodes are the same object),
// and the smart constructors below keep nodes in a canonical form: n-ary sums and products
// flattened and sorted, numeric coefficients collected, like terms and powers combined,
// constants folded. That canonical form *is* the light simplifier: it costs O(k log k) per
// node built (k = number of operands), so simplification is linear in the size of the DAG.

export type Op = "num" | "sym" | "add" | "mul" | "pow" | "fn";

import type { Algebra } from "../core/algebra.js";
import { type FunctionDef, type FunctionName, REGISTRY } from "../core/functions.js";
export { FUNCTIONS } from "../core/functions.js";
export type Fn = FunctionName;

export class Expr {
  /** Creation order: operands always have smaller ids than the nodes that use them. */
  readonly id: number;
  constructor(
    readonly op: Op,
    readonly args: readonly Expr[],
    readonly value: number, // num: the number
    readonly name: string, // sym: the symbol; fn: the function
    id: number,
  ) {
    this.id = id;
  }
  get isNum(): boolean {
    return this.op === "num";
  }
  toString(): string {
    return `Expr#${this.id}(${this.op})`;
  }
}

// The hash-cons table, keyed structurally: a numeric hash of (op, name, value, operand ids) picks a
// chain of candidates compared field by field. (String keys cost most of the DAG's construction time.)
const table = new Map<number, Expr | Expr[]>();
let nextId = 0;

const OP_CODE: Record<Op, number> = { num: 1, sym: 2, add: 3, mul: 4, pow: 5, fn: 6 };
const nameHashes = new Map<string, number>();
const bits = new Float64Array(1),
  words = new Int32Array(bits.buffer);

function nameHash(name: string): number {
  let h = nameHashes.get(name);
  if (h === undefined) {
    h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    nameHashes.set(name, h);
  }
  return h;
}

function mix(h: number, x: number): number {
  const m = Math.imul(h ^ x, 0x5bd1e995);
  return m ^ (m >>> 15);
}

function hashOf(op: Op, args: readonly Expr[], value: number, name: string): number {
  let h = mix(OP_CODE[op], nameHash(name));
  if (value !== 0) {
    bits[0] = value;
    h = mix(mix(h, words[0]), words[1]);
  }
  for (let i = 0; i < args.length; i++) h = mix(h, args[i].id);
  return h & 0x3fffffff; // small-integer keys hash fastest in a Map
}

// Object.is: NaN matches NaN, as it did under string keys ("NaN"); −0 never gets here (num() makes it 0)
function matches(e: Expr, op: Op, args: readonly Expr[], value: number, name: string): boolean {
  if (e.op !== op || e.name !== name || !Object.is(e.value, value) || e.args.length !== args.length) return false;
  for (let i = 0; i < args.length; i++) if (e.args[i] !== args[i]) return false;
  return true;
}

function intern(op: Op, args: readonly Expr[], value: number, name: string): Expr {
  const h = hashOf(op, args, value, name);
  const slot = table.get(h);
  if (slot === undefined) {
    const e = new Expr(op, args, value, name, nextId++);
    table.set(h, e);
    return e;
  }
  if (!Array.isArray(slot)) {
    if (matches(slot, op, args, value, name)) return slot;
    const e = new Expr(op, args, value, name, nextId++);
    table.set(h, [slot, e]);
    return e;
  }
  for (const c of slot) if (matches(c, op, args, value, name)) return c;
  const e = new Expr(op, args, value, name, nextId++);
  slot.push(e);
  return e;
}

/** A number. Folding finite weights can overflow (1e200·1e200): the node then holds ±∞ or NaN,
 *  and the evaluators' finiteness checks report it, rather than the number being dropped. */
export function num(v: number): Expr {
  return intern("num", [], v === 0 ? 0 : v, "");
}
export function sym(name: string): Expr {
  return intern("sym", [], 0, name);
}

export const ZERO = num(0),
  ONE = num(1),
  MINUS_ONE = num(-1);

const isInt = (x: number) => Number.isInteger(x);
const byId = (a: Expr, b: Expr) => a.id - b.id;

/** Split a term into numeric coefficient and the rest: 3*x*y -> [3, x*y]. */
function splitCoefficient(t: Expr): [number, Expr] {
  if (t.op === "num") return [t.value, ONE];
  if (t.op === "mul" && t.args[0].op === "num") {
    const rest = t.args.slice(1);
    return [t.args[0].value, rest.length === 1 ? rest[0] : intern("mul", rest, 0, "")];
  }
  return [1, t];
}

/** Factors of a product without its coefficient. */
function factorsOf(t: Expr): readonly Expr[] {
  if (t === ONE) return [];
  return t.op === "mul" ? t.args : [t];
}

/** Build a product of already-canonical, distinct-base factors (sorted) times a coefficient. */
function productOf(coef: number, factors: Expr[]): Expr {
  if (coef === 0) return ZERO;
  factors.sort(byId);
  if (factors.length === 0) return num(coef);
  if (coef === 1 && factors.length === 1) return factors[0];
  return intern("mul", coef === 1 ? factors : [num(coef), ...factors], 0, "");
}

/**
 * sin(u)^2 and cos(u)^2 with the same coefficient and cofactor combine to the cofactor:
 * c·R·sin²u + c·R·cos²u = c·R. Applied until nothing changes (each pass removes a pair).
 */
function pythagoras(terms: Map<Expr, number>): void {
  const isSin2 = (f: Expr) => f.op === "pow" && f.args[1] === TWO && f.args[0].op === "fn" && f.args[0].name === "sin";
  for (let changed = true; changed; ) {
    changed = false;
    search: for (const [base, coef] of terms) {
      const fs = factorsOf(base);
      for (let k = 0; k < fs.length; k++) {
        if (!isSin2(fs[k])) continue;
        const rest = fs.filter((_, i) => i !== k);
        const partner = productOf(1, [...rest, pow(fn("cos", fs[k].args[0].args[0]), TWO)]);
        if (terms.get(partner) !== coef) continue;
        terms.delete(base);
        terms.delete(partner);
        const cof = productOf(1, rest);
        terms.set(cof, (terms.get(cof) ?? 0) + coef);
        changed = true;
        break search;
      }
    }
  }
}

/**
 * A nested sum (product) is merged into the enclosing one only while it has at most this many
 * operands. Merging small ones lets like terms cancel; keeping large ones as single operands
 * keeps them shared, so x_l = x_{l-1} + h·σ(z_l) costs O(1) nodes per layer, not O(l).
 */
export const FLATTEN_LIMIT = 6;

export function add(...xs: Expr[]): Expr {
  let constant = 0;
  const terms = new Map<Expr, number>();
  const push = (t: Expr) => {
    if (t.op === "add" && t.args.length <= FLATTEN_LIMIT) {
      t.args.forEach(push);
      return;
    }
    const [c, base] = splitCoefficient(t);
    if (base === ONE) constant += c;
    else terms.set(base, (terms.get(base) ?? 0) + c);
  };
  xs.forEach(push);
  if (terms.size > 1) pythagoras(terms);
  if (terms.has(ONE)) {
    constant += terms.get(ONE)!;
    terms.delete(ONE);
  }
  const out: Expr[] = [];
  for (const [base, c] of terms) if (c !== 0) out.push(c === 1 ? base : productOf(c, [...factorsOf(base)]));
  out.sort((a, b) => splitCoefficient(a)[1].id - splitCoefficient(b)[1].id);
  if (constant !== 0) out.unshift(num(constant));
  if (out.length === 0) return ZERO;
  if (out.length === 1) return out[0];
  return intern("add", out, 0, "");
}

export function mul(...xs: Expr[]): Expr {
  let coef = 1;
  const powers = new Map<Expr, Expr[]>(); // base -> exponents to add
  const push = (f: Expr) => {
    if (f.op === "num") {
      coef *= f.value;
      return;
    }
    if (f.op === "mul" && f.args.length <= FLATTEN_LIMIT) {
      f.args.forEach(push);
      return;
    }
    const [base, e] = f.op === "pow" ? [f.args[0], f.args[1]] : [f, ONE];
    const list = powers.get(base);
    if (list) list.push(e);
    else powers.set(base, [e]);
  };
  xs.forEach(push);
  if (coef === 0) return ZERO;
  const factors: Expr[] = [];
  for (const [base, es] of powers) {
    const f = es.length === 1 && es[0] === ONE ? base : pow(base, es.length === 1 ? es[0] : add(...es));
    if (f.op === "num") coef *= f.value;
    else if (f.op === "mul") {
      // (x·y)^k distributed by pow: merge its factors
      for (const g of f.args)
        if (g.op === "num") coef *= g.value;
        else factors.push(g);
    } else factors.push(f);
  }
  // a merged factor may repeat a base (rare): rebuild once through the general path
  const bases = new Set(factors.map((f) => (f.op === "pow" ? f.args[0] : f)));
  if (bases.size !== factors.length) return mul(num(coef), ...factors);
  return productOf(coef, factors);
}

export const TWO = num(2);

export function pow(base: Expr, e: Expr): Expr {
  if (e.op === "num") {
    const k = e.value;
    if (k === 0) return ONE;
    if (k === 1) return base;
    if (base.op === "num") {
      const v = base.value ** k;
      if (Number.isFinite(v) && (isInt(k) || base.value > 0)) return num(v);
    }
    if (base === ONE) return ONE;
    if (base === ZERO && k > 0) return ZERO;
    if (isInt(k) && base.op === "pow" && base.args[1].op === "num") return pow(base.args[0], num(base.args[1].value * k));
    if (isInt(k) && base.op === "mul") return mul(...base.args.map((f) => pow(f, e)));
  }
  return intern("pow", [base, e], 0, "");
}

/**
 * A node exactly as given, bypassing the smart constructors: for printed forms only, where the canonical form
 * would undo the layout (1/2 folded to 0.5, a polynomial's terms re-sorted). It evaluates like any node.
 */
export function displayNode(op: "add" | "mul" | "pow", args: Expr[]): Expr {
  return intern(op, args, 0, "");
}

const fold = (name: Fn, x: number) => (REGISTRY[name] as FunctionDef).value(x);
export const numericFunction = (name: Fn) => (x: number) => fold(name, x);

export function fn(name: Fn, arg: Expr): Expr {
  if (arg.op === "num") {
    const v = fold(name, arg.value);
    if (Number.isFinite(v)) return num(v);
  }
  return intern("fn", [arg], 0, name);
}

export const neg = (a: Expr) => mul(MINUS_ONE, a);
export const sub = (a: Expr, b: Expr) => add(a, mul(MINUS_ONE, b));
export const div = (a: Expr, b: Expr) => mul(a, pow(b, MINUS_ONE));
export const sqrt = (a: Expr) => pow(a, num(0.5));

/** DAG nodes as an algebra: the registry's rules build shared nodes through the smart constructors. */
export const DAG: Algebra<Expr> = { num, add, mul, sub, neg, div, pow: (a, k) => pow(a, num(k)), fn };

/** Nodes reachable from `roots`, every node after its operands (iterative: DAGs can be deep). */
export function topoOrder(roots: readonly Expr[]): Expr[] {
  const order: Expr[] = [];
  const seen = new Set<Expr>();
  const stack: [Expr, number][] = [];
  for (const r of roots) {
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.args.length) {
        top[1]++;
        const c = node.args[i];
        if (!seen.has(c)) {
          seen.add(c);
          stack.push([c, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}

/** Distinct nodes reachable from `roots`: the size of the DAG that computes them. */
export const dagSize = (roots: readonly Expr[]) => topoOrder(roots).length;

/** Rebuild a node from new operands through the smart constructors. */
export function rebuild(e: Expr, args: Expr[]): Expr {
  switch (e.op) {
    case "num":
    case "sym":
      return e;
    case "add":
      return add(...args);
    case "mul":
      return mul(...args);
    case "pow":
      return pow(args[0], args[1]);
    case "fn":
      return fn(e.name as Fn, args[0]);
  }
}

/** Simultaneous substitution of symbols, shared: each node is rebuilt once. */
export function substitute(roots: readonly Expr[], bindings: ReadonlyMap<string, Expr>): Expr[] {
  const done = new Map<Expr, Expr>();
  for (const e of topoOrder(roots)) {
    if (e.op === "sym") done.set(e, bindings.get(e.name) ?? e);
    else if (e.args.length === 0) done.set(e, e);
    else {
      const args = e.args.map((a) => done.get(a)!);
      done.set(e, args.every((a, i) => a === e.args[i]) ? e : rebuild(e, args));
    }
  }
  return roots.map((r) => done.get(r)!);
}

/** The free symbols of some expressions, in first-seen order. */
export function freeSymbols(roots: readonly Expr[]): string[] {
  return topoOrder(roots)
    .filter((e) => e.op === "sym")
    .map((e) => e.name);
}

/** Numeric value at an assignment of the symbols (a plain interpreter; see numeric/ for speed). */
export function evaluate(roots: readonly Expr[], env: Readonly<Record<string, number>>): number[] {
  const val = new Map<Expr, number>();
  for (const e of topoOrder(roots)) {
    const a = e.args.map((x) => val.get(x)!);
    let v: number;
    switch (e.op) {
      case "num":
        v = e.value;
        break;
      case "sym":
        v = e.name in env ? env[e.name] : e.name === "pi" ? Math.PI : NaN;
        if (Number.isNaN(v)) throw new Error(`no value for symbol '${e.name}'`);
        break;
      case "add":
        v = a.reduce((s, x) => s + x, 0);
        break;
      case "mul":
        v = a.reduce((s, x) => s * x, 1);
        break;
      case "pow":
        v = a[0] ** a[1];
        break;
      case "fn":
        v = fold(e.name as Fn, a[0]);
        break;
    }
    val.set(e, v);
  }
  return roots.map((r) => val.get(r)!);
}
