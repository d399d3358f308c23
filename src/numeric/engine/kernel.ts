// The engine's one hot loop, Z = W X (+ b on the value) for K jet components: WebAssembly SIMD where the runtime has
// it (kernel.wat, built by scripts/wasm.mjs), a Float64Array loop otherwise and on layers too small for the copies in
// and out to pay. V8 does not vectorise JavaScript; on the decoder's 784 × 256 layer the SIMD kernel is about 5× faster
// (bench/engine.ts measures both in one run). Both sum in a fixed order, so results are deterministic per kernel;
// the two differ in the last bits only (test/numeric/engine/kernel.test.ts).
import type { KernelFunction } from "../../core/functions.js";
import { KERNEL_FMA_WASM_BASE64, KERNEL_WASM_BASE64 } from "./kernel.wasm.js";

export type KernelName = "wasm" | "js";

/** Z = W X (+ b on the value) for K components: the signature both implementations share. */
export type Affine = (
  W: Float64Array,
  b: Float64Array | null,
  X: Float64Array,
  Z: Float64Array,
  rows: number,
  cols: number,
  K: number,
) => void;

/**
 * Z[k·rows + i] = Σ_j W[i·cols + j] X[k·cols + j] for the K components, plus b[i] on the value (b null: none). Rows
 * in blocks of 16 (a block of W stays in cache while every component streams past it), inside a block 4 rows × 2
 * components at once: eight independent sums for six loads.
 */
export const affineJs: Affine = (W, b, X, Z, rows, cols, K) => {
  for (let i0 = 0; i0 < rows; i0 += 16) {
    const i1 = Math.min(rows, i0 + 16);
    for (let k = 0; k < K; k += 2) {
      const pair = k + 1 < K,
        xo = k * cols,
        xp = pair ? xo + cols : xo,
        zo = k * rows,
        zp = zo + rows;
      let i = i0;
      for (; i + 3 < i1; i += 4) {
        const w0 = i * cols,
          w1 = w0 + cols,
          w2 = w1 + cols,
          w3 = w2 + cols;
        let a0 = 0,
          a1 = 0,
          a2 = 0,
          a3 = 0,
          c0 = 0,
          c1 = 0,
          c2 = 0,
          c3 = 0;
        for (let j = 0; j < cols; j++) {
          const x = X[xo + j],
            y = X[xp + j],
            u0 = W[w0 + j],
            u1 = W[w1 + j],
            u2 = W[w2 + j],
            u3 = W[w3 + j];
          a0 += u0 * x;
          a1 += u1 * x;
          a2 += u2 * x;
          a3 += u3 * x;
          c0 += u0 * y;
          c1 += u1 * y;
          c2 += u2 * y;
          c3 += u3 * y;
        }
        Z[zo + i] = a0;
        Z[zo + i + 1] = a1;
        Z[zo + i + 2] = a2;
        Z[zo + i + 3] = a3;
        if (pair) {
          Z[zp + i] = c0;
          Z[zp + i + 1] = c1;
          Z[zp + i + 2] = c2;
          Z[zp + i + 3] = c3;
        }
      }
      for (; i < i1; i++) {
        const w0 = i * cols;
        let a = 0,
          c = 0;
        for (let j = 0; j < cols; j++) {
          a += W[w0 + j] * X[xo + j];
          c += W[w0 + j] * X[xp + j];
        }
        Z[zo + i] = a;
        if (pair) Z[zp + i] = c;
      }
    }
  }
  if (b) for (let i = 0; i < rows; i++) Z[i] += b[i];
};

