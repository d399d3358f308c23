// Shaped states and the linear operators of the shaped layer kinds. A state is a vector, or channels × height × width
// stored flat, channel-major and row-major within a channel (index (c·H + y)·W + x, as torch's flatten). A shaped
// layer is x_l = σ(A x_{l−1} + b) with A a linear operator fixed by the layer's options (and, for the convolutions,
// made of its kernel's entries): each kind lists A's nonzero entries (`taps`), and the semantics stage writes A as the
// layer's dense W, so that every route (forward mode, the DAG, the matrix engine, training, export) runs it as an
// affine layer.

/** A state's shape as channels × height × width. */
export type Shape3 = readonly [channels: number, height: number, width: number];

/** The integer options a shaped layer takes (`with kernel = 3, stride = 2`). */
export type OptionName = "kernel" | "stride" | "padding" | "dilation" | "groups" | "output_padding" | "scale";

export interface OptionSpec {
  name: OptionName;
  /** Per axis: one number for both, or [height, width]; otherwise one number. */
  pair: boolean;
  /** Its value when not given; "kernel": the kernel's (a pooling layer's stride); null: it must be given. */
  default: number | "kernel" | null;
  /** The least value it may take. */
  min: 0 | 1;
}

/** The options of one layer, each as [height, width] (a one-number option twice). */
export type Options = Partial<Record<OptionName, readonly [number, number]>>;

/** A shaped layer's geometry: the shapes it maps between, its options and its kernel's shape (none: no kernel). */
export interface Geometry {
  input: Shape3;
  output: Shape3;
  options: Options;
  kernel: number[] | null;
}

/** The nonzero entries of a layer's operator A (out × in over the flattened states): A[rows[k]][cols[k]] is the
 *  kernel's entry `index[k]` (row-major over its shape), or `coef` where index[k] is −1. No (row, col) repeats. */
export interface Taps {
  rows: Int32Array;
  cols: Int32Array;
  index: Int32Array;
  coef: number;
}

