// An independent forward-mode evaluator: values carried with their derivatives with respect to
// the input (dual numbers), computed straight from the typed model. It shares no code with the
// symbolic path but the function registry (its derivatives checked against finite differences in test/core),
// which is why tests use it as the oracle for Jacobians and metrics.
import type { MathNode, SymbolNode } from "mathjs";
import type { Algebra } from "../core/algebra.js";
import { FUNCTIONS, valueAndSlope } from "../core/functions.js";
import { LAYER_KINDS, MAX_READS } from "../core/layers/index.js";
import type { Layer, Mapping, Metric, Network, ParamTensor } from "../semantics/model.js";
import { congruenceN, identityN, type Mat, matMulN } from "./linalg.js";

/** A number with its gradient with respect to the n input coordinates. */
export class Dual {
  constructor(
    readonly v: number,
    readonly d: Float64Array,
  ) {}
  static constant(v: number, n: number) {
    return new Dual(v, new Float64Array(n));
  }
  static variable(v: number, i: number, n: number) {
    const d = new Float64Array(n);
    d[i] = 1;
    return new Dual(v, d);
  }
  private lin(a: number, other: Dual | null, b: number, v: number): Dual {
    const d = new Float64Array(this.d.length);
    for (let i = 0; i < d.length; i++) d[i] = a * this.d[i] + (other ? b * other.d[i] : 0);
    return new Dual(v, d);
  }
  add(o: Dual) {
    return this.lin(1, o, 1, this.v + o.v);
  }
  sub(o: Dual) {
    return this.lin(1, o, -1, this.v - o.v);
  }
  mul(o: Dual) {
    return this.lin(o.v, o, this.v, this.v * o.v);
  }
  div(o: Dual) {
    return this.lin(1 / o.v, o, -this.v / (o.v * o.v), this.v / o.v);
  }
  /** f(this) given f(v) and f'(v). */
  apply(fv: number, dfv: number) {
    return this.lin(dfv, null, 0, fv);
  }
  pow(o: Dual): Dual {
    const v = this.v ** o.v;
    if (o.d.every((x) => x === 0)) return this.apply(v, o.v === 0 ? 0 : o.v * this.v ** (o.v - 1));
    return this.lin(o.v * this.v ** (o.v - 1), o, v * Math.log(this.v), v);
  }
}

/** Value and derivative of each elementary function: the registry's, and sqrt (a power in the DAG). */
const ELEMENTARY: Record<string, (x: number) => [number, number]> = {
  ...Object.fromEntries(FUNCTIONS.map((f) => [f, (x: number) => valueAndSlope(f, x)])),
  sqrt: (x) => [Math.sqrt(x), 0.5 / Math.sqrt(x)],
};

/** Evaluate a mathjs expression tree on dual numbers. */
export function dualEval(node: MathNode, env: ReadonlyMap<string, Dual>, n: number): Dual {
  const go = (node: MathNode): Dual => {
    // biome-ignore lint/suspicious/noExplicitAny: each case reads the fields of its own mathjs node class
    const x = node as any;
    switch (node.type) {
      case "ConstantNode":
        return Dual.constant(Number(x.value), n);
      case "SymbolNode": {
        const d = env.get(x.name) ?? (x.name === "pi" ? Dual.constant(Math.PI, n) : undefined);
        if (!d) throw new Error(`no value for '${x.name}'`);
        return d;
      }
      case "ParenthesisNode":
        return go(x.content);
      case "OperatorNode": {
        const a = (x.args as MathNode[]).map(go);
        switch (x.fn) {
          case "add":
            return a[0].add(a[1]);
          case "subtract":
            return a[0].sub(a[1]);
          case "multiply":
            return a[0].mul(a[1]);
          case "divide":
            return a[0].div(a[1]);
          case "pow":
            return a[0].pow(a[1]);
          case "unaryMinus":
            return a[0].apply(-a[0].v, -1);
          case "unaryPlus":
            return a[0];
        }
        break;
      }
      case "FunctionNode": {
        const a = go(x.args[0]);
        const f = ELEMENTARY[x.fn.name];
        if (f) {
          const [v, dv] = f(a.v);
          return a.apply(v, dv);
        }
      }
    }
    throw new Error(`unsupported expression ${node.toString()}`);
  };
  return go(node);
}

