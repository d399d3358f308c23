// "Is it a flow?": is a network x_0 ↦ x_L a diffeomorphism of a box onto its image? Three tests, all of the
// network map itself (a second-order net whose every state map is invertible can still fold x_0 ↦ x_L):
// 1. the sign of det ∂x_L/∂x_0 on a lattice of the box, refined near sign changes and small |det|; "zero" is judged
//    against the round-off of the terms that built the Jacobian (roundoff.ts), so a Jacobian that cancels to 1e-16
//    is a fold, not a tiny positive determinant. The fold reported is where det first changes sign (bisected
//    between lattice neighbours) or is 0, with the first layer whose own det J_l changes sign there (none: the
//    composite map folds).
// 2. injectivity: every layer injective on all of Rⁿ (below), or in one dimension monotone, or in the plane the
//    image of the box's boundary a simple closed curve (a local diffeomorphism of a closed disk that is injective on
//    its boundary is injective: the degree of a Jordan curve about a point is 0 or ±1). In dimension ≥ 3 without
//    the layer certificates injectivity is not established and the check fails.
// 3. smoothness: an activation with a kink (relu) makes a homeomorphism (bi-Lipschitz) at best, never a
//    diffeomorphism.
// The layer certificates, for one-step residual layers x ↦ x + cσ(Wx + b) (c = factor·h^power):
// - contraction: c·sup|σ′|·‖W‖₂ < 1 makes x ↦ x + cσ(…) the identity plus a contraction, injective (Banach);
// - corners: J = I + cDW with D = diag(σ′(z)) ∈ [inf σ′, sup σ′]ⁿ, and det(I + cDW) is affine in each D_ii, so its
//   least value over that box is at a corner; positive at all 2ⁿ corners makes det J ≥ m > 0 everywhere with ‖J‖
//   bounded, so ‖J⁻¹‖ is bounded and the Hadamard–Lévy theorem makes the step a diffeomorphism of Rⁿ (for a kink,
//   Clarke's generalized Jacobians lie in the same convex hull: Pourciau's version gives a bi-Lipschitz
//   homeomorphism). It certifies layers where the contraction bound fails (W = −3I, h = 0.3 with tanh: corners
//   1 and 1 − 0.9), and fails where a layer folds. Only for n ≤ CORNER_MAX_WIDTH (2ⁿ determinants); wider layers
//   keep the contraction bound alone.
// Dense layers x ↦ σ(Wx + b) with W invertible and σ strictly increasing are injective too.
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS, type LayerKind } from "../core/layers/index.js";
import type { Layer, Network } from "../semantics/model.js";
import { forwardNetwork, paramValues } from "./forward.js";
import { detN, symmetricEigen } from "./linalg.js";
import { noiseEvaluator } from "./roundoff.js";

/** Widest layer whose corner certificate is computed (2ⁿ determinants of n × n). */
export const CORNER_MAX_WIDTH = 12;

export interface ResidualCertificate {
  c: number;
  /** sup|σ′|, exact. */
  slope: number;
  norm: number;
  /** c·sup|σ′|·‖W‖₂ and whether it is < 1 (the contraction certificate). */
  bound: number;
  holds: boolean;
  /** The least det(I + cDW) over the corners of D ∈ [inf σ′, sup σ′]ⁿ; null when the layer is wider than CORNER_MAX_WIDTH. */
  cornerMinDet: number | null;
  /** Either certificate: the step is invertible on all of Rⁿ. */
  certified: boolean;
}

export interface LayerDiffeo {
  /** 1-based layer index. */
  layer: number;
  kind: LayerKind;
  /** "square": det J_l sampled; "state": a multistep layer, invertible on its state (x_{l−1}, …) whatever the weights
   *  (which says nothing of x_0 ↦ x_L: the network map is tested on its own); "not square": width changes. */
  status: "square" | "state" | "not square";
  inWidth: number;
  outWidth: number;
  /** Lattice points with det J_l > 0, < 0, ≈ 0 (|det| ≤ 1e-12 of the largest). */
  positive: number;
  negative: number;
  zero: number;
  minDet: number;
  maxDet: number;
  /** The input point where det J_l is furthest on the wrong side of the majority sign (or ≈ 0), if any. */
  fold: { point: number[]; det: number } | null;
  /** One-step residual layers: the contraction and corner certificates. */
  sufficient: ResidualCertificate | null;
  /** Injective on all of Rⁿ by a certificate (a residual one, or W invertible with σ strictly increasing). */
  injective: boolean;
}

