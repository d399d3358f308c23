// The matrix engine against three independent routes: the symbolic DAG (compiled closed forms of
// g, ∂g, Γ, Riemann, Ricci, scalar curvature) on small random networks, the dual-number evaluator
// of forward.ts (x and J) and finite differences on wide random networks.
import { describe, expect, it } from "vitest";
import { compile } from "../../src/numeric/codegen.js";
import { type FunctionDef, REAL, REGISTRY } from "../../src/core/functions.js";
import { type QuantityName, quantity, trivialIn } from "../../src/core/quantities.js";
import {
  geodesicAccelerationAt,
  geometryAt,
  jacobianAt,
  metricAt,
  metricJetAt,
  metricsAt,
  type PointGeometry,
} from "../../src/numeric/engine/geometry.js";
import { jetLayout } from "../../src/numeric/engine/jets.js";
import { prepareNetwork, propagate } from "../../src/numeric/engine/network.js";
import { bindParams, metricEvaluator } from "../../src/numeric/evaluate.js";
import { forwardNetwork } from "../../src/numeric/forward.js";
import { geoOf, quantityEvaluator } from "../../src/numeric/geometry.js";
import { ACTIVATIONS, type Activation, type Layer, type LayerKind, type Network } from "../../src/semantics/model.js";
import { fdJacobian, model, relErr, rng, uniform } from "../helpers.js";
import { geometryOracle } from "./engine/oracle.js";

/** Kinked (relu, leaky_relu, hardtanh: the registry's `kink`) or not C² (elu): no finite differences across them. */
const rough = (a: Activation) => !!(REGISTRY[a] as FunctionDef).kink || a === "elu";
const SMOOTH = ACTIVATIONS.filter((a) => !rough(a)); // C² at least: ∂g by finite differences
/** Every activation but hardtanh, whose σ′ = 0 on |z| > 1, where random weights put enough units to make g singular
 *  (no Γ there); its engine route is held to forward mode in networks.test.ts and its derivatives to jets. */
const SATURATING = ACTIVATIONS.filter((a) => a !== "hardtanh");

interface Plan {
  kind: LayerKind;
  act: Activation;
  width: number;
}

/** A random plan: every kind and activation, second-order layers only where the widths allow them, dense
 *  layers no narrower than the input (so g stays nondegenerate); `widen` ends in a dense layer wider than the
 *  input (+1 before a softmax, which loses a rank), so the pulled-back metric is curved. */
function randomPlan(r: () => number, n0: number, depth: number, maxWidth: number, acts: readonly Activation[], widen = false): Plan[] {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const plan: Plan[] = [];
  const widths = [n0];
  for (let l = 0; l < depth; l++) {
    const w = widths[widths.length - 1],
      act = acts[int(0, acts.length - 1)],
      u = r();
    const secondOk = widths.length < 2 || widths[widths.length - 2] === w;
    const kind: LayerKind = u < 0.35 ? "dense" : u < 0.7 || !secondOk ? "residual" : "second_order";
    const width = kind === "dense" ? int(Math.max(n0 + 1, maxWidth >> 2), Math.max(n0 + 1, maxWidth)) : w;
    plan.push({ kind, act, width });
    widths.push(width);
  }
  const softmax = r() < 0.3;
  if (widen) plan.push({ kind: "dense", act: acts[int(0, acts.length - 1)], width: n0 + (softmax ? 2 : 1) });
  if (softmax) plan.push({ kind: "softmax", act: "linear", width: plan[plan.length - 1]?.width ?? n0 });
  return plan;
}

function randomWeights(r: () => number, plan: Plan[], n0: number) {
  let w = n0;
  return plan.map((p) => {
    const scale = 1.5 / Math.sqrt(w);
    const W = p.kind === "softmax" ? null : Float64Array.from({ length: p.width * w }, () => uniform(r, -scale, scale));
    const b = p.kind === "softmax" ? null : Float64Array.from({ length: p.width }, () => uniform(r, -0.5, 0.5));
    const h = uniform(r, 0.1, 0.6);
    w = p.width;
    return { W, b, h };
  });
}

