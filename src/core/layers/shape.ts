// Shaped states and the linear operators of the shaped layer kinds. A state is a vector, or channels × height × width
// stored flat, channel-major and row-major within a channel (index (c·H + y)·W + x, as torch's flatten). A shaped
// layer is x_l = σ(A x_{l−1} + b) with A a linear operator fixed by the layer's options (and, for the convolutions,
// made of its kernel's entries): each kind lists A's nonzero entries (`taps`), and the semantics stage writes A as the
// layer's dense W, so that every route (forward mode, the DAG, the matrix engine, training, export) runs it as an
// affine layer.

/** A state's shape as channels × height × width. */
export type Shape3 = readonly [channels: number, height: number, width: number];
/** A 1-D state's shape, channels × length (torch's Conv1d and friends). */
export type Shape2 = readonly [channels: number, length: number];
/** The shape of a shaped layer's state: 1-D (channels × length) or 2-D (channels × height × width). */
export type Shape = Shape2 | Shape3;

/** A 1-D state read as the 2-D state of height 1 (its options as [neutral, n], the neutral entry 1, or 0 for a
 *  padding): every kind's geometry and taps are written once, for 2-D, and serve both. */
export const planar = (s: Shape): Shape3 => (s.length === 2 ? [s[0], 1, s[1]] : s);
/** A 2-D shape back in the rank of `like`. */
const ranked = (like: Shape, s: Shape3): Shape => (like.length === 2 ? [s[0], s[2]] : s);
/** A kernel's shape [out, in, kH, kW] in the rank of the state it reads: [out, in, k] for a 1-D one (torch's Conv1d). */
const rankedKernel = (like: Shape, k: number[]): number[] => (like.length === 2 ? [k[0], k[1], k[3]] : k);
/** A geometry as its 2-D one (a 1-D state as height 1, its kernel with a kernel height of 1): the taps read this. */
export function planarGeometry(g: Geometry): Geometry {
  if (g.input.length === 3) return g;
  const k = g.kernel;
  return { ...g, input: planar(g.input), output: planar(g.output), kernel: k && k.length === 3 ? [k[0], k[1], 1, k[2]] : k };
}
/** A geometry's 2-D input and output shapes and options (a 1-D one as height 1). */
const planes = (g: Geometry) => {
  const p = planarGeometry(g);
  return { input: p.input as Shape3, output: p.output as Shape3, options: p.options };
};
/** 1 for a layer on a 1-D state (channels × length), 2 on channels × height × width. */
export const rankOf = (g: Geometry): 1 | 2 => (g.input.length === 2 ? 1 : 2);
/** The axes' names in messages. */
const axesOf = (s: Shape) => (s.length === 2 ? (["height", "length"] as const) : AXES);

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
  input: Shape;
  output: Shape;
  options: Options;
  kernel: number[] | null;
}

/** The nonzero entries of a layer's operator A (out × in over the flattened states): A[rows[k]][cols[k]] is the
 *  kernel's entry `index[k]` (row-major over its shape), or where index[k] is −1 a fixed number: `weights[k]` when
 *  the kind's entries differ (bilinear upsampling), else `coef`. No (row, col) repeats. */
export interface Taps {
  rows: Int32Array;
  cols: Int32Array;
  index: Int32Array;
  coef: number;
  weights?: Float64Array;
}

/** Tap k's fixed number (index −1). */
export const tapCoef = (t: Taps, k: number) => (t.weights ? t.weights[k] : t.coef);