/** The module's exports; pointers are byte offsets into `memory` (kernel.wat says what each computes). */
export type WasmKernel = {
  memory: WebAssembly.Memory;
  affine: (W: number, X: number, Z: number, rows: number, cols: number, K: number) => void;
  affine_chain: (
    W: number,
    X: number,
    Z: number,
    rows: number,
    cols: number,
    K: number,
    Dp: number,
    B: number,
    P: number,
    c: number,
    s: number,
    step: number,
  ) => void;
  chain: (Y: number, D: number, units: number, K: number) => void;
  chain_step: (Y: number, D: number, X: number, units: number, K: number, c: number, s: number) => void;
  /** A sparse operator by rows (start, col: Int32; val: Float64) on `count` vectors; T: cols × TAPS_SWEEP scratch. */
  taps: (start: number, col: number, val: number, X: number, Z: number, T: number, rows: number, cols: number, count: number) => void;
} & {
  /** σ(z + b) and σ'(z + b) of a block, for each activation the registry names this kernel function for. */
  [F in KernelFunction]: (Y: number, bias: number, D: number, units: number, m: number) => void;
};

/** Vectors the kernel's `taps` takes a sweep (scripts/wasm.mjs): its scratch holds cols × TAPS_SWEEP doubles. */
export const TAPS_SWEEP = 8;

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/**
 * Relaxed SIMD's f64x2.relaxed_madd is a fused multiply-add where the processor has one (x86-64 with FMA3, arm64):
 * half the instructions of the dense products' inner loop, about 1.25× the products per second here. V8 has it by
 * default from 11.4 (Node 22, Chrome 114); Node 20's V8 has the same implementation behind a flag, which is set here,
 * before compiling, where Node lends its v8 module (process.getBuiltinModule, Node ≥ 20.16). The flag only adds
 * opcodes. RGNN_FMA=0 keeps the plain module (for comparisons).
 */
function relaxedSimd(): boolean {
  const fused = decode(KERNEL_FMA_WASM_BASE64);
  if (WebAssembly.validate(fused)) return true;
  type V8 = { setFlagsFromString(flags: string): void };
  const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = node?.getBuiltinModule?.("node:v8") as V8 | undefined;
  v8?.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return WebAssembly.validate(fused);
}

/** The plain module, or null where WebAssembly SIMD is missing (old browsers): the JS loop serves alone there. */
const plainModule: WebAssembly.Module | null = (() => {
  try {
    if (typeof WebAssembly === "undefined") return null;
    const bytes = decode(KERNEL_WASM_BASE64);
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
})();

/** The module with fused multiply-adds, or null where the runtime lacks relaxed SIMD (or RGNN_FMA=0). */
const fmaModule: WebAssembly.Module | null = (() => {
  try {
    if (!plainModule || (typeof process !== "undefined" && process.env?.RGNN_FMA === "0") || !relaxedSimd()) return null;
    return new WebAssembly.Module(decode(KERNEL_FMA_WASM_BASE64));
  } catch {
    return null;
  }
})();
const wasmModule = fmaModule ?? plainModule;

/** Whether the kernel in use fuses the dense products' multiply-adds (relaxed SIMD). */
export const kernelFma = (): boolean => fmaModule !== null;

/**
 * A fresh instance with its own memory (one page, grown by the caller), or null without WebAssembly SIMD or when the
 * memory cannot be reserved (V8 reserves ~10 GB of address space per memory: under `ulimit -v 8G` it fails with a
 * RangeError); the JS loop serves then, with the same numbers. `fused`: the module with fused multiply-adds (the one
 * in use where the runtime has it) or the plain one (tests hold both to the same references).
 */
export const newWasmKernel = (fused = kernelFma()): WasmKernel | null => {
  const module = fused ? fmaModule : plainModule;
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, {}).exports as unknown as WasmKernel;
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
};

/**
 * Each weight matrix gets its own instance whose memory holds W packed (at 0, copied once) and room for X and Z behind it,
 * grown when a call has more components. Keyed weakly by W: the memory goes with the network. Prepared weights are
 * never written (prepareNetwork binds them once), so the copy stays exact.
 */
interface Arena {
  kernel: WasmKernel;
  f64: Float64Array;
  /** Doubles of W at the start of the memory. */
  wLength: number;
}
const arenas = new WeakMap<Float64Array, Arena>();

/** The width of the band of rows that starts at row i of a `rows`-row matrix: 8, then 2, then 1 (kernel.wat's bands). */
const bandWidth = (i: number, rows: number): number => (i + 8 <= rows ? 8 : i + 2 <= rows ? 2 : 1);

