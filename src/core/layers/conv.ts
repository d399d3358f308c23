// x_l = σ(K_l ∗ x_{l−1} + b_l): a convolution (stride, padding, dilation, groups), torch's Conv2d on a channels × height
// × width state and Conv1d on a channels × length one (read as height 1: one module, the rank taken from the state).
import { convGeometry, convTaps, optionsText, pyPair, rankOf } from "./shape.js";
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
    channelsOf: (k) => (k.length === 4 || k.length === 3 ? k[0] : null),
    taps: convTaps,
    apply: { text: (_g, K, x) => `${K} ∗ ${x}`, tex: (_g, K, x) => `${K} \\ast ${x}` },
    describe: (g) => `${rankOf(g) === 1 ? "1-D, " : ""}${optionsText(g.options, rankOf(g))}, ${g.input[0]}→${g.output[0]} channels`,
    python: {
      options: ({ options: o }) => `${pyPair(o.stride)}, ${pyPair(o.padding)}, ${pyPair(o.dilation)}, ${o.groups![0]}`,
      // a 1-D layer's (N, C, L) state: its options are (1, s), (0, p), (1, d), the second entry along the length
      torch: `def _conv(x, K, stride, padding, dilation, groups):
    if x.dim() == 3:
        return torch.nn.functional.conv1d(x, K, None, stride[1], padding[1], dilation[1], groups)
    return torch.nn.functional.conv2d(x, K, None, stride, padding, dilation, groups)`,
      // a sum over the kernel's taps of strided slices of the padded input, each a product over the group's channels
      numpy: `def _conv(x, K, stride, padding, dilation, groups):
    if x.ndim == 3:
        return _conv(x[:, :, None], K[:, :, None], stride, padding, dilation, groups)[:, :, 0]
    (sh, sw), (dh, dw) = stride, dilation
    x = numpy.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    O, Cg, kh, kw = K.shape
    Ho = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    Wo = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = numpy.zeros((x.shape[0], O, Ho, Wo))
    og = O // groups
    for g in range(groups):
        xs = x[:, g * Cg:(g + 1) * Cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (Ho - 1) + 1:sh, j * dw:j * dw + sw * (Wo - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += numpy.einsum("nchw,oc->nohw", patch, K[g * og:(g + 1) * og, :, i, j])
    return out`,
    },
  },
});
