// The matrix engine reads every layer kind's step from LAYER_KINDS[kind].recurrence: on random networks of every kind
// (dense, residual, second order, order 3 and 4, softmax), started at the input so that the order-k start steps and the
// interior recurrence both occur, its x, J (forward and reverse), g, ∂g and Γ agree with the symbolic route, J with
// forward-mode dual numbers and finite differences; a wide order-3 network's metric --at now takes the engine's route.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/numeric/codegen.js";
import { geodesicAccelerationAt, geometryAt, jacobianAt, metricAt } from "../../../src/numeric/engine/geometry.js";
import { prepareNetwork, propagate, propagateAlong } from "../../../src/numeric/engine/network.js";
import { bindParams, mappingEvaluator, metricEvaluator } from "../../../src/numeric/evaluate.js";
import { forwardMetric, forwardNetwork } from "../../../src/numeric/forward.js";
import { geoOf, quantityEvaluator } from "../../../src/numeric/geometry.js";
import { mappingRoute, metricRoute, pointMetric } from "../../../src/numeric/route.js";
import type { Activation, LayerKind, Network } from "../../../src/semantics/model.js";
import { cli, fdJacobian, model, relErr, rng, uniform } from "../../helpers.js";

/** Γ = g⁻¹ (…∂g…) carries the two routes' round-off in g times κ(g) = max|g| · max|g⁻¹| (at least 1). */
const kappa = (G: { g: Float64Array; inverse: Float64Array }) =>
  Math.max(1, Math.max(...G.g.map(Math.abs)) * Math.max(...G.inverse.map(Math.abs)));

const READS: Record<string, number> = { dense: 1, residual: 1, second_order: 2, order_3: 3, order_4: 4, softmax: 1 };
const ACTS: Activation[] = ["tanh", "sin", "softplus", "sigmoid", "gelu", "linear"];

interface Layer {
  kind: LayerKind;
  act: Activation;
  width: number;
}

/** `lead` layers of `kind` from the input (its start steps and interior steps), then random kinds that fit the widths;
 *  a dense layer wider than the input last (a curved, nondegenerate pullback), then a softmax now and then. */
function randomPlan(r: () => number, n0: number, kind: LayerKind, lead: number, extra: number, maxWidth: number): Layer[] {
  const act = () => ACTS[Math.floor(r() * ACTS.length)];
  const plan: Layer[] = [];
  const widths = [n0];
  const push = (k: LayerKind, width: number) => {
    plan.push({ kind: k, act: act(), width });
    widths.push(width);
  };
  for (let l = 0; l < lead; l++) push(kind, kind === "dense" ? n0 + 1 + Math.floor(r() * (maxWidth - n0)) : n0);
  for (let l = 0; l < extra; l++) {
    const w = widths[widths.length - 1];
    // an order-k layer needs the states it reads (those that exist) to have one width
    const fits = (k: string) => widths.slice(-READS[k]).every((x) => x === w);
    const options = (["residual", "second_order", "order_3", "order_4"] as const).filter(fits);
    const u = r();
    if (u < 0.25 || !options.length) push("dense", n0 + 1 + Math.floor(r() * (maxWidth - n0)));
    else push(options[Math.floor(r() * options.length)], w);
  }
  push("dense", n0 + 1 + Math.floor(r() * 3));
  if (r() < 0.4) push("softmax", widths[widths.length - 1]);
  return plan;
}

function specText(r: () => number, plan: Layer[], n0: number, extra = ""): string {
  let w = n0;
  const lines = plan.map((p) => {
    if (p.kind === "softmax") return "softmax";
    const s = 1.5 / Math.sqrt(w);
    const W = Array.from({ length: p.width }, () => `[${Array.from({ length: w }, () => uniform(r, -s, s)).join(", ")}]`);
    const b = Array.from({ length: p.width }, () => uniform(r, -0.5, 0.5));
    const kind = p.kind.startsWith("order_") ? `order ${p.kind.slice(6)}` : p.kind;
    const head = p.kind === "dense" ? `dense ${p.width} ${p.act} with` : `${kind} ${p.act} with h = ${uniform(r, 0.2, 0.7)},`;
    w = p.width;
    return `${head} W = [${W.join(", ")}], b = [${b.join(", ")}]`;
  });
  return `manifold I = R^${n0}\nnetwork n : I -> R^${w} {\n  ${lines.join("\n  ")}\n}\nmetric g = pullback along n\n${extra}`;
}

const KINDS: [LayerKind, number][] = [
  ["dense", 2],
  ["residual", 3],
  ["second_order", 4],
  ["order_3", 5],
  ["order_4", 6],
];

