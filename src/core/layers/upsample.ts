// x_l = up_f(x_{l−1}): nearest-neighbour upsampling by whole factors, each entry repeated over an f_h × f_w block
// (torch's interpolate / Upsample, mode "nearest"). Linear, no parameters, no activation.
import { shapeText, upsampleGeometry, upsampleTaps } from "./shape.js";
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
      text: (g, _K, x) => `up${shapeText(g.options.scale!)}(${x})`,
      tex: (g, _K, x) => `\\operatorname{up}_{${shapeText(g.options.scale!)}}(${x})`,
    },
    describe: (g) => `nearest upsampling by ${shapeText(g.options.scale!)}, ${shapeText(g.input)} → ${shapeText(g.output)}`,
  },
});
