// x_l = up_f(x_{l−1}): nearest-neighbour upsampling by whole factors, each entry repeated over an f_h × f_w block
// (torch's interpolate / Upsample, mode "nearest"; on a channels × length state along the length). Linear, no
// parameters, no activation.
import { pyPair, rankOf, shapeText, upsampleGeometry, upsampleTaps } from "./shape.js";
import { shapedKind } from "./shaped.js";

export const upsample = shapedKind({
  keyword: "upsample",
  syntax: { word: "upsample", number: "none", activation: false },
  noun: "a nearest-neighbour upsampling",
  opTex: (l) => `\\operatorname{up}(x_{${l - 1}})`,
  labels: { text: "upsample", short: "upsample", title: "upsampling", prose: "an upsampling", activation: false },
  shaped: {
    options: [{ name: "scale", pair: true, default: null, min: 1 }],
    kernel: false,
    geometry: upsampleGeometry,
    taps: upsampleTaps,
    apply: {
      text: (g, _K, x) => `up${shapeText(g.options.scale!.slice(2 - rankOf(g)))}(${x})`,
      tex: (g, _K, x) => `\\operatorname{up}_{${g.options.scale!.slice(2 - rankOf(g)).join(" \\times ")}}(${x})`,
    },
    describe: (g) =>
      `nearest upsampling by ${shapeText(g.options.scale!.slice(2 - rankOf(g)))}, ${shapeText(g.input)} → ${shapeText(g.output)}`,
    python: {
      options: ({ options: o }) => pyPair(o.scale),
      torch: `def _upsample(x, K, scale):
    if x.dim() == 3:
        return x.repeat_interleave(scale[1], 2)
    return x.repeat_interleave(scale[0], 2).repeat_interleave(scale[1], 3)`,
      numpy: `def _upsample(x, K, scale):
    if x.ndim == 3:
        return x.repeat(scale[1], 2)
    return x.repeat(scale[0], 2).repeat(scale[1], 3)`,
    },
  },
});
