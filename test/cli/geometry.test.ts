import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

describe("rgnn geometry", () => {
  it("prints the polar Christoffel symbols symbolically", async () => {
    const r = await cli(["geometry", "examples/polar.rgnn", "--quantity", "christoffel"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Gamma^r_theta,theta = -r\n");
    expect(r.out).toContain("Gamma^theta_r,theta = 1/r\n");
  });

  it("gives the sphere's curvature in closed form and at a point (JSON)", async () => {
    expect((await cli(["geometry", "examples/sphere.rgnn", "-q", "gaussian"])).out).toContain("K = 1/R^2");
    const j = JSON.parse((await cli(["geometry", "examples/sphere.rgnn", "-q", "scalar", "--at", "1,2", "-f", "json"])).out);
    expect(j).toMatchObject({ metric: "g", quantity: "scalar", shape: [], point: [1, 2] });
    expect(j.components).toBeCloseTo(2 / 4, 12);
    const c = JSON.parse((await cli(["geometry", "examples/sphere.rgnn", "-q", "christoffel", "--at", "1,2", "-f", "json"])).out);
    expect(c.shape).toEqual([2, 2, 2]);
    expect(c.components[0][1][1]).toBeCloseTo(-Math.sin(1) * Math.cos(1), 12);
  });

  it("names the point and determinant where a metric is degenerate", async () => {
    const r = await cli(["geometry", "-", "-q", "christoffel", "--at", "0,1"], "manifold M (x, y)\nmetric g on M = [[x^2, 0], [0, 1]]\n");
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "<stdin>: error: metric 'g' is degenerate at (0, 1): det g = 0; its inverse, Christoffel symbols and curvature do not exist there\n",
    );
  });

  it("rejects an unknown quantity as a usage error", async () => {
    expect((await cli(["geometry", "examples/polar.rgnn", "-q", "torsion"])).code).toBe(2);
  });
});

describe("rgnn geodesic", () => {
  it("solves a boundary-value problem and compares with the chart distance", async () => {
    const r = await cli(["geodesic", "examples/h2.rgnn", "--from", "-1,1", "--to", "1,1", "-f", "json", "--samples", "11"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.length).toBeCloseTo(Math.acosh(3), 9);
    expect(j.chartDistance).toBeCloseTo(2, 9);
    expect(j.samples).toHaveLength(11);
    expect(j.samples[5].x[1]).toBeCloseTo(Math.SQRT2, 8); // the top of the semicircle
  });

  it("writes an initial-value geodesic as CSV", async () => {
    const r = await cli(["geodesic", "examples/polar.rgnn", "--from", "1,0", "--velocity", "0,1", "-f", "csv", "--samples", "3"]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe("t,r,theta,dr/dt,dtheta/dt");
    expect(lines).toHaveLength(4);
  });

  it("--log gives log_from(to), the velocity whose exp (--velocity) lands on the target", async () => {
    const r = await cli(["geodesic", "examples/sphere.rgnn", "--from", "0.4,0", "--to", "2.6,2.5", "--log", "-f", "json"]);
    expect(r.code).toBe(0);
    const log: number[] = JSON.parse(r.out).log;
    const e = await cli([
      "geodesic",
      "examples/sphere.rgnn",
      "--from",
      "0.4,0",
      "--velocity",
      log.join(","),
      "-f",
      "json",
      "--samples",
      "2",
    ]);
    const to: number[] = JSON.parse(e.out).to;
    expect(Math.hypot(to[0] - 2.6, to[1] - 2.5)).toBeLessThan(1e-8);
    expect((await cli(["geodesic", "examples/h2.rgnn", "--from", "0,1", "--velocity", "1,0", "--log"])).code).toBe(2);
  });

  it("reports the interval and type of a geodesic of an indefinite metric", async () => {
    const spec = "manifold M (t, x)\nmetric g on M = [[-1, 0], [0, 1]]\n";
    const r = await cli(["geodesic", "-", "--from", "0,0", "--to", "2,1"], spec);
    expect(r.code).toBe(0);
    expect(r.out).toContain("interval ∫√|g(v,v)| dt = 1.73205080757, timelike");
  });

  it("needs exactly one of --to and --velocity", async () => {
    expect((await cli(["geodesic", "examples/h2.rgnn", "--from", "0,1"])).code).toBe(2);
    expect((await cli(["geodesic", "examples/h2.rgnn", "--from", "0,1", "--to", "1,1", "--velocity", "1,0"])).code).toBe(2);
  });
});

describe("rgnn distances", () => {
  it("gives the symmetric matrix of great-circle distances on the sphere", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-distances-"));
    const pts = [
      [0.5, 0],
      [1.5, 1],
      [2.5, -2],
    ];
    writeFileSync(join(dir, "pts.csv"), `theta,phi\n${pts.map((p) => p.join(",")).join("\n")}\n`);
    const r = await cli(["distances", "examples/sphere.rgnn", "--points", join(dir, "pts.csv"), "-f", "json"]);
    expect(r.code).toBe(0);
    const D: number[][] = JSON.parse(r.out).distances;
    const angle = (a: number[], b: number[]) =>
      Math.acos(Math.cos(a[0]) * Math.cos(b[0]) + Math.sin(a[0]) * Math.sin(b[0]) * Math.cos(b[1] - a[1]));
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        expect(D[i][j]).toBe(D[j][i]);
        expect(Math.abs(D[i][j] - (i === j ? 0 : 2 * angle(pts[i], pts[j])))).toBeLessThan(1e-8);
      }
    const csv = await cli(["distances", "examples/sphere.rgnn", "--points", join(dir, "pts.csv"), "-f", "csv"]);
    expect(
      csv.out
        .trim()
        .split("\n")
        .map((l) => l.split(",").map(Number)),
    ).toEqual(D);
  });
});
