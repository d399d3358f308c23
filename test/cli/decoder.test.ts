// The decoder example (2 → 256 → 256 → 784, F32 safetensors): every evaluating command answers through the
// matrix engine, and agrees with the independent forward-mode evaluator.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Network } from "../../src/semantics/model.js";
import { forwardNetwork } from "../../src/numeric/forward.js";
import { cli, expectClose, model } from "../helpers.js";

const SPEC = "examples/decoder.rgnn";
const at = [0.3, -0.7];

describe("examples/decoder.rgnn", () => {
  const net = model(readFileSync(SPEC, "utf8"), SPEC, "examples").mappings.get("decoder") as Network;
  const oracle = forwardNetwork(net, at).at(-1)!;
  const J = oracle.J;
  const g = [0, 1].map((a) => [0, 1].map((b) => J.reduce((s, row) => s + row[a] * row[b], 0)));

  it("metric --at equals JᵀJ from forward mode through 784 outputs", async () => {
    const r = await cli(["metric", SPEC, "--at", at.join(","), "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expectClose(out.metric, g, 1e-12, "g");
    expect(out.signature).toEqual([2, 0, 0]);
  });

  it("eval --at gives the 784 outputs and the 784×2 Jacobian of forward mode", async () => {
    const r = await cli(["eval", SPEC, "--at", at.join(","), "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out).points[0];
    expect(p.output).toHaveLength(784);
    expectClose([p.output], [oracle.x], 1e-12, "output");
    expectClose(p.jacobian, J, 1e-12, "J");
  });

  it("geometry --at gives a finite scalar curvature, and the symbolic metric comes in matrix form", async () => {
    const r = await cli(["geometry", SPEC, "--quantity", "scalar", "--at", at.join(","), "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    expect(Number.isFinite(JSON.parse(r.out).components)).toBe(true);
    const m = await cli(["metric", SPEC]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toContain("W3: 784×256");
  });
});