function specText(plan: Plan[], weights: ReturnType<typeof randomWeights>, n0: number, extra = ""): string {
  let w = n0;
  const lines = plan.map((p, l) => {
    const { W, b, h } = weights[l];
    if (p.kind === "softmax") return "softmax";
    const mat = `[${Array.from({ length: p.width }, (_, i) => `[${Array.from(W!.subarray(i * w, (i + 1) * w)).join(", ")}]`).join(", ")}]`;
    const head = p.kind === "dense" ? `dense ${p.width} ${p.act} with` : `${p.kind} ${p.act} with h = ${h},`;
    w = p.width;
    return `${head} W = ${mat}, b = [${Array.from(b!).join(", ")}]`;
  });
  return `manifold I = R^${n0}\nnetwork n : I -> R^${w} {\n  ${lines.join("\n  ")}\n}\nmetric g = pullback along n\n${extra}`;
}

/** The typed network built directly (no spec text): how the wide tests avoid parsing 10⁵ numbers. */
function typedNetwork(plan: Plan[], weights: ReturnType<typeof randomWeights>, n0: number): Network {
  const span = { line: 1, col: 1, offset: 0, length: 0 } as unknown as Layer["span"];
  const tensor = (name: string, v: Float64Array, shape: number[]) => ({ name, shape, entries: [], values: v, span });
  let w = n0;
  const layers: Layer[] = plan.map((p, l) => {
    const { W, b, h } = weights[l];
    const layer: Layer = { index: l + 1, kind: p.kind, activation: p.act, inWidth: w, outWidth: p.width, span };
    if (p.kind !== "softmax") {
      layer.W = tensor("W", W!, [p.width, w]);
      layer.b = tensor("b", b!, [p.width]);
    }
    if (p.kind === "residual" || p.kind === "second_order") layer.h = tensor("h", Float64Array.of(h), []);
    w = p.width;
    return layer;
  });
  const manifold = (dim: number) => ({ name: `R${dim}`, dim, coords: Array.from({ length: dim }, (_, i) => `x${i + 1}`), span });
  return {
    kind: "network",
    name: "wide",
    source: manifold(n0),
    target: manifold(w),
    layers,
    layerSpaces: [n0, ...plan.map((p) => p.width)].map(manifold),
    span,
  };
}

describe("jet layout", () => {
  it("numbers each sorted index tuple once and maps every permutation to it", () => {
    const L = jetLayout(4, 3);
    expect(L.K).toBe(1 + 4 + 10 + 20);
    expect(L.pair[1 * 4 + 3]).toBe(L.pair[3 * 4 + 1]);
    expect(L.triple[(3 * 4 + 0) * 4 + 2]).toBe(L.triple[(0 * 4 + 2) * 4 + 3]);
    expect(new Set(L.triple).size).toBe(20);
  });
});

/** A quantity of the table on the engine's numbers at a point. */
const table = (q: QuantityName, G: PointGeometry) => quantity(q).define(REAL, G.quantities);

describe("the table's definitions on the engine's numbers against the hand-written oracle (test/numeric/engine/oracle.ts)", () => {
  it("Γ, Riemann, Ricci, scalar, Gaussian and Kretschmann agree on random networks in 1–4 dimensions", () => {
    let curved = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const r = rng(300 + seed);
      const n0 = 1 + (seed % 4);
      const plan = randomPlan(r, n0, 2 + (seed % 2), n0 + 3, SMOOTH, true);
      const net = typedNetwork(plan, randomWeights(r, plan, n0), n0);
      const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
      const G = geometryAt(net, p, { curvature: true }),
        O = geometryOracle(G);
      const kappa = Math.max(1, Math.max(...G.g.map(Math.abs)) * Math.max(...G.inverse.map(Math.abs)));
      expect(relErr(G.christoffel, O.christoffel)).toBeLessThan(1e-12);
      const scale = Math.max(...O.riemann.map(Math.abs));
      if (trivialIn("riemann", n0)) expect(scale).toBe(0);
      else {
        expect(scale).toBeGreaterThan(1e-4); // curved: a wrong term would show
        curved++;
      }
      const errs = [
        relErr(G.riemann!, O.riemann),
        relErr(G.ricci!, O.ricci),
        relErr(table("scalar", G), [O.scalar]),
        relErr(table("kretschmann", G), [O.kretschmann]),
        ...(n0 === 2 ? [relErr(table("gaussian", G), [O.gaussian!])] : []),
      ];
      for (const e of errs) expect(e / kappa).toBeLessThan(1e-9);
    }
    expect(curved).toBeGreaterThan(10);
  });
});

