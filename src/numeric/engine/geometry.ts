// Pulled-back metrics of networks and their geometry at a point, on matrices: g = Jᵀ G J, its
// first and second partial derivatives from the network's second and third derivatives along the
// n input directions, then Christoffel symbols, Riemann and Ricci by the quantity table's definitions
// (core/quantities.ts), with its index conventions. All results are row-major Float64Arrays:
// g[a·n + b], dg[(c·n + a)·n + b] = ∂_c g_ab, ddg[((c·n + d)·n + a)·n + b] = ∂_c∂_d g_ab,
// christoffel[(a·n + b)·n + c] = Γ^a_bc, riemann[((a·n + b)·n + c)·n + d] = R^a_bcd.
import { REAL } from "../../core/functions.js";
import { type Geometry, geometryOver, quantity } from "../../core/quantities.js";
import { blockServes, pointOfBlock, propagateBlocks, writeBlock } from "./batch.js";
import { KERNEL } from "./kernel.js";
import {
  type LayerRange,
  type NetworkLike,
  type PreparedNetwork,
  propagate,
  propagateAlong,
  resolve,
  reverseJacobian,
  type Workspace,
  workspace,
} from "./network.js";

export interface EngineOptions extends LayerRange {
  /** Values of the symbols in symbolic weights. */
  env?: ReadonlyMap<string, number>;
  /** The metric G on layer `to`, row-major and constant; the identity when absent. */
  outputMetric?: Float64Array | null;
}

export type JacobianMode = "forward" | "reverse" | "auto";

/**
 * x_to and J = ∂x_to/∂x_from (m × n, row-major). Forward mode pushes n tangents through the layers
 * (≈ Σ 2 w_l w_{l−1} (n+1) flops), reverse mode pulls m rows back (≈ Σ 2 w_l w_{l−1} (m+1));
 * "auto" takes the cheaper.
 */
export function jacobianAt(
  net: NetworkLike,
  point: ArrayLike<number>,
  opts: EngineOptions & { mode?: JacobianMode } = {},
  ws?: Workspace,
): { output: Float64Array; J: Float64Array } {
  const p = resolve(net, opts.env);
  const n = point.length,
    to = opts.to ?? p.layers.length;
  const m = to > (opts.from ?? 0) ? p.layers[to - 1].outWidth : n;
  const mode = opts.mode ?? "auto";
  if (mode === "reverse" || (mode === "auto" && m < n)) return reverseJacobian(p, point, opts);
  const pass = propagate(p, point, 1, opts, false, ws);
  const J = new Float64Array(m * n),
    Y = pass.out;
  for (let i = 0; i < m; i++) for (let a = 0; a < n; a++) J[i * n + a] = Y[(1 + a) * m + i];
  return { output: Y.slice(0, m), J };
}

/** Jᵀ G J into out (n × n). */
function congruence(J: Float64Array, G: Float64Array | null | undefined, m: number, n: number, out: Float64Array): void {
  const GJ = G ? new Float64Array(m * n) : J;
  if (G) {
    for (let i = 0; i < m; i++)
      for (let k = 0; k < m; k++) {
        const gik = G[i * m + k];
        if (gik) for (let a = 0; a < n; a++) GJ[i * n + a] += gik * J[k * n + a];
      }
  }
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += J[i * n + a] * GJ[i * n + b];
      out[a * n + b] = out[b * n + a] = s;
    }
}

/** The pulled-back metric g = Jᵀ G J at a point (n × n). */
export function metricAt(net: NetworkLike, point: ArrayLike<number>, opts: EngineOptions = {}): Float64Array {
  const { J } = jacobianAt(net, point, opts);
  const n = point.length,
    out = new Float64Array(n * n);
  congruence(J, opts.outputMetric, J.length / n, n, out);
  return out;
}

/**
 * g at `count` points stored one after another in `points` (count × n), into count × n × n: blocks of points through
 * the whole network at once (batch.ts) where it serves, else point by point reusing buffers.
 */