export interface DiffeoReport {
  network: string;
  domain: [number, number][];
  /** Points sampled: the lattice, then the refinement. */
  lattice: number;
  refined: number;
  layers: LayerDiffeo[];
  /** det ∂x_L/∂x_0 on the lattice (null when input and output widths differ). */
  map: { positive: number; negative: number; zero: number; minDet: number; maxDet: number } | null;
  /** Where det ∂x_L/∂x_0 first changes sign (bisected between two samples of opposite sign, `between`) or is 0 within
   *  round-off, and the first layer whose det J_l changes sign there (0: none, the composite map folds). */
  firstFold: { layer: number; point: number[]; det: number; between: [FoldSide, FoldSide] | null } | null;
  injectivity: { method: "layers" | "monotone" | "boundary" | "none"; holds: boolean };
  /** Why an activation of the network is not C¹, when one is not. */
  kink: string | null;
  /** What the network map was shown to be on the box. */
  verdict: "diffeomorphism" | "homeomorphism" | null;
  diffeomorphism: boolean;
  /** Why not, in a sentence naming the point (empty when it is a diffeomorphism). */
  reason: string;
}

/** [inf σ′, sup σ′] over ℝ, exact, from the function registry (core/functions.ts's slopeRange). */
export function slopeRange(activation: Layer["activation"]): readonly [number, number] {
  const r = (REGISTRY[activation] as FunctionDef).slopeRange;
  if (!r) throw new Error(`the activation '${activation}' has no slopeRange in the function registry`);
  return r;
}

/** sup over z of |σ′(z)|, exact: the larger end of the registry's slope range. */
export function slopeBound(activation: Layer["activation"]): number {
  const [lo, hi] = slopeRange(activation);
  return Math.max(Math.abs(lo), Math.abs(hi));
}

/** ‖W‖₂: the largest singular value, √λ_max(WᵀW). */
export function spectralNorm(W: ArrayLike<number>, rows: number, cols: number): number {
  const wtw = Array.from({ length: cols }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let s = 0;
      for (let k = 0; k < rows; k++) s += W[k * cols + i] * W[k * cols + j];
      return s;
    }),
  );
  const v = symmetricEigen(wtw).values;
  return Math.sqrt(Math.max(0, v[v.length - 1]));
}

/** Points per axis so that the lattice has about `budget` points. */
const perAxis = (dim: number, budget: number) => Math.max(3, Math.floor(budget ** (1 / dim)));

function lattice(domain: [number, number][], n: number): number[][] {
  let pts: number[][] = [[]];
  for (const [lo, hi] of domain)
    pts = pts.flatMap((p) => Array.from({ length: n }, (_, k) => [...p, n === 1 ? lo : lo + ((hi - lo) * k) / (n - 1)]));
  return pts;
}

export interface DiffeoOptions {
  /** Lattice points per axis (default: about 3721 points in all, 61 × 61 in the plane). */
  perAxis?: number;
  /** Sub-lattice points per axis around each flagged lattice point. */
  refine?: number;
}

/** The least det(I + cDW) over the 2ⁿ corners of D ∈ [lo, hi]ⁿ (W n × n, row-major). */
export function cornerMinDet(W: ArrayLike<number>, n: number, c: number, [lo, hi]: readonly [number, number]): number {
  let least = Number.POSITIVE_INFINITY;
  for (let mask = 0; mask < 1 << n; mask++) {
    const J = Array.from({ length: n }, (_, i) => {
      const d = c * (mask & (1 << i) ? hi : lo);
      return Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) + d * W[i * n + j]);
    });
    least = Math.min(least, detN(J));
  }
  return least;
}

