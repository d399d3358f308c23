// The parameters layer kinds are made of.
import type { ParamSpec } from "./types.js";

export const PARAM_W: ParamSpec = { name: "W", shape: ["out", "in"], role: "weight matrix", described: "W", shared: false };
export const PARAM_B: ParamSpec = { name: "b", shape: ["out"], role: "bias vector", described: "b", shared: false };
/** The step size, one scalar for the whole network unless given per layer. */
export const PARAM_H: ParamSpec = { name: "h", shape: [], role: "step size", described: "step h", shared: true };

/** The pre-activation z = W x + b, in index notation, and σ′(z)·W, shared by the kinds' texts. */
export const zTex = (l: number) => `W^{a_{${l}}}{}_{a_{${l - 1}}} x^{a_{${l - 1}}} + b^{a_{${l}}}`;
export const dTex = (l: number) => `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}}`;
export const slopeWTex = (l: number) => `\\sigma'(z^{a_{${l}}})\\, W^{a_{${l}}}{}_{b_{${l - 1}}}`;
