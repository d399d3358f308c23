// A network's layers as coordinate expressions: pre-activations z_l, coordinates x_l and the
// layer Jacobians J_l = ∂x_l/∂x_{l-1}, all in closed form and all in one shared DAG.
import type { Algebra } from "../core/algebra.js";
import { LAYER_KINDS, type LayerInput } from "../core/layers/index.js";
import type { Activation, Layer, Network, ParamTensor } from "../semantics/model.js";
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { add, DAG, type Expr, fn, graphCache, mul, MINUS_ONE, num, pow, sub, sym, ZERO } from "./expr.js";
import { fromMath } from "./mathjs.js";
import { identity, type Matrix, matAdd, matMul, type Vector } from "./tensor.js";

export interface LayerExprs {
  layer: Layer;
  /** Pre-activations W x_{l-1} + b (absent for softmax). */
  z?: Vector;
  /** σ'(z), shared with σ(z) where the derivative is written through it (tanh, sigmoid). */
  slope?: Vector;
  /** Coordinates after the layer, x_l. */
  x: Vector;
  /** ∂x_l/∂x_{l-1}. For a second-order layer x_l = 2x_{l-1} − x_{l-2} + h²σ(z) this is
   *  2I + h² diag(σ'(z)) W, and ∂x_l/∂x_{l-2} = −I; as the first layer, x_1 = x_0 + ½h²σ(z). */
  J: Matrix;
}

export interface NetworkExprs {
  network: Network;
  /** Layer whose coordinates are the variables (0 = the input chart). */
  from: number;
  variables: string[];
  /** x_from as symbols, then one entry per layer from+1 … L. */
  x0: Vector;
  layers: LayerExprs[];
  /** Total Jacobian ∂x_L/∂x_from, accumulated forwards; built on first use (a pullback layer by layer never reads it). */
  readonly jacobian: Matrix;
}

const paramCache = graphCache<ParamTensor, Expr[]>();
export function paramExprs(p: ParamTensor): Expr[] {
  let e = paramCache.get(p);
  if (!e) {
    e = p.entries.map(fromMath);
    paramCache.set(p, e);
  }
  return e;
}
/** W's rows; a vector-shaped W (layer_norm's γ) is one row. */
function paramMatrix(p: ParamTensor): Matrix {
  const e = paramExprs(p);
  if (p.shape.length === 1) return [e];
  const [rows, cols] = p.shape;
  return Array.from({ length: rows }, (_, i) => e.slice(i * cols, (i + 1) * cols));
}

/** σ(z) and σ'(z) for an activation. */
export function activate(a: Activation, z: Expr): [Expr, Expr] {
  const s = fn(a, z);
  return [s, (REGISTRY[a] as FunctionDef).derivative(DAG, z, s)];
}

/** Layer symbols x{l}_{i}: the coordinates of layer l>0 (layer 0 uses the input's own names). */
export function layerVariables(net: Network, l: number): string[] {
  return net.layerSpaces[l].coords;
}

/** The symbolic instantiation of core/'s generic layer maps: DAG nodes. */
export const EXPR_ALGEBRA: Algebra<Expr> = {
  num,
  add,
  mul,
  sub,
  neg: (a) => mul(MINUS_ONE, a),
  div: (a, b) => mul(a, pow(b, MINUS_ONE)),
  pow: (a, k) => pow(a, num(k)),
  fn,
};

/** A layer's inputs as DAG nodes: previous states newest first (as many as it reads and exist), its parameters. */
function layerInput(layer: Layer, xs: Vector[]): LayerInput<Expr> {
  return {
    xs,
    W: layer.W && paramMatrix(layer.W),
    b: layer.b && paramExprs(layer.b),
    // read when the map first uses it: a symbolic h is then created after σ(z), which fixes its place
    // in the DAG's canonical order (and so how products print)
    get h() {
      return layer.h && paramExprs(layer.h)[0];
    },
    eps: layer.eps && paramExprs(layer.eps)[0],
    act: (z) => activate(layer.activation, z),
    taps: layer.shaped?.taps,
  };
}

/** Σ_k J_k P_{l−1−k}; a J_k = c·I (an earlier state's coefficient) adds c·P entry by entry. */
function totalJacobian(Js: Matrix[], Ps: Matrix[]): Matrix {
  let P = matMul(Js[0], Ps[Ps.length - 1]);
  for (let k = 1; k < Js.length; k++) {
    const J = Js[k],
      Q = Ps[Ps.length - 1 - k],
      c = J[0][0];
    const scalar = J.every((row, i) => row.every((e, j) => (i === j ? e === c : e === ZERO)));
    if (scalar && c === ZERO) continue; // a state the layer does not read (inside a skip block: any width)
    P = scalar ? P.map((row, i) => row.map((e, j) => add(e, mul(c, Q[i][j])))) : matAdd(P, matMul(J, Q));
  }
  return P;
}

/** Build layers from+1 … L with the coordinates of layer `from` as variables. */
export function networkExprs(net: Network, from = 0): NetworkExprs {
  const variables = layerVariables(net, from);
  const x0 = variables.map(sym);
  const xs: Vector[] = [x0]; // xs[k] = coordinates after layer from+k
  const layerJs: Matrix[][] = []; // per layer, ∂x_l/∂x_{l−1}, ∂x_l/∂x_{l−2}, …
  const layers: LayerExprs[] = [];
  for (let l = from + 1; l <= net.layers.length; l++) {
    const layer = net.layers[l - 1],
      kind = LAYER_KINDS[layer.kind];
    const available = Math.min(kind.reads, xs.length);
    if (available < kind.reads && available < l) throw new Error(`internal error: layer ${l} needs layer ${l - kind.reads}`);
    const input = layerInput(layer, xs.slice(-available).reverse());
    const fwd = kind.forward(EXPR_ALGEBRA, input);
    const Js = kind.jacobians(EXPR_ALGEBRA, input, fwd);
    layers.push({ layer, z: fwd.z, slope: fwd.slope, x: fwd.x, J: Js[0] });
    xs.push(fwd.x);
    layerJs.push(Js);
  }
  let total: Matrix | undefined;
  return {
    network: net,
    from,
    variables,
    x0,
    layers,
    get jacobian() {
      if (!total) {
        const Ps: Matrix[] = [identity(x0.length)]; // Ps[k] = total Jacobian after layer from+k
        for (const Js of layerJs) Ps.push(totalJacobian(Js, Ps));
        total = Ps[Ps.length - 1];
      }
      return total;
    },
  };
}

/** Whether a layer reads states before its predecessor (a pullback then needs the total Jacobian). */
export const hasSecondOrder = (ex: NetworkExprs) => ex.layers.some((l) => LAYER_KINDS[l.layer.kind].reads > 1);
