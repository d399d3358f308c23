// p_i = exp(x_i) / Σ_j exp(x_j): scores to probabilities, same width, no parameters.
import type { Algebra } from "../algebra.js";
import type { EngineStep, JetArithmetic, LayerKindDef, LayerInput, LayerOutput } from "./types.js";

/** e ← exp(x − max x) on the w jets of x (in place of e) and S[k] ← Σ_i e_ik, each jet component summed: the first half
 *  of softmax's and log-softmax's engine steps. Returns the shift max x. */
export function expSums(J: JetArithmetic, x: Float64Array, w: number, e: Float64Array, D: Float64Array, S: Float64Array): number {
  const K = J.K;
  let m = -Infinity;
  for (let i = 0; i < w; i++) m = Math.max(m, x[i]);
  e.set(x.subarray(0, K * w));
  for (let i = 0; i < w; i++) {
    const v = Math.exp(x[i] - m);
    D[i] = D[w + i] = D[2 * w + i] = D[3 * w + i] = v;
  }
  J.compose(e, D, w);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let i = 0, o = k * w; i < w; i++) s += e[o + i];
    S[k] = s;
  }
  return m;
}

/** The matrix engine's softmax: p = e / Σe with e = exp(x − max x), exp and 1/s applied to the jets, then Leibniz's rule. */
const engine: EngineStep = {
  jets(J, x, w, y, { block: e, D, S }) {
    expSums(J, x, w, e, D, S);
    const s0 = S[0];
    D[0] = 1 / s0;
    D[1] = -1 / (s0 * s0);
    D[2] = 2 / (s0 * s0 * s0);
    D[3] = -6 / (s0 * s0 * s0 * s0);
    J.compose(S, D, 1);
    J.scale(e, S, w, y);
  },
  // a J with J = diag(p) − p pᵀ: row r gains p_j (a_rj − Σ_i a_ri p_i)
  pullback(p, a, b, m, w) {
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let i = 0; i < w; i++) s += a[r * w + i] * p[i];
      for (let j = 0; j < w; j++) b[r * w + j] += p[j] * (a[r * w + j] - s);
    }
  },
};

export const softmax: LayerKindDef = {
  keyword: "softmax",
  syntax: { word: "softmax", number: "none", activation: false },
  params: [],
  width: "kept",
  reads: 1,
  ode: null,
  engine,
  singular: "softmax is unchanged when every score moves by the same amount: its Jacobian kills (1, …, 1)",
  probabilities: true,
  initScale: 1,
  labels: { text: "softmax", short: "softmax", title: "softmax", prose: "softmax", activation: false },
  matrix: {
    text: { x: (prev) => `softmax(${prev})`, jacobian: (x) => `diag(${x}) - ${x}*${x}^T` },
    tex: {
      x: (prev) => `\\operatorname{softmax}(${prev})`,
      jacobian: (x) => `\\operatorname{diag}(${x}) - ${x}\\, ${x}^{\\mathsf{T}}`,
    },
  },
  derivation: {
    why: () =>
      "The softmax layer maps scores to probabilities, $p_i = e^{x_i} / \\sum_j e^{x_j}$, written here as $1 / \\sum_j " +
      "e^{x_j - x_i}$, which cannot overflow.",
    general: (l) => `x^{a_{${l}}} = \\frac{\\exp x^{a_{${l - 1}}}}{\\sum_{b} \\exp x^{b_{${l - 1}}}}`,
    jacobianWhy: () =>
      "$\\partial p_i / \\partial x_j = p_i (\\delta_{ij} - p_j)$, so $J = \\operatorname{diag}(p) - p\\, p^{\\mathsf{T}}$.",
    jacobianGeneral: (l) =>
      `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = p^{a_{${l}}}\\big(\\delta^{a_{${l}}}_{b_{${l - 1}}} - ` +
      `p^{b_{${l}}}\\big)`,
  },
  forward<T>(A: Algebra<T>, { xs: [x], numberOf }: LayerInput<T>): LayerOutput<T> {
    if (numberOf) {
      // e^{x_i − m} / Σ_j e^{x_j − m} with m the largest score
      const m = Math.max(...x.map(numberOf));
      const e = x.map((xi) => A.fn("exp", A.sub(xi, A.num(m))));
      const s = A.add(...e);
      return { x: e.map((ei) => A.div(ei, s)) };
    }
    // p_i = 1 / Σ_j exp(x_j − x_i): the same function, but an exploding term sends p_i to 0 instead of ∞/∞
    return { x: x.map((xi) => A.pow(A.add(...x.map((xj) => (xj === xi ? A.num(1) : A.fn("exp", A.sub(xj, xi))))), -1)) };
  },
  jacobians<T>(A: Algebra<T>, _input: LayerInput<T>, { x: p }: LayerOutput<T>): T[][][] {
    return [p.map((pi, i) => p.map((pj, j) => (i === j ? A.sub(pi, A.mul(pi, pj)) : A.mul(A.num(-1), pi, pj))))];
  },
  evaluate({ xs: [x] }) {
    const m = Math.max(...x),
      e = x.map((v) => Math.exp(v - m)),
      s = e.reduce((a, c) => a + c, 0);
    const p = e.map((v) => v / s);
    return { x: p, p };
  },
  vjp(_input, { p }, g, { gx: [g0] }) {
    const dot = p!.reduce((s, pi, i) => s + pi * g[i], 0);
    p!.forEach((pi, i) => {
      g0[i] += pi * (g[i] - dot);
    });
  },
};
