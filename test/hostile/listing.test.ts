// Symbolic tensors listed honestly: what is listed, what follows by symmetry, the full tensor in JSON,
// the index conventions in --help, and no printed symbol that clashes with a name of the spec.
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

describe("geometry listings", () => {
  it("says the Riemann listing holds the independent components, and names the symmetry giving the rest", async () => {
    const r = await cli(["geometry", "examples/sphere.rgnn", "--quantity", "riemann"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("nonzero independent components (the rest follow by R^a_bdc = -R^a_bcd");
    expect(r.out).not.toMatch(/, nonzero components:/);
  });

  it("gives the full Riemann tensor in JSON, R^θ_φφθ = −sin²θ included", async () => {
    const r = await cli(["geometry", "examples/sphere.rgnn", "--quantity", "riemann", "--format", "json"]);
    const out = JSON.parse(r.out);
    expect(out.shape).toEqual([2, 2, 2, 2]);
    // index order [a][b][c][d] over (theta, phi): R^theta_{phi phi theta} = -R^theta_{phi theta phi}
    expect(out.tensor[0][1][0][1]).toBe("sin(theta)^2");
    expect(out.tensor[0][1][1][0]).toBe("-sin(theta)^2");
    expect(out.tensor[0][0][0][0]).toBe("0");
    expect(out.symmetry).toContain("R^a_bdc = -R^a_bcd");
  });

  it("prints the scalar curvature as scalar(g), not R, beside a constant named R", async () => {
    const r = await cli(["geometry", "examples/sphere.rgnn", "--quantity", "scalar"]);
    expect(r.out).toContain("scalar(g) = 2/R^2");
    expect(r.out).not.toMatch(/^\s*R = /m);
    const plain = await cli(["geometry", "-", "--quantity", "scalar"], "manifold P (r, t)\nmetric g on P = [[1, 0], [0, r^2]]\n");
    expect(plain.out).toMatch(/^\s*R = 0$/m);
  });

  it("documents the index conventions in rgnn geometry --help", async () => {
    const r = await cli(["geometry", "--help"]);
    expect(r.out).toContain("Gamma^a_bc = 1/2 g^ad (d_b g_dc + d_c g_db - d_d g_bc)");
    expect(r.out).toContain("Ric_bd     = R^a_bad");
  });
});