function certificate(layer: Layer, env: ReadonlyMap<string, number>, i: number): { cert: ResidualCertificate | null; injective: boolean } {
  const kind = LAYER_KINDS[layer.kind];
  const rec = kind.recurrence?.(Math.min(kind.reads, i + 1));
  if (!rec || !layer.W || layer.inWidth !== layer.outWidth) return { cert: null, injective: false };
  const n = layer.inWidth,
    W = paramValues(layer.W, env);
  const range = slopeRange(layer.activation);
  if (rec.coeffs.length === 0) {
    // σ(Wx + b): W invertible and σ strictly increasing (σ′ ≥ 0, vanishing only on relu's half-line, a kink)
    const increasing = range[0] >= 0 && !(REGISTRY[layer.activation] as FunctionDef).kink;
    const scale = rec.scale ? Math.abs(rec.scale.factor * (layer.h ? paramValues(layer.h, env)[0] : 1) ** rec.scale.power) : 1;
    const w = Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, k) => W[r * n + k]));
    return { cert: null, injective: increasing && scale > 0 && detN(w) !== 0 };
  }
  if (!rec.scale || rec.coeffs.length !== 1 || rec.coeffs[0] !== 1 || !layer.h) return { cert: null, injective: false };
  const c = rec.scale.factor * paramValues(layer.h, env)[0] ** rec.scale.power;
  const slope = slopeBound(layer.activation),
    norm = spectralNorm(W, n, n);
  const bound = Math.abs(c) * slope * norm;
  const corner = n <= CORNER_MAX_WIDTH ? cornerMinDet(W, n, c, range) : null;
  const certified = bound < 1 || (corner !== null && corner > 0);
  return { cert: { c, slope, norm, bound, holds: bound < 1, cornerMinDet: corner, certified }, injective: certified };
}

/** Whether segments pq and rs cross (proper intersection). */
function cross(p: number[], q: number[], r: number[], s: number[]): boolean {
  const o = (a: number[], b: number[], c: number[]) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  return o(p, q, r) * o(p, q, s) < 0 && o(r, s, p) * o(r, s, q) < 0;
}

/** The first crossing of the image of the box's boundary (a rectangle in the plane) under F, or null if none. */
function boundaryCrossing(F: (p: number[]) => number[], domain: [number, number][], perSide: number): number[] | null {
  const [[a, b], [c, d]] = domain;
  const ring: number[][] = [];
  for (let k = 0; k < perSide; k++) ring.push([a + ((b - a) * k) / perSide, c]);
  for (let k = 0; k < perSide; k++) ring.push([b, c + ((d - c) * k) / perSide]);
  for (let k = 0; k < perSide; k++) ring.push([b - ((b - a) * k) / perSide, d]);
  for (let k = 0; k < perSide; k++) ring.push([a, d - ((d - c) * k) / perSide]);
  const img = ring.map(F);
  const m = img.length;
  for (let i = 0; i < m; i++)
    for (let j = i + 2; j < m; j++) {
      if (i === 0 && j === m - 1) continue;
      if (cross(img[i], img[(i + 1) % m], img[j], img[(j + 1) % m])) return ring[i];
    }
  return null;
}

interface Sample {
  p: number[];
  /** det ∂x_L/∂x_0; 0 when within round-off of 0, null when not finite or not square. */
  det: number | null;
  layerDets: (number | null)[];
}

export interface FoldSide {
  point: number[];
  det: number;
}

/**
 * The first fold: the first pair of lattice neighbours (in lattice order) where det ∂x_L/∂x_0 changes sign, bisected
 * along their segment to where it vanishes (a jump, for a kink); else the first sampled point where it is 0 within
 * round-off; else (a sign change seen only in the refinement) a point of the minority sign bisected against its
 * nearest point of the other sign. Null when det has one sign, nonzero, at every sample.
 */
