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
// slot of an open-addressing table (linear probing), whose candidates are compared field by field.
// (String keys cost most of the DAG's construction time; a Map of hash chains still cost a third of it.)
let capacity = 1 << 18;
let slots: (Expr | null)[] = new Array<Expr | null>(capacity).fill(null);
let slotHashes = new Int32Array(capacity); // a node's hash (with OCCUPIED set), or 0 for an empty slot
let filled = 0;
const OCCUPIED = 0x40000000;
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
const EMPTY_NAME_HASH = nameHash("");

function mix(h: number, x: number): number {
  const m = Math.imul(h ^ x, 0x5bd1e995);
  return m ^ (m >>> 15);
}

function hashOf(op: Op, args: readonly Expr[], value: number, name: string): number {
  let h = mix(OP_CODE[op], name === "" ? EMPTY_NAME_HASH : nameHash(name));
  if (value !== 0) {
    bits[0] = value;
    h = mix(mix(h, words[0]), words[1]);
  }
  for (let i = 0; i < args.length; i++) h = mix(h, args[i].id);
  return (h & 0x3fffffff) | OCCUPIED;
}

// Object.is: NaN matches NaN, as it did under string keys ("NaN"); −0 never gets here (num() makes it 0)
function matches(e: Expr, op: Op, args: readonly Expr[], value: number, name: string): boolean {
  if (e.op !== op || e.name !== name || !Object.is(e.value, value) || e.args.length !== args.length) return false;
  for (let i = 0; i < args.length; i++) if (e.args[i] !== args[i]) return false;
  return true;
}

/** Double the table when half full (nodes are never removed). */
function grow(): void {
  const old = slots,
    oldHashes = slotHashes;
  capacity *= 2;
  slots = new Array<Expr | null>(capacity).fill(null);
  slotHashes = new Int32Array(capacity);
  const mask = capacity - 1;
  for (let i = 0; i < old.length; i++) {
    if (oldHashes[i] === 0) continue;
    let j = oldHashes[i] & mask;
    while (slotHashes[j] !== 0) j = (j + 1) & mask;
    slots[j] = old[i];
    slotHashes[j] = oldHashes[i];
  }
}

/** The slot holding this node, or the empty slot where it belongs (probing the compact hash array first). */
function probe(h: number, op: Op, args: readonly Expr[], value: number, name: string): number {
  const mask = capacity - 1;
  let i = h & mask;
  for (let k = slotHashes[i]; k !== 0; k = slotHashes[i]) {
    if (k === h && matches(slots[i]!, op, args, value, name)) return i;
    i = (i + 1) & mask;
  }
  return i;
}

function intern(op: Op, args: readonly Expr[], value: number, name: string): Expr {
  const h = hashOf(op, args, value, name);
  const i = probe(h, op, args, value, name);
  const hit = slots[i];
  if (hit !== null) return hit;
  // nodes live for the process: keep an exact-size copy of the operands (lists built by push carry spare room)
  const e = new Expr(op, args.length === 0 ? NO_ARGS : args.slice(), value, name, nextId++);
  if (nextId > visits.length) growScratch();
  slots[i] = e;
  slotHashes[i] = h;
  if (++filled * 2 > capacity) grow();
  return e;
}

// Every leaf shares one empty operand list, made an array of objects (as all other operand lists are) so that
// reading e.args stays monomorphic: [] alone would be an array of small integers to V8.
const NO_ARGS: readonly Expr[] = (() => {
  const a: (Expr | null)[] = [null];
  a.pop();
  return a as Expr[];
})();

// Per-node scratch, indexed by id, outside the nodes (so they stay small): topoOrder's visit marks, and tags
// for one synchronous pass that creates no nodes (code generation numbers its statements there).
let visits = new Int32Array(1 << 16);
let tags = new Int32Array(1 << 16);
function growScratch(): void {
  const v = new Int32Array(visits.length * 2),
    t = new Int32Array(tags.length * 2);
  v.set(visits);
  t.set(tags);
  visits = v;
  tags = t;
}

/** One Int32 per node, indexed by id, for a pass that creates no nodes (creating one may replace the array). */
export const nodeTags = (): Int32Array => tags;

/** A number. Folding finite weights can overflow (1e200·1e200): the node then holds ±∞ or NaN,
 *  and the evaluators' finiteness checks report it, rather than the number being dropped. */
export function num(v: number): Expr {
  return intern("num", NO_ARGS, v === 0 ? 0 : v, "");
}
export function sym(name: string): Expr {
  return intern("sym", NO_ARGS, 0, name);
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

/** Sort distinct nodes by id: insertion sort for the short lists products and sums mostly are. */
function sortById(xs: Expr[]): void {
  if (xs.length > 12) {
    xs.sort(byId);
    return;
  }
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i];
    let j = i - 1;
    for (; j >= 0 && xs[j].id > x.id; j--) xs[j + 1] = xs[j];
    xs[j + 1] = x;
  }
}

