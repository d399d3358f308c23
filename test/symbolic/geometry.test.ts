import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fdGeometry } from "../../src/derive/routes.js";
import { quantityEvaluator } from "../../src/numeric/geometry.js";
import { evaluate, MINUS_ONE, mul, num, pow, sym, ZERO } from "../../src/symbolic/expr.js";
import { quantity, type QuantityName } from "../../src/core/quantities.js";
import { DAG, type Geometry, geometry } from "../../src/symbolic/geometry.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { model, rng, uniform } from "../helpers.js";

const example = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");
const of = (geo: Geometry, q: QuantityName) => quantity(q).define(DAG, geo.quantities)[0];
const geoOf = (name: string) => {
  const m = example(name).metrics.get("g")!;
  return geometry(metricComponents(m), m.manifold.coords);
};

describe("textbook geometry, exactly", () => {
  it("polar coordinates: Γ^r_θθ = −r, Γ^θ_rθ = 1/r, all curvature zero", () => {
    const geo = geoOf("polar");
    const r = sym("r");
    expect(geo.christoffel[0][1][1]).toBe(mul(MINUS_ONE, r));
    expect(geo.christoffel[1][0][1]).toBe(pow(r, MINUS_ONE));
    expect(geo.christoffel[1][1][0]).toBe(pow(r, MINUS_ONE));
    expect(geo.christoffel[0][0][0]).toBe(ZERO);
    expect(
      geo.quantities
        .riemann()
        .flat(3)
        .every((e) => e === ZERO),
    ).toBe(true);
    expect(of(geo, "scalar")).toBe(ZERO);
  });

  it("round sphere of radius R: K = 1/R², scalar curvature 2/R²", () => {
    const geo = geoOf("sphere");
    expect(of(geo, "gaussian")).toBe(pow(sym("R"), num(-2)));
    expect(of(geo, "scalar")).toBe(mul(num(2), pow(sym("R"), num(-2))));
  });

  it("hyperbolic upper half-plane: K = −1", () => {
    const geo = geoOf("h2");
    expect(of(geo, "gaussian")).toBe(MINUS_ONE);
  });

  it("torus: K = cos θ / (r (R + r cos θ))", () => {
    const geo = geoOf("torus");
    const K = of(geo, "gaussian");
    const r0 = rng(11);
    for (let i = 0; i < 20; i++) {
      const env = { theta: uniform(r0, -Math.PI, Math.PI), phi: uniform(r0, -3, 3), R: 3, r: 1 };
      expect(evaluate([K], env)[0]).toBeCloseTo(Math.cos(env.theta) / (1 * (3 + Math.cos(env.theta))), 13);
    }
  });
});

/** A 2 → 3 network: its pullback is the induced metric of an immersed surface, genuinely curved. */
const CURVED = `
manifold I (x, y)
network n : I -> R^3 {
  dense 3 tanh with W = [[0.9, -0.4], [0.3, 1.1], [-0.7, 0.5]], b = [0.1, -0.2, 0.05]
  residual sin with h = 0.4, W = [[0.2, -0.5, 0.3], [0.6, 0.1, -0.4], [-0.3, 0.7, 0.2]], b = [0, 0.1, -0.1]
  dense 3 softplus with W = [[1.0, 0.2, -0.3], [-0.4, 0.8, 0.5], [0.3, -0.6, 0.9]], b = [0, 0, 0.2]
}
metric g = pullback along n
`;

describe("geometry of pulled-back network metrics", () => {
  const m = model(CURVED);
  const g = m.metrics.get("g")!;
  const points = Array.from({ length: 6 }, (_, i) => [Math.sin(i) * 0.8, Math.cos(2 * i) * 0.7]);

  it("symbolic Christoffel symbols agree with finite differences of the numeric metric", () => {
    const ev = quantityEvaluator(g, "christoffel", new Map());
    const fd = fdGeometry(g, new Map());
    for (const p of points) {
      const sym = ev.at(p),
        num = fd.christoffel(p).flat(2);
      sym.forEach((v, k) => {
        expect(Math.abs(v - num[k])).toBeLessThan(1e-8 * (1 + Math.abs(v)));
      });
    }
  });

  it("the Riemann tensor has its symmetries and satisfies the first Bianchi identity", () => {
    const Rup = quantityEvaluator(g, "riemann", new Map()),
      G = quantityEvaluator(g, "inverse", new Map());
    void G;
    const gm = fdGeometry(g, new Map());
    let nonzero = 0;
    for (const p of points) {
      const flat = Rup.at(p),
        gx = gm.gAt(p);
      const up = (a: number, b: number, c: number, d: number) => flat[((a * 2 + b) * 2 + c) * 2 + d];
      const R = (a: number, b: number, c: number, d: number) => gx[a][0] * up(0, b, c, d) + gx[a][1] * up(1, b, c, d); // lower the first index
      const scale = Math.max(...flat.map(Math.abs));
      if (scale > 1e-3) nonzero++;
      for (const [a, b, c, d] of [
        [0, 1, 0, 1],
        [0, 1, 1, 0],
        [1, 0, 0, 1],
        [0, 0, 0, 1],
        [1, 1, 0, 1],
      ]) {
        expect(R(a, b, c, d)).toBeCloseTo(-R(b, a, c, d), 10);
        expect(R(a, b, c, d)).toBeCloseTo(-R(a, b, d, c), 10);
        expect(R(a, b, c, d)).toBeCloseTo(R(c, d, a, b), 10);
        expect(R(a, b, c, d) + R(a, c, d, b) + R(a, d, b, c)).toBeCloseTo(0, 10);
      }
    }
    expect(nonzero).toBeGreaterThan(3); // the surface really is curved
  });

  it("scalar curvature agrees with second differences of the metric", () => {
    const ev = quantityEvaluator(g, "scalar", new Map());
    const fd = fdGeometry(g, new Map());
    for (const p of points) expect(Math.abs(ev.at(p)[0] - fd.scalar(p))).toBeLessThan(1e-5 * (1 + Math.abs(ev.at(p)[0])));
  });

  it("a diffeomorphism pulls a flat metric back to a flat one (paper-toy: R = 0)", () => {
    const ev = quantityEvaluator(example("paper-toy").metrics.get("g")!, "scalar", new Map());
    for (const p of points) expect(Math.abs(ev.at(p)[0])).toBeLessThan(1e-10);
  });
});
