// The WebAssembly kernel's `taps` (a shaped layer's operator on many vectors at once, scripts/wasm.mjs) and the
// JavaScript loop it replaces (affineSparse, engine/network.ts) against plain loops written from the definitions of
// convolution, transposed convolution (as a scatter), nearest upsampling and average pooling, not from the taps:
// stride, padding, dilation, groups, output padding, rectangular kernels and odd sizes, and vector counts that leave
// a partial sweep. The kernel and the loop add the same products in the same order: they agree bit for bit. Then one
// point's passes: affineTaps (the kernel on a single point's jets) against the loop, the kernel's σ and σ' with the
// identities for σ'' and σ''' against the registry, and the 28×28 decoder's metric point by point against torch.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rng } from "../../../src/core/random.js";
import { LAYER_KINDS } from "../../../src/core/layers/index.js";
import { type Geometry, isGeometryError, type Options, type Shape3, sizeOf } from "../../../src/core/layers/shape.js";
import { ACTIVATION_DERIVATIVES, KERNEL_ACTIVATIONS, KERNEL_HIGHER } from "../../../src/numeric/engine/activations.js";
import { metricAt } from "../../../src/numeric/engine/geometry.js";
import { activateWasm, affineTaps, newWasmKernel, TAPS_SWEEP, wasmKernelAvailable } from "../../../src/numeric/engine/kernel.js";
import { affineSparse, prepareNetwork, sparseOperator } from "../../../src/numeric/engine/network.js";
import type { LayerKind, Network } from "../../../src/semantics/model.js";
import { model } from "../../helpers.js";

type Pair = [number, number];
interface Case {
  name: string;
  kind: LayerKind;
  input: Shape3;
  channels: number | null;
  k: Pair;
  s?: Pair;
  p?: Pair;
  d?: Pair;
  q?: Pair;
  g?: number;
  scale?: Pair;
}

const CASES: Case[] = [
  { name: "conv 3×3, stride 2, padding 1, odd input", kind: "conv", input: [3, 7, 5], channels: 4, k: [3, 3], s: [2, 2], p: [1, 1] },
  { name: "conv 2×3, dilation (2, 1)", kind: "conv", input: [2, 6, 7], channels: 3, k: [2, 3], d: [2, 1] },
  {
    name: "conv, groups 3, stride (1, 2), padding (0, 2)",
    kind: "conv",
    input: [6, 5, 9],
    channels: 3,
    k: [3, 2],
    s: [1, 2],
    p: [0, 2],
    g: 3,
  },
  { name: "conv 1×1, 5 → 7 channels", kind: "conv", input: [5, 3, 3], channels: 7, k: [1, 1] },
  {
    name: "conv_transpose 4×4, stride 2, padding 1",
    kind: "conv_transpose",
    input: [3, 5, 4],
    channels: 2,
    k: [4, 4],
    s: [2, 2],
    p: [1, 1],
  },
  {
    name: "conv_transpose 3×2, stride (3, 2), dilation (1, 2), output padding (2, 1)",
    kind: "conv_transpose",
    input: [2, 3, 5],
    channels: 3,
    k: [3, 2],
    s: [3, 2],
    d: [1, 2],
    q: [2, 1],
  },
  { name: "conv_transpose, groups 2", kind: "conv_transpose", input: [4, 3, 3], channels: 6, k: [2, 3], s: [2, 1], g: 2 },
  { name: "upsample (3, 2)", kind: "upsample", input: [2, 3, 5], channels: null, k: [1, 1], scale: [3, 2] },
  {
    name: "avgpool 3×2, stride (2, 1), padding (1, 1)",
    kind: "avgpool",
    input: [3, 6, 5],
    channels: null,
    k: [3, 2],
    s: [2, 1],
    p: [1, 1],
  },
];

function options(c: Case): Options {
  return {
    kernel: c.k,
    stride: c.s ?? (c.kind === "avgpool" ? c.k : [1, 1]),
    padding: c.p ?? [0, 0],
    dilation: c.d ?? [1, 1],
    output_padding: c.q ?? [0, 0],
    groups: [c.g ?? 1, c.g ?? 1],
    scale: c.scale ?? [1, 1],
  };
}

