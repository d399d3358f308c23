// x_l = σ(W_l x_{l−1} + b_l): a static change of coordinates, of any width.
import { affineKind } from "./affine.js";
import { PARAM_B, PARAM_W } from "./params.js";

export const dense = affineKind({
  keyword: "dense",
  syntax: { word: "dense", number: "width", activation: true },
  params: [PARAM_W, PARAM_B],
  width: "chosen",
  reads: 1,
  ode: null,
  recurrence: () => ({ coeffs: [], scale: null }),
  probabilities: false,
  initScale: 1,
  labels: { text: "dense", short: "dense", title: "dense", prose: "dense", activation: true },
  derivation: {
    why: (_l, s) => `A dense layer is a static coordinate change: $x_l = \\sigma(W_l x_{l-1} + b_l)$ with $\\sigma = ${s}$.`,
    general: (l, s) => `x^{a_{${l}}} = ${s}\\big(W^{a_{${l}}}{}_{a_{${l - 1}}} x^{a_{${l - 1}}} + b^{a_{${l}}}\\big)`,
    jacobianWhy: (_l, slope) =>
      `By the chain rule, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$ (no sum ` +
      `over $a_l$): row $a_l$ of $W$ scaled by $\\sigma'(z^{a_l})$, here $\\sigma'(z) = ${slope}$.`,
    jacobianGeneral: (l) =>
      `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = \\sigma'(z^{a_{${l}}})\\, W^{a_{${l}}}{}_{b_{${l - 1}}}`,
  },
});
