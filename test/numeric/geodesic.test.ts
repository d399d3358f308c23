import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EvaluationError } from "../../src/numeric/evaluate.js";
import { geodesicBVP, geodesicIVP, geodesicSolver } from "../../src/numeric/geodesic.js";
import { compile } from "../../src/numeric/codegen.js";
import { geoOf, quantityEvaluator } from "../../src/numeric/geometry.js";
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

  it("the far-apart sphere pair that shooting from the straight line misses converges to R times the central angle", () => {
    const a = [0.4, 0],
      b = [2.6, 2.5],
      R = 2;
    const cosAngle = Math.cos(a[0]) * Math.cos(b[0]) + Math.sin(a[0]) * Math.sin(b[0]) * Math.cos(b[1] - a[1]);
    const path = geodesicBVP(metricOf("sphere"), new Map([["R", R]]), a, b);
    expect(path.energyIterations).toBeGreaterThan(0);
    expect(Math.abs(path.length - R * Math.acos(cosAngle))).toBeLessThan(1e-9);
    expect(Math.hypot(path.to[0] - b[0], path.to[1] - b[1])).toBeLessThan(1e-9);
    // log then exp returns to the target: the velocity is the log map
    const back = geodesicIVP(metricOf("sphere"), new Map([["R", R]]), a, path.velocity);
    expect(Math.hypot(back.to[0] - b[0], back.to[1] - b[1])).toBeLessThan(1e-8);
    // |log_a(b)|_g is the distance
    const g = [R * R, R * R * Math.sin(a[0]) ** 2];
    expect(Math.sqrt(g[0] * path.velocity[0] ** 2 + g[1] * path.velocity[1] ** 2)).toBeCloseTo(path.length, 9);
  });

  it("on the paper's toy network, energy then shooting joins points that shooting from the straight line cannot", () => {
    const g = model(readFileSync("examples/paper-toy.rgnn", "utf8"), "examples/paper-toy.rgnn", "examples").metrics.get("g")!;
    const a = [0.3, 0.3],
      b = [-1.7, -0.5];
    expect(() => geodesicBVP(g, new Map(), a, b, { method: "shooting" })).toThrow(
      /^geodesic from \(0.3, 0.3\) to \(-1.7, -0.5\): shooting /,
    );
    const path = geodesicBVP(g, new Map(), a, b);
    expect(Math.hypot(path.to[0] - b[0], path.to[1] - b[1])).toBeLessThan(1e-9);
    // a geodesic has constant speed, here the length itself (t ∈ [0, 1])
    const compiled = compile(geoOf(g).geo.g.flat(), ["x", "y"]);
    const ev = { at: (p: number[]) => compiled.at(p, new Float64Array(0)) };
    for (const s of path.samples.filter((_, i) => i % 10 === 0)) {
      const G = ev.at(s.x);
      const speed = Math.sqrt(G[0] * s.v[0] ** 2 + 2 * G[1] * s.v[0] * s.v[1] + G[3] * s.v[1] ** 2);
      expect(speed).toBeCloseTo(path.length, 6);
    }
    // and it is shorter than the straight line, whose length as g measures it is found by Simpson's rule
    const d = [b[0] - a[0], b[1] - a[1]],
      K = 200;
    let line = 0;
    for (let i = 0; i <= K; i++) {
      const G = ev.at([a[0] + (i / K) * d[0], a[1] + (i / K) * d[1]]);
      line += (i === 0 || i === K ? 1 : i % 2 ? 4 : 2) * Math.sqrt(G[0] * d[0] ** 2 + 2 * G[1] * d[0] * d[1] + G[3] * d[1] ** 2);
    }
    expect(path.length).toBeLessThan(line / (3 * K));
  });

  it("towards an unreachable point, the failure says every path tried meets the degenerate metric", () => {
    // no curve of the upper half-plane crosses y = 0, where g = dx² + dy² over y² blows up
    expect(() => geodesicBVP(metricOf("h2"), new Map(), [0, 1], [0, -1], { maxIterations: 8 })).toThrow(
      /^geodesic from \(0, 1\) to \(0, -1\)(: metric 'g' degenerates on every path tried| not found)/,
    );
  });

  it("on 2-D Minkowski space the interval of a straight line is √|−Δt² + Δx²|, with its type", () => {
    const m = model("manifold M (t, x)\nmetric g on M = [[-1, 0], [0, 1]]").metrics.get("g")!;
    const timelike = geodesicBVP(m, new Map(), [0, 0], [2, 1]);
    expect(timelike.definite).toBe(false);
    expect(timelike.length).toBeCloseTo(Math.sqrt(3), 12);
    expect(timelike.type).toBe("timelike");
    const spacelike = geodesicBVP(m, new Map(), [0, 0], [1, 3]);
    expect(spacelike.length).toBeCloseTo(Math.sqrt(8), 12);
    expect(spacelike.type).toBe("spacelike");
    const light = geodesicIVP(m, new Map(), [0, 0], [1, 1]);
    expect(light.length).toBe(0);
    expect(light.type).toBe("null");
    // a Riemannian metric keeps its length and has no type
    const flat = geodesicIVP(metricOf("polar"), new Map(), [1, 0], [0, 1]);
    expect(flat.definite).toBe(true);
    expect(flat.type).toBeNull();
  });

  it("bvps solves pairs in lockstep: the paths bvp finds one at a time, and a pair's failure as its entry", () => {
    // the sphere (symbolic route), and the paper's toy network through the matrix engine's block pass
    const toy = model(readFileSync("examples/paper-toy.rgnn", "utf8"), "examples/paper-toy.rgnn", "examples").metrics.get("g")!;
    const cases = [
      { g: metricOf("sphere"), env: new Map([["R", 2]]), route: undefined },
      { g: toy, env: new Map<string, number>(), route: "matrix" },
    ];
    for (const { g, env, route } of cases) {
      if (route) process.env.RGNN_ROUTE = route;
      try {
        const r = rng(17);
        const lo = route ? -1.5 : 0.4,
          hi = route ? 1.5 : 2.7;
        const pairs: [number[], number[]][] = Array.from({ length: 6 }, () => [
          [uniform(r, lo, hi), uniform(r, lo, hi)],
          [uniform(r, lo, hi), uniform(r, lo, hi)],
        ]);
        pairs.push([pairs[0][0], pairs[0][0]]); // a point to itself: length 0
        const solver = geodesicSolver(g, env);
        // at most 4 in lockstep at a time: the later pairs start as earlier ones end
        const together = solver.bvps(pairs, { samples: 3 }, 4);
        for (const [k, [a, b]] of pairs.entries()) {
          const alone = solver.bvp(a, b, { samples: 3 });
          const p = together[k];
          if (p instanceof EvaluationError) throw p;
          expect(p.length).toBe(alone.length);
          expect(p.velocity).toEqual(alone.velocity);
          expect(p.samples).toEqual(alone.samples);
          expect(p.energyIterations).toBe(alone.energyIterations);
        }
        expect((together.at(-1) as { length: number }).length).toBe(0);
      } finally {
        delete process.env.RGNN_ROUTE;
      }
    }
    // a pair without a geodesic fails alone, with bvp's message; its neighbours are solved
    const h2 = metricOf("h2");
    const solver = geodesicSolver(h2, new Map());
    const out = solver.bvps(
      [
        [
          [-0.5, 0.4],
          [1.5, 1.2],
        ],
        [
          [0, 1],
          [0, -1],
        ],
        [
          [0.2, 0.5],
          [0.3, 2],
        ],
      ],
      { maxIterations: 8 },
    );
    expect(out[1]).toBeInstanceOf(EvaluationError);
    expect(() => solver.bvp([0, 1], [0, -1], { maxIterations: 8 })).toThrow((out[1] as EvaluationError).message);
    expect((out[0] as { length: number }).length).toBeCloseTo(Math.acosh(1 + (2 ** 2 + 0.8 ** 2) / (2 * 0.4 * 1.2)), 9);
    expect(out[2]).not.toBeInstanceOf(EvaluationError);
  });
});
