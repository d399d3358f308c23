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
    /** The graph that owns it; null for the shared constants every graph holds. */
    readonly graph: Graph | null,
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

/**
 * One expression graph: its hash-cons table, the per-node scratch of its walks, and the memos built over its nodes
 * (derivatives, and the symbolic stage's caches keyed by model objects). A request or a model creates one and drops
 * it, and every node it made goes with it (egg's EGraph owns its memo the same way); "linear in the size of the DAG"
 * is about one graph. Nodes of two graphs never meet: building a node from another graph's nodes is an error.
 */
export class Graph {
  // The hash-cons table, keyed structurally: a numeric hash of (op, name, value, operand ids) picks a slot of an
  // open-addressing table (linear probing), whose candidates are compared field by field. (String keys cost most
  // of the DAG's construction time; a Map of hash chains still cost a third of it.)
  capacity = 1 << 10;
  slots: (Expr | null)[] = new Array<Expr | null>(this.capacity).fill(null);
  /** A node's hash (with OCCUPIED set), or 0 for an empty slot. */
  slotHashes = new Int32Array(this.capacity);
  filled = 0;
  nextId = 0;
  // Per-node scratch, indexed by id, outside the nodes (so they stay small): topoOrder's visit marks (a node is
  // seen when its mark is the walk's epoch), and tags for one synchronous pass that creates no nodes.
  visits = new Int32Array(1 << 10);
  tags = new Int32Array(1 << 10);
  epoch = 0;
  readonly nameHashes = new Map<string, number>();
  /** d/dx per symbol name, memoized per node (symbolic/diff.ts). */
  readonly derivatives = new Map<string, Map<Expr, Expr>>();
  /** The memos of graphCache(), by the cache's index. */
  readonly caches: WeakMap<object, unknown>[] = [];
  constructor(prelude: readonly Expr[] = []) {
    for (const e of prelude) place(this, e, hashOf(this, e.op, e.args, e.value, e.name));
    this.nextId = prelude.length;
  }
  /** Nodes in the graph (the shared constants included). */
  get size(): number {
    return this.nextId;
  }
}

const OCCUPIED = 0x40000000;
const OP_CODE: Record<Op, number> = { num: 1, sym: 2, add: 3, mul: 4, pow: 5, fn: 6 };
const bits = new Float64Array(1),
  words = new Int32Array(bits.buffer);

function nameHash(g: Graph, name: string): number {
  let h = g.nameHashes.get(name);
  if (h === undefined) {
    h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    g.nameHashes.set(name, h);
  }
  return h;
}

function mix(h: number, x: number): number {
  const m = Math.imul(h ^ x, 0x5bd1e995);
  return m ^ (m >>> 15);
}

/** The node's hash; refuses operands of another graph (ids would collide and hash-consing would silently fail). */
function hashOf(g: Graph, op: Op, args: readonly Expr[], value: number, name: string): number {
  let h = mix(OP_CODE[op], nameHash(g, name));
  if (value !== 0) {
    bits[0] = value;
    h = mix(mix(h, words[0]), words[1]);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.graph !== g && a.graph !== null) foreign();
    h = mix(h, a.id);
  }
  return (h & 0x3fffffff) | OCCUPIED;
}

function foreign(): never {
  throw new Error("an expression of another graph: build and walk a graph's nodes inside its inGraph scope");
}

// Object.is: NaN matches NaN, as it did under string keys ("NaN"); −0 never gets here (num() makes it 0)
function matches(e: Expr, op: Op, args: readonly Expr[], value: number, name: string): boolean {
  if (e.op !== op || e.name !== name || !Object.is(e.value, value) || e.args.length !== args.length) return false;
  for (let i = 0; i < args.length; i++) if (e.args[i] !== args[i]) return false;
  return true;
}

/** Double the table when half full (nodes are never removed while the graph lives). */
function grow(g: Graph): void {
  const old = g.slots,
    oldHashes = g.slotHashes;
  g.capacity *= 2;
  g.slots = new Array<Expr | null>(g.capacity).fill(null);
  g.slotHashes = new Int32Array(g.capacity);
  const mask = g.capacity - 1;
  for (let i = 0; i < old.length; i++) {
    if (oldHashes[i] === 0) continue;
    let j = oldHashes[i] & mask;
    while (g.slotHashes[j] !== 0) j = (j + 1) & mask;
    g.slots[j] = old[i];
    g.slotHashes[j] = oldHashes[i];
  }
}

/** The slot holding this node, or the empty slot where it belongs (probing the compact hash array first). */
function probe(g: Graph, h: number, op: Op, args: readonly Expr[], value: number, name: string): number {
  const mask = g.capacity - 1,
    hashes = g.slotHashes,
    slots = g.slots;
  let i = h & mask;
  for (let k = hashes[i]; k !== 0; k = hashes[i]) {
    if (k === h && matches(slots[i]!, op, args, value, name)) return i;
    i = (i + 1) & mask;
  }
  return i;
}

function place(g: Graph, e: Expr, h: number): void {
  const i = probe(g, h, e.op, e.args, e.value, e.name);
  g.slots[i] = e;
  g.slotHashes[i] = h;
  if (++g.filled * 2 > g.capacity) grow(g);
}

function intern(op: Op, args: readonly Expr[], value: number, name: string): Expr {
  const g = current;
  const h = hashOf(g, op, args, value, name);
  const i = probe(g, h, op, args, value, name);
  const hit = g.slots[i];
  if (hit !== null) return hit;
  // nodes live as long as their graph: keep an exact-size copy of the operands (lists built by push carry spare room)
  const e = new Expr(op, args.length === 0 ? NO_ARGS : args.slice(), value, name, g.nextId++, sealed ? g : null);
  if (g.nextId > g.visits.length) growScratch(g);
  g.slots[i] = e;
  g.slotHashes[i] = h;
  if (++g.filled * 2 > g.capacity) grow(g);
  return e;
}

