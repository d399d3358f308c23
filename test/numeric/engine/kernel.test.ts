// The engine's W·X kernel: WebAssembly SIMD and the Float64Array loop against a plain triple loop on shapes that hit
// every branch (odd rows, odd columns, odd K, blocks of 4 and leftovers), the arena's growth, and the checked-in
// module against what scripts/wasm.mjs builds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { affine, KERNEL, wasmKernelAvailable } from "../../../src/numeric/engine/kernel.js";
import { rng } from "../../../src/core/random.js";

function reference(W: Float64Array, b: Float64Array, X: Float64Array, rows: number, cols: number, K: number): Float64Array {
  const Z = new Float64Array(K * rows);
  for (let k = 0; k < K; k++)
    for (let i = 0; i < rows; i++) {
      let s = k === 0 ? b[i] : 0;
      for (let j = 0; j < cols; j++) s += W[i * cols + j] * X[k * cols + j];
      Z[k * rows + i] = s;
    }
  return Z;
}

const random = (r: () => number, n: number) => Float64Array.from({ length: n }, () => 2 * r() - 1);

describe("the affine kernel", () => {
  it("compiles to WebAssembly SIMD on Node 20 and is the one in use", () => {
    expect(wasmKernelAvailable()).toBe(true);
    expect(KERNEL).toBe(process.env.RGNN_KERNEL === "js" ? "js" : "wasm");
  });

  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 1],
    [4, 2, 3],
    [7, 9, 2],
    [16, 16, 3],
    [33, 17, 5],
    [64, 64, 4],
    [101, 63, 7],
    [784, 256, 4],
  ];
  for (const kernel of ["wasm", "js"] as const)
    for (const [rows, cols, K] of shapes)
      it(`${kernel}: ${rows} × ${cols}, K = ${K} agrees with the triple loop`, () => {
        const r = rng(rows * 1000 + cols * 10 + K);
        const W = random(r, rows * cols),
          b = random(r, rows),
          X = random(r, K * cols);
        const Z = new Float64Array(K * rows).fill(Number.NaN);
        affine(W, b, X, Z, rows, cols, K, kernel);
        const want = reference(W, b, X, rows, cols, K);
        // sums of `cols` terms of size ≤ 1, in another order: round-off ≤ cols·ε
        for (let i = 0; i < want.length; i++) expect(Math.abs(Z[i] - want[i])).toBeLessThanOrEqual(cols * 2.3e-16);
      });

  it("grows a layer's memory when a later call carries more components, and keeps W exact", () => {
    const r = rng(3);
    const rows = 40,
      cols = 30;
    const W = random(r, rows * cols),
      b = random(r, rows);
    for (const K of [1, 3, 200, 2]) {
      const X = random(r, K * cols),
        Z = new Float64Array(K * rows);
      affine(W, b, X, Z, rows, cols, K, "wasm");
      const want = reference(W, b, X, rows, cols, K);
      for (let i = 0; i < want.length; i++) expect(Math.abs(Z[i] - want[i])).toBeLessThanOrEqual(1e-14);
    }
  });

  it("is the module scripts/wasm.mjs builds from its template", async () => {
    // @ts-expect-error: a build script in plain JavaScript
    const { WAT, kernelModuleSource } = await import("../../../scripts/wasm.mjs");
    const dir = join(import.meta.dirname, "../../../src/numeric/engine");
    expect(readFileSync(join(dir, "kernel.wat"), "utf8")).toBe(WAT);
    expect(readFileSync(join(dir, "kernel.wasm.ts"), "utf8")).toBe(await kernelModuleSource());
  });
});
