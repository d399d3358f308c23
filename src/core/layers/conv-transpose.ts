// x_l = σ(K_l ∗ᵀ x_{l−1} + b_l): a transposed convolution (stride, padding, output padding, dilation, groups), torch's
// ConvTranspose2d (ConvTranspose1d on a channels × length state): the adjoint of the convolution with the same kernel,
// each input entry spreading a kernel-sized patch.
import { convTransposeGeometry, convTransposeTaps, optionsText, pyPair, rankOf } from "./shape.js";
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
    channelsOf: (k, o) => (k.length === 4 || k.length === 3 ? k[1] * (o.groups?.[0] ?? 1) : null),
    taps: convTransposeTaps,
    apply: { text: (_g, K, x) => `${K} ∗ᵀ ${x}`, tex: (_g, K, x) => `${K} \\ast^{\\mathsf{T}} ${x}` },
    describe: (g) =>
      `transposed${rankOf(g) === 1 ? " 1-D" : ""}, ${optionsText(g.options, rankOf(g))}, ${g.input[0]}→${g.output[0]} channels`,
    python: {
      options: ({ options: o }) =>
        `${pyPair(o.stride)}, ${pyPair(o.padding)}, ${pyPair(o.output_padding)}, ${pyPair(o.dilation)}, ${o.groups![0]}`,
      torch: `def _conv_transpose(x, K, stride, padding, output_padding, dilation, groups):
    if x.dim() == 3:
        return torch.nn.functional.conv_transpose1d(
            x, K, None, stride[1], padding[1], output_padding[1], groups, dilation[1])
    return torch.nn.functional.conv_transpose2d(x, K, None, stride, padding, output_padding, groups, dilation)`,
      // each kernel tap scatters the input, strided, into the full output; the padding is cropped at the end
      numpy: `def _conv_transpose(x, K, stride, padding, output_padding, dilation, groups):
    if x.ndim == 3:
        return _conv_transpose(x[:, :, None], K[:, :, None], stride, padding, output_padding, dilation, groups)[:, :, 0]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    N, C, H, W = x.shape
    _, Og, kh, kw = K.shape
    Cg = C // groups
    Hf = (H - 1) * sh + dh * (kh - 1) + 1 + output_padding[0]
    Wf = (W - 1) * sw + dw * (kw - 1) + 1 + output_padding[1]
    full = numpy.zeros((N, Og * groups, Hf, Wf))
    for g in range(groups):
        xs = x[:, g * Cg:(g + 1) * Cg]
        for i in range(kh):
            for j in range(kw):
                full[:, g * Og:(g + 1) * Og, i * dh:i * dh + sh * (H - 1) + 1:sh, j * dw:j * dw + sw * (W - 1) + 1:sw] += numpy.einsum(
                    "nchw,co->nohw", xs, K[g * Cg:(g + 1) * Cg, :, i, j])
    return full[:, :, ph:Hf - ph, pw:Wf - pw]`,
    },
  },
});