export function metricsAt(net: NetworkLike, points: Float64Array, n: number, opts: EngineOptions = {}): Float64Array {
  const p = resolve(net, opts.env),
    count = points.length / n;
  const out = new Float64Array(count * n * n),
    g = new Float64Array(n * n);
  if ((opts.from ?? 0) === 0 && (opts.to ?? p.layers.length) === p.layers.length && blockServes(p)) {
    const G = opts.outputMetric;
    const m = p.layers.length ? p.layers[p.layers.length - 1].outWidth : n,
      J = new Float64Array(m * n);
    propagateBlocks(p, points, n, (block) => {
      if (!G) return void writeBlock(block, n, { output: null, jacobian: null, metric: out });
      for (let b = 0; b < block.B; b++) {
        pointOfBlock(block, b, n, J);
        congruence(J, G, m, n, g);
        out.set(g, (block.first + b) * n * n);
      }
    });
    return out;
  }
  const ws = workspace(p, n, 1);
  for (let k = 0; k < count; k++) {
    const { J } = jacobianAt(p, points.subarray(k * n, (k + 1) * n), opts, ws);
    congruence(J, opts.outputMetric, J.length / n, n, g);
    out.set(g, k * n * n);
  }
  return out;
}

export interface MetricJet {
  n: number;
  output: Float64Array;
  g: Float64Array;
  /** ∂_c g_ab (order ≥ 1). */
  dg: Float64Array | null;
  /** ∂_c∂_d g_ab (order 2). */
  ddg: Float64Array | null;
}

/**
 * g with its first (order 1) or first and second (order 2) derivatives at a point, from the
 * network's derivatives to order 2 or 3 (forward mode over the n input directions):
 * ∂_c g_ab = H_acᵀ G J_b + J_aᵀ G H_bc and ∂_c∂_d g_ab = T_acdᵀ G J_b + J_aᵀ G T_bcd + H_acᵀ G H_bd + H_adᵀ G H_bc.
 * Cost: Σ_l 2 w_l w_{l−1} K flops through the network with K = 1 + n + n(n+1)/2 (+ n(n+1)(n+2)/6 for
 * order 2), then O(m n³) (order 1) or O(m n⁴) (order 2) for the contractions, m = output width.
 */
export function metricJetAt(net: NetworkLike, point: ArrayLike<number>, order: 0 | 1 | 2, opts: EngineOptions = {}): MetricJet {
  const p = resolve(net, opts.env);
  const pass = propagate(p, point, (order + 1) as 1 | 2 | 3, opts);
  const { layout: L, out: Y, width: m } = pass,
    n = point.length;
  const G = opts.outputMetric;
  // GY: G applied to the first- and second-order components (the only ones contracted against)
  let GY = Y;
  if (G) {
    GY = new Float64Array(Y.length);
    for (let k = 1; k < L.o3; k++) {
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += G[i * m + j] * Y[k * m + j];
        GY[k * m + i] = s;
      }
    }
  }
  const dot = (u: number, v: number) => {
    let s = 0;
    for (let i = 0, uo = u * m, vo = v * m; i < m; i++) s += Y[uo + i] * GY[vo + i];
    return s;
  };
  const g = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = a; b < n; b++) g[a * n + b] = g[b * n + a] = dot(1 + a, 1 + b);
  let dg: Float64Array | null = null,
    ddg: Float64Array | null = null;
  if (order >= 1) {
    dg = new Float64Array(n * n * n);
    for (let c = 0; c < n; c++)
      for (let a = 0; a < n; a++)
        for (let b = a; b < n; b++) {
          const v = dot(L.pair[a * n + c], 1 + b) + dot(L.pair[b * n + c], 1 + a);
          dg[(c * n + a) * n + b] = dg[(c * n + b) * n + a] = v;
        }
  }
  if (order >= 2) {
    ddg = new Float64Array(n ** 4);
    const P = L.pair,
      T = L.triple;
    for (let c = 0; c < n; c++)
      for (let d = c; d < n; d++)
        for (let a = 0; a < n; a++)
          for (let b = a; b < n; b++) {
            const v =
              dot(T[(a * n + c) * n + d], 1 + b) +
              dot(T[(b * n + c) * n + d], 1 + a) +
              dot(P[a * n + c], P[b * n + d]) +
              dot(P[a * n + d], P[b * n + c]);
            ddg[((c * n + d) * n + a) * n + b] = ddg[((c * n + d) * n + b) * n + a] = v;
            ddg[((d * n + c) * n + a) * n + b] = ddg[((d * n + c) * n + b) * n + a] = v;
          }
  }
  return { n, output: Y.slice(0, m), g, dg, ddg };
}