// Every leaf shares one empty operand list, made an array of objects (as all other operand lists are) so that
// reading e.args stays monomorphic: [] alone would be an array of small integers to V8.
const NO_ARGS: readonly Expr[] = (() => {
  const a: (Expr | null)[] = [null];
  a.pop();
  return a as Expr[];
})();

function growScratch(g: Graph): void {
  const v = new Int32Array(g.visits.length * 2),
    t = new Int32Array(g.tags.length * 2);
  v.set(g.visits);
  t.set(g.tags);
  g.visits = v;
  g.tags = t;
}

/** The process's graph: what code outside any inGraph scope builds in (one CLI command is one request). */
const ROOT = new Graph();
let current = ROOT;
/** While false, nodes are the shared constants (ZERO, ONE, …) made at load: they belong to no graph and every graph
 *  holds them, so `x === ZERO` works in all of them. */
let sealed = false;
let depth = 0;
/** The graph the last topoOrder walked (nodeTags' scratch). */
let walked = ROOT;
let oneRequest = 0;

/** Run `f` with `graph` as the graph nodes are built in and walked (scopes nest; synchronous work only). */
export function inGraph<T>(graph: Graph, f: () => T): T {
  const outer = current;
  current = graph;
  depth++;
  try {
    return f();
  } finally {
    current = outer;
    depth--;
  }
}

/** A new graph, holding the shared constants. */
export const newGraph = (): Graph => new Graph(PRELUDE);

/** The graph being built in. */
export const currentGraph = (): Graph => current;

/** The graph of each object public entry points were called with, living as long as it does. */
const owned = new WeakMap<object, Graph>();

/**
 * A public entry point's scope. Inside an open scope (or a command run by asOneRequest) the work joins the current
 * graph; otherwise it goes into the graph owned by `owner` (the model, metric or map it was called with), made on
 * first use and dropped with the owner: repeated calls on one metric share their memos, and a long-lived caller (the
 * language server, the playground, a notebook) does not keep the expressions of models it has let go.
 */
export function inRequestGraph<T>(owner: object, f: () => T): T {
  if (depth > 0 || oneRequest > 0) return f();
  let g = owned.get(owner);
  if (g === undefined) {
    g = newGraph();
    owned.set(owner, g);
  }
  return inGraph(g, f);
}

/**
 * Run `f` (a whole command of the CLI, awaited) as one request: public entry points called meanwhile share the
 * current graph and its memos instead of each building its own.
 */
export async function asOneRequest<T>(f: () => Promise<T>): Promise<T> {
  oneRequest++;
  try {
    return await f();
  } finally {
    oneRequest--;
  }
}

/**
 * A memo keyed by model objects (a Mapping, a Metric, a parameter tensor) whose values hold nodes: one per graph,
 * so a value is only ever found in the graph that built it.
 */
export function graphCache<K extends object, V>(): { get(k: K): V | undefined; set(k: K, v: V): void } {
  const index = cacheCount++;
  const table = () => {
    const caches = current.caches;
    if (caches[index] === undefined) caches[index] = new WeakMap<object, unknown>();
    return caches[index] as WeakMap<K, V>;
  };
  return { get: (k) => table().get(k), set: (k, v) => void table().set(k, v) };
}
let cacheCount = 0;

/** One Int32 per node, indexed by id, for a pass over the nodes of the last topoOrder that creates no nodes (creating
 *  one may replace the array): the scratch of the graph that walk read. */
export const nodeTags = (): Int32Array => walked.tags;

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
const isExp = (f: Expr) => f.op === "fn" && f.name === "exp";
function countExps(factors: readonly Expr[]): number {
  let n = 0;
  for (const f of factors) if (isExp(f)) n++;
  return n;
}

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
  if (countExps(factors) > 1) {
    // exp(a)·exp(b) = exp(a + b): one exp per product, so exp(x)·exp(x) and exp(2x) are one node
    const merged = fn("exp", add(...factors.filter(isExp).map((f) => f.args[0])));
    const rest = factors.filter((f) => !isExp(f));
    return merged.op === "num" ? productOf(coef * merged.value, rest) : mul(num(coef), merged, ...rest);
  }
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

/** The shared constants: the nodes made at load, before any graph but the root existed. Every graph starts with
 *  them, in the same order, so a fresh graph numbers its nodes as a fresh process does. */
const PRELUDE: readonly Expr[] = (() => {
  const made = ROOT.slots.filter((e): e is Expr => e !== null).sort(byId);
  sealed = true;
  return made;
})();

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
  // exp(a)^e = exp(e·a) for real a and e (exp is positive): exp(x)^2 is exp(2*x), 1/exp(x) is exp(-x)
  if (isExp(base)) return fn("exp", mul(e, base.args[0]));
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

/** Nodes reachable from `roots`, every node after its operands (iterative: DAGs can be deep). */
export function topoOrder(roots: readonly Expr[]): Expr[] {
  // a walk creates no nodes, so it may read any one graph's nodes, with that graph's scratch
  let g: Graph | null = null;
  for (const r of roots) {
    if (r.graph === null || r.graph === g) continue;
    if (g !== null) foreign();
    g = r.graph;
  }
  if (g === null) g = current;
  walked = g;
  // a node is seen when its visit mark is this walk's epoch (walks never nest, and create no nodes)
  if (g.epoch === 0x7fffffff) {
    g.visits.fill(0); // marks are Int32: start over rather than wrap
    g.epoch = 0;
  }
  const seen = ++g.epoch,
    visit = g.visits;
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