describe("against the symbolic route (small random networks, every kind and activation)", () => {
  it("J, g, ∂g, Γ, volume to 1e-12; Riemann, Ricci, scalar and Gaussian curvature to 1e-8 κ(g)", () => {
    let worst = 0,
      worstCurvature = 0,
      curvatureCompared = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const r = rng(seed);
      const n0 = 1 + (seed % 3),
        depth = 1 + Math.floor(r() * 4);
      const plan = randomPlan(r, n0, depth, n0 + 2, seed % 4 === 0 ? SATURATING : SMOOTH, true);
      const m = model(specText(plan, randomWeights(r, plan, n0), n0));
      const net = m.mappings.get("n") as Network,
        metric = m.metrics.get("g")!,
        env = new Map<string, number>();
      const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
      const gSym = metricEvaluator(metric, env).at(p).flat();
      for (const mode of ["forward", "reverse"] as const) {
        const { J } = jacobianAt(net, p, { mode });
        const want = forwardNetwork(net, p).at(-1)!.J.flat();
        worst = Math.max(worst, relErr(J, want));
      }
      worst = Math.max(worst, relErr(metricAt(net, p), gSym));
      const { geo } = geoOf(metric);
      const dgF = compile(geo.dg.flat(2), metric.manifold.coords);
      const dgSym = dgF.at(p, bindParams(dgF, env, "dg"));
      const curvature = n0 === 2 && depth <= 3;
      const G = geometryAt(net, p, { curvature });
      worst = Math.max(worst, relErr(G.g, gSym), relErr(G.dg!, dgSym));
      worst = Math.max(worst, relErr(G.christoffel, quantityEvaluator(metric, "christoffel", env).at(p)));
      worst = Math.max(worst, relErr(table("volume", G), quantityEvaluator(metric, "volume", env).at(p)));
      if (curvature) {
        // two routes' round-off, amplified by raising indices: measured against κ(g) = max|g| · max|g⁻¹| (up to 10⁴ here)
        curvatureCompared++;
        const kappa = Math.max(...G.g.map(Math.abs)) * Math.max(...G.inverse.map(Math.abs));
        const curv = Math.max(
          relErr(G.riemann!, quantityEvaluator(metric, "riemann", env).at(p)),
          relErr(G.ricci!, quantityEvaluator(metric, "ricci", env).at(p)),
          relErr(table("scalar", G), quantityEvaluator(metric, "scalar", env).at(p)),
          relErr(table("gaussian", G), quantityEvaluator(metric, "gaussian", env).at(p)),
        );
        worstCurvature = Math.max(worstCurvature, curv / Math.max(1, kappa));
      }
    }
    expect(curvatureCompared).toBeGreaterThan(5);
    expect(worst).toBeLessThan(1e-12);
    // third derivatives by two routes (compiled DAG vs jets): round-off grows with depth and κ(g); a wrong term is O(1)
    expect(worstCurvature).toBeLessThan(1e-8);
  });

  it("pulls back to an intermediate layer and through a non-identity output metric", () => {
    const r = rng(77);
    const plan: Plan[] = [
      { kind: "dense", act: "tanh", width: 3 },
      { kind: "residual", act: "sin", width: 3 },
      { kind: "dense", act: "softplus", width: 3 },
    ];
    const extra =
      "metric G on R^3 = [[2, 0.5, 0], [0.5, 1, 0.2], [0, 0.2, 1.5]]\nmetric gG = pullback of G along n\n" +
      "metric g1 = pullback along n to layer 1\n";
    const m = model(specText(plan, randomWeights(r, plan, 2), 2, extra));
    const net = m.mappings.get("n") as Network,
      env = new Map<string, number>();
    const p = [0.3, -0.7];
    const gG = geometryAt(net, p, { outputMetric: Float64Array.of(2, 0.5, 0, 0.5, 1, 0.2, 0, 0.2, 1.5), curvature: true });
    const metric = m.metrics.get("gG")!;
    expect(relErr(gG.g, metricEvaluator(metric, env).at(p).flat())).toBeLessThan(1e-12);
    expect(relErr(gG.christoffel, quantityEvaluator(metric, "christoffel", env).at(p))).toBeLessThan(1e-12);
    expect(relErr(gG.riemann!, quantityEvaluator(metric, "riemann", env).at(p))).toBeLessThan(1e-12);
    const x1 = forwardNetwork(net, p)[1].x;
    const g1 = geometryAt(net, x1, { from: 1 });
    const m1 = m.metrics.get("g1")!;
    expect(relErr(g1.g, metricEvaluator(m1, env).at(x1).flat())).toBeLessThan(1e-12);
    expect(relErr(g1.christoffel, quantityEvaluator(m1, "christoffel", env).at(x1))).toBeLessThan(1e-12);
    const second = {
      kind: "second_order" as const,
      activation: "tanh" as const,
      inWidth: 2,
      outWidth: 2,
      W: new Float64Array(4),
      b: new Float64Array(2),
      h: 0.5,
    };
    const twoLayers = { name: "t", layers: [{ ...second, kind: "dense" as const }, second] };
    expect(() => jacobianAt(twoLayers, [0, 0], { from: 1 })).toThrow(/layer 2 of 't' is second order/);
    const rev = jacobianAt(net, x1, { from: 1, mode: "reverse" }).J;
    expect(relErr(rev, jacobianAt(net, x1, { from: 1, mode: "forward" }).J)).toBeLessThan(1e-14);
  });

  it("binds symbolic weights from the environment", () => {
    const m = model(`manifold Input (x, y)
network res : Input -> R^3 {
  second_order sigmoid with h = h, W = W1, b = b1
  residual tanh with h = h, W = W2, b = b2
  dense 3 sin with W = W3, b = b3
}
metric g = pullback of euclidean along res
`);
    const r = rng(5);
    const env = new Map<string, number>([["h", 0.4]]);
    for (const l of [1, 2, 3]) {
      for (const i of l === 3 ? [1, 2, 3] : [1, 2]) {
        for (const j of [1, 2]) env.set(`W${l}_${i}${j}`, uniform(r, -1.5, 1.5));
        env.set(`b${l}_${i}`, uniform(r, -1, 1));
      }
    }
    const net = m.mappings.get("res") as Network,
      metric = m.metrics.get("g")!,
      p = [0.2, 0.9];
    const G = geometryAt(net, p, { env, curvature: true });
    expect(relErr(G.g, metricEvaluator(metric, env).at(p).flat())).toBeLessThan(1e-12);
    expect(relErr(G.riemann!, quantityEvaluator(metric, "riemann", env).at(p))).toBeLessThan(1e-12);
    expect(() => prepareNetwork(net)).toThrow(/the weights of .res. has symbols without values: .*W1_11/);
  });
});

