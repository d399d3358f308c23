// End to end: the new functions as activations (elu, gelu) and in a map (erf, atan, asinh), through the CLI.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { erf, erfc } from "../../src/core/functions.js";
import { congruenceN, identityN } from "../../src/numeric/linalg.js";
import { cli, expectClose, fdJacobian } from "../helpers.js";

const SPEC = `manifold I (x, y)
manifold M (u, v)
map f : I -> M {
  u = erf(x) + atan(y)
  v = asinh(x * y) - 0.5 * x
}
network n : M -> R^2 {
  dense 3 elu with W = [[1.2, -0.7], [-0.4, 0.9], [0.8, 0.6]], b = [0.1, -0.3, -0.5]
  dense 2 gelu with W = [[0.7, -1.1, 0.5], [0.3, 0.8, -0.9]], b = [0.2, -0.1]
}
map both = f then n
metric g = pullback along both
`;

// the same map written out by hand
const W1 = [
    [1.2, -0.7],
    [-0.4, 0.9],
    [0.8, 0.6],
  ],
  b1 = [0.1, -0.3, -0.5];
const W2 = [
    [0.7, -1.1, 0.5],
    [0.3, 0.8, -0.9],
  ],
  b2 = [0.2, -0.1];
const elu = (z: number) => (z > 0 ? z : Math.exp(z) - 1);
const gelu = (z: number) => 0.5 * z * erfc(-z / Math.SQRT2);
const dense = (W: number[][], b: number[], x: number[], s: (z: number) => number) =>
  W.map((row, i) => s(row.reduce((acc, w, j) => acc + w * x[j], b[i])));
const both = ([x, y]: number[]) => dense(W2, b2, dense(W1, b1, [erf(x) + Math.atan(y), Math.asinh(x * y) - 0.5 * x], elu), gelu);

describe("elu, gelu, erf, atan, asinh end to end", () => {
  it("rgnn metric --at agrees with finite differences of the hand-written map, with elu on both sides of 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-fns-"));
    const p = join(dir, "fns.rgnn");
    writeFileSync(p, SPEC);
    const at = [0.3, -0.7];
    // the pre-activations of the elu layer straddle its kink: the test exercises both branches
    const z = W1.map((row, i) => row[0] * (erf(at[0]) + Math.atan(at[1])) + row[1] * (Math.asinh(at[0] * at[1]) - 0.5 * at[0]) + b1[i]);
    expect(z.some((v) => v > 0) && z.some((v) => v < 0)).toBe(true);
    const r = await cli(["metric", p, "--at", at.join(","), "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expectClose(out.metric, congruenceN(fdJacobian(both, at, 1e-4), identityN(2)), 1e-8, "g");
  });
});