/** Build a product of already-canonical, distinct-base factors (sorted) times a coefficient. */
function productOf(coef: number, factors: Expr[]): Expr {
  if (coef === 0) return ZERO;
  sortById(factors);
  if (factors.length === 0) return num(coef);
  if (coef === 1 && factors.length === 1) return factors[0];
  return intern("mul", coef === 1 ? factors : [num(coef), ...factors], 0, "");
}

const isSin2 = (f: Expr) => f.op === "pow" && f.args[1] === TWO && f.args[0].op === "fn" && f.args[0].name === "sin";

/**
 * sin(u)^2 and cos(u)^2 with the same coefficient and cofactor combine to the cofactor:
 * c·R·sin²u + c·R·cos²u = c·R. Applied until nothing changes (each pass removes a pair).
 */
function pythagoras(terms: Map<Expr, number>): void {
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

// add and mul collect like terms (factors) in insertion order. They used Maps; these keyed lists allocate
// less and search linearly while short (an index Map takes over past LINEAR_LIMIT keys), with the same order.
const LINEAR_LIMIT = 16;

class Keyed<V> {
  readonly keys: Expr[] = [];
  readonly values: V[] = [];
  private index: Map<Expr, number> | null = null;
  indexOf(k: Expr): number {
    if (this.index) return this.index.get(k) ?? -1;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === k) return i;
    return -1;
  }
  push(k: Expr, v: V): void {
    this.keys.push(k);
    this.values.push(v);
    if (this.index) this.index.set(k, this.keys.length - 1);
    else if (this.keys.length > LINEAR_LIMIT) this.index = new Map(this.keys.map((x, i) => [x, i]));
  }
}

/** A sum's terms: constant, then coefficient per base (the term's non-numeric part), in first-seen order. */
class Terms extends Keyed<number> {
  constant = 0;
  /** Per base, the one term that had it, or null once a second term adds to it. */
  readonly sole: (Expr | null)[] = [];
  /** A term of the sum: flattens small sums, splits off the coefficient (interning the rest, as before). */
  collect(t: Expr): void {
    if (t.op === "add" && t.args.length <= FLATTEN_LIMIT) {
      for (const a of t.args) this.collect(a);
      return;
    }
    let c = 1,
      base = t;
    if (t.op === "num") {
      this.constant += t.value;
      return;
    }
    if (t.op === "mul" && t.args[0].op === "num") {
      c = t.args[0].value;
      base = t.args.length === 2 ? t.args[1] : intern("mul", t.args.slice(1), 0, "");
    }
    const i = this.indexOf(base);
    if (i < 0) {
      this.push(base, 0 + c);
      this.sole.push(t);
    } else {
      this.values[i] += c;
      this.sole[i] = null;
    }
  }
}

/** Whether a sum's sole term c·base is already what productOf(c, factorsOf(base)) would find: then it is reused. */
function isProductOf(t: Expr, c: number, base: Expr): boolean {
  if (t.op !== "mul" || t.args[0].op !== "num" || t.args[0].value !== c) return false;
  return t.args.length === 2 ? base.op !== "mul" : isSortedProduct(base);
}

export function add(...xs: Expr[]): Expr {
  const terms = new Terms();
  for (const x of xs) terms.collect(x);
  let bases = terms.keys,
    coefs = terms.values,
    sole = terms.sole;
  if (bases.length > 1 && bases.some((b) => factorsOf(b).some(isSin2))) {
    const map = new Map<Expr, number>(bases.map((b, i) => [b, coefs[i]]));
    pythagoras(map);
    bases = [...map.keys()];
    coefs = [...map.values()];
    sole = bases.map(() => null);
  }
  let constant = terms.constant;
  const one = bases.indexOf(ONE);
  if (one >= 0) {
    constant += coefs[one];
    bases.splice(one, 1);
    coefs.splice(one, 1);
    sole.splice(one, 1);
  }
  const out: Expr[] = [],
    keys: Expr[] = [];
  let exact = true;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i],
      c = coefs[i];
    if (c === 0) continue;
    const t = sole[i];
    out.push(c === 1 ? base : t !== null && isProductOf(t, c, base) ? t : productOf(c, [...factorsOf(base)]));
    // the sort key is splitCoefficient(term)'s rest, which is the base itself unless the base is a number or
    // a product not in canonical order (as display nodes may be): then keep the general path
    if (base.op === "num" || (base.op === "mul" && !isSortedProduct(base))) exact = false;
    keys.push(base);
  }
  if (exact) sortByKeys(out, keys);
  else out.sort((a, b) => splitCoefficient(a)[1].id - splitCoefficient(b)[1].id);
  if (constant !== 0) out.unshift(num(constant));
  if (out.length === 0) return ZERO;
  if (out.length === 1) return out[0];
  return intern("add", out, 0, "");
}

