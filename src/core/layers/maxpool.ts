// x_l = max(x_{l−1}): the largest entry of each k_h × k_w window (stride, padding), torch's MaxPool2d (MaxPool1d on a
// channels × length state) without dilation. Piecewise linear: on each region where every window's largest entry is
// one entry, the layer copies it, and its Jacobian is the 0/1 matrix selecting it. A tie picks the first of the tied
// entries in the window's row-major order (torch's CPU kernel keeps its maximum unless a later entry is strictly
// larger, and its gradient flows to that one). The padding is −∞: never picked. No parameters, no activation. Geometry
// through it is warned about as through relu (`kink`): across a region's boundary the metric jumps.
import type { Algebra } from "../algebra.js";
import { avgpoolGeometry, maxpoolTaps, optionsText, pyPair, rankOf, shapeText, type Taps } from "./shape.js";
import { PARAM_B, PARAM_W } from "./params.js";
import type { EngineStep, LayerInput, LayerKindDef, LayerOutput } from "./types.js";

/** Each output entry's window: the input entries it reads, in the window's order (from the taps, built once). */
const windowsOf = new WeakMap<Taps, number[][]>();
function windows(taps: Taps | undefined, rows: number): number[][] {
  if (!taps) throw new Error("internal error: a max pooling layer without its windows");
  let w = windowsOf.get(taps);
  if (!w) {
    w = Array.from({ length: rows }, () => []);
    for (let k = 0; k < taps.rows.length; k++) w[taps.rows[k]].push(taps.cols[k]);
    windowsOf.set(taps, w);
  }
  return w;
}

/** The first largest of x's entries at `cols` (strictly larger replaces: a tie keeps the earlier). */
function argmax(cols: readonly number[], value: (j: number) => number): number {
  let best = cols[0],
    m = value(best);
  for (let t = 1; t < cols.length; t++) {
    const v = value(cols[t]);
    if (v > m || Number.isNaN(v)) {
      m = v;
      best = cols[t];
    }
  }
  return best;
}

/** The symbolic form of a window's maximum entry by entry, max(m, b) = (1 − s) m + s b with s = H(b − m) (H(0) = 0 keeps
 *  the earlier of a tie; a product with 0 or 1 is exact, where m + relu(b − m) would be off by an ulp and break a later
 *  tie the other way), and each entry's selector: s_j Π_{k>j} (1 − s_k), s_1 = 1. */
function symbolicMax<T>(A: Algebra<T>, x: T[], cols: readonly number[]): { max: T; select: T[] } {
  let m = x[cols[0]];
  const step: T[] = [A.num(1)];
  for (let t = 1; t < cols.length; t++) {
    const s = A.fn("heaviside", A.sub(x[cols[t]], m));
    step.push(s);
    m = A.add(A.mul(A.sub(A.num(1), s), m), A.mul(s, x[cols[t]]));
  }
  const select: T[] = new Array(cols.length);
  let kept = A.num(1);
  for (let t = cols.length - 1; t >= 0; t--) {
    select[t] = t === 0 ? kept : A.mul(step[t], kept);
    if (t > 0) kept = A.mul(kept, A.sub(A.num(1), step[t]));
  }
  return { max: m, select };
}

/** The matrix engine's step: per output entry, the window's first largest value picks the input entry, and every jet
 *  component (value and derivatives) is copied from it. */
const engine: EngineStep = {
  jets(J, x, w, y, _scratch, { sparse }) {
    const { start, col } = sparse!,
      rows = start.length - 1;
    for (let i = 0; i < rows; i++) {
      let best = col[start[i]],
        m = x[best];
      for (let t = start[i] + 1; t < start[i + 1]; t++) {
        const v = x[col[t]];
        if (v > m || Number.isNaN(v)) {
          m = v;
          best = col[t];
        }
      }
      for (let k = 0; k < J.K; k++) y[k * rows + i] = x[k * w + best];
    }
  },
  // b += a·S with S the selection: row r of a's entry i goes to the column its window picked
  pullback(_y, a, b, m, wo, { sparse }, input) {
    const { start, col } = sparse!,
      wi = input.length;
    for (let i = 0; i < wo; i++) {
      const cols = Array.from(col.subarray(start[i], start[i + 1]));
      const j = argmax(cols, (c) => input[c]);
      for (let r = 0; r < m; r++) b[r * wi + j] += a[r * wo + i];
    }
  },
};

const kernelText = (g: Parameters<typeof rankOf>[0]) => g.options.kernel!.slice(2 - rankOf(g));