/** g⁻¹ and det g by Gauss–Jordan elimination with partial pivoting. */
export function inverseAndDet(g: Float64Array, n: number): { inverse: Float64Array; det: number } {
  const A = g.slice(),
    inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let det = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    if (piv !== c) {
      det = -det;
      for (let k = 0; k < n; k++) {
        [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]];
        [inv[c * n + k], inv[piv * n + k]] = [inv[piv * n + k], inv[c * n + k]];
      }
    }
    const pv = A[c * n + c];
    det *= pv;
    if (pv === 0) return { inverse: inv.fill(NaN), det: 0 };
    for (let k = 0; k < n; k++) {
      A[c * n + k] /= pv;
      inv[c * n + k] /= pv;
    }
    for (let r = 0; r < n; r++) {
      const f = A[r * n + c];
      if (r === c || f === 0) continue;
      for (let k = 0; k < n; k++) {
        A[r * n + k] -= f * A[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return { inverse: inv, det };
}

export interface PointGeometry extends MetricJet {
  inverse: Float64Array;
  det: number;
  christoffel: Float64Array;
  /** With `curvature`: R^a_bcd and R_bd = R^a_bad (scalars and invariants follow from the quantity table). */
  riemann: Float64Array | null;
  ricci: Float64Array | null;
  /** The table's geometry at this point, for any other quantity: `quantity(q).define(REAL, quantities)`. */
  quantities: Geometry<number>;
}

/** Nested rows of a row-major array, as core/quantities.ts's definitions read them. */
const nest2 = (f: ArrayLike<number>, n: number, o = 0) =>
  Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => f[o + a * n + b]));
const nest3 = (f: ArrayLike<number>, n: number, o = 0) => Array.from({ length: n }, (_, a) => nest2(f, n, o + a * n * n));

/**
 * The geometry of the pulled-back metric at a point. The engine supplies what only it computes — g, g⁻¹, det g from
 * the jets, ∂g, and ∂Γ from ∂∂g: ∂_e Γ^a_bc = g^ad (∂_e Γ_dbc − ∂_e g_dq Γ^q_bc) — and Γ, Riemann and Ricci are the
 * quantity table's definitions (core/quantities.ts) evaluated with numbers, as on every other route.
 * Cost: metricJetAt of order 1 (Γ) or 2 (curvature) plus O(n⁴) (Γ) or O(n⁵) (curvature) for the index algebra.
 */
export function geometryAt(net: NetworkLike, point: ArrayLike<number>, opts: EngineOptions & { curvature?: boolean } = {}): PointGeometry {
  const jet = metricJetAt(net, point, opts.curvature ? 2 : 1, opts);
  const { n, g } = jet,
    dg = jet.dg!,
    ddg = jet.ddg;
  const { inverse: gi, det } = inverseAndDet(g, n);
  const geo = geometryOver(REAL, {
    g: nest2(g, n),
    det,
    inverse: nest2(gi, n),
    dg: () => nest3(dg, n),
    dGamma: (chr) => {
      if (!ddg) throw new Error("curvature at a point needs geometryAt(…, { curvature: true })");
      return dGammaOf(n, gi, dg, ddg, chr);
    },
  });
  const out: PointGeometry = {
    ...jet,
    inverse: gi,
    det,
    christoffel: Float64Array.from(quantity("christoffel").define(REAL, geo)),
    riemann: null,
    ricci: null,
    quantities: geo,
  };
  if (!opts.curvature) return out;
  return {
    ...out,
    riemann: Float64Array.from(quantity("riemann").define(REAL, geo)),
    ricci: Float64Array.from(quantity("ricci").define(REAL, geo)),
  };
}

/** ∂_e Γ^a_bc as dG[e][a][b][c] from g⁻¹, ∂g, ∂∂g (row-major, as metricJetAt lays them out) and Γ. */
function dGammaOf(n: number, gi: Float64Array, dg: Float64Array, ddg: Float64Array, chr: number[][][]): number[][][][] {
  const dG = Array.from({ length: n }, () => Array.from({ length: n }, () => Array.from({ length: n }, () => new Array<number>(n))));
  const tmp = new Float64Array(n);
  for (let e = 0; e < n; e++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++) {
        for (let d = 0; d < n; d++) {
          let s = 0.5 * (ddg[((e * n + b) * n + d) * n + c] + ddg[((e * n + c) * n + d) * n + b] - ddg[((e * n + d) * n + b) * n + c]);
          for (let q = 0; q < n; q++) s -= dg[(e * n + d) * n + q] * chr[q][b][c];
          tmp[d] = s;
        }
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let d = 0; d < n; d++) s += gi[a * n + d] * tmp[d];
          dG[e][a][b][c] = s;
        }
      }
  return dG;
}

