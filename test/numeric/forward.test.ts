import { describe, expect, it } from "vitest";
import { forwardMapping, forwardMetric } from "../../src/numeric/forward.js";
import { expectClose, fdJacobian, model } from "../helpers.js";

describe("forward-mode oracle", () => {
  it("differentiates coordinate maps like finite differences", () => {
    const m = model(`
      manifold A (s, t)
      manifold B (u, v, w)
      map f : A -> B { u = sqrt(1 + s^2) * cos(t)  v = exp(-s) / (2 + sin(t))  w = softplus(s * t) - sigmoid(t) }
    `);
    const f = m.mappings.get("f")!;
    for (const p of [
      [0.3, -0.7],
      [1.2, 2.1],
      [-0.4, 0.05],
    ]) {
      expectClose(
        forwardMapping(f, p).J,
        fdJacobian((x) => forwardMapping(f, x).x, p),
        1e-9,
        "J",
      );
    }
  });

  it("gives the hyperbolic metric from its components", () => {
    const m = model("manifold H (x, y)\nmetric g on H = [[1/y^2, 0], [0, 1/y^2]]");
    expect(forwardMetric(m.metrics.get("g")!, [0.5, 2])).toEqual([
      [0.25, 0],
      [0, 0.25],
    ]);
  });

  it("softmax stays finite for large inputs", () => {
    const m = model("manifold I (a, b)\nnetwork n : I { dense 2 linear with W = [[1000, 0], [0, 1]], b = [0, 0]  softmax }");
    const F = forwardMapping(m.mappings.get("n")!, [1, 1]);
    expect(F.x[0]).toBeCloseTo(1, 15);
    expect(F.J.flat().every(Number.isFinite)).toBe(true);
  });
});
