// x_l = σ(K_l ∗ᵀ x_{l−1} + b_l): a 2-D transposed convolution (stride, padding, output padding, dilation, groups), torch's
// ConvTranspose2d: the adjoint of the convolution with the same kernel, each input entry spreading a kernel-sized patch.
import { convTransposeGeometry, convTransposeTaps, optionsText } from "./shape.js";
import { shapedKind } from "./shaped.js";

export const convTranspose = shapedKind({
  keyword: "conv_transpose",
  syntax: { word: "conv_transpose", number: "width", activation: true },
  noun: "a transposed convolution",
  opTex: (l) => `K_{${l}} \\ast^{\\mathsf{T}} x_{${l - 1}}`,
  labels: {
    text: "conv_transpose",
    short: "conv transpose",
    title: "transposed convolution",
    prose: "a transposed convolution",
    activation: true,
  },
  shaped: {
    options: [
      { name: "kernel", pair: true, default: null, min: 1 },
      { name: "stride", pair: true, default: 1, min: 1 },
      { name: "padding", pair: true, default: 0, min: 0 },
      { name: "output_padding", pair: true, default: 0, min: 0 },
      { name: "dilation", pair: true, default: 1, min: 1 },
      { name: "groups", pair: false, default: 1, min: 1 },
    ],
    kernel: true,
    geometry: convTransposeGeometry,
    channelsOf: (k, o) => (k.length === 4 ? k[1] * (o.groups?.[0] ?? 1) : null),
    taps: convTransposeTaps,
    apply: { text: (_g, K, x) => `${K} ∗ᵀ ${x}`, tex: (_g, K, x) => `${K} \\ast^{\\mathsf{T}} ${x}` },
    describe: (g) => `transposed, ${optionsText(g.options)}, ${g.input[0]}→${g.output[0]} channels`,
  },
});
