// x_l = σ(K_l ∗ x_{l−1} + b_l): a 2-D convolution (stride, padding, dilation, groups), torch's Conv2d.
import { convGeometry, convTaps, optionsText } from "./shape.js";
import { shapedKind } from "./shaped.js";

export const conv = shapedKind({
  keyword: "conv",
  syntax: { word: "conv", number: "width", activation: true },
  noun: "a convolution",
  opTex: (l) => `K_{${l}} \\ast x_{${l - 1}}`,
  labels: { text: "conv", short: "conv", title: "convolution", prose: "a convolution", activation: true },
  shaped: {
    options: [
      { name: "kernel", pair: true, default: null, min: 1 },
      { name: "stride", pair: true, default: 1, min: 1 },
      { name: "padding", pair: true, default: 0, min: 0 },
      { name: "dilation", pair: true, default: 1, min: 1 },
      { name: "groups", pair: false, default: 1, min: 1 },
    ],
    kernel: true,
    geometry: convGeometry,
    channelsOf: (k) => (k.length === 4 ? k[0] : null),
    taps: convTaps,
    apply: { text: (_g, K, x) => `${K} ∗ ${x}`, tex: (_g, K, x) => `${K} \\ast ${x}` },
    describe: (g) => `${optionsText(g.options)}, ${g.input[0]}→${g.output[0]} channels`,
  },
});
