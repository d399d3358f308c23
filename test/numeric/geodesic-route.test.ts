// Geodesics, distances, figures and derivations on wide networks: the geodesic equation is evaluated by the
// matrix engine where the symbolic route would be large (the decoder, 2 → 256 → 256 → 784), and both routes,
// forced with RGNN_ROUTE on a small network, give the same geodesics.
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { geodesicDistances } from "../../src/api/geodesic.js";
import { metricAt } from "../../src/numeric/engine/geometry.js";
import { geodesicBVP, geodesicIVP } from "../../src/numeric/geodesic.js";
import { geodesicBackend, layerStates } from "../../src/numeric/route.js";
import type { Network } from "../../src/semantics/model.js";
import { cli, model, rng, uniform } from "../helpers.js";

afterEach(() => {
  delete process.env.RGNN_ROUTE;
});

const SPEC = "examples/decoder.rgnn";
/** A hang guard for the decoder's geodesics (a few seconds each alone; minutes on two cores shared with other jobs). */
const SLOW = 600_000;
const decoder = model(readFileSync(SPEC, "utf8"), SPEC, "examples");
const net = decoder.mappings.get("decoder") as Network;

/** √(vᵀ g(x) v) with g = JᵀJ from the engine. */
const speed = (x: number[], v: number[]) => {
  const g = metricAt(net, x);
  return Math.sqrt(g[0] * v[0] * v[0] + 2 * g[1] * v[0] * v[1] + g[3] * v[1] * v[1]);
};

/** The length of the straight segment a → b in the pulled-back metric (composite Simpson, 200 intervals). */
function straightLength(a: number[], b: number[]): number {
  const d = b.map((x, i) => x - a[i]),
    K = 200;
  let s = 0;
  for (let k = 0; k <= K; k++) {
    const w = k === 0 || k === K ? 1 : k % 2 ? 4 : 2;
    s +=
      w *
      speed(
        a.map((x, i) => x + (k / K) * d[i]),
        d,
      );
  }
  return s / (3 * K);
}

describe("geodesics of the decoder's latent metric (matrix engine)", () => {
  it("the Γ evaluator takes the matrix route", () => {
    expect(geodesicBackend(decoder.metrics.get("g")!, new Map()).route).toBe("matrix");
  });

  it(
    "geodesic --to hits the end point, runs at constant speed, and is no longer than the straight line",
    async () => {
      const from = [0, 0],
        to = [0.5, 0.5];
      const r = await cli(["geodesic", SPEC, "--from", from.join(","), "--to", to.join(","), "--samples", "11", "--format", "json"]);
      expect(r.code, r.err).toBe(0);
      const p = JSON.parse(r.out);
      expect(Math.hypot(p.to[0] - to[0], p.to[1] - to[1])).toBeLessThan(1e-7);
      // a geodesic has constant speed |ẋ|_g, equal to its length on t ∈ [0, 1]
      for (const s of p.samples) expect(Math.abs(speed(s.x, s.v) - p.length)).toBeLessThan(1e-6 * p.length);
      const line = straightLength(from, to);
      expect(p.length).toBeLessThanOrEqual(line);
      // the metric is not flat there: the straight line is measurably longer (by 8·10⁻⁵ of it)
      expect(line / p.length).toBeGreaterThan(1 + 1e-5);
      // log_from(to) is the BVP's initial velocity; exp of it (the IVP) ends at `to`
      const log = await cli(["geodesic", SPEC, "--from", "0,0", "--to", "0.5,0.5", "--log", "--format", "json"]);
      expect(JSON.parse(log.out).log).toEqual(p.velocity);
      const exp = await cli(["geodesic", SPEC, "--from", "0,0", "--velocity", p.velocity.join(","), "--format", "json"]);
      const e = JSON.parse(exp.out);
      expect(Math.hypot(e.to[0] - to[0], e.to[1] - to[1])).toBeLessThan(1e-6);
      expect(Math.abs(e.length - p.length)).toBeLessThan(1e-7 * p.length);
    },
    SLOW,
  );

  it(
    "distances: a symmetric matrix of geodesic lengths obeying the triangle inequality",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "rgnn-dist-"));
      const pts = [
        [0, 0],
        [0.5, 0.5],
        [0.1, 0.4],
      ];
      writeFileSync(join(dir, "p.csv"), `u,v\n${pts.map((p) => p.join(",")).join("\n")}\n`);
      const r = await cli(["distances", SPEC, "--points", join(dir, "p.csv"), "--format", "json"]);
      expect(r.code, r.err).toBe(0);
      const D: number[][] = JSON.parse(r.out).distances;
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          expect(D[i][j]).toBe(D[j][i]);
          if (i !== j) expect(D[i][j]).toBeLessThanOrEqual(straightLength(pts[i], pts[j]));
          for (let k = 0; k < 3; k++) expect(D[i][j]).toBeLessThanOrEqual(D[i][k] + D[k][j] + 1e-9);
        }
      const g = await cli(["geodesic", SPEC, "--from", "0,0", "--to", "0.5,0.5", "--format", "json"]);
      expect(Math.abs(D[0][1] - JSON.parse(g.out).length)).toBeLessThan(1e-12);
    },
    SLOW,
  );

  it(
    "the pairs solved in lockstep have the lengths 143b071 found one geodesic at a time (bench/results/decoder.json then)",
    () => {
      // each length solves the geodesic equation to about 1e-7 of itself (MATRIX_DEFAULTS); the lockstep solves and
      // the block passes change no step of the solver, so they agree with the recorded ones far closer than that
      const recorded: [number[], number[], number][] = [
        [[0, 0], [0.5, 0.5], 1.9364211600554802],
        [[0.3, -0.7], [-0.5, 0.6], 4.056199038580148],
        [[-1, -1], [1, 1], 5.219968303011251],
        [[-1, 0.5], [1, -0.5], 5.040298212413225],
        [[0.8, 0.8], [-0.2, 0.9], 2.3546548800353735],
        [[-0.6, -0.2], [0.1, -0.9], 2.625042088517747],
        [[0.5, -0.5], [0.6, 0.4], 2.544237264535829],
      ];
      const lengths = geodesicDistances(decoder.metrics.get("g")!, new Map())(recorded.map(([a, b]) => [a, b]));
      for (const [k, [, , length]] of recorded.entries()) {
        const d = lengths[k];
        if (d instanceof Error) throw d;
        expect(Math.abs(d - length)).toBeLessThan(1e-9 * length);
      }
    },
    SLOW,
  );

  it("verify builds the matrix-level derivation (test/derive/matrix.test.ts checks its steps) instead of refusing", async () => {
    const r = await cli(["verify", SPEC]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("g:closed-form");
  });

  it("the layer states for the figures come from the engine: x₃ = σ(W₃ x₂ + b₃) checked by hand", () => {
    const [s] = layerStates(net, new Map())([[0.3, -0.7]]);
    expect(s.map((x) => x.length)).toEqual([2, 256, 256, 784]);
    const L = net.layers[2];
    const W = L.W!.values!,
      b = L.b!.values!;
    for (const i of [0, 391, 783]) {
      let z = b[i];
      for (let j = 0; j < 256; j++) z += W[i * 256 + j] * s[2][j];
      expect(Math.abs(s[3][i] - 1 / (1 + Math.exp(-z)))).toBeLessThan(1e-14);
    }
  });
});

