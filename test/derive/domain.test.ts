// A chart's domain (`manifold M (x, y) on [a,b] x [c,d]`): witnesses sample there, and say so.
import { describe, expect, it } from "vitest";
import { cli, diagnostics, model } from "../helpers.js";

// g is positive definite exactly where x > 0 and y > 0: the default box [-1, 1]² refutes the claim, the domain keeps it.
const SPEC = (domain: string) => `manifold M (x, y)${domain}\nmetric g on M = [[x, 0], [0, y^2 + y]]\ncheck g is positive definite\n`;

describe("chart domains", () => {
  it("are read into the model, one interval per coordinate, constants allowed", () => {
    const m = model(`constant c = 3\n${SPEC(" on [0.5, 2] x [1, c]")}`);
    expect(m.manifolds.get("M")!.domain).toEqual([
      [0.5, 2],
      [1, 3],
    ]);
    expect(model(SPEC("")).manifolds.get("M")!.domain).toBeUndefined();
  });

  it("reject a wrong number of intervals and empty intervals, at the interval", () => {
    // (what uses M then reports that M is invalid)
    const first = (spec: string) => diagnostics(spec).map((d) => [d.span.line, d.span.col, d.message])[0];
    expect(first(SPEC(" on [0, 1]"))).toEqual([1, 22, "the domain has 1 interval, but M has dimension 2 (x, y)"]);
    expect(first(SPEC(" on [0, 1] x [2, 2]"))).toEqual([1, 31, "an interval [a,b] needs numbers (or constants with values) with a < b"]);
  });

  it("decide where witnesses sample: the claim fails on [-1, 1]² and holds on the domain, which the report names", async () => {
    const outside = await cli(["verify", "-"], SPEC(""));
    expect(outside.code).toBe(1);
    const inside = await cli(["verify", "-", "--format", "json"], SPEC(" on [0.5, 2] x [1, 3]"));
    expect(inside.code).toBe(0);
    const check = JSON.parse(inside.out).checks.find((c: { id: string }) => c.id === "claim1");
    expect(check.domain.box).toEqual({
      coords: ["x", "y"],
      lo: -1,
      hi: 1,
      ranges: [
        [0.5, 2],
        [1, 3],
      ],
    });
    const text = await cli(["verify", "-"], SPEC(" on [0.5, 2] x [1, 3]"));
    expect(text.out).toContain("at 8 sampled points, uniform in x ∈ [0.5, 2], y ∈ [1, 3]");
  });

  it("let Schwarzschild's Ricci tensor be witnessed outside the horizon (r in [2, 10] with r_s = 1)", async () => {
    const r = await cli(["verify", "examples/schwarzschild.rgnn", "--format", "json"]);
    expect(r.code).toBe(0);
    const ricci = JSON.parse(r.out).checks.find((c: { id: string }) => c.id === "g:ricci1");
    expect(ricci.passed).toBe(true);
    expect(ricci.route).toBe("finite differences");
  });
});