function locateFold(
  samples: Sample[],
  all: Sample[],
  dim: number,
  n: number,
  at: (p: number[]) => Sample,
): { a: Sample; b: Sample; mid: Sample } | null {
  const sgn = (s: Sample) => (s.det === null ? 0 : Math.sign(s.det));
  let pair: [Sample, Sample] | null = null;
  for (let k = 0; k < samples.length && !pair; k++)
    for (let ax = 0; ax < dim && !pair; ax++) {
      const stride = n ** (dim - 1 - ax);
      if (Math.floor(k / stride) % n === n - 1) continue;
      const [s, t] = [samples[k], samples[k + stride]];
      if (sgn(s) * sgn(t) < 0) pair = [s, t];
    }
  if (!pair) {
    const zero = all.find((s) => sgn(s) === 0);
    if (zero) return { a: zero, b: zero, mid: zero };
    const pos = all.filter((s) => sgn(s) > 0),
      neg = all.filter((s) => sgn(s) < 0);
    if (!pos.length || !neg.length) return null;
    const [few, many] = pos.length < neg.length ? [pos, neg] : [neg, pos];
    const d2 = (u: number[], v: number[]) => u.reduce((t, x, i) => t + (x - v[i]) ** 2, 0);
    const m = few[0];
    pair = [m, many.reduce((best, s) => (d2(s.p, m.p) < d2(best.p, m.p) ? s : best))];
  }
  let [a, b] = pair;
  let mid = a;
  for (let it = 0; it < 60; it++) {
    mid = at(a.p.map((v, i) => (v + b.p[i]) / 2));
    if (sgn(mid) === 0) break;
    if (sgn(mid) === sgn(a)) a = mid;
    else b = mid;
    if (a.p.every((v, i) => v === b.p[i] || Math.abs(v - b.p[i]) <= 1e-15 * Math.max(1, Math.abs(v)))) break;
  }
  return { a: pair[0], b: pair[1], mid };
}

