import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CLAIM_FUNCTIONS,
  QUANTITY_NAMES,
  QUANTITY_PHRASES,
  quantity,
  type QuantityName,
  restriction,
  trivialIn,
} from "../../src/core/quantities.js";
import { REAL } from "../../src/core/functions.js";
import { derive } from "../../src/derive/index.js";
import { proseTex } from "../../src/render/notation.js";
import { allSteps, failedSteps } from "../../src/derive/model.js";
import { fdGeometry } from "../../src/derive/routes.js";
import { compile } from "../../src/numeric/codegen.js";
import type { MetricJet } from "../../src/numeric/engine/geometry.js";
import { bindParams, valueEnv } from "../../src/numeric/evaluate.js";
import { quantityEvaluator } from "../../src/numeric/geometry.js";
import type { Metric } from "../../src/semantics/model.js";
import { diff } from "../../src/symbolic/diff.js";
import { num, pow, sym, ZERO } from "../../src/symbolic/expr.js";
import { DAG, geometry } from "../../src/symbolic/geometry.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { indicesOf } from "../../src/symbolic/tensor.js";
import { cli, model, onlyError, rng, uniform } from "../helpers.js";
import { geometryOracle, type OracleGeometry } from "../numeric/engine/oracle.js";

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

/** Curved metrics in 1, 2 and 3 dimensions, from networks and formulas (no symmetry to hide a wrong index). */
const CURVED1 = `
manifold L (x)
metric g on L = [[1 + x^2 + 0.5*sin(x)]]
`;
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

/** g, ∂g and ∂∂g of a metric at points, exactly: its components differentiated on the DAG and compiled. Only the
 *  metric's own derivatives, no formula of the table: what the oracles below start from. */
function exactJet(metric: Metric, env: ReadonlyMap<string, number>): (p: number[]) => MetricJet {
  const coords = metric.manifold.coords,
    n = coords.length;
  const g = metricComponents(metric).flat();
  const dg = coords.map((c) => diff(g, c));
  const ddg = dg.flatMap((d) => coords.map((c) => diff(d, c)));
  const f = compile([...g, ...dg.flat(), ...ddg.flat()], coords);
  const params = bindParams(f, env, "the jet");
  return (p) => {
    const v = f.at(p, params);
    return { n, output: new Float64Array(0), g: v.slice(0, n * n), dg: v.slice(n * n, n * n + n ** 3), ddg: v.slice(n * n + n ** 3) };
  };
}

/** Each quantity from the hand-written oracle (test/numeric/engine/oracle.ts); a new quantity must add its line. */
const INDEPENDENT: Record<QuantityName, (o: OracleGeometry) => ArrayLike<number>> = {
  volume: (o) => [Math.sqrt(o.det)],
  determinant: (o) => [o.det],
  inverse: (o) => o.inverse,
  christoffel: (o) => o.christoffel,
  riemann: (o) => o.riemann,
  ricci: (o) => o.ricci,
  scalar: (o) => [o.scalar],
  gaussian: (o) => [o.gaussian!],
  kretschmann: (o) => [o.kretschmann],
};