/**
 * W (rows × cols, row-major) into `into` from `at` on, packed as the kernel's affine reads it: rows in bands (8 rows,
 * then pairs, then an odd last row), the band from row i at at + i·cols holding W[i + r][j] at (j·width + r). Each
 * band reads its rows as `width` streams and writes one, so a wide layer (2240 × 2240) packs without cache misses.
 */
export function writePacked(W: Float64Array, rows: number, cols: number, into: Float64Array, at: number): void {
  for (let i = 0; i < rows; ) {
    const width = bandWidth(i, rows),
      band = at + i * cols;
    for (let j = 0, to = band; j < cols; j++) for (let r = 0, from = i * cols + j; r < width; r++, from += cols) into[to++] = W[from];
    i += width;
  }
}

function arenaFor(W: Float64Array, rows: number, cols: number, scratch: number): Arena | null {
  let arena = arenas.get(W);
  const need = (W.length + scratch) * 8;
  if (!arena) {
    const kernel = newWasmKernel();
    if (!kernel) return null;
    const memory = kernel.memory;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    arena = { kernel, f64: new Float64Array(memory.buffer), wLength: W.length };
    writePacked(W, rows, cols, arena.f64, 0);
    arenas.set(W, arena);
  } else if (need > arena.f64.byteLength) {
    const memory = arena.kernel.memory;
    memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    arena.f64 = new Float64Array(memory.buffer); // the old view is detached by the growth
  }
  return arena;
}

/** Below this many products per call the JS loop wins (the copies in and out of the memory cost about as much). */
const WASM_MIN_PRODUCTS = 512;

const affineWasm: Affine = (W, b, X, Z, rows, cols, K) => {
  const xLength = K * cols,
    zLength = K * rows;
  const arena = arenaFor(W, rows, cols, xLength + zLength);
  if (!arena) return affineJs(W, b, X, Z, rows, cols, K);
  const f = arena.f64,
    xAt = arena.wLength,
    zAt = xAt + xLength;
  f.set(X.subarray(0, xLength), xAt);
  arena.kernel.affine(0, xAt * 8, zAt * 8, rows, cols, K);
  Z.set(f.subarray(zAt, zAt + zLength));
  if (b) for (let i = 0; i < rows; i++) Z[i] += b[i];
};

