// distances with worker threads: the bytes of one thread (matrix, failures in pair order, exit code), with the
// great-circle distances of the round sphere of radius R (2 in examples/sphere.rgnn). The workers run
// dist/src/cli/distances-worker.js, which pretest's build has just compiled.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DistancePair, DistanceResult } from "../../src/cli/distances-worker.js";
import { inWorkers } from "../../src/cli/workers.js";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-distances-threads-"));
const csv = (name: string, pts: number[][]) => {
  const p = join(tmp, name);
  writeFileSync(p, `theta,phi\n${pts.map((q) => q.join(",")).join("\n")}\n`);
  return p;
};
const spec = "examples/sphere.rgnn";
// (θ, φ) away from the poles, |Δφ| < π: the chart's geodesic is the shorter great-circle arc
const pts = [
  [0.5, 0],
  [1.5, 1],
  [2.5, -0.8],
  [1.1, 0.4],
  [2, 0.9],
  [0.8, -1],
];
const points = csv("sphere.csv", pts);
const angle = (a: number[], b: number[]) =>
  Math.acos(Math.cos(a[0]) * Math.cos(b[0]) + Math.sin(a[0]) * Math.sin(b[0]) * Math.cos(b[1] - a[1]));

describe("rgnn distances --threads", () => {
  for (const format of ["text", "json", "csv"]) {
    it(`--threads 2 writes the bytes of --threads 1 (${format}, 6 points, 15 pairs)`, async () => {
      const one = await cli(["distances", spec, "--points", points, "--format", format, "--threads", "1"]);
      const two = await cli(["distances", spec, "--points", points, "--format", format, "--threads", "2"]);
      expect(one.code).toBe(0);
      expect(one.err).toBe("");
      expect(two).toEqual(one);
    });
  }

  it("puts each pair's length in its place: d(i, j) = R × central angle on three workers", async () => {
    const r = await cli(["distances", spec, "--points", points, "--format", "json", "--threads", "3"]);
    const D: number[][] = JSON.parse(r.out).distances;
    for (let i = 0; i < pts.length; i++)
      for (let j = 0; j < pts.length; j++) {
        expect(D[i][j]).toBe(D[j][i]);
        expect(Math.abs(D[i][j] - (i === j ? 0 : 2 * angle(pts[i], pts[j])))).toBeLessThan(1e-8);
      }
  });

  it("--set reaches the workers: R = 3 scales every distance by 3/2", async () => {
    const base: number[][] = JSON.parse((await cli(["distances", spec, "--points", points, "-f", "json"])).out).distances;
    const one = await cli(["distances", spec, "--points", points, "-f", "json", "--set", "R=3", "--threads", "1"]);
    const two = await cli(["distances", spec, "--points", points, "-f", "json", "--set", "R=3", "--threads", "2"]);
    expect(two).toEqual(one);
    const D: number[][] = JSON.parse(two.out).distances;
    for (let i = 0; i < pts.length; i++)
      for (let j = 0; j < pts.length; j++) expect(Math.abs(D[i][j] - 1.5 * base[i][j])).toBeLessThan(1e-8);
  });

  it("a spec from standard input runs on the workers too", async () => {
    const text = readFileSync(spec, "utf8");
    const one = await cli(["distances", "-", "--points", points, "-f", "csv", "--threads", "1"], text);
    const two = await cli(["distances", "-", "--points", points, "-f", "csv", "--threads", "2"], text);
    expect(one.code).toBe(0);
    expect(two).toEqual(one);
  });

  it("pairs without a geodesic: the same matrix with blanks, the same errors in pair order, exit 1", async () => {
    // θ = 0 is the pole, where g = diag(R², R² sin²θ) is degenerate: every pair with point 3 fails
    const bad = csv("pole.csv", [pts[0], pts[1], [0, 0.5], pts[3], pts[4]]);
    const one = await cli(["distances", spec, "--points", bad, "--format", "csv", "--threads", "1"]);
    const two = await cli(["distances", spec, "--points", bad, "--format", "csv", "--threads", "2"]);
    expect(one.code).toBe(1);
    expect(two).toEqual(one);
    const lines = one.err.trimEnd().split("\n");
    expect(lines.map((l) => /between points (\d) and (\d):/.exec(l)?.slice(1).join(" "))).toEqual(["1 3", "2 3", "3 4", "3 5"]);
    for (const l of lines) expect(l).toMatch(/^examples\/sphere\.rgnn: error: no geodesic between .*degenerate at \(0, 0\.5\)/);
    const rows = one.out.trimEnd().split("\n");
    expect(rows[2]).toBe(",,0,,");
    expect(rows[0].split(",")[2]).toBe("");
    expect(Math.abs(Number(rows[0].split(",")[1]) - 2 * angle(pts[0], pts[1]))).toBeLessThan(1e-8);
  });

  it("a single pair with --threads 4 (solved in-process); --threads must be a whole number from 1 to 64", async () => {
    const two = csv("two.csv", pts.slice(0, 2));
    const r = await cli(["distances", spec, "--points", two, "-f", "json", "--threads", "4"]);
    expect(r.code).toBe(0);
    expect(Math.abs(JSON.parse(r.out).distances[0][1] - 2 * angle(pts[0], pts[1]))).toBeLessThan(1e-8);
    for (const n of ["0", "1.5", "65", "two"]) {
      const bad = await cli(["distances", spec, "--points", points, "--threads", n]);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(`--threads ${n}: expected a whole number from 1 to 64`);
    }
  });

  it("a worker's own failure is not a distance: a crash report with the stack, or a rejection", async () => {
    const source = readFileSync(spec, "utf8");
    const run = (init: object, pair: DistancePair) =>
      inWorkers<DistancePair[], DistanceResult[], DistanceResult>({
        script: "distances-worker",
        init,
        threads: 1,
        inFlight: 1,
        next: () => [pair],
        reply: (rs) => rs[0],
      });
    // a pair past the end of the points: a TypeError in the solver, not an EvaluationError
    const r = await run({ source, file: spec, env: new Map([["R", 2]]), points: [pts[0]] }, { k: 0, i: 0, j: 1 });
    expect(r.k).toBe(0);
    expect(r.length).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.crash).toMatch(/TypeError/);
    // a spec that does not load: the worker's 'error' event rejects
    await expect(run({ source: "manifold M (x\n", file: "bad.rgnn", env: new Map(), points: [] }, { k: 0, i: 0, j: 0 })).rejects.toThrow();
  });
});
