// Is the network map a diffeomorphism? det ∂x_L/∂x_0 over a box against hand-derived values: a residual tanh layer
// x + h tanh(Wx) with W = −3I has det J = Π(1 − 3h sech²(3x_i)) (W diagonal, b = 0); the second-order fold net
// x_1 = x_0 + ½tanh(−0.7x_0), x_2 = 2x_1 − x_0 + tanh(−0.7x_1) has ∂x_2/∂x_0 = diag((2 − 0.7 sech²(0.7x_1))·x_1′ − 1).
import { describe, expect, it } from "vitest";
import { type FunctionDef, REGISTRY, valueAndSlope } from "../../src/core/functions.js";
import { ACTIVATIONS } from "../../src/semantics/model.js";
import { cornerMinDet, diffeomorphismReport, slopeBound, slopeRange } from "../../src/numeric/diffeo.js";
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
    // Φ(√2) + √2φ(√2) = ½(1 + erf 1) + e⁻¹/√π (mpmath: 1.12890414518515478…); a sweep in steps of 1/64 gave 1.1288920
    expect(slopeBound("gelu")).toBe(1.1289041451851547);
  });

  it("every activation's exact slope range bounds σ′ everywhere and is reached within 1e-6 (dense sweep, differences)", () => {
    for (const a of ACTIVATIONS) {
      const [lo, hi] = slopeRange(a);
      let min = Number.POSITIVE_INFINITY,
        max = Number.NEGATIVE_INFINITY,
        argmin = 0,
        argmax = 0;
      for (let k = -40 * 1024; k <= 40 * 1024; k++) {
        const z = k / 1024; // [−40, 40]: a peak between grid points is missed by about ½|σ‴|(2⁻¹¹)² < 1e-6
        const d = valueAndSlope(a, z)[1];
        if (d < min) [min, argmin] = [d, z];
        if (d > max) [max, argmax] = [d, z];
      }
      expect(min, a).toBeGreaterThanOrEqual(lo);
      expect(max, a).toBeLessThanOrEqual(hi);
      expect(min - lo, a).toBeLessThan(1e-6);
      expect(hi - max, a).toBeLessThan(1e-6);
      // the registry's σ′ at the extremes is σ′: central differences of σ itself (away from a kink; elu's σ″ jumps at 0,
      // which leaves the difference h/4 off there)
      const f = (REGISTRY[a] as FunctionDef).value;
      for (const z of [argmin, argmax].filter((z) => Math.abs(z) > 1e-3 || !(REGISTRY[a] as FunctionDef).kink)) {
        const fd = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6;
        expect(Math.abs(fd - valueAndSlope(a, z)[1]), `${a} at ${z}`).toBeLessThan(1e-6);
      }
    }
  });

  it("h = 1 folds: det J = (1 − 3 sech² 3x)(1 − 3 sech² 3y) changes sign; neither certificate holds", () => {
    const r = diffeomorphismReport(net("residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 1"), new Map(), box);
    const l = r.layers[0];
    expect(r.diffeomorphism).toBe(false);
    expect(r.firstFold?.layer).toBe(1);
    // the fold is where the hand formula vanishes, bisected between two lattice neighbours of opposite sign
    const s2 = (t: number) => 1 / Math.cosh(3 * t) ** 2;
    const det = ([x, y]: number[]) => (1 - 3 * s2(x)) * (1 - 3 * s2(y));
    expect(Math.abs(det(r.firstFold!.point))).toBeLessThan(1e-9);
    const [a, b] = r.firstFold!.between!;
    expect(a.det).toBeCloseTo(det(a.point), 12);
    expect(b.det).toBeCloseTo(det(b.point), 12);
    expect(Math.sign(a.det) * Math.sign(b.det)).toBe(-1);
    expect(r.reason).toMatch(/first fold at \(x = -?[\d.]+, y = -?[\d.]+\): det ∂x_L\/∂x_0 goes from .*; layer 1 folds there/);
    // the largest value is at the origin, a lattice point: (1 − 3)² = 4
    expect(l.maxDet).toBeCloseTo(4, 12);
    expect(l.positive + l.negative + l.zero).toBe(r.lattice);
    expect(l.negative).toBeGreaterThan(0);
    expect(l.sufficient).toMatchObject({ c: 1, slope: 1, holds: false, certified: false });
    expect(l.sufficient!.norm).toBeCloseTo(3, 12);
    // corners of D ∈ [0, 1]²: det diag(1 − 3d₁, 1 − 3d₂) is least at (1, 0) and (0, 1): −2
    expect(l.sufficient!.cornerMinDet).toBeCloseTo(-2, 12);
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

describe("the network map, not its steps", () => {
  const square: [number, number][] = [
    [-1, 1],
    [-1, 1],
  ];
  const fold = "second_order tanh with h = 1, W = [[-0.7, 0], [0, -0.7]], b = [0, 0]";
  // one coordinate of the fold net: x_1 = x_0 + ½tanh(−0.7x_0), x_2 = 2x_1 − x_0 + tanh(−0.7x_1)
  const slope = (x0: number) => {
    const x1 = x0 + 0.5 * Math.tanh(-0.7 * x0);
    const d1 = 1 - 0.35 / Math.cosh(0.7 * x0) ** 2;
    return (2 - 0.7 / Math.cosh(0.7 * x1) ** 2) * d1 - 1;
  };
  const foldDet = ([x, y]: number[]) => slope(x) * slope(y);

  it("the second-order fold net (every state map invertible) fails, naming a point where det ∂x_2/∂x_0 vanishes", () => {
    // the numbers: +0.024 at the origin, −0.0117 at (±0.9, 0)
    expect(foldDet([0, 0])).toBeCloseTo(0.024025, 6);
    expect(foldDet([0.9, 0])).toBeCloseTo(-0.0117, 4);
    const r = diffeomorphismReport(net(`${fold}\n${fold}`), new Map(), square);
    expect(r.diffeomorphism).toBe(false);
    expect(r.layers[1].status).toBe("state");
    expect(r.firstFold!.layer).toBe(0);
    expect(Math.abs(foldDet(r.firstFold!.point))).toBeLessThan(1e-9);
    const [a, b] = r.firstFold!.between!;
    expect(a.det).toBeCloseTo(foldDet(a.point), 12);
    expect(b.det).toBeCloseTo(foldDet(b.point), 12);
    expect(a.det * b.det).toBeLessThan(0);
    expect(r.map!.maxDet).toBeCloseTo(0.024025, 6);
    expect(r.reason).toMatch(/first fold at \(x = .*\).*the composite map x_0 ↦ x_L does/);
  });

  it("the linear net with h²W = (√2 − 2)I has J = 0 up to round-off: a fold everywhere, not a tiny det", () => {
    const w = Math.SQRT2 - 2;
    const layer = `second_order linear with h = 1, W = [[${w}, 0], [0, ${w}]], b = [0, 0]`;
    const r = diffeomorphismReport(net(`${layer}\n${layer}`), new Map(), square);
    expect(r.diffeomorphism).toBe(false);
    expect(r.map!.zero).toBe(r.lattice);
    expect(r.firstFold!.det).toBe(0);
    expect(r.reason).toMatch(/first fold at \(x = -1, y = -1\): det ∂x_L\/∂x_0 = 0 there, 0 within the round-off/);
  });

  it("the corner certificate: W = [[2, 1], [−1, 2]] fails the contraction bound (√5) but det(I + DW) ≥ 1 on [0, 1]²", () => {
    // det(I + DW) = (1 + 2d₁)(1 + 2d₂) + d₁d₂: 1, 3, 3, 10 at the corners
    expect(cornerMinDet([2, 1, -1, 2], 2, 1, [0, 1])).toBeCloseTo(1, 14);
    // c = −1: (1 − 2d₁)(1 − 2d₂) + d₁d₂ is −1 at d = (1, 0): that step folds
    expect(cornerMinDet([2, 1, -1, 2], 2, -1, [0, 1])).toBeCloseTo(-1, 14);
    expect(cornerMinDet([-3, 0, 0, -3], 2, 1, [0, 1])).toBeCloseTo(-2, 14);
    const r = diffeomorphismReport(net("residual tanh with W = [[2, 1], [-1, 2]], b = [0.5, 0], h = 1"), new Map(), square);
    const c = r.layers[0].sufficient!;
    expect(c.bound).toBeCloseTo(Math.sqrt(5), 12);
    expect(c.holds).toBe(false);
    expect(c.cornerMinDet).toBeCloseTo(1, 12);
    expect(c.certified).toBe(true);
    expect(r.injectivity).toEqual({ method: "layers", holds: true });
    expect([r.verdict, r.diffeomorphism, r.reason]).toEqual(["diffeomorphism", true, ""]);
  });

  it("a ReLU residual step within the bound is a homeomorphism (bi-Lipschitz), not a diffeomorphism", () => {
    const r = diffeomorphismReport(net("residual relu with W = [[0.5, 0.2], [0, 0.5]], b = [0.1, 0], h = 1"), new Map(), square);
    expect(r.layers[0].sufficient!.certified).toBe(true);
    expect(r.verdict).toBe("homeomorphism");
    expect(r.diffeomorphism).toBe(false);
    expect(r.reason).toMatch(/relu is not C¹.*homeomorphism \(bi-Lipschitz\).*not a diffeomorphism/);
  });

  it("without layer certificates, injectivity in the plane comes from the image of the boundary", () => {
    const layer = "second_order tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = 0.2";
    const r = diffeomorphismReport(net(`${layer}\n${layer}`), new Map(), square);
    expect(r.map!.negative + r.map!.zero).toBe(0);
    expect(r.injectivity).toEqual({ method: "boundary", holds: true });
    expect(r.diffeomorphism).toBe(true);
  });

  it("check fold is a diffeomorphism: FAIL with the point", async () => {
    const spec = `manifold I (x, y)\nnetwork fold : I -> R^2 {\n  ${fold}\n  ${fold}\n}\ncheck fold is a diffeomorphism on [-1,1]x[-1,1]\n`;
    const out = await cli(["run", "-"], spec);
    expect(out.code).toBe(1);
    expect(out.out).toMatch(/FAIL .*first fold at \(x = [-\d.]+, y = [-\d.]+\)/);
  });
});

describe("check NET is a diffeomorphism on BOX", () => {
  const spec = (h: number) =>
    `manifold I (x, y)\nnetwork f : I -> R^2 {\n  residual tanh with W = [[-3, 0], [0, -3]], b = [0, 0], h = ${h}\n}\n` +
    "check f is a diffeomorphism on [-1, 1] x [-3, 3]\n";

  it("fails with the layer and the point at h = 1, passes at h = 0.3", async () => {
    const bad = await cli(["run", "-"], spec(1));
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAIL .*first fold at \(x = [-\d.]+, y = [-\d.]+\).*layer 1 folds there \(det J_1 = /);
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
    expect(bad.out).toMatch(/f is not a diffeomorphism on \[-1, 1\] × \[-3, 3\]: det ∂x_L\/∂x_0 changes sign .* first fold at \(x = /);
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
