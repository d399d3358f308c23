// x_l = avg(x_{l−1}): the mean over each k_h × k_w window (stride, zero padding counted), torch's AvgPool2d with its
// defaults (AvgPool1d on a channels × length state). Linear, no parameters, no activation.
import { avgpoolGeometry, avgpoolTaps, optionsText, pyPair, rankOf, shapeText } from "./shape.js";
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
      text: (g, _K, x) => `avg${shapeText(g.options.kernel!.slice(2 - rankOf(g)))}(${x})`,
      tex: (g, _K, x) => `\\operatorname{avg}_{${g.options.kernel!.slice(2 - rankOf(g)).join(" \\times ")}}(${x})`,
    },
    describe: (g) => `average pooling, ${optionsText(g.options, rankOf(g))}, ${shapeText(g.input)} → ${shapeText(g.output)}`,
    python: {
      options: ({ options: o }) => `${pyPair(o.kernel)}, ${pyPair(o.stride)}, ${pyPair(o.padding)}`,
      torch: `def _avgpool(x, K, kernel, stride, padding):
    if x.dim() == 3:
        return torch.nn.functional.avg_pool1d(x, kernel[1], stride[1], padding[1])
    return torch.nn.functional.avg_pool2d(x, kernel, stride, padding)`,
      numpy: `def _avgpool(x, K, kernel, stride, padding):
    if x.ndim == 3:
        return _avgpool(x[:, :, None], K, kernel, stride, padding)[:, :, 0]
    (kh, kw), (sh, sw) = kernel, stride
    x = numpy.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    Ho = (x.shape[2] - kh) // sh + 1
    Wo = (x.shape[3] - kw) // sw + 1
    out = numpy.zeros(x.shape[:2] + (Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            out += x[:, :, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw]
    return out / (kh * kw)`,
    },
  },
});
