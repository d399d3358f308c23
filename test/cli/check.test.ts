import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

const EXAMPLES = ["polar", "sphere", "h2", "paper-toy", "symbolic-resnet", "deep-resnet", "bundles", "torus", "second-order"].map(
  (f) => `examples/${f}.rgnn`,
);

describe("rgnn check", () => {
  it("accepts every example with a one-line summary each", async () => {
    const r = await cli(["check", ...EXAMPLES]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines).toHaveLength(EXAMPLES.length);
    expect(lines[3]).toBe("examples/paper-toy.rgnn: ok: 1 manifold, 1 network (5 layers), 2 metrics, 5 requests");
    expect(lines[5]).toContain("1 network (64 layers)");
  });

  it("exits 1 with formatted errors for a bad file, still checking the others", async () => {
    const r = await cli(["check", "-", "examples/polar.rgnn"], "manifold P (x)\nshow q\n");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^<stdin>:2:6: error: unknown metric or map or network or manifold or constant 'q'\n/);
    expect(r.err).toContain("2 | show q\n  |      ^");
    expect(r.out).toContain("examples/polar.rgnn: ok");
  });

  it("reads a spec from standard input", async () => {
    const r = await cli(["check", "-"], "manifold P (x)\n");
    expect(r).toMatchObject({ code: 0, out: "<stdin>: ok: 1 manifold, 0 metrics, 0 requests\n" });
  });

  it("a missing file is an error, not a crash", async () => {
    const r = await cli(["check", "nope.rgnn"]);
    expect(r).toMatchObject({ code: 1, err: "nope.rgnn: error: cannot read: no such file\n" });
  });

  it("usage errors exit 2", async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(["check"])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["metric", "examples/polar.rgnn", "--format", "xml"])).code).toBe(2);
  });

  it("prints help and version", async () => {
    const h = await cli(["--help"]);
    expect(h.code).toBe(0);
    expect(h.out).toContain("check");
    expect(h.out).toContain("metric");
    const v = await cli(["--version"]);
    expect(v).toMatchObject({ code: 0 });
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