describe("every layer kind's recurrence against the symbolic route", () => {
  it("x, J (forward and reverse), g, ∂g, Γ to 1e-12 on nets started by each kind; J by finite differences", () => {
    let compared = 0,
      softmaxes = 0;
    const seen = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(4100 + seed);
      const [kind, lead] = KINDS[seed % KINDS.length];
      const n0 = 2 + (seed % 2);
      const plan = randomPlan(r, n0, kind, lead, 1 + (seed % 3), 5);
      for (const p of plan) seen.add(p.kind);
      if (plan.at(-1)!.kind === "softmax") softmaxes++;
      const m = model(specText(r, plan, n0));
      const net = m.mappings.get("n") as Network,
        metric = m.metrics.get("g")!,
        env = new Map<string, number>();
      const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
      const sym = mappingEvaluator(net, env).at(p);
      const fwd = jacobianAt(net, p, { mode: "forward" }),
        rev = jacobianAt(net, p, { mode: "reverse" });
      expect(relErr(fwd.output, sym.output), `x, seed ${seed}`).toBeLessThan(1e-12);
      expect(relErr(rev.output, sym.output), `x, seed ${seed}`).toBeLessThan(1e-12);
      expect(relErr(fwd.J, sym.jacobian.flat()), `J, seed ${seed}`).toBeLessThan(1e-12);
      expect(relErr(rev.J, sym.jacobian.flat()), `reverse J, seed ${seed}`).toBeLessThan(1e-12);
      const gSym = metricEvaluator(metric, env).at(p).flat();
      expect(relErr(metricAt(net, p), gSym), `g, seed ${seed}`).toBeLessThan(1e-12);
      const { geo } = geoOf(metric);
      const dgF = compile(geo.dg.flat(2), metric.manifold.coords);
      const G = geometryAt(net, p);
      expect(relErr(G.dg!, dgF.at(p, bindParams(dgF, env, "dg"))), `∂g, seed ${seed}`).toBeLessThan(1e-12);
      const eΓ = relErr(G.christoffel, quantityEvaluator(metric, "christoffel", env).at(p));
      expect(eΓ / kappa(G), `Γ, seed ${seed}`).toBeLessThan(1e-12);
      // 5-point stencil, ε = 1e-3: truncation ~ε⁴ against a wrong coefficient's O(h^k)
      const x = (q: number[]) => Array.from(propagate(prepareNetwork(net), q, 0).out);
      expect(relErr(fwd.J, fdJacobian(x, p).flat()), `J by finite differences, seed ${seed}`).toBeLessThan(1e-8);
      compared++;
    }
    expect(compared).toBe(20);
    expect([...seen].sort()).toEqual(["dense", "order_3", "order_4", "residual", "second_order", "softmax"]);
    expect(softmaxes).toBeGreaterThan(2);
  });

  it("pulls back to a hidden layer that no later layer reads across; refuses one that a layer does, saying why", () => {
    const r = rng(4200);
    const plan: Layer[] = [
      { kind: "dense", act: "tanh", width: 3 },
      { kind: "dense", act: "sin", width: 3 },
      { kind: "dense", act: "softplus", width: 3 },
      { kind: "order_3", act: "tanh", width: 3 },
      { kind: "order_3", act: "sigmoid", width: 3 },
      { kind: "dense", act: "tanh", width: 4 },
    ];
    const m = model(specText(r, plan, 2, "metric g1 = pullback along n to layer 1\n"));
    const net = m.mappings.get("n") as Network,
      g1 = m.metrics.get("g1")!,
      env = new Map<string, number>();
    const x1 = forwardNetwork(net, [0.3, -0.6])[1].x;
    const G = geometryAt(net, x1, { from: 1 });
    expect(relErr(G.g, metricEvaluator(g1, env).at(x1).flat())).toBeLessThan(1e-12);
    expect(relErr(G.christoffel, quantityEvaluator(g1, "christoffel", env).at(x1)) / kappa(G)).toBeLessThan(1e-12);
    expect(relErr(jacobianAt(net, x1, { from: 1, mode: "reverse" }).J, jacobianAt(net, x1, { from: 1 }).J)).toBeLessThan(1e-14);
    // layer 4 reads x_3, x_2, x_1: from layer 2 there is no x_1; layer 5 (x_4, x_3, x_2) from layer 3 has no x_2
    const x2 = forwardNetwork(net, [0.3, -0.6])[2].x;
    expect(() => jacobianAt(net, x2, { from: 2 })).toThrow("layer 4 of 'n' is third order: it needs layer 1 as well as layers 2 and 3");
    expect(() => metricAt(net, [0, 0, 0], { from: 3 })).toThrow(
      "layer 4 of 'n' is third order: it needs layers 1 and 2 as well as layer 3",
    );
    const x4 = forwardNetwork(net, [0.3, -0.6])[4].x;
    expect(() => metricAt(net, x4, { from: 4 })).toThrow("layer 5 of 'n' is third order: it needs layers 2 and 3 as well as layer 4");
  });
});

