// Rank and signature judged against the factors that built a metric: a pullback whose Jacobian cancels to round-off
// is degenerate; a Jacobian that is tiny because its factors are tiny keeps its rank; a metric given by components
// is its own scale. Values by hand: the second-order net x_1 = x_0 + ½wx_0, x_2 = 2x_1 − x_0 + wx_1 (h = 1, W = wI)
// has ∂x_2/∂x_0 = 1 + 2w + w²/2, which is 0 at w = √2 − 2 and, for the double nearest it, 1.3671617315323846e-16
// (exact rational arithmetic on that double, Python fractions).
import { describe, expect, it } from "vitest";
import { geodesic } from "../../src/api/geodesic.js";
import { metricAt } from "../../src/api/metric.js";
import { classifyMetric } from "../../src/numeric/linalg.js";
import { jacobianWithNoise, metricZeroFloor } from "../../src/numeric/roundoff.js";
import type { Metric, Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";

const w = Math.SQRT2 - 2;
const zeroNet = `second_order linear with h = 1, W = [[${w}, 0], [0, ${w}]], b = [0, 0]`;
const spec = (body: string) =>
  `manifold I (x, y)\nnetwork f : I -> R^2 {\n${body}\n}\nmetric g = pullback of euclidean along f\n` +
  "metric tiny on I = [[1e-30, 0], [0, 2e-30]]\nmetric neg on I = [[-2, 0], [0, -3]]\n";
const load = (body: string) => {
  const m = model(spec(body));
  return { net: m.mappings.get("f") as Network, metric: (name: string) => m.metrics.get(name) as Metric };
};

describe("the round-off of a network's Jacobian", () => {
  it("bounds the actual error of the cancelling net, and not by orders of magnitude too much", () => {
    const { net } = load(`${zeroNet}\n${zeroNet}`);
    const r = jacobianWithNoise(net, [0.3, -0.7], new Map());
    const exact = 1.3671617315323846e-16;
    const err = Math.max(Math.abs(r.J[0][0] - exact), Math.abs(r.J[1][1] - exact));
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThanOrEqual(r.noise);
    expect(r.noise).toBeLessThan(1e-13);
  });

  it("the zero-Jacobian net's metric (≈ 4.9e-32·I) is degenerate, rank 0", () => {
    const { metric } = load(`${zeroNet}\n${zeroNet}`);
    const [v] = metricAt(metric("g"), [[0.3, -0.7]], new Map());
    expect(v.eigenvalues[1]).toBeLessThan(1e-30);
    expect([v.rank, v.signature, v.type]).toEqual([0, [0, 0, 2], "degenerate"]);
  });

  it("a saturated tanh layer's J = 10 sech²(10)·I ≈ 8e-8·I is a product of small factors: rank 2", () => {
    const { metric } = load("dense 2 tanh with W = [[10, 0], [0, 10]], b = [0, 0]");
    const [v] = metricAt(metric("g"), [[1, 1]], new Map());
    const j = 10 / Math.cosh(10) ** 2;
    // 1 − tanh²(10) as the closed form writes it keeps about 8 digits
    expect(v.eigenvalues[0] / (j * j)).toBeCloseTo(1, 6);
    expect(metricZeroFloor(metric("g"), [1, 1], new Map())!).toBeLessThan(1e-12 * j * j);
    expect([v.rank, v.type]).toEqual([2, "Riemannian"]);
  });

  it("a metric given by components is its own scale: 1e-30·diag(1, 2) is rank 2, Riemannian", () => {
    const { metric } = load(zeroNet);
    expect(metricZeroFloor(metric("tiny"), [0, 0], new Map())).toBeNull();
    const [v] = metricAt(metric("tiny"), [[0, 0]], new Map());
    expect([v.rank, v.signature, v.type]).toEqual([2, [2, 0, 0], "Riemannian"]);
  });
});

describe("signature", () => {
  const diag = (...d: number[]) => d.map((x, i) => d.map((_, j) => (i === j ? x : 0)));
  it("names negative definite, Lorentzian and indefinite metrics", () => {
    expect(classifyMetric(diag(-2, -3))).toEqual({ signature: [0, 2, 0], rank: 2, type: "negative definite" });
    expect(classifyMetric(diag(-2, 3)).type).toBe("Lorentzian");
    expect(classifyMetric(diag(-1, 2, 3)).type).toBe("Lorentzian");
    expect(classifyMetric(diag(-1, -2, 3, 4)).type).toBe("indefinite");
    expect(classifyMetric(diag(-1, 0, 3)).type).toBe("degenerate");
    // a floor from the factors: eigenvalues below it are zero whatever g's own size
    expect(classifyMetric(diag(1e-32, 2e-32), undefined, 1e-28).rank).toBe(0);
  });

  it("a geodesic of diag(−2, −3) is definite (not timelike), its length ∫ √(−g(ẋ, ẋ)) dt", () => {
    const { metric } = load(zeroNet);
    const [v] = metricAt(metric("neg"), [[0, 0]], new Map());
    expect(v.type).toBe("negative definite");
    const path = geodesic(metric("neg"), new Map(), [0, 0], { velocity: [1, 1] });
    expect(path.definite).toBe(true);
    expect(path.type).toBeNull();
    // constant metric: a straight line, length √(2 + 3)
    expect(path.length).toBeCloseTo(Math.sqrt(5), 8);
  });
});
