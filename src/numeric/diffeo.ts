// "Is it a flow?": a residual network is a discretised flow only if every step is a diffeomorphism. For each layer,
// the sign and size of det J_l over a box of inputs (a lattice, refined around sign changes and small |det|), the
// first layer and point that fold, and a sufficient condition for a residual step to be invertible on all of Rⁿ:
// c·‖diag(σ′)W‖₂ ≤ c·sup|σ′|·‖W‖₂ < 1 (c = factor·h^power), since then x ↦ x + cσ(Wx + b) is the identity plus a
// contraction (injective by Banach's fixed-point theorem, Jacobian I + cA with ‖cA‖ < 1 invertible).
import { LAYER_KINDS, type LayerKind } from "../core/layers/index.js";
import type { Layer, Network } from "../semantics/model.js";
import { ACTIVATION } from "./activations.js";
import { earlierStates, forwardNetwork, layerJacobian, paramValues } from "./forward.js";
import { detN, symmetricEigen } from "./linalg.js";

export interface LayerDiffeo {
  /** 1-based layer index. */
  layer: number;
  kind: LayerKind;
  /** "square": det J_l sampled; "state": a multistep layer, invertible on its state (x_{l−1}, …) whatever the weights;
   *  "not square": width changes, an immersion or a submersion, never a diffeomorphism. */
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
  /** For steps x + c σ(Wx + b): sup|σ′|, ‖W‖₂, the bound c·sup|σ′|·‖W‖₂ and whether it is < 1. */
  sufficient: { c: number; slope: number; norm: number; bound: number; holds: boolean } | null;
}

export interface DiffeoReport {
  network: string;
  domain: [number, number][];
  /** Points sampled: the lattice, then the refinement. */
  lattice: number;
  refined: number;
  layers: LayerDiffeo[];
  firstFold: { layer: number; point: number[]; det: number } | null;
  /** Every layer square (or a multistep state map) and det J_l of one sign, nonzero, at every sampled point. */
  diffeomorphism: boolean;
  /** Why not, in a sentence (empty when it is one). */
  reason: string;
}