/** A product of at least two factors, none numeric, in id order: what productOf(1, factors) builds. */
function isSortedProduct(m: Expr): boolean {
  const a = m.args;
  if (a.length < 2 || a[0].op === "num") return false;
  for (let i = 1; i < a.length; i++) if (a[i - 1].id >= a[i].id) return false;
  return true;
}

/** Sort xs by the ids of keys (distinct), permuting both alike. */
function sortByKeys(xs: Expr[], keys: Expr[]): void {
  if (xs.length > LINEAR_LIMIT) {
    const order = xs.map((_, i) => i).sort((i, j) => keys[i].id - keys[j].id);
    const sorted = order.map((i) => xs[i]);
    for (let i = 0; i < xs.length; i++) xs[i] = sorted[i];
    return;
  }
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i],
      k = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j].id > k.id; j--) {
      xs[j + 1] = xs[j];
      keys[j + 1] = keys[j];
    }
    xs[j + 1] = x;
    keys[j + 1] = k;
  }
}

/** A product's factors: coefficient, then exponents per base in first-seen order (one, or a list to add). */
class Powers extends Keyed<Expr | Expr[]> {
  coef = 1;
  collect(f: Expr): void {
    if (f.op === "num") {
      this.coef *= f.value;
      return;
    }
    if (f.op === "mul" && f.args.length <= FLATTEN_LIMIT) {
      for (const a of f.args) this.collect(a);
      return;
    }
    const base = f.op === "pow" ? f.args[0] : f,
      e = f.op === "pow" ? f.args[1] : ONE;
    const i = this.indexOf(base);
    if (i < 0) this.push(base, e);
    else {
      const es = this.values[i];
      if (Array.isArray(es)) es.push(e);
      else this.values[i] = [es, e];
    }
  }
}

export function mul(...xs: Expr[]): Expr {
  const powers = new Powers();
  for (const x of xs) powers.collect(x);
  let coef = powers.coef;
  if (coef === 0) return ZERO;
  const factors: Expr[] = [];
  const bases = powers.keys,
    exps = powers.values;
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i],
      es = exps[i];
    const f = es === ONE ? base : pow(base, Array.isArray(es) ? add(...es) : es);
    if (f.op === "num") coef *= f.value;
    else if (f.op === "mul") {
      // (x·y)^k distributed by pow: merge its factors
      for (const g of f.args)
        if (g.op === "num") coef *= g.value;
        else factors.push(g);
    } else factors.push(f);
  }
  // a merged factor may repeat a base (rare): rebuild once through the general path
  if (repeatsBase(factors)) return mul(num(coef), ...factors);
  return productOf(coef, factors);
}

const baseOf = (f: Expr) => (f.op === "pow" ? f.args[0] : f);

function repeatsBase(factors: readonly Expr[]): boolean {
  if (factors.length > LINEAR_LIMIT) return new Set(factors.map(baseOf)).size !== factors.length;
  for (let i = 1; i < factors.length; i++) {
    const b = baseOf(factors[i]);
    for (let j = 0; j < i; j++) if (baseOf(factors[j]) === b) return true;
  }
  return false;
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
  if ((REGISTRY[name] as FunctionDef).identity) return arg; // never a node: no closed form or listing shows it
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

let epoch = 0;

/** Nodes reachable from `roots`, every node after its operands (iterative: DAGs can be deep). */
export function topoOrder(roots: readonly Expr[]): Expr[] {
  // a node is seen when its visit mark is this walk's epoch (walks never nest, and create no nodes)
  if (epoch === 0x7fffffff) {
    visits.fill(0); // marks are Int32: start over rather than wrap
    epoch = 0;
  }
  const seen = ++epoch,
    visit = visits;
  const order: Expr[] = [];
  const nodes: Expr[] = [],
    next: number[] = []; // the stack: a node, and the index of its next operand to visit
  for (const r of roots) {
    if (visit[r.id] === seen) continue;
    visit[r.id] = seen;
    nodes.push(r);
    next.push(0);
    while (nodes.length) {
      const top = nodes.length - 1,
        node = nodes[top],
        i = next[top];
      if (i < node.args.length) {
        next[top] = i + 1;
        const c = node.args[i];
        if (visit[c.id] !== seen) {
          visit[c.id] = seen;
          nodes.push(c);
          next.push(0);
        }
      } else {
        nodes.pop();
        next.pop();
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