describe("wide random networks (widths 3–300) against forward mode and finite differences", () => {
  it("x and g match the dual-number evaluator; J, ∂g, ∂∂g match finite differences", () => {
    let fdCompared = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(500 + seed);
      const n0 = 2 + (seed % 3),
        depth = 2 + Math.floor(r() * 3);
      const acts = seed <= ACTIVATIONS.length ? [ACTIVATIONS[seed - 1]] : ACTIVATIONS;
      const plan = randomPlan(r, n0, depth, seed % 2 ? 300 : 40, acts);
      const net = typedNetwork(plan, randomWeights(r, plan, n0), n0);
      const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
      const oracle = forwardNetwork(net, p).at(-1)!;
      const { output, J } = jacobianAt(net, p);
      expect(relErr(output, oracle.x)).toBeLessThan(1e-13);
      expect(relErr(J, oracle.J.flat())).toBeLessThan(1e-12);
      const m = oracle.x.length,
        gOracle = new Float64Array(n0 * n0);
      for (let a = 0; a < n0; a++)
        for (let b = 0; b < n0; b++) {
          for (let i = 0; i < m; i++) gOracle[a * n0 + b] += oracle.J[i][a] * oracle.J[i][b];
        }
      expect(relErr(metricAt(net, p), gOracle)).toBeLessThan(1e-12);
      expect(relErr(jacobianAt(net, p, { mode: "reverse" }).J, oracle.J.flat())).toBeLessThan(1e-12);
      // kinks in σ or σ'': no finite differences
      if (plan.some((q) => rough(q.act) && q.kind !== "softmax")) continue;
      fdCompared++;
      // 5-point stencil, ε = 1e-3: truncation ~ε⁴, round-off ~1e-16/ε, relative to O(1) entries
      const x = (q: number[]) => Array.from(propagate(prepareNetwork(net), q, 0).out);
      expect(relErr(J, fdJacobian(x, p).flat())).toBeLessThan(1e-8);
      const jet = metricJetAt(net, p, 2);
      const dgFd = fdJacobian((q) => Array.from(metricAt(net, q)), p); // [ab][c]
      const dgT = new Float64Array(n0 ** 3);
      for (let c = 0; c < n0; c++) for (let ab = 0; ab < n0 * n0; ab++) dgT[c * n0 * n0 + ab] = dgFd[ab][c];
      expect(relErr(jet.dg!, dgT)).toBeLessThan(1e-7);
      const ddgFd = fdJacobian((q) => Array.from(metricJetAt(net, q, 1).dg!), p); // [c·n² + ab][d]
      const ddgT = new Float64Array(n0 ** 4);
      for (let c = 0; c < n0; c++)
        for (let d = 0; d < n0; d++) {
          for (let ab = 0; ab < n0 * n0; ab++) ddgT[(c * n0 + d) * n0 * n0 + ab] = ddgFd[c * n0 * n0 + ab][d];
        }
      expect(relErr(jet.ddg!, ddgT)).toBeLessThan(1e-7);
    }
    expect(fdCompared).toBeGreaterThan(6);
  });

  it("Γ(v, v) from one directional pass (g⁻¹ Jᵀ G f''[v, v]) equals all of Γ contracted with v twice", () => {
    let served = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = rng(900 + seed);
      const n0 = 2 + (seed % 3);
      const acts = seed <= ACTIVATIONS.length ? [ACTIVATIONS[seed - 1]] : ACTIVATIONS;
      const plan = randomPlan(r, n0, 2 + Math.floor(r() * 3), seed % 2 ? 300 : 40, acts, true);
      const net = typedNetwork(plan, randomWeights(r, plan, n0), n0);
      const m = plan[plan.length - 1].width;
      // a constant output metric G = I + A Aᵀ/m (seeds ≥ 7) as well as the Euclidean one
      let G: Float64Array | null = null;
      if (seed >= 7) {
        const A = Array.from({ length: m * 3 }, () => uniform(r, -1, 1));
        G = new Float64Array(m * m);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < m; j++) {
            let s = i === j ? 1 : 0;
            for (let k = 0; k < 3; k++) s += (A[i * 3 + k] * A[j * 3 + k]) / m;
            G[i * m + j] = s;
          }
      }
      const x = Array.from({ length: n0 }, () => uniform(r, -1, 1)),
        v = Array.from({ length: n0 }, () => uniform(r, -2, 2));
      const acc = new Float64Array(n0);
      const got = geodesicAccelerationAt(net, x, v, acc, { outputMetric: G });
      if (plan.some((q) => q.kind === "softmax")) {
        expect(got).toBeNull();
        continue;
      }
      served++;
      const pg = geometryAt(net, x, { outputMetric: G });
      expect(relErr(got!.g, pg.g)).toBeLessThan(1e-14);
      expect(Math.abs(got!.det - pg.det)).toBeLessThanOrEqual(1e-12 * Math.abs(pg.det));
      const want = new Float64Array(n0);
      for (let a = 0; a < n0; a++)
        for (let b = 0; b < n0; b++) for (let c = 0; c < n0; c++) want[a] += pg.christoffel[(a * n0 + b) * n0 + c] * v[b] * v[c];
      expect(relErr(acc, want)).toBeLessThan(1e-10);
    }
    expect(served).toBeGreaterThan(6);
  });

  it("evaluates many points (in blocks) as one at a time, in both modes", () => {
    const r = rng(9);
    const plan = randomPlan(r, 3, 5, 30, SMOOTH);
    const net = typedNetwork(plan, randomWeights(r, plan, 3), 3);
    const pts = Float64Array.from({ length: 30 }, () => uniform(r, -1, 1));
    const all = metricsAt(net, pts, 3);
    for (let k = 0; k < 10; k++) {
      const q = pts.subarray(3 * k, 3 * k + 3);
      // the block pass sums in another order (one W·X over the block), so the two agree to round-off, not bitwise
      expect(relErr(all.subarray(9 * k, 9 * k + 9), metricAt(net, q))).toBeLessThan(1e-14);
      const f = jacobianAt(net, q, { mode: "forward" }).J,
        b = jacobianAt(net, q, { mode: "reverse" }).J;
      expect(relErr(b, f)).toBeLessThan(1e-13);
    }
  });
});
