// y = γ ⊙ (x − mean x)/√(var x + ε) + β: layer normalisation (torch's LayerNorm over the last axis, biased variance),
// same width. γ and β are the layer's W and b (torch's `weight` and `bias`), both vectors; ε is `eps`, 1e-5 unless given.
// Its Jacobian γ_i/σ (δ_ij − 1/n − ŷ_i ŷ_j/n), ŷ = (x − mean x)/σ, kills (1, …, 1): the map has rank n − 1 at most.
import type { Algebra } from "../algebra.js";
import type { EngineStep, LayerInput, LayerKindDef, LayerOutput, ParamSpec } from "./types.js";

/** torch's default ε. */
export const LAYER_NORM_EPS = 1e-5;

const PARAM_GAMMA: ParamSpec = {
  name: "W",
  shape: ["out"],
  role: "scale vector γ",
  described: "scale W (γ)",
  shared: false,
  init: 1,
};
const PARAM_BETA: ParamSpec = { name: "b", shape: ["out"], role: "shift vector β", described: "shift b (β)", shared: false, init: 0 };
const PARAM_EPS: ParamSpec = {
  name: "eps",
  shape: [],
  role: "variance offset ε",
  described: "eps",
  shared: false,
  default: LAYER_NORM_EPS,
};

/** ε_l in TeX from the layer's own spelling of eps (eps_{3}). */
const epsTex = (own: (p: string) => string) => own("eps").replace(/^eps/, "\\varepsilon");

/** c = x − mean x, 1/σ = (mean c² + ε)^{−1/2} and ŷ = c/σ in any algebra. */
function normalised<T>(A: Algebra<T>, x: T[], eps: T): { xhat: T[]; r: T } {
  const n = x.length,
    inv = A.num(1 / n);
  const mean = A.mul(inv, A.add(...x));
  const c = x.map((xi) => A.sub(xi, mean));
  const r = A.pow(A.add(A.mul(inv, A.add(...c.map((ci) => A.pow(ci, 2)))), eps), -0.5);
  return { xhat: c.map((ci) => A.mul(ci, r)), r };
}

/** The matrix engine's step: c = x − mean x on every jet component, s = mean c² (c² by composition), 1/√(s + ε) on
 *  the one jet s, then Leibniz's rule for c·(1/σ), and γ, β entry by entry. */
const engine: EngineStep = {
  jets(J, x, w, y, { block, D, S }, { W: gamma, b: beta, eps = LAYER_NORM_EPS }) {
    const K = J.K;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0, o = k * w; i < w; i++) s += x[o + i];
      s /= w;
      for (let i = 0, o = k * w; i < w; i++) y[o + i] = x[o + i] - s;
    }
    block.set(y.subarray(0, K * w));
    for (let i = 0; i < w; i++) {
      const c = y[i];
      D[i] = c * c;
      D[w + i] = 2 * c;
      D[2 * w + i] = 2;
      D[3 * w + i] = 0;
    }
    J.compose(block, D, w);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let i = 0, o = k * w; i < w; i++) s += block[o + i];
      S[k] = s / w;
    }
    // (s + ε)^{−1/2} and its derivatives −½u^{−3/2}, ¾u^{−5/2}, −15/8 u^{−7/2}
    const u = S[0] + eps,
      r = 1 / Math.sqrt(u);
    D[0] = r;
    D[1] = (-0.5 * r) / u;
    D[2] = (0.75 * r) / (u * u);
    D[3] = (-1.875 * r) / (u * u * u);
    J.compose(S, D, 1);
    J.scale(y, S, w, block);
    for (let k = 0; k < K; k++) for (let i = 0, o = k * w; i < w; i++) y[o + i] = gamma![i] * block[o + i] + (k === 0 ? beta![i] : 0);
  },
  // a J with J = diag(γ)/σ (I − 11ᵀ/n − ŷŷᵀ/n): with u = a_r ⊙ γ, row r gains (u_j − mean u − ŷ_j mean(u ⊙ ŷ))/σ
  pullback(_y, a, b, m, w, { W: gamma, eps = LAYER_NORM_EPS }, x) {
    let mean = 0;
    for (let i = 0; i < w; i++) mean += x[i];
    mean /= w;
    let v = 0;
    for (let i = 0; i < w; i++) v += (x[i] - mean) ** 2;
    const r = 1 / Math.sqrt(v / w + eps);
    const xhat = Array.from({ length: w }, (_, i) => (x[i] - mean) * r);
    for (let row = 0; row < m; row++) {
      let su = 0,
        sux = 0;
      for (let i = 0; i < w; i++) {
        const u = a[row * w + i] * gamma![i];
        su += u;
        sux += u * xhat[i];
      }
      su /= w;
      sux /= w;
      for (let j = 0; j < w; j++) b[row * w + j] += r * (a[row * w + j] * gamma![j] - su - xhat[j] * sux);
    }
  },
};