// the table's definitions instantiated on the DAG (compiled) against index algebra written out by hand on numbers
describe("every quantity of the table against the hand-written oracle (exact jets of curved metrics)", () => {
  it("the oracle covers exactly the table", () => expect(Object.keys(INDEPENDENT).sort()).toEqual([...QUANTITY_NAMES].sort()));
  for (const [label, spec] of [
    ["1-D metric", CURVED1],
    ["2-D network pullback", CURVED2],
    ["3-D metric", CURVED3],
  ] as const) {
    const g = model(spec).metrics.get("g")!;
    const n = g.manifold.dim;
    for (const q of QUANTITY_NAMES) {
      if (restriction(q, n, g.manifold.name)) continue;
      it(`${q} on the ${label}${trivialIn(q, n) ? " (trivial: identically 0)" : ""}`, () => {
        const ev = quantityEvaluator(g, q, new Map()),
          jet = exactJet(g, new Map()),
          r0 = rng(17);
        expect(ev.quantity.shape).toEqual(quantity(q).shape(n));
        let scale = 0;
        for (let i = 0; i < 5; i++) {
          const p = Array.from({ length: n }, () => uniform(r0, -0.8, 0.8));
          const a = ev.at(p),
            b = Array.from(INDEPENDENT[q](geometryOracle(jet(p))));
          expect(b.length).toBe(a.length);
          a.forEach((v, k) => {
            close(v, b[k], 1e-10);
          });
          scale = Math.max(scale, ...a.map(Math.abs));
        }
        // trivial quantities vanish exactly; the others are large enough here for the comparison to mean something
        if (trivialIn(q, n)) expect(scale).toBe(0);
        else expect(scale).toBeGreaterThan(1e-3);
      });
    }
  }

  it("Riemann against finite differences of the Christoffel symbols (its witness route), on the 2-D and 3-D metrics", () => {
    for (const spec of [CURVED2, CURVED3]) {
      const g = model(spec).metrics.get("g")!,
        n = g.manifold.dim;
      const ev = quantityEvaluator(g, "riemann", new Map()),
        fd = fdGeometry(g, new Map()),
        r0 = rng(3);
      for (let i = 0; i < 3; i++) {
        const p = Array.from({ length: n }, () => uniform(r0, -0.8, 0.8));
        const want = fd.riemann(p).flat(3);
        ev.at(p).forEach((v, k) => {
          close(v, want[k], 1e-6);
        });
      }
    }
  });
});

/**
 * Spaces of constant sectional curvature K, in diagonal metrics: every quantity in closed form, derived by hand —
 * R^a_bcd = K (δ^a_c g_bd − δ^a_d g_bc), Ric = (n − 1) K g, R = n (n − 1) K, Gaussian K, R_abcd R^abcd = 2n(n − 1) K²;
 * det g = Π g_aa, g^aa = 1/g_aa; Γ^a_aa = ∂_a g_aa / 2g_aa, Γ^a_ab = ∂_b g_aa / 2g_aa, Γ^a_bb = −∂_a g_bb / 2g_aa (a ≠ b).
 */
const CONSTANT_CURVATURE = [
  {
    label: "round 2-sphere of radius 2 (K = 1/R²)",
    spec: "constant R = 2\nmanifold S (theta, phi)\nmetric g on S = [[R^2, 0], [0, R^2 * sin(theta)^2]]\n",
    K: 1 / 4,
    box: [0.3, 2.8],
  },
  { label: "hyperbolic plane (K = −1)", spec: "manifold H (x, y)\nmetric g on H = [[1/y^2, 0], [0, 1/y^2]]\n", K: -1, box: [0.4, 2] },
  { label: "flat plane in polar coordinates", spec: "manifold P (r, theta)\nmetric g on P = [[1, 0], [0, r^2]]\n", K: 0, box: [0.5, 2] },
  {
    label: "round 3-sphere of radius 1.5 (R = 6/R², Kretschmann 12/R⁴)",
    spec:
      "constant R = 1.5\nmanifold S3 (chi, theta, phi)\n" +
      "metric g on S3 = [[R^2, 0, 0], [0, R^2 * sin(chi)^2, 0], [0, 0, R^2 * sin(chi)^2 * sin(theta)^2]]\n",
    K: 1 / 2.25,
    box: [0.3, 2.8],
  },
  {
    label: "hyperbolic 3-space (K = −1)",
    spec: "manifold H3 (x, y, z)\nmetric g on H3 = [[1/z^2, 0, 0], [0, 1/z^2, 0], [0, 0, 1/z^2]]\n",
    K: -1,
    box: [0.4, 2],
  },
];

