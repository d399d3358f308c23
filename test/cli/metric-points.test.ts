// `rgnn metric --points FILE.csv`: the metric at every point of a file, read as `eval --points` reads it, in text,
// JSON, LaTeX and a csv row per point; and the legend of the signature triple under every text result.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-metric-points-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const LEGEND = "(signature (n₊,n₋,n₀): how many eigenvalues of g are positive, negative and zero; rank = n₊ + n₋)";

describe("rgnn metric --points", () => {
  // polar coordinates: g = diag(1, r²), so at (r, θ) the eigenvalues are 1 and r², the determinant r²
  const polarPoints = file("polar.csv", "r,theta\n2,0.5\n0.5,-1\n3,2\n");
  const rs = [2, 0.5, 3];

  it("csv: a row per point with g's upper triangle, rank, signature, eigenvalues and det, in closed form", async () => {
    const r = await cli(["metric", "examples/polar.rgnn", "--points", polarPoints, "-f", "csv"]);
    expect(r.code, r.err).toBe(0);
    const [head, ...rows] = r.out.trim().split("\n");
    expect(head).toBe("r,theta,g_11,g_12,g_22,rank,n_plus,n_minus,n_zero,lambda_1,lambda_2,det");
    expect(rows).toHaveLength(3);
    rows.forEach((row, k) => {
      const [rr, , g11, g12, g22, rank, np, nm, n0, l1, l2, det] = row.split(",").map(Number);
      const r2 = rs[k] ** 2;
      expect(rr).toBe(rs[k]);
      expect(g11).toBeCloseTo(1, 12);
      expect(g12).toBeCloseTo(0, 12);
      expect(g22).toBeCloseTo(r2, 12);
      expect([rank, np, nm, n0]).toEqual([2, 2, 0, 0]);
      expect([l1, l2]).toEqual([Math.min(1, r2), Math.max(1, r2)].map((x) => expect.closeTo(x, 12)));
      expect(det).toBeCloseTo(r2, 12);
    });
  });

  it("gives at each point what --at gives there (paper-toy, JSON)", async () => {
    const pts = [
      [0.3, -0.7],
      [0, 0],
      [-1.2, 0.4],
    ];
    const csv = file("toy.csv", pts.map((p) => p.join(",")).join("\n"));
    const all = JSON.parse((await cli(["metric", "examples/paper-toy.rgnn", "--points", csv, "-f", "json"])).out);
    expect(all).toMatchObject({ name: "g", coords: ["x", "y"], layer: 0 });
    expect(all.points).toHaveLength(3);
    for (const [k, p] of pts.entries()) {
      const one = JSON.parse((await cli(["metric", "examples/paper-toy.rgnn", "--at", p.join(","), "-f", "json"])).out);
      const { name: _n, manifold: _m, coords: _c, layer: _l, ...value } = one;
      expect(all.points[k]).toEqual(value);
    }
  });

  it("text: every point's matrix and the signature's legend once; LaTeX: a line per point", async () => {
    const text = await cli(["metric", "examples/polar.rgnn", "--points", polarPoints]);
    expect(text.out).toContain("3 points of");
    expect(text.out).toContain("at (0.5, -1):\n\ng = [ 1  0    ]\n    [ 0  0.25 ]\n");
    expect(text.out.split(LEGEND)).toHaveLength(2);
    const tex = await cli(["metric", "examples/polar.rgnn", "--points", polarPoints, "-f", "latex"]);
    expect(tex.out.match(/\\begin\{pmatrix\}/g)).toHaveLength(3);
    expect(tex.out).toContain("g\\big|_{(3, 2)} = \\begin{pmatrix} 1 & 0 \\\\ 0 & 9 \\end{pmatrix}");
  });

  it("reads the file as eval does: a wrong row is one located error, exit 1", async () => {
    const bad = file("bad.csv", "r,theta\n1,2\n1,2,3\n");
    const r = await cli(["metric", "examples/polar.rgnn", "--points", bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${bad}:3:1: error: expected 2 coordinates per point, found 3 fields`));
  });

  it("is one of --at, --at-input and --points; csv goes with --points", async () => {
    const both = await cli(["metric", "examples/polar.rgnn", "--points", polarPoints, "--at", "1,2"]);
    expect(both.code).toBe(2);
    expect(both.err).toContain("give one of --at, --at-input and --points");
    const csv = await cli(["metric", "examples/polar.rgnn", "-f", "csv"]);
    expect(csv.code).toBe(2);
    expect(csv.err).toContain("--format csv goes with --points");
  });
});

describe("the signature's legend", () => {
  it("explains the triple under a value at a point, counted right for an indefinite metric", async () => {
    const spec = file("mink.rgnn", "manifold M (t, x)\nmetric eta on M = [[-1, 0], [0, 1]]\n");
    const r = await cli(["metric", spec, "--at", "0.5,2"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("rank 2, signature (1,1,0), Lorentzian, eigenvalues -1, 1, det -1\n");
    expect(r.out).toContain(LEGEND.replace("of g", "of eta"));
  });
});

describe("a long reason", () => {
  it("is wrapped: a clause a line, none over 100 columns, one message", async () => {
    const r = await cli(["geodesic", "examples/sphere.rgnn", "--from", "0.0001,0", "--to", "3.14,1"]);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split("\n");
    expect(lines[0]).toBe("examples/sphere.rgnn: error: geodesic from (0.0001, 0) to (3.14, 1) not found;");
    expect(lines.length).toBeGreaterThan(4);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(100);
    // the clauses start the lines after the first, their continuations indented further
    expect(lines.slice(1).every((l) => /^ {2}\S/.test(l) || /^ {4}\S/.test(l))).toBe(true);
    expect(lines.filter((l) => /^ {2}from /.test(l)).length).toBeGreaterThanOrEqual(2);
    // nothing lost: the words are the one-line message's
    expect(r.err.replace(/\s+/g, " ").trim()).toMatch(/not found; the paths tried: from the straight line, .* away from the target$/);
  });
});
