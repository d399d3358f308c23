// geometry --points: every component of a quantity at many points, as csv (a header naming the components by their
// 1-based indices) and as npy (points × the quantity's shape, read by NumPy's own np.load), against the round sphere's
// closed forms: Γ^theta_phi,phi = −sin θ cos θ, Γ^phi_theta,phi = cot θ, scalar curvature 2/R² (R = 2).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-geometry-points-"));
const pts = [
  [1.1, 0.4],
  [0.3, -2],
  [2.5, 1],
];
const csv = join(tmp, "points.csv");
writeFileSync(csv, `theta,phi\n${pts.map((p) => p.join(",")).join("\n")}\n`);
const spec = "examples/sphere.rgnn";
const numpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"]).status === 0;

/** Γ of the sphere at (θ, φ), row-major [a][b][c] over (theta, phi). */
const christoffel = ([t]: number[]) => {
  const G = new Array(8).fill(0);
  G[0 * 4 + 1 * 2 + 1] = -Math.sin(t) * Math.cos(t);
  G[1 * 4 + 0 * 2 + 1] = G[1 * 4 + 1 * 2 + 0] = Math.cos(t) / Math.sin(t);
  return G;
};

describe("rgnn geometry --points", () => {
  it("csv: the coordinates and every component a row, the header naming them by their indices", async () => {
    const r = await cli(["geometry", spec, "-q", "christoffel", "--points", csv, "-f", "csv"]);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.out.trimEnd().split("\n");
    expect(head.split(",").slice(0, 4)).toEqual(["theta", "phi", "christoffel_111", "christoffel_112"]);
    expect(head.split(",")).toHaveLength(2 + 8);
    rows.forEach((row, p) => {
      const v = row.split(",").map(Number);
      expect(v.slice(0, 2)).toEqual(pts[p]);
      for (const [k, want] of christoffel(pts[p]).entries()) expect(Math.abs(v[2 + k] - want)).toBeLessThan(1e-13);
    });
  });

  it.runIf(numpy)("npy: points × the quantity's shape, the csv's numbers bit for bit", async () => {
    const out = join(tmp, "gamma.npy");
    expect(await cli(["geometry", spec, "-q", "christoffel", "--points", csv, "-f", "npy", "-o", out])).toEqual({
      code: 0,
      out: "",
      err: `wrote ${out} (3 points)\n`,
    });
    const code =
      "import json,sys,numpy as np\na=np.load(sys.argv[1])\nprint(json.dumps({'shape':list(a.shape),'v':a.reshape(-1).tolist()}))";
    const run = spawnSync("/usr/bin/python3", ["-c", code, out], { encoding: "utf8" });
    const { shape, v } = JSON.parse(run.stdout);
    expect(shape).toEqual([3, 2, 2, 2]);
    const text = (await cli(["geometry", spec, "-q", "christoffel", "--points", csv, "-f", "csv"])).out;
    const fromCsv = text
      .trimEnd()
      .split("\n")
      .slice(1)
      .flatMap((row) => row.split(",").slice(2).map(Number));
    expect(v).toEqual(fromCsv);
    const scalar = join(tmp, "scalar.npy");
    expect((await cli(["geometry", spec, "-q", "scalar", "--points", csv, "-f", "npy", "-o", scalar])).code).toBe(0);
    const s = JSON.parse(spawnSync("/usr/bin/python3", ["-c", code, scalar], { encoding: "utf8" }).stdout);
    expect(s.shape).toEqual([3]);
    for (const x of s.v) expect(Math.abs(x - 2 / 4)).toBeLessThan(1e-12);
  });

  it("refuses what does not go together, as usage errors naming what works", async () => {
    const npyOut = await cli(["geometry", spec, "--points", csv, "-f", "npy"]);
    expect([npyOut.code, npyOut.err]).toEqual([2, expect.stringContaining("--format npy is binary: give -o FILE.npy")]);
    const text = await cli(["geometry", spec, "--points", csv]);
    expect([text.code, text.err]).toEqual([2, expect.stringContaining("--points writes --format csv or --format npy")]);
    const csvAt = await cli(["geometry", spec, "--at", "1,2", "-f", "csv"]);
    expect([csvAt.code, csvAt.err]).toEqual([2, expect.stringContaining("--format csv goes with --points FILE.csv")]);
    const both = await cli(["geometry", spec, "--at", "1,2", "--points", csv, "-f", "csv"]);
    expect(both.code).toBe(2);
  });
});