export function diffeomorphismReport(
  net: Network,
  env: ReadonlyMap<string, number>,
  domain: [number, number][],
  opts: DiffeoOptions = {},
): DiffeoReport {
  const dim = net.source.dim;
  if (domain.length !== dim) throw new Error(`the domain has ${domain.length} intervals; ${net.name}'s input has ${dim} coordinates`);
  const n = opts.perAxis ?? perAxis(dim, 3721),
    r = opts.refine ?? 5;
  const layers = net.layers;
  const square = net.target.dim === dim;
  const plan = layers.map((layer, i) => {
    const kind = LAYER_KINDS[layer.kind];
    const rec = kind.recurrence?.(Math.min(kind.reads, i + 1));
    const status: LayerDiffeo["status"] =
      rec && rec.coeffs.length >= 2 ? "state" : layer.inWidth === layer.outWidth ? "square" : "not square";
    return { layer, status, ...certificate(layer, env, i) };
  });
  // det ∂x_L/∂x_0 (zero within the round-off of its terms: null) and det J_l of every square layer at one point
  const evaluate = noiseEvaluator(net, env);
  const at = (p: number[]): Sample => {
    const j = evaluate(p);
    let det: number | null = null;
    if (square) {
      const d = detN(j.J);
      const size = Math.max(Math.sqrt(j.J.flat().reduce((s, v) => s + v * v, 0)), j.noise);
      // |det(J + E) − det J| ≲ n‖J‖ⁿ⁻¹‖E‖: below that the sign of det J is round-off
      det = Number.isFinite(d) ? (Math.abs(d) <= 4 * dim * size ** (dim - 1) * j.noise ? 0 : d) : null;
    }
    const layerDets = plan.map(({ status }, l) => {
      if (status !== "square") return null;
      const d = detN(j.layerJacobians[l]);
      return Number.isFinite(d) ? d : null;
    });
    return { p, det, layerDets };
  };
  const samples = lattice(domain, n).map(at);
  // refine around lattice points whose network det differs in sign from a neighbour's, or is among the smallest |det|
  const step = domain.map(([lo, hi]) => (n > 1 ? (hi - lo) / (n - 1) : 0));
  const stride = (axis: number) => n ** (dim - 1 - axis);
  const changes = new Set<number>(),
    small = new Set<number>();
  if (square) {
    const abs = samples.map((s) => Math.abs(s.det ?? 0)).sort((x, y) => x - y);
    const least = abs[Math.floor(0.01 * (abs.length - 1))];
    samples.forEach((s, k) => {
      const d = s.det;
      if (d === null || Math.abs(d) <= least) small.add(k);
      for (let a = 0; a < dim; a++) {
        const idx = Math.floor(k / stride(a)) % n;
        const nb = idx + 1 < n ? samples[k + stride(a)].det : null;
        if (d !== null && nb !== null && Math.sign(d) !== Math.sign(nb)) {
          changes.add(k);
          changes.add(k + stride(a));
        }
      }
    });
  }
  const sub = lattice(
    step.map((h) => [-h / 2, h / 2]),
    r,
  );
  // sign changes first, then the smallest |det|: at most 200 lattice points refined
  const flagged = [...changes, ...[...small].filter((k) => !changes.has(k))].slice(0, 200);
  const extra = flagged.flatMap((k) =>
    sub.map((o) => at(samples[k].p.map((v, a) => Math.min(domain[a][1], Math.max(domain[a][0], v + o[a]))))),
  );
  const all = [...samples, ...extra];
  const out: LayerDiffeo[] = plan.map(({ layer, status, cert, injective }, l) => {
    const row: LayerDiffeo = {
      layer: layer.index,
      kind: layer.kind,
      status,
      inWidth: layer.inWidth,
      outWidth: layer.outWidth,
      positive: 0,
      negative: 0,
      zero: 0,
      minDet: Number.NaN,
      maxDet: Number.NaN,
      fold: null,
      sufficient: cert,
      injective,
    };
    if (status !== "square") return row;
    const ds = all.map((s) => s.layerDets[l]).filter((d): d is number => d !== null);
    const tol = 1e-12 * Math.max(...ds.map(Math.abs), 0);
    // the counts are the lattice's (an even sample of the box); min, max and the fold use every point
    for (const s of samples) {
      const d = s.layerDets[l];
      if (d === null) continue;
      if (Math.abs(d) <= tol) row.zero++;
      else if (d > 0) row.positive++;
      else row.negative++;
    }
    row.minDet = Math.min(...ds);
    row.maxDet = Math.max(...ds);
    const sign = row.positive >= row.negative ? 1 : -1;
    for (const s of all) {
      const d = s.layerDets[l];
      if (d === null || sign * d > tol) continue;
      if (!row.fold || sign * d < sign * row.fold.det) row.fold = { point: s.p, det: d };
    }
    return row;
  });
  const coords = net.source.coords;
  const pointText = (p: number[]) => `(${p.map((v, i) => `${coords[i]} = ${Number(v.toPrecision(6))}`).join(", ")})`;
  const kinkLayer = layers.find((l) => (REGISTRY[l.activation] as FunctionDef).kink && (l.W || l.activation !== "linear"));
  const kink = kinkLayer ? ((REGISTRY[kinkLayer.activation] as FunctionDef).kink ?? null) : null;
  const base = { network: net.name, domain, lattice: samples.length, refined: extra.length, layers: out, kink };
  if (!square) {
    const how = dim < net.target.dim ? "at best an immersion" : "at best a submersion";
    return {
      ...base,
      map: null,
      firstFold: null,
      injectivity: { method: "none", holds: false },
      verdict: null,
      diffeomorphism: false,
      reason: `${net.name} maps R^${dim} to R^${net.target.dim}: ${how}, not a diffeomorphism`,
    };
  }
  const map = { positive: 0, negative: 0, zero: 0, minDet: Number.POSITIVE_INFINITY, maxDet: Number.NEGATIVE_INFINITY };
  for (const s of samples) {
    if (s.det === null || s.det === 0) map.zero++;
    else if (s.det > 0) map.positive++;
    else map.negative++;
  }
  for (const s of all)
    if (s.det !== null) {
      map.minDet = Math.min(map.minDet, s.det);
      map.maxDet = Math.max(map.maxDet, s.det);
    }
  const fold = locateFold(samples, all, dim, n, at);
  if (fold) {
    const { a, b, mid } = fold;
    // the first layer whose own det J_l changes sign across the fold, or is ≈ 0 at it
    const culprit = out.find((row, l) => {
      const [da, db, dm] = [a.layerDets[l], b.layerDets[l], mid.layerDets[l]];
      if (row.status !== "square" || da === null || db === null || dm === null) return false;
      return Math.sign(da) !== Math.sign(db) || Math.abs(dm) <= 1e-12 * Math.max(Math.abs(row.minDet), Math.abs(row.maxDet));
    });
    const det = mid.det ?? Number.NaN;
    const firstFold = {
      layer: culprit?.layer ?? 0,
      point: mid.p,
      det,
      between: a === b ? null : ([a, b].map((s) => ({ point: s.p, det: s.det ?? Number.NaN })) as [FoldSide, FoldSide]),
    };
    const l = culprit?.layer;
    const where =
      l !== undefined
        ? `layer ${l} folds there (det J_${l} = ${Number((mid.layerDets[l - 1] ?? Number.NaN).toPrecision(3))})` +
          (LAYER_KINDS[layers[l - 1].kind].singular ? `, as it does everywhere: ${LAYER_KINDS[layers[l - 1].kind].singular}` : "")
        : out.some((row) => row.status === "state")
          ? "no step folds there (each is invertible on its state): the composite map x_0 ↦ x_L does"
          : "no single step folds there: the composite map does";
    const fmt = (v: number) => Number(v.toPrecision(3));
    const how =
      a === b
        ? `det ∂x_L/∂x_0 = ${fmt(det)} there, 0 within the round-off of the terms that make it`
        : `det ∂x_L/∂x_0 goes from ${fmt(a.det ?? Number.NaN)} at ${pointText(a.p)} to ${fmt(b.det ?? Number.NaN)} at ${pointText(b.p)}`;
    return {
      ...base,
      map,
      firstFold,
      injectivity: { method: "none", holds: false },
      verdict: null,
      diffeomorphism: false,
      reason:
        `det ∂x_L/∂x_0 changes sign or vanishes on the box (${map.positive} positive, ${map.negative} negative, ${map.zero} zero ` +
        `of ${samples.length} lattice points); first fold at ${pointText(mid.p)}: ${how}; ${where}`,
    };
  }
  // det of one sign everywhere: a local diffeomorphism; now injectivity
  let injectivity: DiffeoReport["injectivity"];
  let crossing: number[] | null = null;
  if (out.every((row) => row.injective)) injectivity = { method: "layers", holds: true };
  else if (dim === 1) injectivity = { method: "monotone", holds: true };
  else if (dim === 2) {
    const F = (p: number[]) => {
      const s = forwardNetwork(net, p, env);
      return s[s.length - 1].x;
    };
    crossing = boundaryCrossing(F, domain, 8 * (n - 1));
    injectivity = { method: "boundary", holds: crossing === null };
  } else injectivity = { method: "none", holds: false };
  const verdict = injectivity.holds ? (kink ? "homeomorphism" : "diffeomorphism") : null;
  const reason = !injectivity.holds
    ? crossing
      ? `det ∂x_L/∂x_0 has one sign on the box, but the image of its boundary crosses itself near ${pointText(crossing)}: not injective`
      : `det ∂x_L/∂x_0 has one sign on the box, but injectivity is not established in dimension ${dim} ` +
        "(no certificate for every layer, and the boundary test is for the line and the plane)"
    : kink
      ? `${kink}: ${net.name} is a homeomorphism (bi-Lipschitz) of the box onto its image, not a diffeomorphism`
      : "";
  return { ...base, map, firstFold: null, injectivity, verdict, diffeomorphism: verdict === "diffeomorphism", reason };
}