export const maxpool: LayerKindDef = {
  keyword: "maxpool",
  syntax: { word: "maxpool", number: "none", activation: false },
  // the semantics stage writes the windows' 0/1 membership as W (b = 0): the DAG's size estimates read it
  params: [PARAM_W, PARAM_B],
  width: "chosen",
  reads: 1,
  ode: null,
  engine,
  kink:
    "max pooling is not C¹ where two entries of a window are equal (its derivative jumps from one entry to the other; " +
    "a tie takes the first)",
  shaped: {
    options: [
      { name: "kernel", pair: true, default: null, min: 1 },
      { name: "stride", pair: true, default: "kernel", min: 1 },
      { name: "padding", pair: true, default: 0, min: 0 },
    ],
    kernel: false,
    params: [],
    geometry: avgpoolGeometry,
    taps: maxpoolTaps,
    apply: {
      text: (g, _K, x) => `max${shapeText(kernelText(g))}(${x})`,
      tex: (g, _K, x) => `\\operatorname{max}_{${kernelText(g).join(" \\times ")}}(${x})`,
    },
    describe: (g) => `max pooling, ${optionsText(g.options, rankOf(g))}, ${shapeText(g.input)} → ${shapeText(g.output)}`,
    // the export's spelling is the selection: for a batch x (N, C, H, W) or (N, C, L), the index within its channel's
    // flattened plane of the entry each window picks, (N, C, outputs); the jets are then read there (python-matrix.ts)
    python: {
      options: ({ options: o }) => `${pyPair(o.kernel)}, ${pyPair(o.stride)}, ${pyPair(o.padding)}`,
      torch: `def _maxpool(x, K, kernel, stride, padding):
    if x.dim() == 3:
        _, at = torch.nn.functional.max_pool1d(x, kernel[1], stride[1], padding[1], return_indices=True)
    else:
        _, at = torch.nn.functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
    return at.reshape(x.shape[0], x.shape[1], -1)`,
      // window by window in row-major order, a strictly larger entry replacing the pick (a tie keeps the first)
      numpy: `def _maxpool(x, K, kernel, stride, padding):
    if x.ndim == 3:
        x, kernel, stride, padding = x[:, :, None], (1, kernel[1]), (1, stride[1]), (0, padding[1])
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oy = numpy.arange((H + 2 * ph - kh) // sh + 1)[:, None] * sh - ph
    ox = numpy.arange((W + 2 * pw - kw) // sw + 1)[None, :] * sw - pw
    planes = x.reshape(N, C, H * W)
    best = numpy.full((N, C) + (oy.shape[0], ox.shape[1]), -numpy.inf)
    at = numpy.zeros(best.shape, dtype=numpy.int64)
    for i in range(kh):
        for j in range(kw):
            y, z = oy + i, ox + j
            flat = numpy.clip(y, 0, H - 1) * W + numpy.clip(z, 0, W - 1)
            v = numpy.where((y >= 0) & (y < H) & (z >= 0) & (z < W), planes[:, :, flat], -numpy.inf)
            better = v > best
            best = numpy.where(better, v, best)
            at = numpy.where(better, flat, at)
    return at.reshape(N, C, -1)`,
    },
  },
  probabilities: false,
  initScale: 1,
  labels: { text: "maxpool", short: "maxpool", title: "max pooling", prose: "a max pooling", activation: false },
  matrix: {
    // S(x): the 0/1 matrix whose row i picks the first largest entry of window i of x
    text: { x: (prev) => `maxpool(${prev})`, jacobian: (_x, _own, prev) => `S(${prev}), S picking each window's largest entry` },
    tex: {
      x: (prev) => `\\operatorname{maxpool}(${prev})`,
      jacobian: (_x, _own, prev) => `S(${prev})`,
    },
  },
  derivation: {
    why: (l) =>
      `Layer ${l} is a max pooling: each entry of $x_{${l}}$ is the largest entry of its window of $x_{${l - 1}}$ (the ` +
      "first of equal ones). On each region where no two entries of a window tie, it copies one entry per window: a " +
      "linear map whose matrix picks them.",
    general: (l) => `x^{a_{${l}}} = \\max_{b \\in \\mathcal{W}(a_{${l}})} x^{b_{${l - 1}}}`,
    jacobianWhy: (l) =>
      `Where the largest entry of each window is one entry $b^*(a_{${l}})$, $\\partial x^{a_{${l}}} / \\partial x^{b_{${l - 1}}}` +
      `= \\delta^{b^*(a_{${l}})}_{b_{${l - 1}}}$: a 0/1 selection, so the metric through it is piecewise defined.`,
    jacobianGeneral: (l) => `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = \\delta^{b^*(a_{${l}})}_{b_{${l - 1}}}`,
  },
  forward<T>(A: Algebra<T>, { xs: [x], taps, numberOf, W }: LayerInput<T>): LayerOutput<T> {
    const ws = windows(taps, W!.length);
    if (numberOf) return { x: ws.map((cols) => x[argmax(cols, (j) => numberOf(x[j]))]) };
    return { x: ws.map((cols) => symbolicMax(A, x, cols).max) };
  },
  jacobians<T>(A: Algebra<T>, { xs: [x], taps, numberOf, W }: LayerInput<T>): T[][][] {
    const ws = windows(taps, W!.length);
    return [
      ws.map((cols) => {
        const row: T[] = x.map(() => A.num(0));
        if (numberOf) row[argmax(cols, (j) => numberOf(x[j]))] = A.num(1);
        else {
          const { select } = symbolicMax(A, x, cols);
          cols.forEach((j, t) => {
            row[j] = select[t];
          });
        }
        return row;
      }),
    ];
  },
  evaluate({ xs: [x], taps, outWidth }) {
    const picked = windows(taps, outWidth).map((cols) => argmax(cols, (j) => x[j]));
    return { x: picked.map((j) => x[j]), argmax: picked };
  },
  vjp(_input, { argmax: picked }, g, { gx: [g0] }) {
    for (let i = 0; i < g.length; i++) g0[picked![i]] += g[i];
  },
};