/** What a shaped kind adds to its LayerKindDef. */
export interface ShapedDef {
  options: readonly OptionSpec[];
  /** Whether it has a kernel K and a bias b per output channel (else A is fixed and b = 0). */
  kernel: boolean;
  /** The output shape and the kernel's, from the input shape, the output channels (the number after the word; null:
   *  not written) and the options; or what does not fit, and which option (or the channels) to point at. */
  geometry(input: Shape3, channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError;
  /** The output channels a kernel of this shape gives (to read them from a weights file), or null. */
  channelsOf?(kernelShape: readonly number[], o: Options): number | null;
  taps(g: Geometry): Taps;
  /** The operator applied to a state, as text and TeX (`K3 ∗ x2`), given the kernel's name and the state's. */
  apply: { text(g: Geometry, kernel: string, x: string): string; tex(g: Geometry, kernel: string, x: string): string };
  /** One phrase: "3×3 kernel, stride 1, 8→16 channels". */
  describe(g: Geometry): string;
  /** The NumPy/torch export's spelling: the source of `def _<kind>(x, K, *options)` on a batch x (N, C, H, W) for each
   *  target (K None for kinds without a kernel), and the options it takes after K, as a Python tuple's items. */
  python: { numpy: string; torch: string; options(g: Geometry): string };
}

/** A pair option as a Python tuple. */
export const pyPair = (v: readonly [number, number] | undefined) => `(${v![0]}, ${v![1]})`;

export interface GeometryError {
  error: string;
  at?: OptionName | "channels";
}

export const isGeometryError = (g: object): g is GeometryError => "error" in g;

export const shapeText = (s: readonly number[]) => s.join("×");
export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const pairText = (name: string, [a, b]: readonly [number, number]) => (a === b ? `${name} ${a}` : `${name} ${a}×${b}`);

/** The usual options' phrase: "3×3 kernel, stride 2, padding 1" (defaults of 1 and 0 left out, the stride always). */
export function optionsText(o: Options): string {
  const parts = [`${shapeText(o.kernel!)} kernel`];
  if (o.stride) parts.push(pairText("stride", o.stride));
  if (o.padding && (o.padding[0] || o.padding[1])) parts.push(pairText("padding", o.padding));
  if (o.dilation && (o.dilation[0] !== 1 || o.dilation[1] !== 1)) parts.push(pairText("dilation", o.dilation));
  if (o.output_padding && (o.output_padding[0] || o.output_padding[1])) parts.push(pairText("output padding", o.output_padding));
  if (o.groups && o.groups[0] !== 1) parts.push(`${o.groups[0]} groups`);
  return parts.join(", ");
}

/** Collects taps into typed arrays. */
class TapList {
  private rows: number[] = [];
  private cols: number[] = [];
  private index: number[] = [];
  add(row: number, col: number, index: number): void {
    this.rows.push(row);
    this.cols.push(col);
    this.index.push(index);
  }
  done(coef = 1): Taps {
    return { rows: Int32Array.from(this.rows), cols: Int32Array.from(this.cols), index: Int32Array.from(this.index), coef };
  }
}

/** A convolution's output size along one axis: ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1 (torch's Conv2d). */
export const convOut = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
/** A transposed convolution's: (n − 1)s − 2p + d(k − 1) + q + 1 (torch's ConvTranspose2d). */
export const convTransposeOut = (n: number, k: number, s: number, p: number, d: number, q: number) =>
  (n - 1) * s - 2 * p + d * (k - 1) + q + 1;

const AXES = ["height", "width"] as const;

/** The checks every convolution shares: channels divisible by the groups, the kernel inside the padded input. */
function groupsError(cin: number, cout: number, g: number): GeometryError | null {
  if (cin % g) return { error: `${cin} input channels do not divide into ${g} groups`, at: "groups" };
  if (cout % g) return { error: `${cout} output channels do not divide into ${g} groups`, at: "groups" };
  return null;
}

export function convGeometry(input: Shape3, channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError {
  const [cin, h, w] = input,
    k = o.kernel!,
    s = o.stride!,
    p = o.padding!,
    d = o.dilation!,
    g = o.groups![0];
  if (channels === null) return { error: "the number of output channels is not given: write it after the word (conv 8 …)" };
  const bad = groupsError(cin, channels, g);
  if (bad) return bad;
  const out = [h, w].map((n, a) => convOut(n, k[a], s[a], p[a], d[a]));
  for (let a = 0; a < 2; a++) {
    const reach = d[a] * (k[a] - 1) + 1,
      padded = [h, w][a] + 2 * p[a];
    if (reach > padded)
      return {
        error: `the kernel spans ${reach} along the ${AXES[a]} (kernel ${k[a]}, dilation ${d[a]}), more than the padded input's ${padded}`,
        at: "kernel",
      };
  }
  return { output: [channels, out[0], out[1]], kernel: [channels, cin / g, k[0], k[1]] };
}

export function convTaps({ input: [cin, h, w], output: [cout, ho, wo], options: o }: Geometry): Taps {
  const [kh, kw] = o.kernel!,
    [sh, sw] = o.stride!,
    [ph, pw] = o.padding!,
    [dh, dw] = o.dilation!,
    g = o.groups![0];
  const cg = cin / g,
    og = cout / g,
    t = new TapList();
  for (let co = 0; co < cout; co++) {
    const group = Math.floor(co / og);
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const row = (co * ho + oy) * wo + ox;
        for (let c = 0; c < cg; c++) {
          const ci = group * cg + c;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - ph + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pw + kx * dw;
              if (ix < 0 || ix >= w) continue;
              t.add(row, (ci * h + iy) * w + ix, ((co * cg + c) * kh + ky) * kw + kx);
            }
          }
        }
      }
  }
  return t.done();
}

export function convTransposeGeometry(
  input: Shape3,
  channels: number | null,
  o: Options,
): Omit<Geometry, "input" | "options"> | GeometryError {
  const [cin, h, w] = input,
    k = o.kernel!,
    s = o.stride!,
    p = o.padding!,
    d = o.dilation!,
    q = o.output_padding!,
    g = o.groups![0];
  if (channels === null) return { error: "the number of output channels is not given: write it after the word (conv_transpose 8 …)" };
  const bad = groupsError(cin, channels, g);
  if (bad) return bad;
  for (let a = 0; a < 2; a++)
    if (q[a] >= Math.max(s[a], d[a]))
      return {
        error:
          `the output padding along the ${AXES[a]} (${q[a]}) must be smaller than the stride or the dilation ` +
          `(${Math.max(s[a], d[a])})`,
        at: "output_padding",
      };
  const out = [h, w].map((n, a) => convTransposeOut(n, k[a], s[a], p[a], d[a], q[a]));
  for (let a = 0; a < 2; a++)
    if (out[a] < 1)
      return {
        error: `the output would have ${AXES[a]} ${out[a]}: the padding ${p[a]} crops more than the kernel adds (${[h, w][a]} in)`,
        at: "padding",
      };
  return { output: [channels, out[0], out[1]], kernel: [cin, channels / g, k[0], k[1]] };
}

