// σ(z) and σ'(z) for every activation, as plain numbers (the numeric paths that do not go through
// the expression graph: training, flows, forward mode).
import type { Activation } from "../semantics/model.js";

export const ACTIVATION: Record<Activation, (z: number) => [number, number]> = {
  linear: (z) => [z, 1],
  tanh: (z) => { const t = Math.tanh(z); return [t, 1 - t * t]; },
  sigmoid: (z) => { const s = 1 / (1 + Math.exp(-z)); return [s, s * (1 - s)]; },
  softplus: (z) => [z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)), 1 / (1 + Math.exp(-z))],
  relu: (z) => [z > 0 ? z : 0, z > 0 ? 1 : 0],
  sin: (z) => [Math.sin(z), Math.cos(z)],
};