/** Numeric parameter values; symbolic entries are looked up in `env`. */
/** The symbols a parameter's entries read (none for numeric weights). */
export function paramSymbols(p: ParamTensor): string[] {
  if (p.values) return [];
  return p.entries.flatMap((e) =>
    e.filter((n) => n.type === "SymbolNode" && (n as SymbolNode).name !== "pi").map((n) => (n as SymbolNode).name),
  );
}

export function paramValues(p: ParamTensor, env: ReadonlyMap<string, number>): number[] {
  if (p.values) return [...p.values];
  // only the symbols this tensor reads: the env holds every parameter of the network (O(depth) to copy per layer)
  const scope = new Map<string, Dual>();
  for (const name of paramSymbols(p)) {
    const v = env.get(name);
    if (v !== undefined) scope.set(name, Dual.constant(v, 0));
  }
  return p.entries.map((e) => dualEval(e, scope, 0).v);
}

export interface LayerState {
  x: number[];
  J: Mat;
}

/** Forward pass from layer `from` (point = x_from) with Jacobians ∂x_l/∂x_from at every layer. */
export function forwardNetwork(net: Network, point: number[], env: ReadonlyMap<string, number> = new Map(), from = 0): LayerState[] {
  return forwardFromState(net, [point], env, from);
}

/** Forward pass from the state (x_from, x_from−1, …) of layer `from` (newest first: what k-th order layers read), with
 *  Jacobians ∂x_l/∂(x_from, x_from−1, …) at every layer: the columns of all the state's vectors, in that order. */
export function forwardFromState(net: Network, state: number[][], env: ReadonlyMap<string, number> = new Map(), from = 0): LayerState[] {
  const n = state.reduce((s, x) => s + x.length, 0);
  let col = 0;
  const xs: Dual[][] = state.map((x) => x.map((v) => Dual.variable(v, col++, n))); // x_{l−1}, x_{l−2}, …: newest first
  const states: LayerState[] = [toState(xs[0])];
  for (const layer of net.layers.slice(from)) {
    xs.unshift(layerForward(layer, xs, env, n));
    states.push(toState(xs[0]));
  }
  return states;
}

function toState(x: Dual[]): LayerState {
  return { x: x.map((d) => d.v), J: x.map((d) => [...d.d]) };
}

/** Dual numbers with constants kept as plain numbers: a constant times a dual is one `apply`, as the
 *  hand-written forward pass had it. */
type DualOrConst = Dual | number;
const lift = (a: DualOrConst, n: number) => (typeof a === "number" ? Dual.constant(a, n) : a);
function dualAlgebra(n: number): Algebra<DualOrConst> {
  const add2 = (a: DualOrConst, b: DualOrConst): DualOrConst =>
    typeof a === "number"
      ? typeof b === "number"
        ? a + b
        : Dual.constant(a, n).add(b)
      : typeof b === "number"
        ? a.apply(a.v + b, 1)
        : a.add(b);
  const mul2 = (a: DualOrConst, b: DualOrConst): DualOrConst =>
    typeof a === "number" ? (typeof b === "number" ? a * b : b.apply(a * b.v, a)) : typeof b === "number" ? a.apply(b * a.v, b) : a.mul(b);
  return {
    num: (c) => c,
    add: (...xs) => xs.reduce(add2),
    mul: (...xs) => xs.reduce(mul2),
    sub: (a, b) => (typeof b === "number" ? (typeof a === "number" ? a - b : a.apply(a.v - b, 1)) : lift(a, n).sub(b)),
    neg: (a) => (typeof a === "number" ? -a : a.apply(-a.v, -1)),
    div: (a, b) => (typeof a === "number" && typeof b === "number" ? a / b : lift(a, n).div(lift(b, n))),
    pow: (a, k) => (typeof a === "number" ? (k === 2 ? a * a : a ** k) : a.apply(a.v ** k, k * a.v ** (k - 1))),
    fn: (name, a) => {
      const f = ELEMENTARY[name];
      if (typeof a === "number") return f(a)[0];
      const [v, dv] = f(a.v);
      return a.apply(v, dv);
    },
  };
}

