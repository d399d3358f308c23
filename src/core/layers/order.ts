// The order-k family (k ≥ 3; k = 1 is `residual`, k = 2 is `second_order`): the backward-difference step
//   x_l = Σ_{i=1..k} (−1)^{i+1} C(k,i) x_{l−i} + h^k σ(W_l x_{l−1} + b_l),
// i.e. ∇^k x_l / h^k = σ(W_l x_{l−1} + b_l), a step of d^k x/dt^k = σ(W(t) x + b(t)) (Hauser et al., 2018).
// rgnn's choices, not the paper's: the factor h^k (it makes the ODE limit independent of h) and the start.
// The network starts at rest (x(0) = x_0, x'(0) = … = x^(k−1)(0) = 0): the first k − 1 layers take the Taylor
// steps x_j = x_{j−1} + (j^k − (j−1)^k)/k! · h^k σ(W_j x_{j−1} + b_j), exact to O(h^{k+1}) each. The interior
// recurrence has the k-fold root 1, which amplifies start-up errors by at most N^{k−1} = O(h^{1−k}): O(h²) in all.
// Accuracy: with ρ(ζ) = (ζ−1)^k and the field taken at x_{l−1}, ρ(e^h) − h^k e^{(k−1)h} = (1 − k/2) h^{k+1} + O(h^{k+2}),
// so the scheme is second order for k = 2 only (the stencil is centred on x_{l−1}) and first order for every k ≥ 3.
import { affineKind } from "./affine.js";
import { PARAM_B, PARAM_H, PARAM_W, slopeWTex, zTex } from "./params.js";
import type { LayerKindDef, LayerSyntax, Recurrence } from "./types.js";

/** The largest order a spec may ask for: beyond it C(k, i) and h^k make the step numerically meaningless. */
export const MAX_ORDER = 8;

const binomial = (k: number, i: number): number => (i === 0 ? 1 : (binomial(k, i - 1) * (k - i + 1)) / i);
export const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
/** c_i of x_l = Σ c_i x_{l−1−i} + …: (−1)^i C(k, i+1). */
export const backwardCoefficients = (k: number) => Array.from({ length: k }, (_, i) => (i % 2 ? -1 : 1) * binomial(k, i + 1));
/** The Taylor coefficient of the j-th start step from rest: x(jh) − x((j−1)h) = (j^k − (j−1)^k)/k! · h^k x^(k)(0) + …. */
export const startFactor = (k: number, j: number) => (j ** k - (j - 1) ** k) / factorial(k);

const ORDINAL = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"];
export const ordinal = (k: number) => ORDINAL[k] ?? `order-${k}`;
const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
export const sup = (k: number) => [...String(k)].map((d) => SUPERSCRIPT[Number(d)]).join("");

/** Σ c_i x^{a_{l−1−i}} in TeX, signs folded in. */
function combinationTex(k: number, l: number): string {
  return backwardCoefficients(k)
    .map((c, i) => {
      const x = `x^{a_{${l - 1 - i}}}`,
        mag = Math.abs(c) === 1 ? x : `${Math.abs(c)}${x}`;
      return i === 0 ? (c < 0 ? `-${mag}` : mag) : `${c < 0 ? "-" : "+"} ${mag}`;
    })
    .join(" ");
}
/** ∇^k x_l = Σ_{i=0..k} (−1)^i C(k,i) x_{l−i} in TeX (vectors written x^{(l)}) and text. */
function nablaTex(k: number, l: number): [string, string] {
  const terms = Array.from({ length: k + 1 }, (_, i) => {
    const c = (i % 2 ? -1 : 1) * binomial(k, i),
      mag = Math.abs(c) === 1 ? "" : String(Math.abs(c));
    return [i === 0 ? "" : c < 0 ? " - " : " + ", mag, l - i] as const;
  });
  return [terms.map(([s, m, j]) => `${s}${m}x^{(${j})}`).join(""), terms.map(([s, m, j]) => `${s}${m ? `${m} ` : ""}x${j}`).join("")];
}

/** x'(0) = … = x^(k−1)(0), the start at rest, in text and TeX. */
export const atRest = (k: number): [string, string] => [
  Array.from({ length: k - 1 }, (_, i) => (i === 0 ? "x'(0)" : `x${i === 1 ? "''" : `^(${i + 1})`}(0)`)).join(" = "),
  Array.from({ length: k - 1 }, (_, i) => `x^{(${i + 1})}(0)`).join(" = "),
];

/** `order k ACT`: the family's word, k picking the kind (index.ts resolves it; `order 1` is residual, `order 2` second_order). */
export const ORDER_SYNTAX: LayerSyntax = { word: "order", number: "argument", activation: true };