/**
 * The geodesic equation's acceleration at (x, ẋ = v): Γ^a_bc v^b v^c, with g and det g, from one directional pass
 * (propagateAlong). For g = Jᵀ G J, Γ_dbc = ½(∂_b g_dc + ∂_c g_db − ∂_d g_bc) = J_dᵀ G H_bc (the H-terms pair off),
 * so Γ(v, v) = g⁻¹ Jᵀ G f''[v, v]. Cost: Σ_l 2 w_l w_{l−1} (n + 2) flops, against (1 + n + n(n+1)/2) for geometryAt.
 * Null where the network has a layer propagateAlong does not serve.
 */
export function geodesicAccelerationAt(
  net: NetworkLike,
  point: ArrayLike<number>,
  v: ArrayLike<number>,
  acc: Float64Array,
  opts: EngineOptions = {},
  ws?: Workspace,
): { g: Float64Array; det: number } | null {
  const p = resolve(net, opts.env);
  const pass = propagateAlong(p, point, v, opts, ws);
  if (!pass) return null;
  const n = point.length,
    g = new Float64Array(n * n);
  const det = accelerationOf(pass.out, 0, pass.width, pass.width, n, opts.outputMetric, acc, 0, g, 0);
  return { g, det };
}

/**
 * Γ(v, v) = g⁻¹ Jᵀ G f''[v, v] into acc at `accAt`, g = Jᵀ G J into g at `gAt`, and det g (returned), from one point's
 * jets in Y: component c (0: value, 1 … n: ∂_a, n + 1: f''[v, v]) at Y[base + c·stride + i], i < m.
 */
function accelerationOf(
  Y: Float64Array,
  base: number,
  stride: number,
  m: number,
  n: number,
  G: Float64Array | null | undefined,
  acc: Float64Array,
  accAt: number,
  g: Float64Array,
  gAt: number,
): number {
  const vv = base + (n + 1) * stride;
  let w = Y.subarray(vv, vv + m);
  if (G) {
    const Gw = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += G[i * m + j] * w[j];
      Gw[i] = s;
    }
    w = Gw;
  }
  gramOf(Y, base, stride, m, n, G, g, gAt);
  const lower = new Float64Array(n);
  for (let d = 0; d < n; d++) {
    let s = 0;
    for (let i = 0, o = base + (1 + d) * stride; i < m; i++) s += Y[o + i] * w[i];
    lower[d] = s;
  }
  const { inverse, det } = inverseAndDet(g.subarray(gAt, gAt + n * n), n);
  for (let a = 0; a < n; a++) {
    let s = 0;
    for (let d = 0; d < n; d++) s += inverse[a * n + d] * lower[d];
    acc[accAt + a] = s;
  }
  return det;
}

/** g = Jᵀ G J (n × n) into g at `at`, from the tangent components of one point's jets (as in accelerationOf). */
function gramOf(
  Y: Float64Array,
  base: number,
  stride: number,
  m: number,
  n: number,
  G: Float64Array | null | undefined,
  g: Float64Array,
  at: number,
): void {
  if (G) {
    const J = new Float64Array(m * n),
      out = new Float64Array(n * n);
    for (let i = 0; i < m; i++) for (let a = 0; a < n; a++) J[i * n + a] = Y[base + (1 + a) * stride + i];
    congruence(J, G, m, n, out);
    g.set(out, at);
    return;
  }
  // g_ab = ∂_a f · ∂_b f straight from the tangent components (no transposed copy of J: this runs per ODE stage)
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let i = 0, oa = base + (1 + a) * stride, ob = base + (1 + b) * stride; i < m; i++) s += Y[oa + i] * Y[ob + i];
      g[at + a * n + b] = g[at + b * n + a] = s;
    }
}

/** Whether the block pass serves these options: the whole network (from the input to the last layer), every layer a recurrence. */
function blocksServe(p: PreparedNetwork, opts: EngineOptions): boolean {
  return (opts.from ?? 0) === 0 && (opts.to ?? p.layers.length) === p.layers.length && blockServes(p);
}

