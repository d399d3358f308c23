// A network's layers as coordinate expressions: pre-activations z_l, coordinates x_l and the
// layer Jacobians J_l = ∂x_l/∂x_{l-1}, all in closed form and all in one shared DAG.
import type { Activation, Layer, Network, ParamTensor } from "../semantics/model.js";
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { add, DAG, type Expr, fn, mul, MINUS_ONE, num, ONE, pow, sub, sym, TWO, ZERO } from "./expr.js";
import { fromMath } from "./mathjs.js";
import { identity, type Matrix, matMul, matSub, type Vector } from "./tensor.js";

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
  /** Total Jacobian ∂x_L/∂x_from, accumulated forwards. */
  jacobian: Matrix;
}

const paramCache = new WeakMap<ParamTensor, Expr[]>();
export function paramExprs(p: ParamTensor): Expr[] {
  let e = paramCache.get(p);
  if (!e) { e = p.entries.map(fromMath); paramCache.set(p, e); }
  return e;
}
function paramMatrix(p: ParamTensor): Matrix {
  const e = paramExprs(p), [rows, cols] = p.shape;
  return Array.from({ length: rows }, (_, i) => e.slice(i * cols, (i + 1) * cols));
}

/** σ(z) and σ'(z) for an activation. */
export function activate(a: Activation, z: Expr): [Expr, Expr] {
  if (a === "linear") return [z, ONE];
  const s = fn(a, z);
  return [s, (REGISTRY[a] as FunctionDef).derivative(DAG, z, s)];
}

/** Layer symbols x{l}_{i}: the coordinates of layer l>0 (layer 0 uses the input's own names). */
export function layerVariables(net: Network, l: number): string[] {
  return net.layerSpaces[l].coords;
}

function affine(layer: Layer, x: Vector): { z: Vector; W: Matrix } {
  const W = paramMatrix(layer.W!), b = paramExprs(layer.b!);
  return { z: W.map((row, i) => add(...row.map((w, j) => mul(w, x[j])), b[i])), W };
}

/** Build layers from+1 … L with the coordinates of layer `from` as variables. */
export function networkExprs(net: Network, from = 0): NetworkExprs {
  const variables = layerVariables(net, from);
  const x0 = variables.map(sym);
  const xs: Vector[] = [x0]; // xs[k] = coordinates after layer from+k
  const Ps: Matrix[] = [identity(x0.length)]; // total Jacobians, same indexing
  const layers: LayerExprs[] = [];
  for (let l = from + 1; l <= net.layers.length; l++) {
    const layer = net.layers[l - 1];
    const x = xs[xs.length - 1];
    const P = Ps[Ps.length - 1];
    let out: LayerExprs;
    if (layer.kind === "softmax") {
      // p_i = 1 / Σ_j exp(x_j − x_i): the same function as exp(x_i)/Σ exp(x_j), but it cannot
      // overflow to ∞/∞ (an exploding term sends p_i to 0, as it should)
      const p = x.map((xi) => pow(add(...x.map((xj) => (xj === xi ? ONE : fn("exp", sub(xj, xi))))), MINUS_ONE));
      const J = p.map((pi, i) => p.map((pj, j) => (i === j ? sub(pi, mul(pi, pj)) : mul(MINUS_ONE, pi, pj))));
      out = { layer, x: p, J };
    } else {
      const { z, W } = affine(layer, x);
      const acts = z.map((zi) => activate(layer.activation, zi));
      const sigma = acts.map((a) => a[0]), slope = acts.map((a) => a[1]);
      const scaledW = W.map((row, i) => row.map((w) => mul(slope[i], w)));
      if (layer.kind === "dense") {
        out = { layer, z, slope, x: sigma, J: scaledW };
      } else if (layer.kind === "residual") {
        const h = paramExprs(layer.h!)[0];
        out = { layer, z, slope, x: x.map((xi, i) => add(xi, mul(h, sigma[i]))),
          J: scaledW.map((row, i) => row.map((s, j) => add(i === j ? ONE : ZERO, mul(h, s)))) };
      } else {
        if (l > 1 && l - 1 === from) throw new Error(`internal error: second-order layer ${l} needs layer ${l - 2}`);
        const h2 = pow(paramExprs(layer.h!)[0], TWO);
        if (xs.length >= 2) {
          const xPrev = xs[xs.length - 2];
          out = { layer, z, slope, x: x.map((xi, i) => add(mul(TWO, xi), mul(MINUS_ONE, xPrev[i]), mul(h2, sigma[i]))),
            J: scaledW.map((row, i) => row.map((s, j) => add(i === j ? TWO : ZERO, mul(h2, s)))) };
        } else {
          // no earlier layer: start at rest (ẋ(0) = 0) with the Taylor step x_1 = x_0 + ½h²σ(z),
          // which keeps the scheme second-order accurate
          const half = mul(num(0.5), h2);
          out = { layer, z, slope, x: x.map((xi, i) => add(xi, mul(half, sigma[i]))),
            J: scaledW.map((row, i) => row.map((s, j) => add(i === j ? ONE : ZERO, mul(half, s)))) };
        }
      }
    }
    layers.push(out);
    xs.push(out.x);
    if (layer.kind === "second_order" && Ps.length >= 2) Ps.push(matSub(matMul(out.J, P), Ps[Ps.length - 2]));
    else Ps.push(matMul(out.J, P));
  }
  return { network: net, from, variables, x0, layers, jacobian: Ps[Ps.length - 1] };
}

export const hasSecondOrder = (ex: NetworkExprs) => ex.layers.some((l) => l.layer.kind === "second_order");