/** What a shaped kind adds to its LayerKindDef. */
export interface ShapedDef {
  options: readonly OptionSpec[];
  /** Whether it has a kernel K and a bias b per output channel (else A is fixed and b = 0). */
  kernel: boolean;
  /** The output shape and the kernel's, from the input shape, the output channels (the number after the word; null:
   *  not written) and the options; or what does not fit, and which option (or the channels) to point at. */
  geometry(input: Shape, channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError;
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

/** The usual options' phrase: "3×3 kernel, stride 2, padding 1" (defaults of 1 and 0 left out, the stride always); a
 *  1-D layer's (`rank` 1) with one number each: "3 kernel, stride 2". */
export function optionsText(o: Options, rank: 1 | 2 = 2): string {
  if (rank === 1) {
    const one = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [v[1], v[1]]])) as Options;
    return optionsText({ ...one, groups: o.groups }, 2).replace(/^(\d+)×\1 kernel/, "$1 kernel");
  }
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
  private weights: number[] = [];
  add(row: number, col: number, index: number, weight?: number): void {
    this.rows.push(row);
    this.cols.push(col);
    this.index.push(index);
    if (weight !== undefined) this.weights.push(weight);
  }
  done(coef = 1): Taps {
    const t: Taps = { rows: Int32Array.from(this.rows), cols: Int32Array.from(this.cols), index: Int32Array.from(this.index), coef };
    return this.weights.length ? { ...t, weights: Float64Array.from(this.weights) } : t;
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

export function convGeometry(input: Shape, channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError {
  const [cin, h, w] = planar(input),
    axes = axesOf(input),
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
        error: `the kernel spans ${reach} along the ${axes[a]} (kernel ${k[a]}, dilation ${d[a]}), more than the padded input's ${padded}`,
        at: "kernel",
      };
  }
  return { output: ranked(input, [channels, out[0], out[1]]), kernel: rankedKernel(input, [channels, cin / g, k[0], k[1]]) };
}

export function convTaps(geometry: Geometry): Taps {
  const {
    input: [cin, h, w],
    output: [cout, ho, wo],
    options: o,
  } = planes(geometry);
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
  input: Shape,
  channels: number | null,
  o: Options,
): Omit<Geometry, "input" | "options"> | GeometryError {
  const [cin, h, w] = planar(input),
    axes = axesOf(input),
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
          `the output padding along the ${axes[a]} (${q[a]}) must be smaller than the stride or the dilation ` +
          `(${Math.max(s[a], d[a])})`,
        at: "output_padding",
      };
  const out = [h, w].map((n, a) => convTransposeOut(n, k[a], s[a], p[a], d[a], q[a]));
  for (let a = 0; a < 2; a++)
    if (out[a] < 1)
      return {
        error: `the output would have ${axes[a]} ${out[a]}: the padding ${p[a]} crops more than the kernel adds (${[h, w][a]} in)`,
        at: "padding",
      };
  return { output: ranked(input, [channels, out[0], out[1]]), kernel: rankedKernel(input, [cin, channels / g, k[0], k[1]]) };
}

/** A transposed convolution is the transpose of the convolution from its output shape to its input shape with the same
 *  kernel (K[ci, co/g, ky, kx] read as that convolution's weight): the same taps, rows and columns swapped, in the order
 *  of the loops a direct transposed convolution would run (over ci, iy, ix, co, ky, kx). */
export function convTransposeTaps(geometry: Geometry): Taps {
  const g = planarGeometry(geometry);
  const t = convTaps({ ...g, input: g.output, output: g.input });
  return { rows: t.cols, cols: t.rows, index: t.index, coef: t.coef };
}

export function upsampleGeometry(input: Shape, _channels: number | null, o: Options): Omit<Geometry, "input" | "options"> {
  const [c, h, w] = planar(input),
    [fh, fw] = o.scale!;
  return { output: ranked(input, [c, h * fh, w * fw]), kernel: null };
}

/** Nearest-neighbour upsampling: out[c, y, x] = in[c, ⌊y/f⌋, ⌊x/f⌋] (torch's interpolate, mode "nearest"). */
export function upsampleTaps(g: Geometry): Taps {
  const {
    input: [, h, w],
    output: [c, ho, wo],
    options: o,
  } = planes(g);
  const [fh, fw] = o.scale!,
    t = new TapList();
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < ho; y++)
      for (let x = 0; x < wo; x++) t.add((ch * ho + y) * wo + x, (ch * h + Math.floor(y / fh)) * w + Math.floor(x / fw), -1);
  return t.done(1);
}

/** Linear interpolation's two sources along one axis for output o (input n, factor f), torch's align_corners = False:
 *  the source coordinate (o + ½)/f − ½ = (2o + 1 − f)/(2f), clamped at 0; its floor i and the next entry (i itself at the
 *  last), weights 1 − λ and λ. Taken in whole numbers (torch's (1/f)(o + ½) − ½ is off by an ulp where it lands on an
 *  entry, a λ of 1e-16 that would make two equal outputs unequal: a max pooling after it then picks by rounding). */
