// x_l = 2x_{l−1} − x_{l−2} + h² σ(W_l x_{l−1} + b_l): the central-difference step of d²x/dt² = σ(W(t) x + b(t)).
// Started from rest (ẋ(0) = 0) when it opens the network: x_1 = x_0 + ½h² σ(W_1 x_0 + b_1), the Taylor
// step that keeps the scheme second-order accurate.
import { affineKind } from "./affine.js";
import { dTex, PARAM_B, PARAM_H, PARAM_W, slopeWTex, zTex } from "./params.js";

export const secondOrder = affineKind({
  keyword: "second_order",
  syntax: { word: "second_order", number: "none", activation: true },
  params: [PARAM_W, PARAM_B, PARAM_H],
  width: "kept",
  reads: 2,
  ode: {
    order: 2,
    scheme: "central-difference",
    accuracy: 2,
    text: "d²x/dt² = σ(W(t) x + b(t)), ẋ(0) = 0",
    tex: (rhs) => `\\frac{d^2x}{dt^2} = ${rhs}, \\quad \\dot x(0) = 0`,
  },
  recurrence: (available) =>
    available >= 2 ? { coeffs: [2, -1], scale: { factor: 1, power: 2 } } : { coeffs: [1], scale: { factor: 0.5, power: 2 } },
  probabilities: false,
  initScale: 0.5,
  labels: { text: "second_order", short: "2nd order", title: "second-order", prose: "second order", activation: true },
  derivation: {
    why: (_l, s, start) =>
      start
        ? `A second-order layer uses two earlier layers, $x_l = 2x_{l-1} - x_{l-2} + h^2 \\sigma(W_l x_{l-1} + b_l)$; as ` +
          `the first layer it starts at rest ($\\dot x(0) = 0$) with the Taylor step $x_1 = x_0 + \\tfrac12 h^2 ` +
          `\\sigma(W_1 x_0 + b_1)$, which keeps the scheme second order. Here $\\sigma = ${s}$.`
        : `A second-order layer also uses the layer before: $x_l = 2x_{l-1} - x_{l-2} + h^2 \\sigma(W_l x_{l-1} + b_l)$ ` +
          `with $\\sigma = ${s}$.`,
    general: (l, s) => `x^{a_{${l}}} = 2x^{a_{${l - 1}}} - x^{a_{${l - 2}}} + h^2 ${s}\\big(${zTex(l)}\\big)`,
    jacobianWhy: (_l, _slope, start) =>
      start
        ? "For the starting step, $\\partial x^{a_1} / \\partial x^{b_0} = \\delta^{a_1}_{b_0} + \\tfrac12 h^2 " +
          "\\sigma'(z^{a_1})\\, W^{a_1}{}_{b_0}$."
        : "With $x_{l-2}$ held fixed, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = 2\\delta^{a_l}_{b_{l-1}} + h^2 " +
          "\\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$, and $\\partial x_l / \\partial x_{l-2} = -I$.",
    jacobianGeneral: (l, start) =>
      start
        ? `${dTex(l)} = \\delta^{a_{1}}_{b_{0}} + \\tfrac12 h^2 ${slopeWTex(l)}`
        : `${dTex(l)} = 2\\delta^{a_{${l}}}_{b_{${l - 1}}} + h^2 ${slopeWTex(l)}`,
    euler: {
      title: (l) => `Layer ${l} is a central-difference step`,
      why: (s) =>
        `The update $x_l = 2x_{l-1} - x_{l-2} + h^2 f(x_{l-1})$ is the central-difference step of the second-order ODE ` +
        `$\\ddot x = ${s}(W(t)\\, x + b(t))$.`,
      general: (l, s) =>
        `\\frac{x^{a_{${l}}} - 2x^{a_{${l - 1}}} + x^{a_{${l - 2}}}}{h^2} = ${s}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} ` +
        `x^{b_{${l - 1}}} + b^{a_{${l}}}\\big) \\;\\longrightarrow\\; \\frac{d^2x^a}{dt^2} = ${s}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`,
      quotient: (l, start) =>
        start
          ? [`\\frac{x^{(${l})} - x^{(${l - 1})}}{h^2/2}`, `(x${l} - x${l - 1})/(h^2/2)`]
          : [`\\frac{x^{(${l})} - 2x^{(${l - 1})} + x^{(${l - 2})}}{h^2}`, `(x${l} - 2 x${l - 1} + x${l - 2})/h^2`],
    },
  },
});
