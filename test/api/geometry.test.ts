import { evaluate } from "mathjs";
import { describe, expect, it } from "vitest";
import {
  claimCheck,
  diffeomorphism,
  evaluateAt,
  flowChart,
  flowConvergence,
  geodesicDistance,
  geometryAt,
  geometrySymbolic,
  LookupError,
  mappingEvaluator,
  mappingSymbolic,
  closedFormTex,
  metricMatrix,
  metricSymbolic,
  pickMapping,
  pickMetric,
  usesMatrixForm,
  valuesOf,
} from "../../src/index.js";
import { exampleModel as load } from "../helpers.js";

/** The component at `index` of a row-major tensor of `shape`. */
const at = (shape: number[], values: readonly number[], index: number[]) => values[index.reduce((k, i, d) => k * shape[d] + i, 0)];

describe("geometrySymbolic: the listing of a quantity", () => {
  const sphere = load("sphere");
  const g = pickMetric(sphere);
  const point = [1.1, 0.4];
  const scope = { theta: point[0], phi: point[1], R: 3 };

  for (const q of ["christoffel", "riemann", "ricci", "scalar"] as const) {
    it(`the sphere's ${q}: every listed and every tensor entry evaluates to the numeric route's value`, () => {
      const l = geometrySymbolic(g, q, new Map([["R", 3]]));
      const [v] = geometryAt(g, q, [point], valuesOf(sphere, { R: 3 }));
      expect(l.shape).toEqual(v.shape);
      for (const c of l.listed) {
        expect(c.coords).toEqual(c.index.map((i) => ["theta", "phi"][i]));
        expect(evaluate(c.text!, scope)).toBeCloseTo(at(v.shape, v.values, c.index), 10);
        expect(c.latex).toBeTruthy();
      }
      for (const [k, t] of l.tensor.entries()) expect(evaluate(t!, scope)).toBeCloseTo(v.values[k], 10);
      // nothing nonzero is left out but what the symmetry gives: the listing and the point agree on what to list
      expect(l.listed.map((c) => c.index)).toEqual(v.listed.map((c) => c.index));
    });
  }

  it("lists one of each symmetric pair of the sphere's Christoffel symbols: Γ^θ_φφ and Γ^φ_θφ, not Γ^φ_φθ", () => {
    const l = geometrySymbolic(g, "christoffel");
    expect(l.listed.map((c) => c.coords.join(""))).toEqual(["thetaphiphi", "phithetaphi"]);
    expect(l.symmetry).toBe("Gamma^a_cb = Gamma^a_bc");
    // Γ^θ_φφ = −sin θ cos θ, Γ^φ_θφ = cot θ
    expect(evaluate(l.listed[0].text!, { theta: 0.7 })).toBeCloseTo(-Math.sin(0.7) * Math.cos(0.7), 12);
    expect(evaluate(l.listed[1].text!, { theta: 0.7 })).toBeCloseTo(1 / Math.tan(0.7), 12);
  });

  it("the plane in polar coordinates is flat: nothing listed, every Riemann component simplifies to 0", () => {
    const l = geometrySymbolic(pickMetric(load("polar")), "riemann");
    expect(l.listed).toEqual([]);
    expect(l.tensor).toHaveLength(16);
    expect(new Set(l.tensor)).toEqual(new Set(["0"]));
  });

  it("geometryAt picks out the nonzero independent components: polar Γ^r_θθ = −r and Γ^θ_rθ = 1/r", () => {
    const polar = load("polar");
    const [v] = geometryAt(pickMetric(polar), "christoffel", [[2, 0.3]], valuesOf(polar));
    expect(v.listed.map((c) => c.index)).toEqual([
      [0, 1, 1],
      [1, 0, 1],
    ]);
    expect(v.listed[0].value).toBeCloseTo(-2, 12);
    expect(v.listed[1].value).toBeCloseTo(0.5, 12);
  });
});

