// The last layer of a skip block `skip { … }` of k layers: a dense layer that adds the state the block started from,
//   x_l = σ(W_l x_{l−1} + b_l) + x_{l−k},
// so the block is x ↦ x + F(x) with F its k layers (ResNet's x + W₂σ(W₁x + b₁) + b₂ is `skip { dense 16 relu
// dense 4 linear }`). As a recurrence it reads x_{l−1} … x_{l−k} with the coefficients 0, …, 0, 1: the states between
// have any width and coefficient 0 (they are read by nothing); x_{l−k} has the layer's width.
import { affineKind } from "./affine.js";
import { PARAM_B, PARAM_W, zTex } from "./params.js";
import type { LayerKindDef, LayerSyntax, Recurrence } from "./types.js";

/** The most layers a skip block may have. */
export const MAX_SKIP = 64;

/** How a skip block is written: `skip { LAYERS }` (a block of the grammar, beside `repeat`; its last layer, a dense one,
 *  becomes the kind skip_k). The word is a keyword, not a layer word: no layer is written `skip 2 tanh`. */
export const SKIP_SYNTAX: LayerSyntax = { word: "skip", number: "argument", activation: true };

const kinds = new Map<number, LayerKindDef>();

/** The kind skip_k (k = 1 … MAX_SKIP), made on first use, or null. */
export function skipKind(k: number): LayerKindDef | null {
  const hit = kinds.get(k);
  if (hit) return hit;
  if (!Number.isInteger(k) || k < 1 || k > MAX_SKIP) return null;
  const coeffs = Array.from({ length: k }, (_, i) => (i === k - 1 ? 1 : 0));
  const added = (l: number) => `x_{${l - k}}`;
  const def = affineKind({
    keyword: `skip_${k}`,
    syntax: SKIP_SYNTAX,
    params: [PARAM_W, PARAM_B],
    width: "chosen",
    reads: k,
    ode: null,
    // with fewer states than k the block has no start (semantics never builds it so): a dense layer
    recurrence: (available): Recurrence => (available >= k ? { coeffs, scale: null } : { coeffs: [], scale: null }),
    probabilities: false,
    initScale: 1,
    labels: {
      text: `end of skip ${k}: dense`,
      short: `dense + skip ${k}`,
      title: `skip-${k} dense`,
      prose: `the end of a skip block of ${k} layer${k === 1 ? "" : "s"}`,
      activation: true,
    },
    derivation: {
      why: (l, s) =>
        `Layer ${l} ends a skip block of ${k} layer${k === 1 ? "" : "s"}: a dense layer plus the state the block started ` +
        `from, $x_{${l}} = \\sigma(W_{${l}} x_{${l - 1}} + b_{${l}}) + ${added(l)}$ with $\\sigma = ${s}$, so that ` +
        `$x_{${l}} = ${added(l)} + F(${added(l)})$ with $F$ the block's layers.`,
      general: (l, s) => `x^{a_{${l}}} = ${s}\\big(${zTex(l)}\\big) + x^{a_{${l - k}}}`,
      jacobianWhy: (l, slope) =>
        `As for a dense layer, $\\partial x^{a_{${l}}} / \\partial x^{b_{${l - 1}}} = \\sigma'(z^{a_{${l}}})\\, ` +
        `W^{a_{${l}}}{}_{b_{${l - 1}}}$ (here $\\sigma'(z) = ${slope}$)` +
        (k === 1
          ? `, plus $\\delta^{a_{${l}}}_{b_{${l - 1}}}$ from the added $x_{${l - 1}}$.`
          : `; the added state gives $\\partial x_{${l}} / \\partial ${added(l)} = I$, and the total Jacobian sums both paths ` +
            `from $${added(l)}$: through the block and around it.`),
      jacobianGeneral: (l) =>
        `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = \\sigma'(z^{a_{${l}}})\\, W^{a_{${l}}}{}_{b_{${l - 1}}}` +
        (k === 1
          ? ` + \\delta^{a_{${l}}}_{b_{${l - 1}}}`
          : `, \\quad \\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - k}}}} = \\delta^{a_{${l}}}_{b_{${l - k}}}`),
    },
  });
  kinds.set(k, def);
  return def;
}
