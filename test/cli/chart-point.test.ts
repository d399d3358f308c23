// `--at` reads a point in the metric's own chart (layer K's coordinates with --layer K, layer A−1's along `layers A to B`);
// `--at-input` maps an input point there first and says so. Checked against the layer maps written out by hand.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

const MLP = join(import.meta.dirname, "../fixtures/mlp32/mlp.rgnn");

/** A 2→3→2 network small enough to write out: x1 = tanh(W1 x + b1), x2 = W2 x1. */
const SMALL = `manifold I (x, y)
network n : I -> R^2 {
  dense 3 tanh with W = [[1, 0.5], [-0.3, 1], [0.7, -0.6]], b = [0.1, -0.2, 0.3]
  dense 2 linear with W = [[1, 0, 2], [0, 1, -1]], b = [0, 0]
}
metric g = pullback along n
metric k = pullback along n layers 2 to 2
`;
const x1 = (x: number, y: number) => [Math.tanh(x + 0.5 * y + 0.1), Math.tanh(-0.3 * x + y - 0.2), Math.tanh(0.7 * x - 0.6 * y + 0.3)];
/** Largest entrywise difference of two vectors or matrices. */
const gap = (a: number[] | number[][], b: number[] | number[][]) => {
  const [fa, fb] = [a.flat(), b.flat()];
  expect(fa.length).toBe(fb.length);
  return Math.max(...fa.map((v, i) => Math.abs(v - fb[i])));
};
/** Layer 2 is linear: its metric on layer 1's coordinates is W2ᵀW2 everywhere. */
const W2tW2 = [
  [1, 0, 2],
  [0, 1, -1],
  [2, -1, 5],
];

describe("--at-input: the image of an input point", () => {
  it("metric --layer 1 --at-input P evaluates at x1(P), says so, and equals --at x1(P)", async () => {
    const r = await cli(["metric", "-", "-m", "g", "--layer", "1", "--at-input", "0.3,-0.7", "-f", "json"], SMALL);
    expect(r.err).toBe("");
    const out = JSON.parse(r.out);
    expect(out.input).toEqual({ point: [0.3, -0.7], network: "n", layers: 1 });
    const image = x1(0.3, -0.7);
    expect(gap(out.point, image)).toBeLessThan(1e-14);
    const direct = JSON.parse(
      (await cli(["metric", "-", "-m", "g", "--layer", "1", "--at", out.point.join(","), "-f", "json"], SMALL)).out,
    );
    expect(out.metric).toEqual(direct.metric);
    expect(gap(out.metric, W2tW2)).toBeLessThan(1e-14);
    const text = await cli(["metric", "-", "-m", "g", "--layer", "1", "--at-input", "0.3,-0.7"], SMALL);
    expect(text.out).toContain("in n.x1, the image of input point (0.3, -0.7) under layer 1 of 'n'");
  });

  it("along layers A to B, --at-input maps through layers 1..A−1 of the whole network", async () => {
    const r = await cli(["metric", "-", "-m", "k", "--at-input", "0.3,-0.7", "-f", "json"], SMALL);
    const out = JSON.parse(r.out);
    expect(out.input).toEqual({ point: [0.3, -0.7], network: "n", layers: 1 });
    expect(gap(out.point, x1(0.3, -0.7))).toBeLessThan(1e-14);
    const geometry = await cli(["geometry", "-", "-m", "k", "--at-input", "0.3,-0.7", "-q", "inverse"], SMALL);
    expect(geometry.err).toContain("degenerate"); // W2ᵀW2 has rank 2 of 3: no inverse, and a clean message
  });

  it("on the 32-wide MLP: layers 2 to 3 at the image of P equal the full pullback taken to layer 1", async () => {
    const at = await cli(["metric", MLP, "-m", "h", "--at-input", "0.3,-0.7", "-f", "json"]);
    const plain = await cli(["metric", MLP, "-m", "h", "--at", "0.3,-0.7", "-f", "json"]);
    expect(JSON.parse(at.out).metric).toEqual(JSON.parse(plain.out).metric); // the chart is the input: no mapping
    const k = JSON.parse((await cli(["metric", MLP, "-m", "k", "--at-input", "0.3,-0.7", "-f", "json"])).out);
    const g1 = JSON.parse((await cli(["metric", MLP, "-m", "g", "--layer", "1", "--at-input", "0.3,-0.7", "-f", "json"])).out);
    expect(k.point).toEqual(g1.point);
    const diff = Math.max(...k.metric.flatMap((row: number[], i: number) => row.map((v, j) => Math.abs(v - g1.metric[i][j]))));
    expect(diff).toBeLessThan(1e-12); // layers 2 to 3 on layer 1 = the output's metric taken to layer 1
  });

  it("--at and --at-input together, or a point of the wrong dimension: usage errors", async () => {
    const both = await cli(["metric", "-", "--at", "1,2", "--at-input", "1,2"], SMALL);
    expect(both.code).toBe(2);
    expect(both.err).toContain("give --at or --at-input, not both");
    const wrong = await cli(["metric", "-", "-m", "k", "--at-input", "1,2,3"], SMALL);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("--at-input 1,2,3: I has dimension 2 (x, y), but the point has 3 coordinates");
  });
});

describe("-n NET[A..B] names a sub-network", () => {
  it("eval -n 'n[1..1]' gives layer 1's output x1(P)", async () => {
    const out = JSON.parse((await cli(["eval", "-", "-n", "n[1..1]", "--at", "0.3,-0.7", "-f", "json"], SMALL)).out);
    expect(out.mapping).toBe("n[1..1]");
    const [row] = out.points;
    expect(gap(row.output, x1(0.3, -0.7))).toBeLessThan(1e-14);
  });

  it("a range outside the network is a usage error naming it", async () => {
    const r = await cli(["eval", "-", "-n", "n[1..5]", "--at", "0.3,-0.7"], SMALL);
    expect(r.code).toBe(2);
    expect(r.err).toContain("n[1..5]: 'n' has layers 1 to 2, not 5");
  });
});