/** A random order-k start (from the input, of its width) and tail, as a typed network: widths up to 40 without parsing. */
function wideNet(r: () => number, n0: number, k: number, depth: number, act: Activation): Network {
  const span = { line: 1, col: 1, offset: 0, length: 0 } as unknown as Network["span"];
  const tensor = (name: string, v: Float64Array, shape: number[]) => ({ name, shape, entries: [], values: v, span });
  const kind: LayerKind = k === 1 ? "residual" : k === 2 ? "second_order" : `order_${k}`;
  const s = 1.5 / Math.sqrt(n0);
  const layers = Array.from({ length: depth }, (_, l) => ({
    index: l + 1,
    kind,
    activation: act,
    inWidth: n0,
    outWidth: n0,
    span,
    W: tensor(
      "W",
      Float64Array.from({ length: n0 * n0 }, () => uniform(r, -s, s)),
      [n0, n0],
    ),
    b: tensor(
      "b",
      Float64Array.from({ length: n0 }, () => uniform(r, -0.5, 0.5)),
      [n0],
    ),
    h: tensor("h", Float64Array.of(uniform(r, 0.3, 0.8)), []),
  }));
  const manifold = (dim: number) => ({ name: `R${dim}`, dim, coords: Array.from({ length: dim }, (_, i) => `x${i + 1}`), span });
  return {
    kind: "network",
    name: "wide",
    source: manifold(n0),
    target: manifold(n0),
    layers,
    layerSpaces: [n0, ...layers.map(() => n0)].map(manifold),
    span,
  };
}

describe("order-k networks of widths 3–40 against forward mode and finite differences", () => {
  it("x and J (both modes) match dual numbers; J matches finite differences; Γ(v, v) from the directional pass", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(4300 + seed);
      const k = 1 + (seed % 4),
        n0 = [3, 12, 25, 40][seed % 4],
        act = ACTS[seed % ACTS.length];
      const net = wideNet(r, n0, k, k + 3, act);
      const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
      const oracle = forwardNetwork(net, p).at(-1)!;
      for (const mode of ["forward", "reverse"] as const) {
        const { output, J } = jacobianAt(net, p, { mode });
        expect(relErr(output, oracle.x), `x, seed ${seed}`).toBeLessThan(1e-13);
        expect(relErr(J, oracle.J.flat()), `J ${mode}, seed ${seed}`).toBeLessThan(1e-12);
      }
      const x = (q: number[]) => Array.from(propagate(prepareNetwork(net), q, 0).out);
      expect(relErr(jacobianAt(net, p).J, fdJacobian(x, p).flat()), `finite differences, seed ${seed}`).toBeLessThan(1e-8);
      if (n0 > 12) continue; // all of Γ is n³ components
      const v = Array.from({ length: n0 }, () => uniform(r, -1, 1)),
        acc = new Float64Array(n0);
      expect(geodesicAccelerationAt(net, p, v, acc)).not.toBeNull();
      const pg = geometryAt(net, p),
        want = new Float64Array(n0);
      for (let a = 0; a < n0; a++)
        for (let b = 0; b < n0; b++) for (let c = 0; c < n0; c++) want[a] += pg.christoffel[(a * n0 + b) * n0 + c] * v[b] * v[c];
      expect(relErr(acc, want), `Γ(v, v), seed ${seed}`).toBeLessThan(1e-10);
      // the directional pass's values and first derivatives are propagate's
      const along = propagateAlong(prepareNetwork(net), p, v)!,
        full = propagate(prepareNetwork(net), p, 1);
      expect(relErr(along.out.subarray(0, (n0 + 1) * n0), full.out)).toBeLessThan(1e-14);
    }
  });
});

describe("a wide order-3 network", () => {
  it("evaluates metric --at by the engine (width 200, depth 6) and agrees with dual numbers", async () => {
    const r = rng(4400);
    const dir = mkdtempSync(join(tmpdir(), "rgnn-order3-"));
    const widths = [2, 200, 200, 200, 200, 200, 200];
    const weights: Record<string, unknown> = { h: 0.3 };
    for (let l = 1; l < widths.length; l++) {
      const s = 1.5 / Math.sqrt(widths[l - 1]);
      weights[`W${l}`] = Array.from({ length: widths[l] }, () => Array.from({ length: widths[l - 1] }, () => uniform(r, -s, s)));
      weights[`b${l}`] = Array.from({ length: widths[l] }, () => uniform(r, -0.5, 0.5));
    }
    writeFileSync(join(dir, "wide.json"), JSON.stringify(weights));
    const spec =
      'manifold Input (x, y)\nnetwork wide : Input -> R^200 weights "wide.json" {\n  repeat 3 { dense 200 tanh }\n' +
      "  repeat 3 { order 3 tanh }\n}\nmetric g = pullback of euclidean along wide\n";
    const file = join(dir, "wide.rgnn");
    writeFileSync(file, spec);
    const m = model(spec, file, dir);
    const metric = m.metrics.get("g")!,
      env = new Map<string, number>(),
      p = [0.3, -0.7];
    expect(metricRoute(metric, 0)).toBe("matrix");
    expect(mappingRoute(m.mappings.get("wide")!)).toBe("matrix");
    const pm = pointMetric(metric, env);
    expect(pm.route).toBe("matrix");
    const want = forwardMetric(metric, p, env);
    expect(relErr(pm.at(p).flat(), want.flat())).toBeLessThan(1e-12);
    const { code, out, err } = await cli(["metric", file, "--at", "0.3,-0.7", "--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(relErr(JSON.parse(out).metric.flat(), want.flat())).toBeLessThan(1e-12);
  });
});
