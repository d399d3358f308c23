import { describe, expect, it } from "vitest";
import {
  checkSpec,
  evaluateAt,
  geodesic,
  geometryAt,
  LookupError,
  metricAt,
  metricSymbolic,
  pickMapping,
  pickMetric,
  valuesOf,
  verify,
} from "../../src/index.js";
import { cli } from "../helpers.js";
import { exampleModel as load } from "../helpers.js";

describe("the library API", () => {
  it("returns located diagnostics for a bad spec instead of throwing", () => {
    const r = checkSpec("manifold P (x)\nshow q\n", "bad.rgnn");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.diagnostics[0].span).toMatchObject({ line: 2, col: 6 });
      expect(r.message).toMatch(/^bad\.rgnn:2:6: error: /);
    }
  });

  it("polar coordinates: g = diag(1, r²) in closed form, det r² and eigenvalues {1, r²} at r = 3", () => {
    const g = pickMetric(load("polar"));
    const s = metricSymbolic(g, "explicit");
    expect(s.components).toEqual([
      ["1", "0"],
      ["0", "r^2"],
    ]);
    expect(s.latex[1][1]).toBe("r^{2}");
    const [v] = metricAt(g, [[3, 0.4]], valuesOf(load("polar")));
    expect(v.determinant).toBeCloseTo(9, 12);
    expect(v.eigenvalues[0]).toBeCloseTo(1, 12);
    expect(v.eigenvalues[1]).toBeCloseTo(9, 12);
    expect(v.rank).toBe(2);
  });

  it("the sphere of radius R: Gaussian curvature 1/R², also when R is overridden", () => {
    const m = load("sphere");
    expect(geometryAt(pickMetric(m), "gaussian", [[1, 2]], valuesOf(m))[0].values[0]).toBeCloseTo(1 / 4, 10);
    expect(geometryAt(pickMetric(m), "gaussian", [[1, 2]], valuesOf(m, { R: 3 }))[0].values[0]).toBeCloseTo(1 / 9, 10);
  });

  it("a polar geodesic with unit speed is a straight line: length 1 from (1, 0) with velocity (0, 1)", () => {
    const m = load("polar");
    const p = geodesic(pickMetric(m), valuesOf(m), [1, 0], { velocity: [0, 1], samples: 3 });
    // the line x = 1, y = t in Cartesian coordinates: r = √(1 + t²), θ = atan t
    expect(p.length).toBeCloseTo(1, 6);
    expect(p.to[0]).toBeCloseTo(Math.SQRT2, 6);
    expect(p.to[1]).toBeCloseTo(Math.PI / 4, 6);
  });

  it("gives the same numbers as the CLI's JSON", async () => {
    const m = load("paper-toy");
    const [e] = evaluateAt(pickMapping(m), [[0.3, -0.7]], valuesOf(m));
    const viaCli = JSON.parse((await cli(["eval", "examples/paper-toy.rgnn", "--at", "0.3,-0.7", "-f", "json"])).out).points[0];
    expect(e).toEqual(viaCli);
    const v = verify(load("polar"));
    expect(v.passed).toBe(true);
    expect(v).toEqual(JSON.parse((await cli(["verify", "examples/polar.rgnn", "-f", "json"])).out));
  });

  it("names what a model lacks", () => {
    expect(() => pickMetric(load("polar"), "nope")).toThrow(LookupError);
  });
});