/** g (count × n × n) and det g (count) at points, row after row: what the batched passes write besides their own values. */
export interface PointsGeometry {
  g: Float64Array;
  det: Float64Array;
}

/**
 * geodesicAccelerationAt at `count` points (x and v row after row, n each) in blocks through the network
 * (propagateBlocks with the one second derivative f''[v, v] per point): Γ(v, v) into acc (count × n), g into
 * out.g (count × n × n), det g into out.det. False (nothing written) where the block pass does not serve the
 * network or the range (then geodesicAccelerationAt point by point).
 */
export function geodesicAccelerationsAt(
  net: NetworkLike,
  x: Float64Array,
  v: Float64Array,
  n: number,
  acc: Float64Array,
  out: PointsGeometry,
  opts: EngineOptions = {},
): boolean {
  const p = resolve(net, opts.env);
  if (!blocksServe(p, opts)) return false;
  const count = x.length / n,
    pairs = new Float64Array(count * 2 * n);
  for (let k = 0; k < count; k++) for (let a = 0; a < n; a++) pairs[2 * k * n + a] = pairs[(2 * k + 1) * n + a] = v[k * n + a];
  propagateBlocks(
    p,
    x,
    n,
    ({ Y, B, m, first }) => {
      for (let b = 0; b < B; b++) {
        const k = first + b;
        accelerationOf(Y, b * m, B * m, m, n, opts.outputMetric, acc, k * n, out.g, k * n * n);
        out.det[k] = determinant(out.g.subarray(k * n * n, (k + 1) * n * n), n);
      }
    },
    undefined,
    KERNEL,
    { S: 1, pairs },
  );
  return true;
}

/**
 * What the discrete curve energy needs at its segments' midpoints x with their chords d (count × n each): g,
 * det g and ∂_a g(d, d) = 2 f''[e_a, d] · G f'[d] (into dE, count × n), from one block pass carrying the n second
 * derivatives f''[e_a, d] per point. False (nothing written) where the block pass does not serve.
 */
export function energyTermsAt(
  net: NetworkLike,
  x: Float64Array,
  d: Float64Array,
  n: number,
  dE: Float64Array,
  out: PointsGeometry,
  opts: EngineOptions = {},
): boolean {
  const p = resolve(net, opts.env);
  if (!blocksServe(p, opts)) return false;
  const count = x.length / n,
    pairs = new Float64Array(count * n * 2 * n);
  for (let k = 0; k < count; k++)
    for (let a = 0; a < n; a++) {
      const at = (k * n + a) * 2 * n;
      pairs[at + a] = 1;
      for (let c = 0; c < n; c++) pairs[at + n + c] = d[k * n + c];
    }
  const G = opts.outputMetric;
  propagateBlocks(
    p,
    x,
    n,
    ({ Y, B, m, first }) => {
      const fd = new Float64Array(m);
      for (let b = 0; b < B; b++) {
        const k = first + b,
          base = b * m,
          stride = B * m;
        gramOf(Y, base, stride, m, n, G, out.g, k * n * n);
        out.det[k] = determinant(out.g.subarray(k * n * n, (k + 1) * n * n), n);
        // G f'[d], f'[d] = Σ_c d^c ∂_c f
        fd.fill(0);
        for (let c = 0; c < n; c++) {
          const dc = d[k * n + c];
          for (let i = 0, o = base + (1 + c) * stride; i < m; i++) fd[i] += dc * Y[o + i];
        }
        const Gfd = G ? fd.map((_, i) => G.subarray(i * m, (i + 1) * m).reduce((s, gij, j) => s + gij * fd[j], 0)) : fd;
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let i = 0, o = base + (1 + n + a) * stride; i < m; i++) s += Y[o + i] * Gfd[i];
          dE[k * n + a] = 2 * s;
        }
      }
    },
    undefined,
    KERNEL,
    { S: n, pairs },
  );
  return true;
}

/** det g: closed forms for n ≤ 2, else by elimination (inverseAndDet). */
export function determinant(g: Float64Array, n: number): number {
  return n === 1 ? g[0] : n === 2 ? g[0] * g[3] - g[1] * g[2] : inverseAndDet(g, n).det;
}