/** sup over z of |σ′(z)|, by a sweep of [−40, 40] in steps of 1/64 (through 0, where tanh, sin, sigmoid peak). */
export function slopeBound(activation: Layer["activation"]): number {
  const f = ACTIVATION[activation];
  let m = 0;
  for (let k = -2560; k <= 2560; k++) m = Math.max(m, Math.abs(f(k / 64)[1]));
  return m;
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
  const plan = layers.map((layer, i) => {
    const kind = LAYER_KINDS[layer.kind];
    const rec = kind.recurrence?.(Math.min(kind.reads, i + 1));
    const status: LayerDiffeo["status"] =
      rec && rec.coeffs.length >= 2 ? "state" : layer.inWidth === layer.outWidth ? "square" : "not square";
    let sufficient: LayerDiffeo["sufficient"] = null;
    if (status === "square" && rec?.scale && rec.coeffs.length === 1 && rec.coeffs[0] === 1 && layer.W && layer.h) {
      const c = rec.scale.factor * paramValues(layer.h, env)[0] ** rec.scale.power;
      const slope = slopeBound(layer.activation),
        norm = spectralNorm(paramValues(layer.W, env), layer.outWidth, layer.inWidth);
      const bound = Math.abs(c) * slope * norm;
      sufficient = { c, slope, norm, bound, holds: bound < 1 };
    }
    return { layer, status, sufficient };
  });
  // det J_l of every square layer at one input point (null: the forward pass left the reals)
  const dets = (p: number[]): (number | null)[] => {
    const s = forwardNetwork(net, p, env);
    return plan.map(({ layer, status }, i) => {
      if (status !== "square") return null;
      const d = detN(layerJacobian(layer, s[i].x, earlierStates(s, i), env));
      return Number.isFinite(d) ? d : null;
    });
  };
  const base = lattice(domain, n);
  const samples = base.map((p) => ({ p, d: dets(p) }));
  // refine around lattice points whose sign differs from a neighbour's, or whose |det| is among the smallest
  const step = domain.map(([lo, hi]) => (n > 1 ? (hi - lo) / (n - 1) : 0));
  const changes = new Set<number>(),
    small = new Set<number>();
  const stride = (axis: number) => n ** (dim - 1 - axis);
  plan.forEach(({ status }, l) => {
    if (status !== "square") return;
    const abs = samples.map((s) => Math.abs(s.d[l] ?? 0)).sort((a, b) => a - b);
    const least = abs[Math.floor(0.01 * (abs.length - 1))];
    samples.forEach((s, k) => {
      const d = s.d[l];
      if (d === null || Math.abs(d) <= least) small.add(k);
      for (let a = 0; a < dim; a++) {
        const idx = Math.floor(k / stride(a)) % n;
        const nb = idx + 1 < n ? samples[k + stride(a)].d[l] : null;
        if (d !== null && nb !== null && d > 0 !== nb > 0) {
          changes.add(k);
          changes.add(k + stride(a));
        }
      }
    });
  });
  const sub = lattice(
    step.map((h) => [-h / 2, h / 2]),
    r,
  );
  const extra: { p: number[]; d: (number | null)[] }[] = [];
  // sign changes first, then the smallest |det|: at most 200 lattice points refined
  const flagged = [...changes, ...[...small].filter((k) => !changes.has(k))].slice(0, 200);
  for (const k of flagged)
    for (const o of sub) {
      const p = samples[k].p.map((v, a) => Math.min(domain[a][1], Math.max(domain[a][0], v + o[a])));
      extra.push({ p, d: dets(p) });
    }
  const all = [...samples, ...extra];
  const out: LayerDiffeo[] = plan.map(({ layer, status, sufficient }, l) => {
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
      sufficient,
    };
    if (status !== "square") return row;
    const ds = all.map((s) => s.d[l]).filter((d): d is number => d !== null);
    const scale = Math.max(...ds.map(Math.abs), 0);
    const tol = 1e-12 * scale;
    // the counts are the lattice's (an even sample of the box); min, max and the fold use every point
    for (const d of samples.map((s) => s.d[l]).filter((d): d is number => d !== null)) {
      if (Math.abs(d) <= tol) row.zero++;
      else if (d > 0) row.positive++;
      else row.negative++;
    }
    row.minDet = Math.min(...ds);
    row.maxDet = Math.max(...ds);
    const sign = row.positive >= row.negative ? 1 : -1;
    let worst: { point: number[]; det: number } | null = null;
    for (const s of all) {
      const d = s.d[l];
      if (d === null || sign * d > tol) continue;
      if (!worst || sign * d < sign * worst.det) worst = { point: s.p, det: d };
    }
    row.fold = worst;
    return row;
  });
  const firstFold = out.find((x) => x.fold);
  const narrow = out.find((x) => x.status === "not square");
  const reason = narrow
    ? `layer ${narrow.layer} maps R^${narrow.inWidth} to R^${narrow.outWidth}: ${narrow.inWidth < narrow.outWidth ? "an immersion" : "a submersion"}, not a diffeomorphism`
    : firstFold
      ? `det J_${firstFold.layer} changes sign or vanishes: ${firstFold.positive} positive, ${firstFold.negative} negative, ` +
        `${firstFold.zero} zero of ${firstFold.positive + firstFold.negative + firstFold.zero} points; layer ${firstFold.layer} folds`
      : "";
  return {
    network: net.name,
    domain,
    lattice: samples.length,
    refined: extra.length,
    layers: out,
    firstFold: firstFold?.fold ? { layer: firstFold.layer, ...firstFold.fold } : null,
    diffeomorphism: !narrow && !firstFold,
    reason,
  };
}