/** A transposed convolution is the transpose of the convolution from its output shape to its input shape with the same
 *  kernel (K[ci, co/g, ky, kx] read as that convolution's weight): the same taps, rows and columns swapped, in the order
 *  of the loops a direct transposed convolution would run (over ci, iy, ix, co, ky, kx). */
export function convTransposeTaps(geometry: Geometry): Taps {
  const t = convTaps({ ...geometry, input: geometry.output, output: geometry.input });
  return { rows: t.cols, cols: t.rows, index: t.index, coef: t.coef };
}

export function upsampleGeometry(input: Shape3, _channels: number | null, o: Options): Omit<Geometry, "input" | "options"> {
  const [c, h, w] = input,
    [fh, fw] = o.scale!;
  return { output: [c, h * fh, w * fw], kernel: null };
}

/** Nearest-neighbour upsampling: out[c, y, x] = in[c, ⌊y/f⌋, ⌊x/f⌋] (torch's interpolate, mode "nearest"). */
export function upsampleTaps({ input: [, h, w], output: [c, ho, wo], options: o }: Geometry): Taps {
  const [fh, fw] = o.scale!,
    t = new TapList();
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < ho; y++)
      for (let x = 0; x < wo; x++) t.add((ch * ho + y) * wo + x, (ch * h + Math.floor(y / fh)) * w + Math.floor(x / fw), -1);
  return t.done(1);
}

export function avgpoolGeometry(input: Shape3, _channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError {
  const [c, h, w] = input,
    k = o.kernel!,
    s = o.stride!,
    p = o.padding!;
  for (let a = 0; a < 2; a++) {
    if (2 * p[a] > k[a])
      return { error: `the padding along the ${AXES[a]} (${p[a]}) must be at most half the kernel (${k[a]})`, at: "padding" };
    if (k[a] > [h, w][a] + 2 * p[a])
      return { error: `the kernel (${k[a]}) is larger than the padded input's ${AXES[a]} (${[h, w][a] + 2 * p[a]})`, at: "kernel" };
  }
  const out = [h, w].map((n, a) => convOut(n, k[a], s[a], p[a], 1));
  return { output: [c, out[0], out[1]], kernel: null };
}

/** Average pooling: the mean over each k_h × k_w window, the zero padding counted (torch's AvgPool2d defaults). */
export function avgpoolTaps({ input: [, h, w], output: [c, ho, wo], options: o }: Geometry): Taps {
  const [kh, kw] = o.kernel!,
    [sh, sw] = o.stride!,
    [ph, pw] = o.padding!,
    t = new TapList();
  for (let ch = 0; ch < c; ch++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - ph + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pw + kx;
            if (ix >= 0 && ix < w) t.add((ch * ho + oy) * wo + ox, (ch * h + iy) * w + ix, -1);
          }
        }
  return t.done(1 / (kh * kw));
}

/** The operator as a dense out × in matrix, row-major, from the kernel's values (the kinds without one: its taps'
 *  coefficient). */
export function denseOperator(taps: Taps, out: number, inWidth: number, kernel: ArrayLike<number> | null): Float64Array {
  const W = new Float64Array(out * inWidth);
  for (let k = 0; k < taps.rows.length; k++) {
    const i = taps.index[k];
    W[taps.rows[k] * inWidth + taps.cols[k]] += i < 0 ? taps.coef : kernel![i];
  }
  return W;
}

/** The bias per output channel spread over the output's positions. */
export function spreadBias<T>(bias: readonly T[], output: Shape3): T[] {
  const per = output[1] * output[2];
  return Array.from({ length: output[0] * per }, (_, i) => bias[Math.floor(i / per)]);
}

/** How a (flattened) output entry of a shaped layer reads its kernel: the gradient of the kernel is the sum of the
 *  dense operator's gradient over the taps, ∂loss/∂K_i = Σ_{taps k with index i} ∂loss/∂W[rows k][cols k]. */
export function kernelGradient(taps: Taps, inWidth: number, gW: ArrayLike<number>, size: number): Float64Array {
  const gK = new Float64Array(size);
  for (let k = 0; k < taps.rows.length; k++) {
    const i = taps.index[k];
    if (i >= 0) gK[i] += gW[taps.rows[k] * inWidth + taps.cols[k]];
  }
  return gK;
}