export function linearSources(o: number, n: number, f: number): [number, number, number, number] {
  const num = Math.max(2 * o + 1 - f, 0);
  const i = Math.min(Math.floor(num / (2 * f)), n - 1),
    j = i < n - 1 ? i + 1 : i,
    lambda = (num - 2 * f * i) / (2 * f);
  return [i, 1 - lambda, j, lambda];
}

/** (Bi)linear upsampling by whole factors (torch's interpolate, mode "bilinear", or "linear" on a channels × length
 *  state, align_corners = False): each output entry a weighted mean of the 2×2 (1-D: 2) input entries around its
 *  source point, the weights products of the axes' 1 − λ and λ; entries that coincide at an edge are merged. */
export function upsampleLinearTaps(g: Geometry): Taps {
  const {
    input: [, h, w],
    output: [c, ho, wo],
    options: o,
  } = planes(g);
  const [fh, fw] = o.scale!,
    t = new TapList();
  const ys = Array.from({ length: ho }, (_, y) => linearSources(y, h, fh)),
    xs = Array.from({ length: wo }, (_, x) => linearSources(x, w, fw));
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < ho; y++)
      for (let x = 0; x < wo; x++) {
        const row = (ch * ho + y) * wo + x,
          [y0, wy0, y1, wy1] = ys[y],
          [x0, wx0, x1, wx1] = xs[x];
        const merged = new Map<number, number>();
        for (const [iy, wy] of [
          [y0, wy0],
          [y1, wy1],
        ])
          for (const [ix, wx] of [
            [x0, wx0],
            [x1, wx1],
          ]) {
            const col = (ch * h + iy) * w + ix;
            merged.set(col, (merged.get(col) ?? 0) + wy * wx);
          }
        for (const [col, v] of merged) if (v !== 0) t.add(row, col, -1, v);
      }
  return t.done(1);
}

export function avgpoolGeometry(input: Shape, _channels: number | null, o: Options): Omit<Geometry, "input" | "options"> | GeometryError {
  const [c, h, w] = planar(input),
    axes = axesOf(input),
    k = o.kernel!,
    s = o.stride!,
    p = o.padding!;
  for (let a = 0; a < 2; a++) {
    if (2 * p[a] > k[a])
      return { error: `the padding along the ${axes[a]} (${p[a]}) must be at most half the kernel (${k[a]})`, at: "padding" };
    if (k[a] > [h, w][a] + 2 * p[a])
      return { error: `the kernel (${k[a]}) is larger than the padded input's ${axes[a]} (${[h, w][a] + 2 * p[a]})`, at: "kernel" };
  }
  const out = [h, w].map((n, a) => convOut(n, k[a], s[a], p[a], 1));
  return { output: ranked(input, [c, out[0], out[1]]), kernel: null };
}

/** Average pooling: the mean over each k_h × k_w window, the zero padding counted (torch's AvgPool2d defaults). */
export function avgpoolTaps(g: Geometry): Taps {
  const {
    input: [, h, w],
    output: [c, ho, wo],
    options: o,
  } = planes(g);
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

/** Max pooling's windows: average pooling's taps (each window's entries inside the input, in row-major order within the
 *  window), each with coefficient 1 — the dense operator is the windows' 0/1 membership, the map picks one per row. */
export const maxpoolTaps = (g: Geometry): Taps => ({ ...avgpoolTaps(g), coef: 1 });

/** The operator as a dense out × in matrix, row-major, from the kernel's values (the kinds without one: its taps'
 *  coefficient). */
export function denseOperator(taps: Taps, out: number, inWidth: number, kernel: ArrayLike<number> | null): Float64Array {
  const W = new Float64Array(out * inWidth);
  for (let k = 0; k < taps.rows.length; k++) {
    const i = taps.index[k];
    W[taps.rows[k] * inWidth + taps.cols[k]] += i < 0 ? tapCoef(taps, k) : kernel![i];
  }
  return W;
}

/** The bias per output channel spread over the output's positions. */
export function spreadBias<T>(bias: readonly T[], output: Shape): T[] {
  const per = sizeOf(output) / output[0];
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
