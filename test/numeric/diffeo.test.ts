// Is every step a diffeomorphism? det J_l over a box against hand-derived values: a residual tanh layer
// x + h tanh(Wx) with W = −3I has det J = Π(1 − 3h sech²(3x_i)) (W diagonal, b = 0).
import { describe, expect, it } from "vitest";
import { diffeomorphismReport, slopeBound } from "../../src/numeric/diffeo.js";
import type { Network } from "../../src/semantics/model.js";
import { cli, diagnostics, model } from "../helpers.js";

const net = (body: string, out = 2) =>
  [...model(`manifold I (x, y)\nnetwork f : I -> R^${out} {\n${body}\n}\n`).mappings.values()][0] as Network;
const box: [number, number][] = [
  [-1, 1],
  [-3, 3],
];

describe("diffeomorphism report", () => {
  it("sup |σ′| of the activations, by hand", () => {
    expect(slopeBound("tanh")).toBe(1);
    expect(slopeBound("sigmoid")).toBe(0.25);
    expect(slopeBound("sin")).toBe(1);
    expect(slopeBound("linear")).toBe(1);
  });

  it("h = 1 folds: det J = (1 − 3 sech² 3x)(1 − 3 sech² 3y) changes sign; the bound 3 ≥ 1 does not hold", () => {
    const r = diffeomorphismReport(net("residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 1"), new Map(), box);
    const l = r.layers[0];
    expect(r.diffeomorphism).toBe(false);
    expect(r.firstFold?.layer).toBe(1);
    // at the fold point the determinant is the hand formula, and negative
    const [x, y] = r.firstFold!.point;
    const s2 = (t: number) => 1 / Math.cosh(3 * t) ** 2;
    expect(r.firstFold!.det).toBeCloseTo((1 - 3 * s2(x)) * (1 - 3 * s2(y)), 12);
    expect(r.firstFold!.det).toBeLessThan(0);
    // the largest value is at the origin, a lattice point: (1 − 3)² = 4
    expect(l.maxDet).toBeCloseTo(4, 12);
    expect(l.positive + l.negative + l.zero).toBe(r.lattice);
    expect(l.negative).toBeGreaterThan(0);
    expect(l.sufficient).toMatchObject({ c: 1, slope: 1, holds: false });
    expect(l.sufficient!.norm).toBeCloseTo(3, 12);
  });

  it("h = 0.3: the bound 0.9 < 1 holds and det J ≥ (1 − 0.9)² = 0.01, attained at the origin", () => {
    const r = diffeomorphismReport(net("residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 0.3"), new Map(), box);
    expect(r.diffeomorphism).toBe(true);
    expect(r.firstFold).toBeNull();
    expect(r.layers[0].minDet).toBeCloseTo(0.01, 12);
    expect(r.layers[0].sufficient!.bound).toBeCloseTo(0.9, 12);
    expect(r.layers[0].sufficient!.holds).toBe(true);
  });

  it("a later layer folds at the image of the box; a width change is not a diffeomorphism", () => {
    const r = diffeomorphismReport(
      net("residual tanh with W = [[0.5, 0], [0, 0.5]], b = [0, 0], h = 0.5\nresidual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 1"),
      new Map(),
      box,
    );
    expect(r.layers[0].fold).toBeNull();
    expect(r.firstFold?.layer).toBe(2);
    const wide = diffeomorphismReport(net("dense 3 tanh with W = [[1, 0], [0, 1], [1, 1]], b = [0, 0, 0]", 3), new Map(), box);
    expect(wide.diffeomorphism).toBe(false);
    expect(wide.layers[0].status).toBe("not square");
    expect(wide.reason).toMatch(/immersion/);
  });

  it("a dense sin layer folds where cos(Wx + b) changes sign; a second-order step is invertible on its state", () => {
    // det J = det(W) cos(z1) cos(z2) with z = x: the sign flips across x = ±π/2 inside [−3, 3]
    const r = diffeomorphismReport(net("dense 2 sin with W = [[1, 0], [0, 1]], b = [0, 0]"), new Map(), box);
    expect(r.firstFold?.layer).toBe(1);
    expect(Math.abs(r.firstFold!.point[1])).toBeGreaterThan(Math.PI / 2 - 0.1);
    const s = diffeomorphismReport(
      net(
        "second_order tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 0.5\nsecond_order tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 0.5",
      ),
      new Map(),
      box,
    );
    expect(s.layers[1].status).toBe("state");
  });
});

describe("check NET is a diffeomorphism on BOX", () => {
  const spec = (h: number) =>
    `manifold I (x, y)\nnetwork f : I -> R^2 {\n  residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = ${h}\n}\n` +
    "check f is a diffeomorphism on [-1, 1] x [-3, 3]\n";

  it("fails with the layer and the point at h = 1, passes at h = 0.3", async () => {
    const bad = await cli(["run", "-"], spec(1));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAIL .*layer 1 folds; det J_1 = -/);
    const good = await cli(["run", "-"], spec(0.3));
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/ok /);
  });

  it("says what is wrong with the statement", () => {
    expect(diagnostics(spec(1).replace("[-3, 3]\n", "[-3, 3] x [0, 1]\n")).map((d) => d.message)).toEqual([
      "the domain has 3 intervals, but I has dimension 2 (x, y)",
    ]);
    expect(diagnostics(spec(1).replace("[-1, 1]", "[1, -1]")).map((d) => d.message)).toEqual([
      "an interval [a,b] needs numbers (or constants with values) with a < b",
    ]);
    expect(diagnostics(spec(1).replace("a diffeomorphism", "an isometry")).map((d) => d.message)[0]).toMatch(/unknown property/);
  });
});

describe("rgnn flow: the diffeomorphism report", () => {
  const spec = (h: number) =>
    "manifold I (x, y)\nnetwork f : I -> R^2 {\n" +
    `  residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = ${h}\n  residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = ${h}\n}\n`;

  it("names the first layer and point that fold, and the bound when it holds", async () => {
    const bad = await cli(["flow", "-", "--depths", "2,4", "--domain", "[-1,1]x[-3,3]"], spec(1));
    expect(bad.code).toBe(0);
    expect(bad.out).toMatch(/f is not a diffeomorphism on \[-1, 1\] × \[-3, 3\]: det J_1 changes sign .* first fold at \(x = /);
    const good = await cli(["flow", "-", "--depths", "2,4", "--format", "json"], spec(0.3));
    const d = JSON.parse(good.out).diffeomorphism;
    expect(d.diffeomorphism).toBe(true);
    expect(d.domain).toEqual([
      [-1.5, 1.5],
      [-1.5, 1.5],
    ]);
    expect(d.layers.map((l: { sufficient: { holds: boolean } }) => l.sufficient.holds)).toEqual([true, true]);
    expect((await cli(["flow", "-", "--domain", "[0,1]"], spec(1))).err).toMatch(/--domain needs 2 intervals/);
  });
});