/** A small random tanh/softplus network 2 → 4 → 4 → 3, as spec text. */
function small(seed: number): string {
  const r = rng(seed);
  let w = 2;
  const lines = [4, 4, 3].map((o, l) => {
    const W = Array.from({ length: o }, () => `[${Array.from({ length: w }, () => uniform(r, -1.5, 1.5) / Math.sqrt(w)).join(", ")}]`);
    const b = Array.from({ length: o }, () => uniform(r, -0.5, 0.5));
    w = o;
    return `dense ${o} ${l % 2 ? "softplus" : "tanh"} with W = [${W.join(", ")}], b = [${b.join(", ")}]`;
  });
  return `manifold I (u, v)\nnetwork n : I -> R^3 {\n  ${lines.join("\n  ")}\n}\nmetric g = pullback along n\n`;
}

describe("geodesics by both routes (forced with RGNN_ROUTE)", () => {
  it("the same BVP geodesics and exp map on small networks", () => {
    for (const seed of [1, 2, 3]) {
      const m = model(small(seed));
      const g = m.metrics.get("g")!,
        env = new Map<string, number>();
      const solve = (route: "symbolic" | "matrix") => {
        process.env.RGNN_ROUTE = route;
        expect(geodesicBackend(g, env).route).toBe(route);
        const bvp = geodesicBVP(g, env, [-0.4, 0.2], [0.5, -0.3], { samples: 5 });
        // the same integration tolerances on both routes: the IVPs agree to round-off of the integrator
        const ivp = geodesicIVP(g, env, [-0.4, 0.2], [0.7, 0.4], { samples: 5, rtol: 1e-11, atol: 1e-13 });
        return { bvp, ivp };
      };
      const s = solve("symbolic"),
        x = solve("matrix");
      expect(Math.abs(s.bvp.length - x.bvp.length)).toBeLessThan(1e-7 * s.bvp.length);
      for (const [i, v] of s.bvp.velocity.entries()) expect(Math.abs(v - x.bvp.velocity[i])).toBeLessThan(1e-6);
      for (const [k, p] of s.ivp.samples.entries())
        for (const [i, c] of p.x.entries()) expect(Math.abs(c - x.ivp.samples[k].x[i])).toBeLessThan(1e-10 * (1 + Math.abs(c)));
      expect(Math.abs(s.ivp.length - x.ivp.length)).toBeLessThan(1e-10 * s.ivp.length);
    }
  });
});
