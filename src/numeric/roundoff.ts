// How small a network's Jacobian ∂x_L/∂x_0 can be and still be told from zero. Its computed value carries a rounding
// error set by the size of the terms that built it, not by its own size: a second-order net whose layers cancel
// exactly (x_2 = √2 x_1 − x_0 with x_1 = x_0/√2) computes J ≈ 2e-16 from terms of size 1, and J ≈ 2e-16 is then
// noise, while a saturated tanh layer's J ≈ 1e-8 is a product of small terms and accurate to 16 digits. The bound
// here is a first-order running error analysis layer by layer: forming P_l = ∂x_l/∂x_0 from the layer's partials
// F_l = ∂x_l/∂(x_{l−1}, …, x_{l−r}) and P_{l−1}, …, P_{l−r} rounds by at most about ε·‖M_l‖·‖Q_{l−1}‖, where M_l
// bounds |F_l| term by term (magnitudes of every sum formed inside the layer, cancellation or not) and Q_{l−1}
// stacks P_{l−1}, …, P_{l−r}; that error reaches the output through G_l = ∂x_L/∂x_l (a backward sweep), so
// ‖δJ‖ ≲ γ Σ_l ‖G_l‖ ‖M_l‖ ‖Q_{l−1}‖ with γ = (width + 2)·ε.
import type { Algebra } from "../core/algebra.js";
import { valueAndSlope } from "../core/functions.js";
import { LAYER_KINDS } from "../core/layers/index.js";
import type { Layer, Metric, Network } from "../semantics/model.js";
import { forwardMetric, paramValues } from "./forward.js";
import { eigenvaluesOf, type Mat } from "./linalg.js";

/** A value, its partials with respect to the layer's state, and the magnitudes of the terms summed into them. */
interface Mag {
  v: number;
  /** null: a constant (all zero). */
  d: Float64Array | null;
  a: Float64Array | null;
}

const konst = (v: number): Mag => ({ v, d: null, a: null });

/** c₁·x + c₂·y on the partials (|c₁|·|x| + |c₂|·|y| on the magnitudes). */
function combine(n: number, v: number, c1: number, x: Mag, c2 = 0, y: Mag | null = null): Mag {
  if (!x.d && !y?.d) return konst(v);
  const d = new Float64Array(n),
    a = new Float64Array(n);
  if (x.d && x.a && c1 !== 0)
    for (let i = 0; i < n; i++) {
      d[i] += c1 * x.d[i];
      a[i] += Math.abs(c1) * x.a[i];
    }
  if (y?.d && y.a && c2 !== 0)
    for (let i = 0; i < n; i++) {
      d[i] += c2 * y.d[i];
      a[i] += Math.abs(c2) * y.a[i];
    }
  return { v, d, a };
}

function magnitudeAlgebra(n: number): Algebra<Mag> {
  const add2 = (x: Mag, y: Mag) => combine(n, x.v + y.v, 1, x, 1, y);
  const mul2 = (x: Mag, y: Mag) => combine(n, x.v * y.v, y.v, x, x.v, y);
  return {
    num: konst,
    add: (...xs) => xs.reduce(add2),
    mul: (...xs) => xs.reduce(mul2),
    sub: (x, y) => combine(n, x.v - y.v, 1, x, -1, y),
    neg: (x) => combine(n, -x.v, -1, x),
    div: (x, y) => combine(n, x.v / y.v, 1 / y.v, x, -x.v / (y.v * y.v), y),
    pow: (x, k) => combine(n, x.v ** k, k === 0 ? 0 : k * x.v ** (k - 1), x),
    fn: (name, x) => {
      const [v, dv] = valueAndSlope(name, x.v);
      return combine(n, v, dv, x);
    },
  };
}

export interface JacobianWithNoise {
  /** x_L. */
  x: number[];
  /** ∂x_L/∂x_from. */
  J: Mat;
  /** A bound on the rounding error ‖δJ‖_F of a forward-mode evaluation of J. */
  noise: number;
  /** Per layer: ∂x_l/∂x_{l−1} with the earlier states held fixed (square layers' det J_l). */
  layerJacobians: Mat[];
}

const frob = (m: Mat) => Math.sqrt(m.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0));

/** Work (multiply-adds) beyond which `jacobianWithNoise` is not run for a rank floor: wide nets keep the relative cut. */
export const NOISE_BUDGET = 2e7;

/** Rough work of `jacobianWithNoise`: each layer runs forward mode over its whole state. */
export function noiseWork(net: Network, from = 0): number {
  return net.layers.slice(from).reduce((s, l) => s + l.outWidth * l.inWidth * l.inWidth * Math.min(LAYER_KINDS[l.kind].reads, 8), 0);
}

/** J = ∂x_L/∂x_from at a point, with the layer partials and the rounding-error bound of the header. */
export function jacobianWithNoise(net: Network, point: number[], env: ReadonlyMap<string, number>, from = 0): JacobianWithNoise {
  return noiseEvaluator(net, env, from)(point);
}