const kinds = new Map<number, LayerKindDef>();

/** The order-k kind, k = 3 … MAX_ORDER (one definition per k, made on first use). */
export function orderKind(k: number): LayerKindDef {
  const hit = kinds.get(k);
  if (hit) return hit;
  const name = ordinal(k);
  const [rest, restTex] = atRest(k);
  const def = affineKind({
    keyword: `order_${k}`,
    syntax: ORDER_SYNTAX,
    params: [PARAM_W, PARAM_B, PARAM_H],
    width: "kept",
    reads: k,
    ode: {
      order: k,
      scheme: "backward-difference",
      accuracy: 1,
      text: `d${sup(k)}x/dt${sup(k)} = σ(W(t) x + b(t)), ${rest} = 0`,
      tex: (rhs) => `\\frac{d^${k}x}{dt^${k}} = ${rhs}, \\quad ${restTex} = 0`,
    },
    recurrence: (available): Recurrence =>
      available >= k
        ? { coeffs: backwardCoefficients(k), scale: { factor: 1, power: k } }
        : { coeffs: [1], scale: { factor: startFactor(k, available), power: k } },
    probabilities: false,
    initScale: 0.5,
    labels: { text: `order ${k}`, short: `order ${k}`, title: `${name}-order`, prose: `${name} order`, activation: true },
    derivation: {
      why: (l, s, start) =>
        start
          ? `An order-${k} layer reads the ${k} layers before it; the network starts at rest ($${restTex} = 0$), so ` +
            `layer ${l} takes the Taylor step $x_{${l}} = x_{${l - 1}} + \\tfrac{${l ** k - (l - 1) ** k}}{${factorial(k)}} h^${k} ` +
            `\\sigma(W_{${l}} x_{${l - 1}} + b_{${l}})$ from rest. Here $\\sigma = ${s}$.`
          : `An order-${k} layer reads the ${k} layers before it: $\\nabla^${k} x_l = h^${k} \\sigma(W_l x_{l-1} + b_l)$, the ` +
            `backward difference of order ${k}, with $\\sigma = ${s}$.`,
      general: (l, s) => `x^{a_{${l}}} = ${combinationTex(k, l)} + h^${k} ${s}\\big(${zTex(l)}\\big)`,
      jacobianWhy: (l, _slope, start) =>
        start
          ? `For a starting step, $\\partial x^{a_{${l}}} / \\partial x^{b_{${l - 1}}} = \\delta^{a_{${l}}}_{b_{${l - 1}}} + ` +
            `\\tfrac{${l ** k - (l - 1) ** k}}{${factorial(k)}} h^${k} \\sigma'(z^{a_{${l}}})\\, W^{a_{${l}}}{}_{b_{${l - 1}}}$.`
          : `With the earlier layers held fixed, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = ${k}\\delta^{a_l}_{b_{l-1}} + h^${k} ` +
            `\\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$, and $\\partial x_l / \\partial x_{l-1-i} = (-1)^{i} \\binom{${k}}{i+1} I$.`,
      jacobianGeneral: (l, start) =>
        `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = ` +
        (start
          ? `\\delta^{a_{${l}}}_{b_{${l - 1}}} + \\tfrac{${l ** k - (l - 1) ** k}}{${factorial(k)}} h^${k} ${slopeWTex(l)}`
          : `${k}\\delta^{a_{${l}}}_{b_{${l - 1}}} + h^${k} ${slopeWTex(l)}`),
      euler: {
        title: (l) => `Layer ${l} is a backward-difference step`,
        why: (s) =>
          `The update $\\nabla^${k} x_l = h^${k} f(x_{l-1})$ is the order-${k} backward difference of the ODE ` +
          `$x^{(${k})} = ${s}(W(t)\\, x + b(t))$.`,
        general: (l, s) =>
          `\\frac{\\nabla^${k} x^{a_{${l}}}}{h^${k}} = ${s}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} x^{b_{${l - 1}}} + b^{a_{${l}}}\\big)` +
          ` \\;\\longrightarrow\\; \\frac{d^${k}x^a}{dt^${k}} = ${s}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`,
        quotient: (l, start) => {
          if (start) {
            const c = l ** k - (l - 1) ** k,
              coefficient = c === 1 ? "" : String(c); // never "1h³/6"
            const f = `${coefficient}h^${k}/${factorial(k)}`;
            return [`\\frac{x^{(${l})} - x^{(${l - 1})}}{${f}}`, `(x${l} - x${l - 1})/(${f})`];
          }
          const [tex, text] = nablaTex(k, l);
          return [`\\frac{${tex}}{h^${k}}`, `(${text})/h^${k}`];
        },
      },
    },
  });
  kinds.set(k, def);
  return def;
}
