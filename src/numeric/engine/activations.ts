// σ and its first three derivatives for every activation, by name: the table the matrix engine's
// forward pass reads, built from the function registry (core/functions.ts: value, derivatives).
import { type FunctionDef, REGISTRY } from "../../core/functions.js";
import { byActivation } from "../../semantics/model.js";

/** Writes σ(z), σ'(z), σ''(z), σ'''(z) into out[i], out[i + w], out[i + 2w], out[i + 3w]. */
export type ActivationDerivatives = (z: number, out: Float64Array, i: number, w: number) => void;

export const ACTIVATION_DERIVATIVES = byActivation((a): ActivationDerivatives => {
  if (a === "linear")
    return (z, out, i, w) => {
      out[i] = z;
      out[i + w] = 1;
      out[i + 2 * w] = out[i + 3 * w] = 0;
    };
  const f: FunctionDef = REGISTRY[a];
  return (z, out, i, w) => {
    const v = f.value(z);
    out[i] = v;
    f.derivatives(z, v, out, i, w);
  };
});
