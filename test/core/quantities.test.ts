import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLAIM_FUNCTIONS, QUANTITY_NAMES, QUANTITY_PHRASES, quantity, type QuantityName, restriction } from "../../src/core/quantities.js";
import { REAL } from "../../src/core/functions.js";
import { derive } from "../../src/derive/index.js";
import { proseTex } from "../../src/render/notation.js";
import { allSteps, failedSteps } from "../../src/derive/model.js";
import { fdGeometry, tableQuantity } from "../../src/derive/routes.js";
import { quantityEvaluator } from "../../src/numeric/geometry.js";
import { num, pow, sym, ZERO } from "../../src/symbolic/expr.js";
import { DAG, geometry } from "../../src/symbolic/geometry.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { cli, model, onlyError, rng, uniform } from "../helpers.js";

const example = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");
const symbolic = (name: string, q: QuantityName) => {
  const m = example(name).metrics.get("g")!;
  return quantity(q).define(DAG, geometry(metricComponents(m), m.manifold.coords).quantities);
};
const close = (a: number, b: number, rel: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * (1 + Math.abs(b)));

describe("the Kretschmann scalar R_abcd R^abcd, exactly", () => {
  it("round sphere of radius R: 4/R⁴, the square of the scalar curvature 2/R² (true in 2-D)", () => {
    expect(symbolic("sphere", "kretschmann")).toEqual([DAG.mul(num(4), pow(sym("R"), num(-4)))]);
    const g = example("sphere").metrics.get("g")!,
      env = new Map([["R", 2]]);
    const K = quantityEvaluator(g, "kretschmann", env),
      S = quantityEvaluator(g, "scalar", env);
    for (const p of [
      [0.4, 0.1],
      [1.2, -2],
      [2.5, 3],
    ])
      close(K.at(p)[0], S.at(p)[0] ** 2, 1e-13);
  });

  it("hyperbolic plane (K = −1): 4", () => expect(symbolic("h2", "kretschmann")).toEqual([num(4)]));

  it("the flat plane in polar coordinates: exactly 0", () => expect(symbolic("polar", "kretschmann")).toEqual([ZERO]));

  it("Schwarzschild in (t, r, θ, φ): 12 r_s² / r⁶", () => {
    const m = model(`
constant r_s = 1.5
manifold M (t, r, theta, phi)
metric g on M = [[-(1 - r_s/r), 0, 0, 0], [0, 1/(1 - r_s/r), 0, 0], [0, 0, r^2, 0], [0, 0, 0, r^2 * sin(theta)^2]]
show kretschmann of g
`);
    const g = m.metrics.get("g")!;
    for (const rs of [1.5, 0.7]) {
      const ev = quantityEvaluator(g, "kretschmann", new Map([["r_s", rs]]));
      for (const p of [
        [0, 3, 1.1, 0.2],
        [2, 5.5, 0.4, -1],
        [-1, 2.2, 2.9, 3],
      ])
        close(ev.at(p)[0], (12 * rs ** 2) / p[1] ** 6, 1e-12);
    }
    // Ricci-flat: the scalar curvature cannot see this curvature, the Kretschmann scalar does
    const R = quantityEvaluator(g, "scalar", new Map([["r_s", 1.5]]));
    expect(Math.abs(R.at([0, 3, 1.1, 0.2])[0])).toBeLessThan(1e-12);
  });

  it("torus: agrees with finite differences of the metric (its witness route)", () => {
    const g = example("torus").metrics.get("g")!,
      env = new Map([
        ["R", 3],
        ["r", 1],
      ]);
    const ev = quantityEvaluator(g, "kretschmann", env),
      fd = fdGeometry(g, env),
      r0 = rng(5);
    for (let i = 0; i < 8; i++) {
      const p = [uniform(r0, -3, 3), uniform(r0, -3, 3)];
      const k = ev.at(p)[0];
      close(quantity("kretschmann").oracle(fd, p)[0], k, 1e-6);
      close(k, 4 * (Math.cos(p[0]) / (3 + Math.cos(p[0]))) ** 2, 1e-12); // 2-D: K = 4 K_gauss², K_gauss = cos θ / (r (R + r cos θ))
    }
  });
});

/** Curved metrics in 2 and 3 dimensions, from networks (no symmetry to hide a wrong index). */
const CURVED2 = `
manifold I (x, y)
network n : I -> R^3 {
  dense 3 tanh with W = [[0.9, -0.4], [0.3, 1.1], [-0.7, 0.5]], b = [0.1, -0.2, 0.05]
  dense 3 softplus with W = [[1.0, 0.2, -0.3], [-0.4, 0.8, 0.5], [0.3, -0.6, 0.9]], b = [0, 0, 0.2]
}
metric g = pullback along n
`;
const CURVED3 = `
manifold U (x, y, z)
metric g on U = [[2 + sin(x*y), 0.3*z, 0.1*x], [0.3*z, 3 + cos(y), 0.2*y*z], [0.1*x, 0.2*y*z, 2.5 + x^2]]
`;