export const layerNorm: LayerKindDef = {
  keyword: "layer_norm",
  syntax: { word: "layer_norm", number: "none", activation: false },
  params: [PARAM_GAMMA, PARAM_BETA, PARAM_EPS],
  width: "kept",
  reads: 1,
  ode: null,
  engine,
  singular:
    "layer normalisation is unchanged when every entry moves by the same amount (its Jacobian kills (1, …, 1)), and nearly " +
    "unchanged when x − mean x is scaled (that direction keeps only a factor ε/(var x + ε))",
  probabilities: false,
  initScale: 1,
  labels: { text: "layer_norm", short: "layer norm", title: "layer-normalisation", prose: "a layer normalisation", activation: false },
  matrix: {
    // n the width, x̂ = (x − mean x)/√(var x + ε) of the layer's input
    text: {
      x: (prev, own) => `${own("W")} .* (${prev} - mean(${prev}))/sqrt(var(${prev}) + ${own("eps")}) + ${own("b")}`,
      jacobian: (_x, own, prev) =>
        `diag(${own("W")})/sqrt(var(${prev}) + ${own("eps")}) * (I - 1*1^T/n - xhat*xhat^T/n), ` +
        `xhat = (${prev} - mean(${prev}))/sqrt(var(${prev}) + ${own("eps")})`,
    },
    tex: {
      x: (prev, own) =>
        `${own("W")} \\odot \\frac{${prev} - \\bar{${prev}}}{\\sqrt{\\operatorname{var} ${prev} + ${epsTex(own)}}} + ${own("b")}`,
      jacobian: (_x, own, prev) =>
        `\\frac{\\operatorname{diag}(${own("W")})}{\\sqrt{\\operatorname{var} ${prev} + ${epsTex(own)}}}\\Big(I - ` +
        `\\tfrac{1}{n}\\mathbf{1}\\mathbf{1}^{\\mathsf{T}} - \\tfrac{1}{n}\\hat{${prev}}\\hat{${prev}}^{\\mathsf{T}}\\Big)`,
    },
  },
  derivation: {
    why: () =>
      "The layer-normalisation layer centres and scales its input, $y = \\gamma \\odot (x - \\bar x)/\\sigma + \\beta$ with " +
      "$\\bar x$ the mean of the entries, $\\sigma = \\sqrt{\\operatorname{var} x + \\varepsilon}$ (the biased variance), " +
      "$\\gamma = W$ and $\\beta = b$.",
    general: (l) => `x^{a_{${l}}} = W^{a_{${l}}} \\frac{x^{a_{${l - 1}}} - \\bar x_{${l - 1}}}{\\sigma_{${l - 1}}} + b^{a_{${l}}}`,
    jacobianWhy: () =>
      "With $\\hat x = (x - \\bar x)/\\sigma$, $\\partial \\bar x / \\partial x_j = 1/n$ and $\\partial \\sigma / \\partial x_j = " +
      "\\hat x_j/n$, so $\\partial y_i / \\partial x_j = (\\gamma_i/\\sigma)(\\delta_{ij} - 1/n - \\hat x_i \\hat x_j / n)$. It " +
      "kills $(1, \\dots, 1)$: the layer has rank $n - 1$, and a metric pulled back through it is degenerate along that direction.",
    jacobianGeneral: (l) =>
      `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = \\frac{W^{a_{${l}}}}{\\sigma_{${l - 1}}}\\Big(` +
      `\\delta^{a_{${l}}}_{b_{${l - 1}}} - \\tfrac{1}{n} - \\tfrac{1}{n}\\hat x^{a_{${l - 1}}} \\hat x^{b_{${l - 1}}}\\Big)`,
  },
  forward<T>(A: Algebra<T>, { xs: [x], W, b, eps }: LayerInput<T>): LayerOutput<T> {
    const { xhat } = normalised(A, x, eps!);
    const gamma = W![0];
    return { x: xhat.map((v, i) => A.add(A.mul(gamma[i], v), b![i])) };
  },
  jacobians<T>(A: Algebra<T>, { xs: [x], W, eps }: LayerInput<T>): T[][][] {
    const { xhat, r } = normalised(A, x, eps!);
    const n = x.length,
      gamma = W![0];
    return [
      xhat.map((hi, i) => xhat.map((hj, j) => A.mul(gamma[i], r, A.sub(A.num((i === j ? 1 : 0) - 1 / n), A.mul(A.num(1 / n), hi, hj))))),
    ];
  },
  evaluate({ xs: [x], W, b, eps }) {
    const n = x.length,
      mean = x.reduce((s, v) => s + v, 0) / n;
    const v = x.reduce((s, xi) => s + (xi - mean) ** 2, 0) / n;
    const rstd = 1 / Math.sqrt(v + eps!);
    const xhat = x.map((xi) => (xi - mean) * rstd);
    return { x: xhat.map((h, i) => W![i] * h + b![i]), xhat, rstd };
  },
  vjp({ W }, { xhat, rstd }, g, { gx: [g0], gW, gb }) {
    const n = g.length,
      u = g.map((gi, i) => gi * W![i]);
    const mu = u.reduce((s, v) => s + v, 0) / n,
      mux = u.reduce((s, v, i) => s + v * xhat![i], 0) / n;
    for (let j = 0; j < n; j++) {
      g0[j] += rstd! * (u[j] - mu - xhat![j] * mux);
      if (gW) gW[j] += g[j] * xhat![j];
      if (gb) gb[j] += g[j];
    }
  },
};
