// x_l = x_{l−1} + h σ(W_l x_{l−1} + b_l): one forward-Euler step of dx/dt = σ(W(t) x + b(t)).
import { affineKind } from "./affine.js";
import { dTex, PARAM_B, PARAM_H, PARAM_W, slopeWTex, zTex } from "./params.js";

export const residual = affineKind({
  keyword: "residual",
  syntax: { word: "residual", number: "none", activation: true },
  params: [PARAM_W, PARAM_B, PARAM_H],
  width: "kept",
  reads: 1,
  ode: {
    order: 1,
    scheme: "forward-Euler",
    accuracy: 1,
    text: "dx/dt = σ(W(t) x + b(t))",
    tex: (rhs) => `\\frac{dx}{dt} = ${rhs}`,
  },
  recurrence: () => ({ coeffs: [1], scale: { factor: 1, power: 1 } }),
  probabilities: false,
  initScale: 0.5,
  labels: { text: "residual", short: "residual", title: "residual", prose: "residual", activation: true },
  derivation: {
    why: (_l, s) =>
      `A residual layer moves each point by a small step: $x_l = x_{l-1} + h\\, \\sigma(W_l x_{l-1} + b_l)$ with $\\sigma = ${s}$.`,
    general: (l, s) => `x^{a_{${l}}} = x^{a_{${l - 1}}} + h\\, ${s}\\big(${zTex(l)}\\big)`,
    jacobianWhy: () =>
      "By the chain rule, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = \\delta^{a_l}_{b_{l-1}} + h\\, " +
      "\\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$: the identity plus $h$ times a dense layer's Jacobian.",
    jacobianGeneral: (l) => `${dTex(l)} = \\delta^{a_{${l}}}_{b_{${l - 1}}} + h\\, ${slopeWTex(l)}`,
    euler: {
      title: (l) => `Layer ${l} is a forward-Euler step`,
      why: (s) =>
        `With $t_l = t_{l-1} + h$, the residual update is $x_l = x_{l-1} + h\\, f(x_{l-1}, t_{l-1})$ with $f(x, t) = ` +
        `${s}(W(t)\\, x + b(t))$: one explicit Euler step, of size $h$, of the ODE $\\dot x = ${s}(W(t)\\, x + b(t))$.`,
      general: (l, s) =>
        `\\frac{x^{a_{${l}}} - x^{a_{${l - 1}}}}{h} = ${s}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} x^{b_{${l - 1}}} + ` +
        `b^{a_{${l}}}\\big) \\;\\longrightarrow\\; \\frac{dx^a}{dt} = ${s}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`,
      quotient: (l) => [`\\frac{x^{(${l})} - x^{(${l - 1})}}{h}`, `(x${l} - x${l - 1})/h`],
    },
  },
});
