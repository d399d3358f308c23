// x_l = up^lin_f(x_{l−1}): (bi)linear upsampling by whole factors, torch's interpolate / Upsample with mode "bilinear"
// (mode "linear" on a channels × length state) and align_corners = False, its default: each output entry the weighted
// mean of the input entries around its source point. Linear, no parameters, no activation.
import { pyPair, rankOf, shapeText, upsampleGeometry, upsampleLinearTaps } from "./shape.js";
import { shapedKind } from "./shaped.js";

const factors = (g: Parameters<typeof rankOf>[0]) => g.options.scale!.slice(2 - rankOf(g));

export const upsampleLinear = shapedKind({
  keyword: "upsample_linear",
  syntax: { word: "upsample_linear", number: "none", activation: false },
  noun: "a linear upsampling",
  opTex: (l) => `\\operatorname{up}^{\\mathrm{lin}}(x_{${l - 1}})`,
  labels: {
    text: "upsample_linear",
    short: "linear upsample",
    title: "linear upsampling",
    prose: "a linear upsampling",
    activation: false,
  },
  shaped: {
    options: [{ name: "scale", pair: true, default: null, min: 1 }],
    kernel: false,
    geometry: upsampleGeometry,
    taps: upsampleLinearTaps,
    apply: {
      text: (g, _K, x) => `uplin${shapeText(factors(g))}(${x})`,
      tex: (g, _K, x) => `\\operatorname{up}^{\\mathrm{lin}}_{${factors(g).join(" \\times ")}}(${x})`,
    },
    describe: (g) =>
      `${rankOf(g) === 1 ? "linear" : "bilinear"} upsampling by ${shapeText(factors(g))} (align_corners false), ` +
      `${shapeText(g.input)} → ${shapeText(g.output)}`,
    python: {
      options: ({ options: o }) => pyPair(o.scale),
      torch: `def _upsample_linear(x, K, scale):
    if x.dim() == 3:
        return torch.nn.functional.interpolate(x, scale_factor=float(scale[1]), mode="linear", align_corners=False)
    return torch.nn.functional.interpolate(x, scale_factor=tuple(map(float, scale)), mode="bilinear", align_corners=False)`,
      // along each axis: the source (2o + 1 - f)/(2f) clamped at 0, its floor i and i + 1 (i at the last), weights 1 - l, l
      numpy: `def _upsample_linear(x, K, scale):
    def along(x, axis, f):
        n = x.shape[axis]
        src = numpy.maximum((2 * numpy.arange(n * f) + 1 - f) / (2.0 * f), 0.0)
        i = numpy.minimum(numpy.floor(src).astype(int), n - 1)
        j = numpy.minimum(i + 1, n - 1)
        lam = (src - i).reshape((-1,) + (1,) * (x.ndim - 1 - axis))
        return numpy.take(x, i, axis) * (1 - lam) + numpy.take(x, j, axis) * lam
    if x.ndim == 3:
        return along(x, 2, scale[1])
    return along(along(x, 2, scale[0]), 3, scale[1])`,
    },
  },
});
