// x_l = avg(x_{l−1}): the mean over each k_h × k_w window (stride, zero padding counted), torch's AvgPool2d with its
// defaults. Linear, no parameters, no activation.
import { avgpoolGeometry, avgpoolTaps, optionsText, shapeText } from "./shape.js";
import { shapedKind } from "./shaped.js";

export const avgpool = shapedKind({
  keyword: "avgpool",
  syntax: { word: "avgpool", number: "none", activation: false },
  noun: "an average pooling",
  opTex: (l) => `\\operatorname{avg}(x_{${l - 1}})`,
  labels: { text: "avgpool", short: "avgpool", title: "average pooling", prose: "an average pooling", activation: false },
  shaped: {
    options: [
      { name: "kernel", pair: true, default: null, min: 1 },
      { name: "stride", pair: true, default: "kernel", min: 1 },
      { name: "padding", pair: true, default: 0, min: 0 },
    ],
    kernel: false,
    geometry: avgpoolGeometry,
    taps: avgpoolTaps,
    apply: {
      text: (g, _K, x) => `avg${shapeText(g.options.kernel!)}(${x})`,
      tex: (g, _K, x) => `\\operatorname{avg}_{${shapeText(g.options.kernel!)}}(${x})`,
    },
    describe: (g) => `average pooling, ${optionsText(g.options)}, ${shapeText(g.input)} → ${shapeText(g.output)}`,
  },
});