/** Each quantity in closed form on a diagonal metric of constant curvature K at a point (g and ∂g there). */
const CLOSED: Record<QuantityName, (n: number, K: number, g: number[], dg: (c: number, a: number) => number) => number[]> = {
  volume: (_n, _K, g) => [Math.sqrt(g.reduce((p, x) => p * x, 1))],
  determinant: (_n, _K, g) => [g.reduce((p, x) => p * x, 1)],
  inverse: (n, _K, g) => tensor([n, n], ([a, b]) => (a === b ? 1 / g[a] : 0)),
  christoffel: (n, _K, g, dg) =>
    tensor([n, n, n], ([a, b, c]) =>
      b === a && c === a
        ? dg(a, a) / (2 * g[a])
        : b === a
          ? dg(c, a) / (2 * g[a])
          : c === a
            ? dg(b, a) / (2 * g[a])
            : b === c
              ? -dg(a, b) / (2 * g[a])
              : 0,
    ),
  riemann: (n, K, g) => tensor([n, n, n, n], ([a, b, c, d]) => K * ((a === c && b === d ? g[b] : 0) - (a === d && b === c ? g[b] : 0))),
  ricci: (n, K, g) => tensor([n, n], ([a, b]) => (a === b ? (n - 1) * K * g[a] : 0)),
  scalar: (n, K) => [n * (n - 1) * K],
  gaussian: (_n, K) => [K],
  kretschmann: (n, K) => [2 * n * (n - 1) * K * K],
};

const tensor = (shape: number[], f: (idx: number[]) => number) =>
  Array.from({ length: shape.reduce((p, x) => p * x, 1) }, (_, k) => f(indicesOf(shape, k)));

describe("every quantity in closed form on spaces of constant curvature", () => {
  it("the closed forms cover exactly the table", () => expect(Object.keys(CLOSED).sort()).toEqual([...QUANTITY_NAMES].sort()));
  for (const { label, spec, K, box } of CONSTANT_CURVATURE) {
    const m = model(spec),
      g = m.metrics.get("g")!,
      env = valueEnv(m),
      n = g.manifold.dim,
      jet = exactJet(g, env);
    for (const q of QUANTITY_NAMES) {
      if (restriction(q, n, g.manifold.name)) continue;
      it(`${q} on the ${label}`, () => {
        const ev = quantityEvaluator(g, q, env),
          r0 = rng(29);
        for (let i = 0; i < 4; i++) {
          const p = Array.from({ length: n }, () => uniform(r0, box[0], box[1]));
          const j = jet(p);
          const diag = Array.from({ length: n }, (_, a) => j.g[a * n + a]);
          const want = CLOSED[q](n, K, diag, (c, a) => j.dg![(c * n + a) * n + a]);
          ev.at(p).forEach((v, k) => {
            close(v, want[k], 1e-12);
          });
        }
      });
    }
  }

  it("the round 2-sphere's Christoffel symbols by hand: Γ^θ_φφ = −sin θ cos θ, Γ^φ_θφ = Γ^φ_φθ = cot θ", () => {
    const m = model(CONSTANT_CURVATURE[0].spec);
    const ev = quantityEvaluator(m.metrics.get("g")!, "christoffel", valueEnv(m));
    for (const th of [0.4, 1.3, 2.6]) {
      const c = Math.cos(th),
        s = Math.sin(th),
        want = [0, 0, 0, -s * c, 0, c / s, c / s, 0]; // Γ^a_bc at (a·2 + b)·2 + c, a, b, c over (θ, φ)
      ev.at([th, 0.7]).forEach((v, k) => {
        close(v, want[k], 1e-14);
      });
    }
  });
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

  it("a quantity trivial in the chart's dimension says so in its derivation step", () => {
    const trivial = QUANTITY_NAMES.filter((q) => trivialIn(q, 1) && quantity(q).shape(1).length > 0);
    expect(trivial).toEqual(["riemann", "ricci"]);
    const d = derive(model(`${CURVED1}${trivial.map((q) => `show ${quantity(q).phrase} of g\n`).join("")}`));
    for (const q of trivial) {
      const step = allSteps(d).find((s) => s.title === `${quantity(q).title} of g`)!;
      expect(proseTex(step.why)).toContain("All components vanish, as in every chart of dimension below 2.");
      expect(step.witness!.passed).toBe(true);
    }
    const curved = derive(model(`${CURVED3}show riemann of g\n`));
    expect(proseTex(allSteps(curved).find((s) => s.title === "Riemann tensor of g")!.why)).not.toContain("vanish");
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
