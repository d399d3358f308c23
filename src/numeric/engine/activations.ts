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
