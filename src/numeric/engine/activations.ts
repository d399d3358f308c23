// σ and its first three derivatives for every activation, by name: the table the matrix engine's
// forward pass reads, built from the function registry (core/functions.ts: value, and derivatives — the entry's
// fast path, or its derivative rule through jets).
import { type FunctionDef, type KernelFunction, REGISTRY } from "../../core/functions.js";
import { derivativesOf } from "../../core/jet.js";
import { byActivation } from "../../semantics/model.js";

/** Writes σ(z), σ'(z), σ''(z), σ'''(z) into out[i], out[i + w], out[i + 2w], out[i + 3w]. */
export type ActivationDerivatives = (z: number, out: Float64Array, i: number, w: number) => void;

export const ACTIVATION_DERIVATIVES = byActivation((a): ActivationDerivatives => {
  const value = (REGISTRY[a] as FunctionDef).value,
    derivatives = derivativesOf(a);
  return (z, out, i, w) => {
    const v = value(z);
    out[i] = v;
    derivatives(z, v, out, i, w);
  };
});

/** The WebAssembly kernel's function for σ and σ' of each activation that has one (the registry's `kernel`), else null. */
export const KERNEL_ACTIVATIONS = byActivation((a): KernelFunction | null => (REGISTRY[a] as FunctionDef).kernel ?? null);

/** σ'' and σ''' into out[i + 2w], out[i + 3w] from σ and σ' in out[i], out[i + w]: what the kernel's functions (which
 *  write only those two) leave to add, by the registry's identities (t' = 1 − t², s' = s(1 − s), softplus' = s). */
export const KERNEL_HIGHER: Partial<Record<KernelFunction, (out: Float64Array, i: number, w: number) => void>> = {
  tanh: (out, i, w) => {
    const t = out[i],
      d = out[i + w];
    out[i + 2 * w] = -2 * t * d;
    out[i + 3 * w] = -2 * d * (1 - 3 * t * t);
  },
  sigmoid: (out, i, w) => {
    const s = out[i],
      d = out[i + w];
    out[i + 2 * w] = d * (1 - 2 * s);
    out[i + 3 * w] = d * (1 - 6 * s + 6 * s * s);
  },
  softplus: (out, i, w) => {
    const s = out[i + w],
      d = s * (1 - s);
    out[i + 2 * w] = d;
    out[i + 3 * w] = d * (1 - 2 * s);
  },
};