/** The layer's output for one vector x, by its definition (K as torch lays it out). */
function reference(c: Case, geo: Geometry, K: Float64Array, x: Float64Array): Float64Array {
  const [cin, h, w] = c.input,
    [cout, ho, wo] = geo.output as [number, number, number];
  const [kh, kw] = c.k,
    o = options(c),
    [sh, sw] = o.stride!,
    [ph, pw] = o.padding!,
    [dh, dw] = o.dilation!,
    g = o.groups![0];
  const out = new Float64Array(cout * ho * wo);
  const X = (ch: number, y: number, z: number) => x[(ch * h + y) * w + z];
  if (c.kind === "conv") {
    const cg = cin / g,
      og = cout / g;
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let s = 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh - ph + ky * dh,
                  ix = ox * sw - pw + kx * dw;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                  s += K[((co * cg + ci) * kh + ky) * kw + kx] * X(Math.floor(co / og) * cg + ci, iy, ix);
              }
          out[(co * ho + oy) * wo + ox] = s;
        }
  } else if (c.kind === "conv_transpose") {
    // each input entry scattered through the kernel onto the output (the padding crops the full output's border)
    const cg = cin / g,
      og = cout / g;
    for (let ci = 0; ci < cin; ci++)
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < w; ix++)
          for (let j = 0; j < og; j++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const oy = iy * sh - ph + ky * dh,
                  ox = ix * sw - pw + kx * dw;
                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                const co = Math.floor(ci / cg) * og + j;
                out[(co * ho + oy) * wo + ox] += K[((ci * og + j) * kh + ky) * kw + kx] * X(ci, iy, ix);
              }
  } else if (c.kind === "upsample") {
    const [fh, fw] = c.scale!;
    for (let ch = 0; ch < cout; ch++)
      for (let y = 0; y < ho; y++) for (let z = 0; z < wo; z++) out[(ch * ho + y) * wo + z] = X(ch, Math.floor(y / fh), Math.floor(z / fw));
  } else {
    for (let ch = 0; ch < cout; ch++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          let s = 0;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - ph + ky,
                ix = ox * sw - pw + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += X(ch, iy, ix);
            }
          out[(ch * ho + oy) * wo + ox] = s / (kh * kw);
        }
  }
  return out;
}

/** The kernel's `taps` on `count` vectors in a fresh instance: the operator, X and the scratch copied in, Z out. */
function wasmTaps(A: ReturnType<typeof sparseOperator>, X: Float64Array, rows: number, cols: number, count: number): Float64Array {
  const kernel = newWasmKernel()!;
  const at = [A.start.length * 4, A.col.length * 4, A.val.length * 8, X.length * 8, count * rows * 8, cols * TAPS_SWEEP * 8];
  const starts = at.map((_, i) => at.slice(0, i).reduce((s, n) => s + 16 * Math.ceil(n / 16), 0));
  const end = starts[5] + at[5];
  kernel.memory.grow(Math.ceil(end / 65536));
  const buf = kernel.memory.buffer;
  new Int32Array(buf, starts[0], A.start.length).set(A.start);
  new Int32Array(buf, starts[1], A.col.length).set(A.col);
  new Float64Array(buf, starts[2], A.val.length).set(A.val);
  new Float64Array(buf, starts[3], X.length).set(X);
  // Z and the scratch start as garbage: the kernel must write every entry it owns
  new Float64Array(buf, starts[4], count * rows).fill(Number.NaN);
  kernel.taps(starts[0], starts[1], starts[2], starts[3], starts[4], starts[5], rows, cols, count);
  return new Float64Array(buf, starts[4], count * rows).slice();
}

describe("the taps kernel and loop against each kind's definition", () => {
  it.each(CASES)("$name", (c) => {
    const sd = LAYER_KINDS[c.kind].shaped!;
    const o = options(c);
    const g = sd.geometry(c.input, c.channels, o);
    if (isGeometryError(g)) throw new Error(g.error);
    const geo: Geometry = { input: c.input, output: g.output, options: o, kernel: g.kernel };
    const r = rng(sizeOf(c.input) * 31 + sizeOf(g.output));
    const K = g.kernel ? Float64Array.from({ length: sizeOf(g.kernel) }, () => 2 * r() - 1) : null;
    const A = sparseOperator(sd.taps(geo), sizeOf(g.output), K);
    const rows = sizeOf(g.output),
      cols = sizeOf(c.input);
    for (const count of [1, 3, TAPS_SWEEP, TAPS_SWEEP + 1, 2 * TAPS_SWEEP + 5]) {
      const X = Float64Array.from({ length: count * cols }, () => 2 * r() - 1);
      const want = new Float64Array(count * rows);
      for (let v = 0; v < count; v++) want.set(reference(c, geo, K ?? new Float64Array(0), X.subarray(v * cols, (v + 1) * cols)), v * rows);
      const scale = Math.max(1, ...want.map(Math.abs));
      const js = new Float64Array(count * rows);
      affineSparse(A, null, X, js, rows, cols, count);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(js[i] - want[i]) / scale);
      expect(worst).toBeLessThan(1e-14);
      if (!wasmKernelAvailable()) continue;
      const wasm = wasmTaps(A, X, rows, cols, count);
      expect(wasm.findIndex((v, i) => !Object.is(v, js[i]))).toBe(-1);
    }
  });
});

