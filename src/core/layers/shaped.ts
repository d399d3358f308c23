// The layer kinds on channels × height × width states: x_l = σ(A_l x_{l−1} + b_l) with A_l a convolution, a transposed
// convolution, an upsampling or a pooling (core/layers/shape.ts). Each is an affine kind whose W is A_l written out by
// the semantics stage, so every route runs it as a dense layer (the matrix engine applies it from its taps instead);
// its texts name the operator instead of a matrix.
import { affineKind } from "./affine.js";
import { PARAM_B, PARAM_W } from "./params.js";
import type { ShapedDef } from "./shape.js";
import type { LayerKindDef, LayerSyntax, ParamSpec } from "./types.js";

/** The kernel of a convolution, [out, in/groups, kH, kW] (a transposed one's [in, out/groups, kH, kW]), as torch. */
export const PARAM_K: ParamSpec = { name: "K", shape: ["kernel"], role: "kernel", described: "kernel K", shared: false };
/** One bias per output channel, the same at every position. */
export const PARAM_BIAS: ParamSpec = { name: "b", shape: ["channels"], role: "bias per channel", described: "b", shared: false };

interface ShapedSpec {
  keyword: LayerKindDef["keyword"];
  syntax: LayerSyntax;
  /** "a convolution", "an upsampling". */
  noun: string;
  /** The operator as a formula in TeX for derivations, A_l x_{l−1} spelled for layer l. */
  opTex: (l: number) => string;
  labels: LayerKindDef["labels"];
  shaped: ShapedDef;
}

export function shapedKind(spec: ShapedSpec): LayerKindDef {
  const { noun, opTex, shaped } = spec;
  const withBias = shaped.kernel;
  const z = (l: number) => `${opTex(l)}${withBias ? ` + b_{${l}}` : ""}`;
  return affineKind({
    keyword: spec.keyword,
    syntax: spec.syntax,
    params: [PARAM_W, PARAM_B],
    width: "chosen",
    reads: 1,
    ode: null,
    recurrence: () => ({ coeffs: [], scale: null }),
    shaped: { ...shaped, params: shaped.kernel ? [PARAM_K, PARAM_BIAS] : [] },
    probabilities: false,
    initScale: 1,
    labels: spec.labels,
    derivation: {
      why: (l, s) =>
        `Layer ${l} is ${noun}, a linear map $x_{${l - 1}} \\mapsto ${opTex(l)}$ of the flattened state (channel by ` +
        `channel, row by row), so it reads as a dense layer whose matrix $W_{${l}}$ is that map: $x_{${l}} = ` +
        `${spec.syntax.activation ? `\\sigma(${z(l)})$ with $\\sigma = ${s}$` : `${z(l)}$`}.`,
      general: (l, s) =>
        `x^{a_{${l}}} = ${spec.syntax.activation ? `${s}\\big(` : ""}W^{a_{${l}}}{}_{a_{${l - 1}}} x^{a_{${l - 1}}}` +
        `${withBias ? ` + b^{a_{${l}}}` : ""}${spec.syntax.activation ? "\\big)" : ""}`,
      jacobianWhy: (l, slope) =>
        spec.syntax.activation
          ? `By the chain rule, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$: the ` +
            `operator's matrix $W_{${l}}$ with row $a_l$ scaled by $\\sigma'(z^{a_l})$, here $\\sigma'(z) = ${slope}$.`
          : `The map is linear: its Jacobian is the operator's matrix $W_{${l}}$ itself.`,
      jacobianGeneral: (l) =>
        `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = ${spec.syntax.activation ? `\\sigma'(z^{a_{${l}}})\\, ` : ""}` +
        `W^{a_{${l}}}{}_{b_{${l - 1}}}`,
    },
  });
}
