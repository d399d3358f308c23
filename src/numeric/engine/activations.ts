// σ and its first three derivatives for every activation, by name: the table the matrix engine's
// forward pass reads (one home per activation, ready to move into the function registry).
import { erfc } from "../../core/functions.js";
import type { Activation } from "../../semantics/model.js";

const SQRT1_2 = Math.SQRT1_2,
  INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Writes σ(z), σ'(z), σ''(z), σ'''(z) into out[i], out[i + w], out[i + 2w], out[i + 3w]. */
export type ActivationDerivatives = (z: number, out: Float64Array, i: number, w: number) => void;

const put = (out: Float64Array, i: number, w: number, s: number, d1: number, d2: number, d3: number) => {
  out[i] = s;
  out[i + w] = d1;
  out[i + 2 * w] = d2;
  out[i + 3 * w] = d3;
};

export const ACTIVATION_DERIVATIVES: Record<Activation, ActivationDerivatives> = {
  linear: (z, out, i, w) => put(out, i, w, z, 1, 0, 0),
  // t' = 1 − t², t'' = −2t(1 − t²), t''' = −2(1 − t²)(1 − 3t²)
  tanh: (z, out, i, w) => {
    const t = Math.tanh(z),
      u = 1 - t * t;
    put(out, i, w, t, u, -2 * t * u, -2 * u * (1 - 3 * t * t));
  },
  // s' = s(1 − s), s'' = s'(1 − 2s), s''' = s'(1 − 6s + 6s²)
  sigmoid: (z, out, i, w) => {
    const s = 1 / (1 + Math.exp(-z)),
      d = s * (1 - s);
    put(out, i, w, s, d, d * (1 - 2 * s), d * (1 - 6 * s + 6 * s * s));
  },
  softplus: (z, out, i, w) => {
    const s = 1 / (1 + Math.exp(-z)),
      d = s * (1 - s);
    put(out, i, w, z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)), s, d, d * (1 - 2 * s));
  },
  relu: (z, out, i, w) => put(out, i, w, Math.max(z, 0), z > 0 ? 1 : 0, 0, 0),
  sin: (z, out, i, w) => {
    const s = Math.sin(z),
      c = Math.cos(z);
    put(out, i, w, s, c, -s, -c);
  },
  // z > 0: z, 1, 0, 0; z ≤ 0: eᶻ − 1, eᶻ, eᶻ, eᶻ (C¹ only: σ'' jumps at 0)
  elu: (z, out, i, w) => {
    if (z > 0) put(out, i, w, z, 1, 0, 0);
    else {
      const e = Math.exp(z);
      put(out, i, w, e - 1, e, e, e);
    }
  },
  // σ = zΦ, σ' = Φ + zφ, σ'' = φ(2 − z²), σ''' = zφ(z² − 4), using φ' = −zφ
  gelu: (z, out, i, w) => {
    const Phi = 0.5 * erfc(-z * SQRT1_2),
      phi = INV_SQRT_2PI * Math.exp(-0.5 * z * z);
    put(out, i, w, z * Phi, Phi + z * phi, phi * (2 - z * z), z * phi * (z * z - 4));
  },
};