/** A sparse operator by rows, as the kernel's `taps` reads it (engine/network.ts's SparseOperator). */
export interface TapRows {
  start: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/** Each operator's instance: its taps copied in once (prepared operators are never written), then T, X and Z. */
interface TapsArena {
  kernel: WasmKernel;
  /** Byte offsets of the copied taps and of the scratch T (cols × TAPS_SWEEP doubles) after them. */
  start: number;
  col: number;
  val: number;
  T: number;
  f64: Float64Array;
}
const tapsArenas = new WeakMap<TapRows, TapsArena>();
const aligned = (bytes: number) => 16 * Math.ceil(bytes / 16);

/** Below this many tap products per call the JS loop wins (the copies in and out cost about as much). */
const TAPS_WASM_MIN = 1 << 15;

/**
 * Z = A X (+ b on the value) for K components by the kernel's `taps`, A a sparse operator by rows: false where the
 * kernel does not serve (RGNN_KERNEL=js, no WebAssembly or no memory for it, a call too small to pay for the copies),
 * and the caller's loop runs instead. The same sums in the same order as that loop (engine/network.ts, affineSparse).
 */
export function affineTaps(
  A: TapRows,
  b: Float64Array | null,
  X: Float64Array,
  Z: Float64Array,
  rows: number,
  cols: number,
  K: number,
  kernel: KernelName = KERNEL,
): boolean {
  if (kernel !== "wasm" || !wasmModule || A.val.length * K < TAPS_WASM_MIN) return false;
  let arena = tapsArenas.get(A);
  if (!arena) {
    const k = newWasmKernel();
    if (!k) return false;
    const start = 0,
      col = aligned(A.start.length * 4),
      val = col + aligned(A.col.length * 4),
      T = val + aligned(A.val.length * 8);
    const memory = k.memory;
    if (T > memory.buffer.byteLength) memory.grow(Math.ceil((T - memory.buffer.byteLength) / 65536));
    new Int32Array(memory.buffer, start, A.start.length).set(A.start);
    new Int32Array(memory.buffer, col, A.col.length).set(A.col);
    new Float64Array(memory.buffer, val, A.val.length).set(A.val);
    arena = { kernel: k, start, col, val, T, f64: new Float64Array(memory.buffer) };
    tapsArenas.set(A, arena);
  }
  const xAt = arena.T + aligned(cols * TAPS_SWEEP * 8),
    zAt = xAt + aligned(K * cols * 8),
    end = zAt + K * rows * 8;
  const memory = arena.kernel.memory;
  if (end > memory.buffer.byteLength) {
    memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    arena.f64 = new Float64Array(memory.buffer); // the old view is detached by the growth
  }
  const f = arena.f64;
  f.set(X.subarray(0, K * cols), xAt / 8);
  arena.kernel.taps(arena.start, arena.col, arena.val, xAt, zAt, arena.T, rows, cols, K);
  Z.set(f.subarray(zAt / 8, zAt / 8 + K * rows));
  if (b) for (let i = 0; i < rows; i++) Z[i] += b[i];
  return true;
}

/** One instance for single points' activations: a zero bias, z, then σ, σ' and the functions' scratch block. */
let activationKernel: { kernel: WasmKernel; f64: Float64Array } | null | undefined;

/** Below this many units the JavaScript σ wins (the copies in and out cost about as much). */
const ACTIVATION_WASM_MIN = 256;

/**
 * σ(z) and σ'(z) of `units` pre-activations z (bias included) into D[u] and D[units + u] by the kernel's function
 * `fn`: false where the kernel does not serve (RGNN_KERNEL=js, no WebAssembly or memory, too few units).
 */
export function activateWasm(fn: KernelFunction, z: Float64Array, D: Float64Array, units: number, kernel: KernelName = KERNEL): boolean {
  if (kernel !== "wasm" || !wasmModule || units < ACTIVATION_WASM_MIN) return false;
  if (activationKernel === undefined) {
    const k = newWasmKernel();
    activationKernel = k && { kernel: k, f64: new Float64Array(k.memory.buffer) };
  }
  if (!activationKernel) return false;
  const a = activationKernel,
    memory = a.kernel.memory,
    w = aligned(units * 8),
    end = 2 * w + 3 * units * 8;
  if (end > memory.buffer.byteLength) {
    memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    a.f64 = new Float64Array(memory.buffer);
  }
  a.f64.fill(0, 0, units); // the zero bias (a narrower layer's z may have been there)
  a.f64.set(z.subarray(0, units), w / 8);
  a.kernel[fn](w, 0, 2 * w, units, units);
  D.set(a.f64.subarray((2 * w) / 8, (2 * w) / 8 + 2 * units), 0);
  return true;
}

/** The kernel in use: RGNN_KERNEL=js forces the loop (for comparisons); otherwise WebAssembly where it compiled. */
export const KERNEL: KernelName = wasmModule && (typeof process === "undefined" || process.env?.RGNN_KERNEL !== "js") ? "wasm" : "js";

/** Z = W X + b (b on the value only; none when null) for K components, component-major: by KERNEL, or the named one. */
export function affine(
  W: Float64Array,
  b: Float64Array | null,
  X: Float64Array,
  Z: Float64Array,
  rows: number,
  cols: number,
  K: number,
  kernel: KernelName = KERNEL,
): void {
  if (kernel === "wasm" && wasmModule && rows * cols * K >= WASM_MIN_PRODUCTS) affineWasm(W, b, X, Z, rows, cols, K);
  else affineJs(W, b, X, Z, rows, cols, K);
}

/** Whether the WebAssembly kernel compiled here (false: every call takes the loop). */
export const wasmKernelAvailable = (): boolean => wasmModule !== null;