/** One layer by its kind's generic map; `xs` are the states before it, newest first (fewer than the kind reads at the
 * start: a k-th order layer then takes its Taylor step from rest). */
function layerForward(layer: Layer, xs: Dual[][], env: ReadonlyMap<string, number>, n: number): Dual[] {
  const kind = LAYER_KINDS[layer.kind],
    A = dualAlgebra(n);
  const cols = layer.inWidth,
    act = layer.activation;
  const W = layer.W && paramValues(layer.W, env),
    b = layer.b && paramValues(layer.b, env);
  const out = kind.forward<DualOrConst>(A, {
    xs: xs.slice(0, kind.reads),
    W: W && Array.from({ length: layer.outWidth }, (_, i) => W.slice(i * cols, (i + 1) * cols)),
    b,
    h: layer.h && paramValues(layer.h, env)[0],
    eps: layer.eps && paramValues(layer.eps, env)[0],
    act: (z) => {
      const [v, dv] = ELEMENTARY[act]((z as Dual).v);
      return [(z as Dual).apply(v, dv), dv];
    },
    numberOf: (t) => (typeof t === "number" ? t : t.v),
    taps: layer.shaped?.taps,
  });
  return out.x.map((d) => lift(d, n));
}

/** F(x) and its Jacobian for any mapping, by forward mode. */
export function forwardMapping(m: Mapping, point: number[], env: ReadonlyMap<string, number> = new Map()): LayerState {
  switch (m.kind) {
    case "network": {
      const s = forwardNetwork(m, point, env);
      return s[s.length - 1];
    }
    case "compose": {
      const a = forwardMapping(m.first, point, env),
        b = forwardMapping(m.second, a.x, env);
      return { x: b.x, J: matMulN(b.J, a.J) };
    }
    case "map":
    case "embedding": {
      const n = point.length;
      const scope = new Map<string, Dual>([...env].map(([k, v]) => [k, Dual.constant(v, n)]));
      m.source.coords.forEach((c, i) => {
        scope.set(c, Dual.variable(point[i], i, n));
      });
      const ys = m.components.map((c) => dualEval(c, scope, n));
      return { x: ys.map((d) => d.v), J: ys.map((d) => [...d.d]) };
    }
  }
}

/** A metric's components at a point, by forward mode through every pullback. */
export function forwardMetric(metric: Metric, point: number[], env: ReadonlyMap<string, number> = new Map()): Mat {
  const def = metric.def;
  switch (def.kind) {
    case "euclidean":
      return identityN(metric.manifold.dim);
    case "components": {
      const scope = new Map<string, Dual>([...env].map(([k, v]) => [k, Dual.constant(v, 0)]));
      metric.manifold.coords.forEach((c, i) => {
        scope.set(c, Dual.constant(point[i], 0));
      });
      return def.components.map((row) => row.map((e) => dualEval(e, scope, 0).v));
    }
    case "pullback": {
      const F =
        def.along.kind === "network" && def.layer > 0
          ? (() => {
              const s = forwardNetwork(def.along, point, env, def.layer);
              return s[s.length - 1];
            })()
          : forwardMapping(def.along, point, env);
      return congruenceN(F.J, forwardMetric(def.of, F.x, env));
    }
  }
}

/** The states before `states[i]`, newest first and no more than a layer can read: `layerJacobian`'s `earlier`. */
export const earlierStates = (states: readonly LayerState[], i: number): number[][] =>
  states
    .slice(Math.max(0, i - MAX_READS), i)
    .map((st) => st.x)
    .reverse();

/** ∂x_l/∂x_{l−1} of one layer at x_{l−1}, the earlier states x_{l−2}, x_{l−3}, … held fixed (they matter for k-th
 * order layers; fewer than the kind reads at the start). */
export function layerJacobian(layer: Layer, xPrev: number[], earlier: number[][], env: ReadonlyMap<string, number> = new Map()): Mat {
  const n = xPrev.length;
  const x = xPrev.map((v, i) => Dual.variable(v, i, n));
  const held = earlier.map((e) => e.map((v) => Dual.constant(v, n)));
  return layerForward(layer, [x, ...held], env, n).map((d) => [...d.d]);
}
