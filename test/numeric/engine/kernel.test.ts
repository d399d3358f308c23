// The engine's W·X kernel: WebAssembly SIMD and the Float64Array loop against a plain triple loop on shapes that hit
// every branch (odd rows, odd columns, odd K, blocks of 4 and leftovers), the arena's growth, and the checked-in
// module against what scripts/wasm.mjs builds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chainStep } from "../../../src/numeric/engine/batch.js";
import { ACTIVATION_DERIVATIVES } from "../../../src/numeric/engine/activations.js";
import { affine, KERNEL, kernelFma, newWasmKernel, wasmKernelAvailable, writePacked } from "../../../src/numeric/engine/kernel.js";
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

/** The spacing of doubles at |x| (the smallest subnormal at 0). */
function ulp(x: number): number {
  const a = new Float64Array([Math.abs(x)]);
  const bits = new BigInt64Array(a.buffer);
  bits[0] += 1n;
  return a[0] - Math.abs(x) || Number.MIN_VALUE;
}

/** A fresh kernel instance with `doubles` of memory, and a view of it. */
function instance(doubles: number) {
  const kernel = newWasmKernel()!;
  kernel.memory.grow(Math.ceil((doubles * 8) / 65536));
  return { kernel, f64: new Float64Array(kernel.memory.buffer) };
}

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

  for (const fused of [true, false])
    it(`the ${fused ? "fused (relaxed SIMD)" : "plain"} module's affine on every shape, against the triple loop`, () => {
      for (const [rows, cols, K] of shapes) {
        const r = rng(rows * 1000 + cols * 10 + K);
        const W = random(r, rows * cols),
          X = random(r, K * cols);
        const kernel = newWasmKernel(fused)!;
        kernel.memory.grow(Math.ceil(((rows * cols + K * (cols + rows) + 8) * 8) / 65536));
        const f64 = new Float64Array(kernel.memory.buffer);
        const xAt = 2 * Math.ceil((rows * cols) / 2),
          zAt = xAt + 2 * Math.ceil((K * cols) / 2);
        writePacked(W, rows, cols, f64, 0);
        f64.set(X, xAt);
        f64.fill(Number.NaN, zAt, zAt + K * rows + 8);
        kernel.affine(0, 8 * xAt, 8 * zAt, rows, cols, K);
        const want = reference(W, new Float64Array(rows), X, rows, cols, K);
        for (let i = 0; i < want.length; i++) expect(Math.abs(f64[zAt + i] - want[i])).toBeLessThanOrEqual(cols * 2.3e-16);
        expect(f64.slice(zAt + K * rows, zAt + K * rows + 8).every(Number.isNaN)).toBe(true);
      }
    });

  it("fuses the products' multiply-adds where the runtime has relaxed SIMD (Node ≥ 20.16 here)", () => {
    expect(kernelFma()).toBe(process.env.RGNN_FMA !== "0");
    // W = [1, a], X = [−1, b] (one row, one vector), a = 1 + 2⁻³⁰, b = 1 − 2⁻³⁰: the sum −1 + a·b is −2⁻⁶⁰ with the
    // product fused into it, and 0 when a·b = 1 − 2⁻⁶⁰ rounds to 1 first
    for (const fused of [true, false]) {
      const kernel = newWasmKernel(fused)!;
      const f64 = new Float64Array(kernel.memory.buffer);
      f64.set([1, 1 + 2 ** -30, -1, 1 - 2 ** -30]);
      kernel.affine(0, 16, 32, 1, 2, 1);
      expect(f64[4]).toBe(fused ? -(2 ** -60) : 0);
    }
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

describe("the packed layout the kernel's products read", () => {
  it.each([
    [1, 1],
    [3, 5],
    [10, 4],
    [37, 70],
    [64, 32],
    [33, 2],
  ])("writes a %i × %i matrix in bands of 8 rows, then pairs, then one, after an offset", (rows, cols) => {
    const W = Float64Array.from({ length: rows * cols }, (_, k) => k + 0.5);
    const into = new Float64Array(rows * cols + 7).fill(-1);
    writePacked(W, rows, cols, into, 5);
    expect(into.slice(0, 5).every((v) => v === -1)).toBe(true);
    expect(into.slice(5 + rows * cols).every((v) => v === -1)).toBe(true);
    // the bands by hand: rows 8 at a time while 8 remain, then 2 at a time, then the last one
    const widths: number[] = [];
    for (let left = rows; left > 0; left -= widths[widths.length - 1]) widths.push(left >= 8 ? 8 : left >= 2 ? 2 : 1);
    let i = 0;
    for (const width of widths) {
      for (let r = 0; r < width; r++) for (let j = 0; j < cols; j++) expect(into[5 + i * cols + j * width + r]).toBe(W[(i + r) * cols + j]);
      i += width;
    }
    expect(i).toBe(rows);
  });
});

describe("the tangents' product with the chain rule in its write-back (affine_chain)", () => {
  /** Y[v][i] = (Σ_j W[i][j] X[v][j])·D'[v mod B][i], or c·P[v][i] + s·(that), in plain loops. */
  function reference(
    W: Float64Array,
    X: Float64Array,
    Dp: Float64Array,
    P: Float64Array,
    rows: number,
    cols: number,
    B: number,
    V: number,
    step: [number, number] | null,
  ) {
    const Y = new Float64Array(V * rows);
    for (let v = 0; v < V; v++)
      for (let i = 0; i < rows; i++) {
        let z = 0;
        for (let j = 0; j < cols; j++) z += W[i * cols + j] * X[v * cols + j];
        const y = z * Dp[(v % B) * rows + i];
        Y[v * rows + i] = step ? step[0] * P[v * rows + i] + step[1] * y : y;
      }
    return Y;
  }

  /** One call of affine_chain in a fresh instance: W packed at 0, then X, D', P and Y (guarded by NaN after its end). */
  function run(
    fused: boolean,
    W: Float64Array,
    X: Float64Array,
    Dp: Float64Array,
    P: Float64Array,
    rows: number,
    cols: number,
    B: number,
    V: number,
    step: [number, number] | null,
  ) {
    const at = (n: number) => 2 * Math.ceil(n / 2); // 16-byte aligned starts
    const xAt = at(rows * cols),
      dAt = xAt + at(X.length),
      pAt = dAt + at(Dp.length),
      yAt = pAt + at(P.length);
    const kernel = newWasmKernel(fused)!;
    kernel.memory.grow(Math.ceil(((yAt + V * rows + 8) * 8) / 65536));
    const f64 = new Float64Array(kernel.memory.buffer);
    writePacked(W, rows, cols, f64, 0);
    f64.set(X, xAt);
    f64.set(Dp, dAt);
    f64.set(P, pAt);
    f64.fill(Number.NaN, yAt, yAt + V * rows + 8);
    const [c, s] = step ?? [0, 1];
    kernel.affine_chain(0, 8 * xAt, 8 * yAt, rows, cols, V, 8 * dAt, B, 8 * pAt, c, s, step ? 1 : 0);
    expect(f64.slice(yAt + V * rows, yAt + V * rows + 8).every(Number.isNaN)).toBe(true); // nothing written past Y
    return f64.slice(yAt, yAt + V * rows);
  }

  // rows: bands of 8, pairs and an odd row; cols down to 1; B odd, even and 1; tangents per point 1 … 3 (odd vector counts)
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [2, 3, 1, 2],
    [3, 1, 2, 1],
    [8, 8, 3, 2],
    [9, 5, 5, 3],
    [10, 64, 4, 2],
    [17, 2, 3, 1],
    [64, 64, 7, 2],
  ];
  for (const fused of [true, false])
    for (const [rows, cols, B, n] of shapes)
      for (const step of [null, [1, 0.015625] as [number, number]])
        it(`${fused ? "fused" : "plain"}: ${rows} × ${cols}, ${B} points × ${n} tangents${step ? ", a residual step" : ""}`, () => {
          const r = rng(rows * 100 + cols * 10 + B + n);
          const V = B * n;
          const W = random(r, rows * cols),
            X = random(r, V * cols),
            Dp = random(r, B * rows),
            P = random(r, V * rows);
          const Y = run(fused, W, X, Dp, P, rows, cols, B, V, step);
          const want = reference(W, X, Dp, P, rows, cols, B, V, step);
          // sums of `cols` terms of size ≤ 1 in another order (fused or not), times |D'| ≤ 1: round-off ≤ (cols + 2)·ε
          for (let k = 0; k < want.length; k++) expect(Math.abs(Y[k] - want[k])).toBeLessThanOrEqual((cols + 2) * 2.3e-16);
          // a vector's result does not depend on its neighbours: each point alone (B = 1) gives the same bits
          for (let b = 0; b < B; b++) {
            const pick = (M: Float64Array, w: number) =>
              Float64Array.from({ length: n * w }, (_, k) => M[(Math.floor(k / w) * B + b) * w + (k % w)]);
            const alone = run(fused, W, pick(X, cols), Dp.slice(b * rows, (b + 1) * rows), pick(P, rows), rows, cols, 1, n, step);
            for (let a = 0; a < n; a++)
              for (let i = 0; i < rows; i++)
                if (!Object.is(alone[a * rows + i], Y[(a * B + b) * rows + i])) throw new Error(`point ${b}, tangent ${a}, row ${i}`);
          }
        });
});

describe("the kernel's elementwise functions", () => {
  it("tanh: within 2.5 ulps of tanh to 90 bits (mpmath) where it is most likely to err", () => {
    // test/fixtures/tanh/make.py: both branches, the switch at 1, expm1's range-reduction boundaries, the clamp at 22
    const rows: [number, number, number][] = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/tanh/mpmath.json"), "utf8"));
    const { kernel, f64 } = instance(3 * rows.length + 8);
    rows.forEach(([x], u) => {
      f64[u] = x;
    });
    f64[rows.length] = 0;
    const D = rows.length + 2;
    kernel.tanh(0, 8 * rows.length, 8 * D, rows.length, 1);
    let worst = 0;
    rows.forEach(([x, hi, lo], u) => {
      const t = f64[D + u];
      // (t − hi) is exact (the two are close); lo carries tanh(x) − hi
      const err = Math.abs(t - hi - lo) / ulp(hi);
      if (!(err <= 2.5)) throw new Error(`tanh(${x}) = ${t}: ${err.toFixed(2)} ulps from ${hi} + ${lo}`);
      worst = Math.max(worst, err);
    });
    expect(worst).toBeGreaterThan(1); // the fixture does reach the hard cases
  });

  it("tanh: within 4 ulps of Math.tanh on 10^6 arguments over every range, and exact at the special values", () => {
    // both are a couple of ulps from tanh (the kernel at most 2.23 on the fixture above, fdlibm's about 2), so 4 apart
    const N = 250_000;
    const { kernel, f64 } = instance(4 * N + 8);
    const r = rng(21);
    const sign = () => (r() < 0.5 ? -1 : 1);
    const ranges: [string, () => number][] = [
      ["[-30, 30]", () => 60 * r() - 30],
      ["[-1.2, 1.2] (both branches, k = 0 … −3)", () => 2.4 * r() - 1.2],
      ["[1e-8, 1e-3]", () => sign() * 10 ** (-8 + 5 * r())],
      ["log-uniform down to subnormals", () => sign() * Math.exp(-745 * r())],
    ];
    for (const [label, draw] of ranges) {
      for (let u = 0; u < N; u++) f64[u] = draw();
      f64[N] = 0; // one bias, 0
      kernel.tanh(0, 8 * N, 8 * (N + 2), N, 1);
      let worst = 0;
      for (let u = 0; u < N; u++) {
        const t = f64[N + 2 + u];
        worst = Math.max(worst, Math.abs(t - Math.tanh(f64[u])) / ulp(Math.tanh(f64[u])));
        if (f64[2 * N + 2 + u] !== 1 - t * t) throw new Error(`σ' at ${f64[u]} is not 1 − t²`);
      }
      expect(worst, label).toBeLessThanOrEqual(4);
      expect(worst, `${label}: some argument should not round like fdlibm`).toBeGreaterThan(0);
    }
    // z = y + bias with bias −0 keeps the sign of zero; 1 and 22 are where the formula and the clamp change
    const special = [0, -0, 1, -1, 22, -22, 23, 710, Infinity, -Infinity, Number.NaN, Number.MIN_VALUE, -Number.MIN_VALUE];
    f64.set(special);
    f64[special.length] = -0;
    const D = special.length + 1;
    kernel.tanh(0, 8 * special.length, 8 * D, special.length, 1);
    special.forEach((z, u) => {
      expect(Object.is(f64[D + u], Math.tanh(z)), `tanh(${z}) = ${f64[D + u]}`).toBe(true);
    });
  });

  // each side is within about 2.5 ulps of the true value (e^u to an ulp, then 1 + e^u and a quotient), so 5 apart; σ'
  // = σ(1 − σ) cancels near σ = 1 on both sides alike (absolute 4e-16)
  for (const name of ["sigmoid", "softplus"] as const)
    it(`${name}: σ within 5 ulps and σ' within 6 ulps or 4e-16 of the registry's JavaScript on 10^6 arguments`, () => {
      const N = 250_000;
      const { kernel, f64 } = instance(5 * N + 8);
      const want = new Float64Array(4 * N);
      const r = rng(name.length);
      const sign = () => (r() < 0.5 ? -1 : 1);
      const ranges: [string, () => number][] = [
        ["[-40, 40]", () => 80 * r() - 40],
        ["[-1, 1] (k = 0 and ±1, w about √2)", () => 2 * r() - 1],
        ["[-800, 800] (both clamps)", () => 1600 * r() - 800],
        ["log-uniform down to subnormals", () => sign() * Math.exp(-745 * r())],
      ];
      for (const [label, draw] of ranges) {
        for (let u = 0; u < N; u++) f64[u] = draw();
        f64[N] = 0; // one bias, 0
        kernel[name](0, 8 * N, 8 * (N + 2), N, 1);
        for (let u = 0; u < N; u++) ACTIVATION_DERIVATIVES[name](f64[u], want, u, N);
        let worst = 0;
        for (let u = 0; u < N; u++) {
          const [s, ds] = [f64[N + 2 + u], f64[2 * N + 2 + u]],
            [ws, wds] = [want[u], want[N + u]];
          // below 1e-300 (z < −690) the registry's own e^{−z} overflows to ∞ where the kernel keeps e^z: compare absolutely
          const e = Math.abs(ws) < 1e-300 ? Math.abs(s - ws) / 1e-300 : Math.abs(s - ws) / ulp(ws);
          if (!(e <= 5 && Math.abs(ds - wds) <= Math.max(4e-16, 6 * ulp(wds)))) {
            throw new Error(`${name}(${f64[u]}) = ${s}, σ' ${ds}: registry ${ws}, ${wds}`);
          }
          worst = Math.max(worst, e);
        }
        expect(worst, `${label}: some argument rounds unlike the registry`).toBeGreaterThan(0);
      }
      // the special values, bit for bit: signed zeros (σ = ½), 1, the last σ below 1 (z = 36), both clamps, infinities, NaN,
      // subnormal arguments (elsewhere, e.g. σ(−36) = 2.3e-16, the two roundings' ulp apart count as above)
      const special = [0, -0, 1, 36, 708, 800, -800, Infinity, -Infinity, Number.NaN, Number.MIN_VALUE, -Number.MIN_VALUE];
      f64.set(special);
      f64[special.length] = 0;
      const D = special.length + 2;
      kernel[name](0, 8 * special.length, 8 * D, special.length, 1);
      special.forEach((z, u) => {
        ACTIVATION_DERIVATIVES[name](z, want, 0, 1);
        expect(Object.is(f64[D + u], want[0]), `${name}(${z}) = ${f64[D + u]}, not ${want[0]}`).toBe(true);
        expect(Object.is(f64[D + special.length + u], want[1]), `${name}'(${z}) = ${f64[D + special.length + u]}`).toBe(true);
      });
    });

  for (const [name, slots] of [
    ["tanh", 2],
    ["sigmoid", 2],
    ["softplus", 3],
  ] as const)
    it(`${name}: the bias of unit u is bias[u mod m] (pairs that straddle rows, odd unit counts, one-unit layers)`, () => {
      for (const [units, m] of [
        [7, 3],
        [9, 1],
        [10, 5],
        [1, 1],
        [6, 2],
        [8, 4],
        [11, 8],
      ]) {
        const { kernel, f64 } = instance(64);
        const r = rng(units * 10 + m);
        for (let u = 0; u < units; u++) f64[u] = 4 * r() - 2;
        for (let i = 0; i < m; i++) f64[16 + i] = r() - 0.5;
        f64.fill(Number.NaN, 24, 64);
        kernel[name](0, 16 * 8, 24 * 8, units, m);
        const want = new Float64Array(4);
        for (let u = 0; u < units; u++) {
          ACTIVATION_DERIVATIVES[name](f64[u] + f64[16 + (u % m)], want, 0, 1);
          expect(Math.abs(f64[24 + u] - want[0])).toBeLessThanOrEqual(5 * ulp(want[0]));
          expect(Math.abs(f64[24 + units + u] - want[1])).toBeLessThanOrEqual(4e-16);
        }
        expect(Number.isNaN(f64[24 + slots * units])).toBe(true); // nothing written past σ' (softplus: its scratch slot)
      }
    });

  it("tanh: four units at a time (m a multiple of 4) is bit for bit the pairwise path", () => {
    // 6 rows of m = 4 units in one call (four at a time), against each pair of units in a call of its own (m = 2)
    const units = 24,
      m = 4;
    const r = rng(5);
    const ys = Float64Array.from({ length: units }, () => 6 * r() - 3),
      bias = Float64Array.from({ length: m }, () => r() - 0.5);
    const { kernel, f64 } = instance(256);
    f64.set(ys);
    f64.set(bias, 32);
    kernel.tanh(0, 32 * 8, 40 * 8, units, m);
    const quads = f64.slice(40, 40 + 2 * units);
    for (let u = 0; u < units; u += 2) {
      f64.set(ys.subarray(u, u + 2), 100);
      f64.set(bias.subarray(u % m, (u % m) + 2), 104);
      kernel.tanh(100 * 8, 104 * 8, 108 * 8, 2, 2);
      for (const [got, want] of [
        [f64[108], quads[u]],
        [f64[109], quads[u + 1]],
        [f64[110], quads[units + u]],
        [f64[111], quads[units + u + 1]],
      ])
        if (!Object.is(got, want)) throw new Error(`units ${u}, ${u + 1}: ${want} ≠ ${got}`);
    }
  });

  it("chain_step: bit for bit the JavaScript loop it replaces (odd unit counts, K = 1, 2, 5)", () => {
    for (const [units, K] of [
      [7, 1],
      [8, 2],
      [13, 5],
    ]) {
      const r = rng(units * K);
      const len = K * units;
      const { kernel, f64 } = instance(4 * len);
      const Y = random(r, len),
        D = random(r, 2 * units),
        X = random(r, len);
      f64.set(Y, 0);
      f64.set(D, len);
      f64.set(X, 3 * len);
      const [c, s] = [1, 0.015625 * (1 + r())];
      kernel.chain_step(0, 8 * len, 8 * 3 * len, units, K, c, s);
      chainStep(Y, D, units, K, c, X, s);
      for (let i = 0; i < len; i++) if (!Object.is(f64[i], Y[i])) throw new Error(`component ${i}: ${f64[i]} ≠ ${Y[i]}`);
      expect(Y.every(Number.isFinite)).toBe(true);
    }
  });
});
