import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyMetric } from "../../src/numeric/linalg.js";
import { metricEvaluator } from "../../src/numeric/evaluate.js";
import { dagSize, evaluate, fn, freeSymbols, mul, ONE, pow, sym, TWO, ZERO } from "../../src/symbolic/expr.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { model, rng, uniform } from "../helpers.js";

const example = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");

describe("pulled-back metrics in closed form", () => {
  it("polar coordinates: exactly diag(1, r²)", () => {
    const g = metricComponents(example("polar").metrics.get("g")!);
    expect(g).toEqual([
      [ONE, ZERO],
      [ZERO, pow(sym("r"), TWO)],
    ]);
  });

  it("round sphere of radius R: exactly diag(R², R² sin²θ)", () => {
    const g = metricComponents(example("sphere").metrics.get("g")!);
    const R2 = pow(sym("R"), TWO);
    expect(g).toEqual([
      [R2, ZERO],
      [ZERO, mul(R2, pow(fn("sin", sym("theta")), TWO))],
    ]);
  });

  it("symbolic 2-layer resnet: equals the hand-derived J1ᵀ J2ᵀ J2 J1", () => {
    const g = metricComponents(example("symbolic-resnet").metrics.get("g")!);
    const r = rng(42);
    for (let trial = 0; trial < 20; trial++) {
      const env: Record<string, number> = { x: uniform(r, -2, 2), y: uniform(r, -2, 2), h: uniform(r, 0.05, 1) };
      for (const l of [1, 2]) {
        for (const ij of ["11", "12", "21", "22"]) env[`W${l}_${ij}`] = uniform(r, -1.5, 1.5);
        for (const i of ["1", "2"]) env[`b${l}_${i}`] = uniform(r, -1, 1);
      }
      // by hand: z = W x + b, x' = x + h tanh(z), J = I + h diag(1 - tanh(z)²) W
      const layer = (l: number, v: number[]) => {
        const W = [
          [env[`W${l}_11`], env[`W${l}_12`]],
          [env[`W${l}_21`], env[`W${l}_22`]],
        ];
        const z = [0, 1].map((i) => W[i][0] * v[0] + W[i][1] * v[1] + env[`b${l}_${i + 1}`]);
        const s = z.map((zi) => 1 - Math.tanh(zi) ** 2);
        return {
          x: v.map((vi, i) => vi + env.h * Math.tanh(z[i])),
          J: [0, 1].map((i) => [0, 1].map((j) => (i === j ? 1 : 0) + env.h * s[i] * W[i][j])),
        };
      };
      const l1 = layer(1, [env.x, env.y]),
        l2 = layer(2, l1.x);
      const J = [0, 1].map((i) => [0, 1].map((j) => l2.J[i][0] * l1.J[0][j] + l2.J[i][1] * l1.J[1][j]));
      const expected = [0, 1].map((a) => [0, 1].map((b) => J[0][a] * J[0][b] + J[1][a] * J[1][b]));
      const got = evaluate(g.flat(), env);
      expected.flat().forEach((v, k) => {
        expect(got[k]).toBeCloseTo(v, 12);
      });
    }
  });

  it("is functorial: pulling back through a composite equals pulling back in two steps", () => {
    const m = model(`
      manifold A (s, t)
      manifold B (u, v)
      manifold C (p, q)
      map f : A -> B { u = s * cos(t)  v = s * sin(t) + t^2 }
      map k : B -> C { p = exp(u) - v  q = u * v + tanh(v) }
      map both = f then k
      metric gC on C = [[1 + p^2, p*q], [p*q, 2 + q^2]]
      metric gB = pullback of gC along k
      metric twoSteps = pullback of gB along f
      metric oneStep = pullback of gC along both
    `);
    const a = metricComponents(m.metrics.get("twoSteps")!),
      b = metricComponents(m.metrics.get("oneStep")!);
    const r = rng(3);
    for (let i = 0; i < 20; i++) {
      const env = { s: uniform(r, 0.1, 2), t: uniform(r, -3, 3) };
      const [va, vb] = [evaluate(a.flat(), env), evaluate(b.flat(), env)];
      va.forEach((v, k) => {
        expect(v).toBeCloseTo(vb[k], 10);
      });
    }
  });

  it("pulls back to an inner layer in that layer's coordinates", () => {
    const m = example("paper-toy");
    const g2 = m.metrics.get("g2")!;
    expect(g2.manifold.coords).toEqual(["x2_1", "x2_2"]);
    const free = new Set(freeSymbols(metricComponents(g2).flat()));
    expect([...free].sort()).toEqual(["x2_1", "x2_2"]);
  });

  it("a narrowing network gives a degenerate metric of rank = the narrowest width", () => {
    const m = model(`
      manifold I = R^3 (a, b, c)
      network n : I -> R^3 { dense 1 tanh with W = [[0.5, -1, 0.3]], b = [0.1]  dense 3 sigmoid with W = [[1], [2], [-1]], b = [0, 0, 0] }
      metric g = pullback along n
    `);
    const g = metricEvaluator(m.metrics.get("g")!, new Map()).at([0.2, 0.4, -0.3]);
    expect(classifyMetric(g).rank).toBe(1);
  });

  it("grows linearly with depth for numeric residual networks", () => {
    const size = (L: number) =>
      dagSize(
        metricComponents(
          model(
            `manifold I (x, y)\nnetwork n : I {\n repeat ${L} { residual tanh with h = 0.1, W = [[0.3, -0.5], [0.7, 0.2]], b = [0.1, -0.1] }\n}\nmetric g = pullback along n`,
          ).metrics.get("g")!,
        ).flat(),
      );
    expect(size(128) / size(64)).toBeLessThanOrEqual(2.2);
  });
});