/** `jacobianWithNoise` at many points: the weights read once. */
export function noiseEvaluator(net: Network, env: ReadonlyMap<string, number>, from = 0): (point: number[]) => JacobianWithNoise {
  const layers = net.layers.slice(from);
  const params = layers.map((layer) => {
    const W = layer.W && paramValues(layer.W, env);
    return {
      W: W && Array.from({ length: layer.outWidth }, (_, i) => Array.from(W.slice(i * layer.inWidth, (i + 1) * layer.inWidth), konst)),
      b: layer.b && paramValues(layer.b, env).map(konst),
      h: layer.h && konst(paramValues(layer.h, env)[0]),
      eps: layer.eps && konst(paramValues(layer.eps, env)[0]),
    };
  });
  return (point) => withNoise(layers, params, point);
}

interface MagParams {
  W: Mag[][] | undefined;
  b: Mag[] | undefined;
  h: Mag | undefined;
  eps: Mag | undefined;
}

function withNoise(layers: Layer[], params: MagParams[], point: number[]): JacobianWithNoise {
  const n0 = point.length;
  const xs: number[][] = [point]; // x_from, x_from+1, …
  const P: Mat[] = [point.map((_, i) => point.map((_, j) => (i === j ? 1 : 0)))];
  const F: Mat[][] = []; // F[l−1][j]: ∂x_l/∂x_{l−1−j}
  const M: number[] = []; // ‖M_l‖_F
  layers.forEach((layer: Layer, k) => {
    const kind = LAYER_KINDS[layer.kind];
    const r = Math.min(kind.reads, k + 1);
    const state = Array.from({ length: r }, (_, j) => xs[k - j]);
    const n = state.reduce((s, x) => s + x.length, 0);
    let col = 0;
    const vars: Mag[][] = state.map((x) =>
      x.map((v) => {
        const d = new Float64Array(n);
        d[col++] = 1;
        return { v, d, a: Float64Array.from(d) };
      }),
    );
    const out = kind.forward<Mag>(magnitudeAlgebra(n), {
      xs: vars,
      ...params[k],
      act: (z) => {
        const [v, dv] = valueAndSlope(layer.activation, z.v);
        return [combine(n, v, dv, z), konst(dv)];
      },
      numberOf: (t) => t.v,
      taps: layer.shaped?.taps,
    });
    xs.push(out.x.map((t) => t.v));
    let off = 0;
    F.push(
      state.map((x) => {
        const block = out.x.map((t) => x.map((_, c) => t.d?.[off + c] ?? 0));
        off += x.length;
        return block;
      }),
    );
    M.push(Math.sqrt(out.x.reduce((s, t) => s + (t.a ? t.a.reduce((u, v) => u + v * v, 0) : 0), 0)));
    // P_l = Σ_j F_l^(j) P_{l−1−j}
    const Pl = out.x.map(() => new Array<number>(n0).fill(0));
    F[k].forEach((Fj, j) => {
      const Pj = P[k - j];
      for (let i = 0; i < Pl.length; i++)
        for (let c = 0; c < Fj[i].length; c++) if (Fj[i][c] !== 0) for (let q = 0; q < n0; q++) Pl[i][q] += Fj[i][c] * Pj[c][q];
    });
    P.push(Pl);
  });
  const L = layers.length;
  // backward: G_m = Σ_j G_{m+1+j} F_{m+1+j}^(j), G_L = I
  const G: Mat[] = new Array(L + 1);
  const wL = xs[L].length;
  G[L] = xs[L].map((_, i) => xs[L].map((_, j) => (i === j ? 1 : 0)));
  for (let m = L - 1; m >= 1; m--) {
    const g = Array.from({ length: wL }, () => new Array<number>(xs[m].length).fill(0));
    for (let l = m + 1; l <= L; l++) {
      const Fj = F[l - 1][l - 1 - m];
      if (!Fj) continue;
      const Gl = G[l];
      for (let i = 0; i < wL; i++)
        for (let c = 0; c < Fj.length; c++) if (Gl[i][c] !== 0) for (let q = 0; q < xs[m].length; q++) g[i][q] += Gl[i][c] * Fj[c][q];
    }
    G[m] = g;
  }
  const width = Math.max(n0, ...layers.map((l) => l.inWidth));
  let noise = 0;
  for (let l = 1; l <= L; l++) {
    const q = Math.sqrt(F[l - 1].reduce((s, _, j) => s + frob(P[l - 1 - j]) ** 2, 0));
    noise += frob(G[l]) * M[l - 1] * q;
  }
  noise *= (width + 2) * Number.EPSILON;
  return { x: xs[L], J: P[L], noise, layerJacobians: F.map((f) => f[0]) };
}

/**
 * Below what size an eigenvalue of a metric at a point is zero, judged against the factors that built it: for
 * g = Jᵀ g′ J pulled back along a network, λ(g) moves by at most ‖g′‖(2‖J‖δ + δ²) when J carries an error δ, so
 * eigenvalues below that are indistinguishable from 0. Null where g has no such factors (components, a metric pulled
 * back along a map) or the network is too wide to run the bound: its size is then g's own (classifyMetric's cut).
 */
export function metricZeroFloor(metric: Metric, point: number[], env: ReadonlyMap<string, number>): number | null {
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") return null;
  if (noiseWork(def.along, def.layer) > NOISE_BUDGET) return null;
  const { x, J, noise } = jacobianWithNoise(def.along, point, env, def.layer);
  const outer = eigenvaluesOf(forwardMetric(def.of, x, env)).reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  return outer * (2 * frob(J) * noise + noise * noise);
}