describe("one point's passes through the kernel", () => {
  it("affineTaps equals the loop bit for bit on a decoder-sized operator, for 1 to 10 components", () => {
    if (!wasmKernelAvailable()) return;
    // conv_transpose 32 → 1 channel, 4×4 kernel, stride 2, padding 1, 14×14 → 28×28: the 28×28 decoder's last layer
    const sd = LAYER_KINDS.conv_transpose.shaped!;
    const o = options({ name: "", kind: "conv_transpose", input: [32, 14, 14], channels: 1, k: [4, 4], s: [2, 2], p: [1, 1] });
    const g = sd.geometry([32, 14, 14], 1, o);
    if (isGeometryError(g)) throw new Error(g.error);
    const r = rng(28);
    const K = Float64Array.from({ length: sizeOf(g.kernel!) }, () => 2 * r() - 1);
    const A = sparseOperator(sd.taps({ input: [32, 14, 14], output: g.output, options: o, kernel: g.kernel }), 784, K);
    const b = Float64Array.from({ length: 784 }, () => r() - 0.5);
    for (let count = 1; count <= 10; count++) {
      const X = Float64Array.from({ length: count * 6272 }, () => 2 * r() - 1);
      const js = new Float64Array(count * 784),
        wasm = new Float64Array(count * 784);
      affineSparse(A, b, X, js, 784, 6272, count);
      expect(affineTaps(A, b, X, wasm, 784, 6272, count, "wasm")).toBe(A.val.length * count >= 1 << 15);
      if (A.val.length * count < 1 << 15) continue;
      expect(wasm.findIndex((v, i) => !Object.is(v, js[i]))).toBe(-1);
      expect(affineTaps(A, b, X, wasm, 784, 6272, count, "js")).toBe(false);
    }
  });

  it("the kernel's σ, σ' and the identities for σ'', σ''' give the registry's four derivatives", () => {
    if (!wasmKernelAvailable()) return;
    const units = 600,
      z = Float64Array.from({ length: units }, (_, i) => -30 + (60 * i) / (units - 1) + 0.013);
    for (const a of ["tanh", "sigmoid", "softplus"] as const) {
      const fn = KERNEL_ACTIVATIONS[a]!;
      const D = new Float64Array(4 * units),
        want = new Float64Array(4 * units);
      expect(activateWasm(fn, z, D, units, "wasm")).toBe(true);
      for (let i = 0; i < units; i++) {
        KERNEL_HIGHER[fn]!(D, i, units);
        ACTIVATION_DERIVATIVES[a](z[i], want, i, units);
      }
      let worst = 0;
      for (let i = 0; i < 4 * units; i++) worst = Math.max(worst, Math.abs(D[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(worst).toBeLessThan(1e-14);
      expect(activateWasm(fn, z, D, units, "js")).toBe(false);
    }
  });

  it("the 28×28 decoder's metric at torch's points, one point at a time, equals torch's JᵀJ to 1e-10", () => {
    const fixture = JSON.parse(readFileSync("bench/fixtures/decoder28.json", "utf8")) as { points: number[][]; metrics: number[][][] };
    const net = model(
      readFileSync("bench/fixtures/decoder28.rgnn", "utf8"),
      "bench/fixtures/decoder28.rgnn",
      "bench/fixtures",
    ).mappings.get("decoder") as Network;
    const pn = prepareNetwork(net);
    fixture.points.forEach((p, k) => {
      const g = metricAt(pn, p),
        want = fixture.metrics[k].flat();
      const scale = Math.max(...want.map(Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(g[i] - want[i]) / scale).toBeLessThan(1e-10);
    });
  });
});