describe("the rest of what the commands compute", () => {
  it("mappingSymbolic: the polar map and its Jacobian [[cos θ, −r sin θ], [sin θ, r cos θ]]", () => {
    const f = mappingSymbolic(pickMapping(load("polar")));
    const s = { r: 2, theta: 0.3 };
    expect(f.components.map((c) => evaluate(c, s))).toEqual([2 * Math.cos(0.3), 2 * Math.sin(0.3)].map((x) => expect.closeTo(x, 12)));
    const J = f.jacobian.map((row) => row.map((c) => evaluate(c, s)));
    const want = [
      [Math.cos(0.3), -2 * Math.sin(0.3)],
      [Math.sin(0.3), 2 * Math.cos(0.3)],
    ];
    for (const [i, row] of J.entries()) for (const [j, x] of row.entries()) expect(x).toBeCloseTo(want[i][j], 12);
  });

  it("metricMatrix: the recursion ends in the metric; a metric along a map has none (LookupError)", () => {
    const toy = pickMetric(load("paper-toy"));
    expect(usesMatrixForm(toy, "matrix")).toBe(true);
    expect(usesMatrixForm(toy, "explicit")).toBe(false);
    const m = metricMatrix(toy);
    expect(m.form).toBe("matrix");
    expect(m.definitions.at(-1)?.shape).toEqual([2, 2]);
    expect(m.parameters.some((p) => p.name.startsWith("W"))).toBe(true);
    expect(() => metricMatrix(pickMetric(load("polar")))).toThrow(LookupError);
  });

  it("metricSymbolic returns the form asked for; auto gives the matrix form where a listing would be too large", () => {
    const toy = pickMetric(load("paper-toy"));
    const m = metricSymbolic(toy, "matrix");
    expect(m.form).toBe("matrix");
    expect(m).toEqual(metricMatrix(toy));
    expect(metricSymbolic(toy).form).toBe("layers");
    expect(metricSymbolic(pickMetric(load("polar")), "layers").form).toBe("explicit"); // a map: nothing to name
    const decoder = metricSymbolic(pickMetric(load("decoder")));
    expect(decoder.form).toBe("matrix");
    if (decoder.form !== "matrix") throw new Error("unreachable");
    expect(decoder.parameters.filter((p) => p.shape.length === 2).map((p) => p.shape)).toEqual([
      [256, 2],
      [256, 256],
      [784, 256],
    ]);
    expect(closedFormTex(decoder)).toContain("J_{3} &= \\operatorname{diag}\\big(\\operatorname{sigmoid}'(z_{3})\\big) \\, W_{3}");
    expect(() => metricSymbolic(pickMetric(load("polar")), "matrix")).toThrow(LookupError);
    expect(closedFormTex(metricSymbolic(pickMetric(load("polar"))))).toBe("g = \\begin{pmatrix} 1 & 0 \\\\ 0 & r^{2} \\end{pmatrix}");
  });

  it("mappingEvaluator streams what evaluateAt returns, point for point", () => {
    const m = load("paper-toy");
    const points = Array.from({ length: 300 }, (_, k) => [Math.cos(k), Math.sin(2 * k)]);
    const env = valuesOf(m);
    expect([...mappingEvaluator(pickMapping(m), env).each(points)]).toEqual(evaluateAt(pickMapping(m), points, env));
  });

  it("geodesicDistance in polar coordinates is the chord: |(1, 0) − (0, 1)| = √2", () => {
    const polar = load("polar");
    const d = geodesicDistance(pickMetric(polar), valuesOf(polar));
    expect(d([1, 0], [1, Math.PI / 2])).toBeCloseTo(Math.SQRT2, 6);
    expect(d([1, 0], [3, 0])).toBeCloseTo(2, 6);
  });

  it("flowConvergence: the residual net converges at Euler's order 1, no mismatch; its chart is the block's input", () => {
    const m = load("deep-resnet");
    const net = pickMapping(m);
    if (net.kind !== "network") throw new Error("a network");
    const env = valuesOf(m);
    expect(flowChart(net, env).dim).toBe(2);
    const c = flowConvergence(net, env, { depths: [8, 16, 32] });
    expect(Math.abs(c.stateOrder - 1)).toBeLessThan(0.1);
    expect(c.mismatches).toEqual([]);
    // the paper's toy net (5 layers): every step is a diffeomorphism of the box
    const toy = load("paper-toy");
    const toyNet = pickMapping(toy);
    if (toyNet.kind !== "network") throw new Error("a network");
    const d = diffeomorphism(toyNet, valuesOf(toy), [
      [-1, 1],
      [-1, 1],
    ]);
    expect(d.layers).toHaveLength(toyNet.layers.length);
    expect(d.diffeomorphism).toBe(true);
  });

  it("claimCheck witnesses the spec's own claims; a request that is no check is a LookupError", () => {
    const m = load("sphere");
    const checks = m.requests.flatMap((r, i) => (r.kind === "show" ? [] : [i]));
    expect(checks.length).toBeGreaterThan(2);
    for (const i of checks) expect(claimCheck(m, i).witness?.passed).toBe(true);
    expect(() =>
      claimCheck(
        m,
        m.requests.findIndex((r) => r.kind === "show"),
      ),
    ).toThrow(LookupError);
  });
});
