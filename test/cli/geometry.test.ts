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

  it("needs exactly one of --to and --velocity", async () => {
    expect((await cli(["geodesic", "examples/h2.rgnn", "--from", "0,1"])).code).toBe(2);
    expect((await cli(["geodesic", "examples/h2.rgnn", "--from", "0,1", "--to", "1,1", "--velocity", "1,0"])).code).toBe(2);
  });
});
