// y_i = x_i − log Σ_j exp(x_j): scores to log-probabilities, same width, no parameters (torch's log_softmax).
import type { Algebra } from "../algebra.js";
import { expSums } from "./softmax.js";
import type { EngineStep, LayerInput, LayerKindDef, LayerOutput } from "./types.js";

/** The matrix engine's log-softmax: y = x − (m + log s) with s = Σ exp(x − m), exp and log applied to the jets. */
const engine: EngineStep = {
  jets(J, x, w, y, { block: e, D, S }) {
    const K = J.K,
      m = expSums(J, x, w, e, D, S);
    // log s: its derivatives 1/s, −1/s², 2/s³
    const s0 = S[0];
    D[0] = Math.log(s0);
    D[1] = 1 / s0;
    D[2] = -1 / (s0 * s0);
    D[3] = 2 / (s0 * s0 * s0);
    J.compose(S, D, 1);
    S[0] += m;
    for (let k = 0; k < K; k++) for (let i = 0, o = k * w; i < w; i++) y[o + i] = x[o + i] - S[k];
  },
  // a J with J = I − 1 pᵀ, p = exp(y): row r gains a_rj − p_j Σ_i a_ri
  pullback(y, a, b, m, w) {
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let i = 0; i < w; i++) s += a[r * w + i];
      for (let j = 0; j < w; j++) b[r * w + j] += a[r * w + j] - Math.exp(y[j]) * s;
    }
  },
};

export const logSoftmax: LayerKindDef = {
  keyword: "log_softmax",
  syntax: { word: "log_softmax", number: "none", activation: false },
  params: [],
  width: "kept",
  reads: 1,
  ode: null,
  engine,
  singular: "log-softmax is unchanged when every score moves by the same amount: its Jacobian kills (1, …, 1)",
  probabilities: false,
  initScale: 1,
  labels: { text: "log_softmax", short: "log-softmax", title: "log-softmax", prose: "log-softmax", activation: false },
  matrix: {
    text: { x: (prev) => `log_softmax(${prev})`, jacobian: (x) => `I - 1*exp(${x})^T` },
    tex: {
      x: (prev) => `\\operatorname{log\\,softmax}(${prev})`,
      jacobian: (x) => `I - \\mathbf{1}\\, \\exp(${x})^{\\mathsf{T}}`,
    },
  },
  derivation: {
    why: () =>
      "The log-softmax layer maps scores to log-probabilities, $y_i = x_i - \\log \\sum_j e^{x_j}$, written here as " +
      "$-\\log \\sum_j e^{x_j - x_i}$, which cannot overflow.",
    general: (l) => `x^{a_{${l}}} = x^{a_{${l - 1}}} - \\log \\sum_{b} \\exp x^{b_{${l - 1}}}`,
    jacobianWhy: () =>
      "$\\partial y_i / \\partial x_j = \\delta_{ij} - p_j$ with $p = e^{y}$ the softmax, so $J = I - \\mathbf{1}\\, p^{\\mathsf{T}}$: " +
      "it kills $(1, \\dots, 1)$, as softmax does.",
    jacobianGeneral: (l) =>
      `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = \\delta^{a_{${l}}}_{b_{${l - 1}}} - \\exp x^{b_{${l}}}`,
  },
  forward<T>(A: Algebra<T>, { xs: [x], numberOf }: LayerInput<T>): LayerOutput<T> {
    if (numberOf) {
      // x_i − m − log Σ_j e^{x_j − m} with m the largest score
      const m = Math.max(...x.map(numberOf));
      const lse = A.add(A.num(m), A.fn("log", A.add(...x.map((xj) => A.fn("exp", A.sub(xj, A.num(m)))))));
      return { x: x.map((xi) => A.sub(xi, lse)) };
    }
    // y_i = −log Σ_j exp(x_j − x_i): the same function, with no exponential of a large score
    return {
      x: x.map((xi) => A.neg(A.fn("log", A.add(...x.map((xj) => (xj === xi ? A.num(1) : A.fn("exp", A.sub(xj, xi)))))))),
    };
  },
  jacobians<T>(A: Algebra<T>, _input: LayerInput<T>, { x: y }: LayerOutput<T>): T[][][] {
    const p = y.map((yj) => A.fn("exp", yj));
    return [y.map((_, i) => p.map((pj, j) => (i === j ? A.sub(A.num(1), pj) : A.neg(pj))))];
  },
  evaluate({ xs: [x] }) {
    const m = Math.max(...x),
      e = x.map((v) => Math.exp(v - m)),
      s = e.reduce((a, c) => a + c, 0);
    const lse = m + Math.log(s);
    return { x: x.map((v) => v - lse), p: e.map((v) => v / s) };
  },
  vjp(_input, { p }, g, { gx: [g0] }) {
    const total = g.reduce((s, v) => s + v, 0);
    p!.forEach((pi, i) => {
      g0[i] += g[i] - pi * total;
    });
  },
};
