// The engine's activation tables come from the registry: σ and its derivatives for every activation, and the
// WebAssembly kernel's own σ, σ′ for each activation whose entry names a kernel function, agreeing with the registry's.
import { describe, expect, it } from "vitest";
import { type FunctionDef, REGISTRY } from "../../../src/core/functions.js";
import { ACTIVATION_DERIVATIVES, KERNEL_ACTIVATIONS } from "../../../src/numeric/engine/activations.js";
import { newWasmKernel, wasmKernelAvailable } from "../../../src/numeric/engine/kernel.js";
import { ACTIVATIONS } from "../../../src/semantics/model.js";

const withKernel = ACTIVATIONS.filter((a) => (REGISTRY[a] as FunctionDef).kernel);

describe("the engine's activation tables", () => {
  it("the kernel table is the registry's kernel field, and tanh has its kernel function", () => {
    for (const a of ACTIVATIONS) expect(KERNEL_ACTIVATIONS[a]).toBe((REGISTRY[a] as FunctionDef).kernel ?? null);
    expect(withKernel).toContain("tanh");
  });

  it.runIf(wasmKernelAvailable())("each kernel function computes σ(z + b), σ'(z + b) as the registry does", () => {
    const units = 24,
      m = 8;
    for (const a of withKernel) {
      const kernel = newWasmKernel()!,
        name = KERNEL_ACTIVATIONS[a]!;
      expect(typeof kernel[name]).toBe("function");
      const [yAt, bAt, dAt] = [0, 256, 512]; // byte offsets, 16-aligned
      const f64 = new Float64Array(kernel.memory.buffer);
      const z = Array.from({ length: units }, (_, u) => 3 * Math.sin(1.7 * u + 0.3)),
        b = Array.from({ length: m }, (_, i) => 0.25 * i - 1);
      f64.set(z, yAt / 8);
      f64.set(b, bAt / 8);
      kernel[name](yAt, bAt, dAt, units, m);
      const want = new Float64Array(4 * units);
      for (let u = 0; u < units; u++) ACTIVATION_DERIVATIVES[a](z[u] + b[u % m], want, u, units);
      for (let u = 0; u < units; u++)
        for (const k of [0, 1]) {
          const got = f64[dAt / 8 + k * units + u];
          expect(Math.abs(got - want[k * units + u]), `${a} σ^(${k}) unit ${u}`).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(got)));
        }
    }
  });
});