// the symbolic route (DAG, compiled) against the numeric one (numbers, finite differences): a new quantity is covered here
describe("every quantity of the table, by two routes", () => {
  for (const [label, spec] of [
    ["2-D network pullback", CURVED2],
    ["3-D metric", CURVED3],
  ] as const) {
    const g = model(spec).metrics.get("g")!;
    const n = g.manifold.dim;
    for (const q of QUANTITY_NAMES) {
      if (restriction(q, n, g.manifold.name)) continue;
      it(`${q} on the ${label}`, () => {
        const ev = quantityEvaluator(g, q, new Map()),
          numeric = tableQuantity(g, new Map(), q),
          r0 = rng(17);
        expect(ev.quantity.shape).toEqual(quantity(q).shape(n));
        let scale = 0;
        for (let i = 0; i < 5; i++) {
          const p = Array.from({ length: n }, () => uniform(r0, -0.8, 0.8));
          const a = ev.at(p),
            b = numeric(p);
          expect(b.length).toBe(a.length);
          a.forEach((v, k) => {
            close(v, b[k], 1e-6);
          });
          scale = Math.max(scale, ...a.map(Math.abs));
        }
        expect(scale).toBeGreaterThan(1e-3); // the metric is curved enough for the comparison to mean something
      });
    }
  }
});

describe("the table drives the language and the CLI", () => {
  it("every phrase is a spec quantity, every claim function a claim", () => {
    const g = "manifold M (x, y)\nmetric g on M = [[1, 0], [0, 1 + x^2]]\n";
    for (const p of QUANTITY_PHRASES) expect(() => model(`${g}show ${p} of g\n`)).not.toThrow();
    for (const f of CLAIM_FUNCTIONS) {
      const shape = quantity(f).shape(2);
      const rhs = shape.length ? "[[1, 0], [0, 1]]" : "1";
      expect(() => model(`manifold M (x, y)\nmetric g on M = [[1, 0], [0, 1]]\ncheck ${f}(g) equals ${rhs}\n`)).not.toThrow();
    }
  });

  it("a restricted quantity is rejected by name in the wrong dimension", async () => {
    expect(restriction("gaussian", 3, "U")).toBe("Gaussian curvature is defined for 2-dimensional charts; U has dimension 3");
    expect(restriction("kretschmann", 4, "M")).toBeNull();
    const e = onlyError(`${CURVED3}show gaussian curvature of g\n`);
    expect(e.message).toBe("Gaussian curvature is defined for 2-dimensional charts; U has dimension 3");
    expect(e.notes).toContain("use 'scalar curvature' instead");
    const r = await cli(["geometry", "-", "--quantity", "gaussian"], CURVED3);
    expect(r.err).toContain("Gaussian curvature is defined for 2-dimensional charts; U has dimension 3 (use scalar)");
  });

  it("`check kretschmann(g) equals …` is witnessed, and fails when false", async () => {
    const sphere = "constant R = 2\nmanifold S (theta, phi)\nmetric g on S = [[R^2, 0], [0, R^2 * sin(theta)^2]]\n";
    const ok = await cli(["verify", "-"], `${sphere}show kretschmann of g\ncheck kretschmann(g) equals 4/R^4\n`);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const bad = await cli(["verify", "-"], `${sphere}check kretschmann(g) equals 2/R^4\n`);
    expect(bad.code).not.toBe(0);
  });

  it("`show kretschmann of g` is a derivation step, witnessed by finite differences (second derivatives)", () => {
    const m = model(`${CURVED3}show kretschmann of g\n`);
    const d = derive(m);
    const step = allSteps(d).find((s) => s.title === "Kretschmann scalar of g")!;
    expect(proseTex(step.why)).toContain("R_{abcd} R^{abcd}");
    expect(step.witness!.against).toBe("finite differences of the metric's values (second derivatives)");
    expect(step.witness!.passed).toBe(true);
    expect(step.witness!.points).toBeGreaterThan(0);
    expect(failedSteps(d)).toEqual([]);
  });

  it("`rgnn geometry --quantity kretschmann` at a point, and the help lists every quantity", async () => {
    const r = await cli(["geometry", "examples/h2.rgnn", "--quantity", "kretschmann", "--at", "0.3,1.7"]);
    expect(r.out).toBe("kretschmann of g at (0.3, 1.7):\n  R_abcd R^abcd = 4\n");
    const bad = await cli(["geometry", "examples/h2.rgnn", "--quantity", "nope"]);
    for (const q of QUANTITY_NAMES) expect(bad.err).toContain(q);
  });

  it("REAL is a field of numbers", () => {
    expect(REAL.add(1, 2, 3)).toBe(6);
    expect(REAL.pow(9, 0.5)).toBe(3);
    expect(REAL.div(REAL.sub(7, 1), REAL.neg(-3))).toBe(2);
  });
});
