import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EvaluationError } from "../../src/numeric/evaluate.js";
import { geodesicBVP, geodesicIVP } from "../../src/numeric/geodesic.js";
import { quantityEvaluator } from "../../src/numeric/geometry.js";
import { model, rng, uniform } from "../helpers.js";

const metricOf = (name: string) =>
  model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples").metrics.get("g")!;

describe("geodesics", () => {
  it("on the sphere, the distance between two points is R times the central angle", () => {
    const g = metricOf("sphere"),
      R = 2;
    const r = rng(5);
    for (let i = 0; i < 5; i++) {
      const a = [uniform(r, 0.4, 2.7), uniform(r, -2, 2)],
        b = [uniform(r, 0.4, 2.7), uniform(r, -2, 2)];
      const cosAngle = Math.cos(a[0]) * Math.cos(b[0]) + Math.sin(a[0]) * Math.sin(b[0]) * Math.cos(b[1] - a[1]);
      const path = geodesicBVP(g, new Map([["R", R]]), a, b);
      expect(Math.abs(path.length - R * Math.acos(cosAngle))).toBeLessThan(1e-8);
      expect(path.to[0]).toBeCloseTo(b[0], 9);
    }
  });

  it("on the hyperbolic plane, geodesics are semicircles centred on the x-axis", () => {
    const path = geodesicBVP(metricOf("h2"), new Map(), [-0.5, 0.4], [1.5, 1.2]);
    // centre c on the axis with (x−c)² + y² equal at both ends
    const c = (1.5 ** 2 + 1.2 ** 2 - 0.5 ** 2 - 0.4 ** 2) / (2 * (1.5 + 0.5));
    const rho = Math.hypot(-0.5 - c, 0.4);
    for (const s of path.samples) expect(Math.abs(Math.hypot(s.x[0] - c, s.x[1]) - rho)).toBeLessThan(1e-9);
    const exact = Math.acosh(1 + (2 ** 2 + 0.8 ** 2) / (2 * 0.4 * 1.2));
    expect(path.length).toBeCloseTo(exact, 9);
  });

  it("an initial-value geodesic of the plane in polar coordinates is a straight line", () => {
    const path = geodesicIVP(metricOf("polar"), new Map(), [1, 0], [0, 1]); // unit speed in θ at r = 1
    for (const s of path.samples) expect(s.x[0] * Math.cos(s.x[1])).toBeCloseTo(1, 9); // x = 1 stays fixed
    expect(path.length).toBeCloseTo(1, 9);
  });

  it("a degenerate metric is an error naming the point and the determinant", () => {
    const m = model("manifold M (x, y)\nmetric g on M = [[x^2, 0], [0, 1]]").metrics.get("g")!;
    expect(() => geodesicIVP(m, new Map(), [-1, 0], [2, 0])).toThrow(/degenerate at \(-?[\d.e-]+, [\d.e-]+\): det g = /);
    expect(() => quantityEvaluator(m, "christoffel", new Map()).at([0, 1])).toThrow(EvaluationError);
    expect(() => quantityEvaluator(m, "christoffel", new Map()).at([0, 1])).toThrow("metric 'g' is degenerate at (0, 1): det g = 0");
  });

  it("shooting towards an unreachable point fails with a clear message", () => {
    // no geodesic of the upper half-plane crosses y = 0
    expect(() => geodesicBVP(metricOf("h2"), new Map(), [0, 1], [0, -1], { maxIterations: 8 })).toThrow(
      /^geodesic shooting from \(0, 1\) to \(0, -1\) failed after \d Newton steps: geodesic from \(0, 1\) with velocity \(.*\): the metric 'g' is degenerate at /,
    );
  });
});
