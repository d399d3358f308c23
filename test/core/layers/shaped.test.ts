// The shaped layer kinds (conv, conv_transpose, upsample, avgpool) and the shape steps (reshape, flatten): their
// operators against convolutions written out independently here and against torch's own numbers
// (test/fixtures/conv/conv.json, written by make.py with torch 1.13 in float64), a convolutional decoder's metric on
// every route against torch.autograd's JᵀJ, and the located error of each hostile spec.
import { spawnSync } from "node:child_process";
import katex from "katex";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { metricAt } from "../../../src/api/metric.js";
import { LAYER_KINDS, type LayerKind, type Options, type Shape3 } from "../../../src/core/layers/index.js";
import { denseOperator, isGeometryError } from "../../../src/core/layers/shape.js";
import { forwardMetric } from "../../../src/numeric/forward.js";
import { initialParameters, sampleLoss, trainable } from "../../../src/numeric/train.js";
import type { Network } from "../../../src/semantics/model.js";
import { metricComponents } from "../../../src/symbolic/metric.js";
import { evaluate } from "../../../src/symbolic/expr.js";
import { cli, exampleModel, model, onlyError, rng } from "../../helpers.js";

afterEach(() => {
  delete process.env.RGNN_ROUTE;
});

interface Case {
  kind: LayerKind;
  input: [number, number, number];
  channels?: number;
  options: Record<string, number | number[]>;
  K?: number[];
  kshape?: number[];
  b?: number[];
  x: number[];
  output: number[];
  y: number[];
}
const FIXTURE = JSON.parse(readFileSync("test/fixtures/conv/conv.json", "utf8")) as {
  cases: Case[];
  decoder: { point: number[]; x: number[]; J: number[]; g: number[] }[];
};

/** Numbers as a nested list literal of a shape (row-major). */
const nest = (v: number[], shape: number[]): string => {
  if (shape.length === 1) return `[${v.join(", ")}]`;
  const step = v.length / shape[0];
  return `[${Array.from({ length: shape[0] }, (_, i) => nest(v.slice(i * step, (i + 1) * step), shape.slice(1))).join(", ")}]`;
};
/** A literal of a shape whose entries f gives from their flat index. */
const literal = (shape: number[], f: (i: number) => number) =>
  nest(
    Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Number(f(i).toFixed(3))),
    shape,
  );

const options = (o: Case["options"]): Options =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? [v[0], v[1]] : [v, v]])) as Options;

/** A shaped kind's operator as a dense matrix, through its core module only. */
function operator(kind: LayerKind, input: Shape3, channels: number | null, o: Options, K: number[] | null) {
  const sd = LAYER_KINDS[kind].shaped!;
  const geo = sd.geometry(input, channels, o);
  if (isGeometryError(geo)) throw new Error(geo.error);
  const output = geo.output as Shape3; // a 2-D input: a 2-D output
  const g = { input, output, options: o, kernel: geo.kernel };
  const n = output[0] * output[1] * output[2],
    m = input[0] * input[1] * input[2];
  return { W: denseOperator(sd.taps(g), n, m, K), n, m, output, kernel: geo.kernel };
}
const apply = (W: Float64Array, n: number, m: number, x: number[]) =>
  Array.from({ length: n }, (_, i) => x.reduce((s, xj, j) => s + W[i * m + j] * xj, 0));

// --- direct convolutions, written as the textbook sums over a zero-padded input (no taps, no flat indices shared) ---
type T3 = number[][][];
const unflat = (x: number[], [c, h, w]: readonly number[]): T3 =>
  Array.from({ length: c }, (_, i) => Array.from({ length: h }, (_, y) => x.slice((i * h + y) * w, (i * h + y + 1) * w)));
const at = (x: T3, c: number, y: number, z: number) => (y >= 0 && y < x[0].length && z >= 0 && z < x[0][0].length ? x[c][y][z] : 0);

function directConv(x: T3, K: number[], [co, ci, kh, kw]: number[], o: Options, groups: number): T3 {
  const [sh, sw] = o.stride!,
    [ph, pw] = o.padding!,
    [dh, dw] = o.dilation!;
  const H = Math.floor((x[0].length + 2 * ph - dh * (kh - 1) - 1) / sh) + 1,
    Wd = Math.floor((x[0][0].length + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const k = (a: number, b: number, c: number, d: number) => K[((a * ci + b) * kh + c) * kw + d];
  return Array.from({ length: co }, (_, oc) =>
    Array.from({ length: H }, (_, y) =>
      Array.from({ length: Wd }, (_, z) => {
        let s = 0;
        const g = Math.floor(oc / (co / groups));
        for (let c = 0; c < ci; c++)
          for (let a = 0; a < kh; a++)
            for (let b = 0; b < kw; b++) s += k(oc, c, a, b) * at(x, g * ci + c, y * sh - ph + a * dh, z * sw - pw + b * dw);
        return s;
      }),
    ),
  );
}

describe("shaped operators", () => {
  it("conv: W x equals the direct sum over the padded input, for strides, padding, dilation and groups", () => {
    const r = rng(3);
    const configs: [Shape3, number, Options][] = [
      [[2, 5, 6], 3, { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: [1, 1] }],
      [[3, 7, 5], 2, { kernel: [2, 3], stride: [2, 1], padding: [0, 2], dilation: [1, 2], groups: [1, 1] }],
      [[4, 6, 6], 6, { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: [2, 2] }],
    ];
    for (const [input, co, o] of configs) {
      const g = o.groups![0],
        kshape = [co, input[0] / g, o.kernel![0], o.kernel![1]];
      const K = Array.from({ length: kshape.reduce((a, b) => a * b) }, () => 2 * r() - 1);
      const x = Array.from({ length: input[0] * input[1] * input[2] }, () => 2 * r() - 1);
      const { W, n, m, kernel } = operator("conv", input, co, o, K);
      expect(kernel).toEqual(kshape);
      const want = directConv(unflat(x, input), K, kshape, o, g).flat(2);
      expect(want).toHaveLength(n);
      apply(W, n, m, x).forEach((v, i) => {
        expect(v).toBeCloseTo(want[i], 13);
      });
    }
  });

  it("conv_transpose: W x equals the direct scatter of each input entry through the kernel (torch's definition)", () => {
    // out[co, iy·s − p + ky·d, ix·s − p + kx·d] += K[ci, co − group·C_out/g, ky, kx] · x[ci, iy, ix]: written here as the
    // scatter itself, sharing nothing with the layer's taps (which are built as a convolution's, transposed)
    const r = rng(5);
    for (const [cin, h, w, cout, k, s, p, d, g, q] of [
      [2, 4, 4, 3, 4, 2, 1, 1, 1, 0],
      [4, 3, 5, 2, 3, 2, 0, 2, 2, 1],
      [1, 5, 5, 2, 3, 1, 1, 1, 1, 0],
      [2, 3, 3, 4, 2, 3, 0, 1, 2, 2],
    ]) {
      const o: Options = { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d], groups: [g, g], output_padding: [q, q] };
      const og = cout / g,
        cg = cin / g;
      const K = Array.from({ length: cin * og * k * k }, () => 2 * r() - 1);
      const x = Array.from({ length: cin * h * w }, () => 2 * r() - 1);
      const T = operator("conv_transpose", [cin, h, w], cout, o, K);
      const [, ho, wo] = T.output;
      expect([ho, wo]).toEqual([(h - 1) * s - 2 * p + d * (k - 1) + q + 1, (w - 1) * s - 2 * p + d * (k - 1) + q + 1]);
      const want = new Array<number>(cout * ho * wo).fill(0);
      for (let ci = 0; ci < cin; ci++)
        for (let c = 0; c < og; c++)
          for (let iy = 0; iy < h; iy++)
            for (let ix = 0; ix < w; ix++)
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const co = Math.floor(ci / cg) * og + c,
                    oy = iy * s - p + ky * d,
                    ox = ix * s - p + kx * d;
                  if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                  want[(co * ho + oy) * wo + ox] += K[((ci * og + c) * k + ky) * k + kx] * x[(ci * h + iy) * w + ix];
                }
      apply(T.W, T.n, T.m, x).forEach((v, i) => {
        expect(v).toBeCloseTo(want[i], 13);
      });
      expect(want.some((v) => v !== 0)).toBe(true);
    }
  });

  it("upsample repeats each entry over its block; avgpool is the block mean", () => {
    const up = operator("upsample", [1, 2, 2], null, { scale: [2, 3] }, null);
    expect(up.output).toEqual([1, 4, 6]);
    expect(apply(up.W, up.n, up.m, [1, 2, 3, 4])).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4]);
    const pool = operator("avgpool", [1, 4, 4], null, { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }, null);
    const x = Array.from({ length: 16 }, (_, i) => i);
    expect(apply(pool.W, pool.n, pool.m, x)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it.each(FIXTURE.cases.map((c, i) => [`${i}: ${c.kind} ${JSON.stringify(c.options)}`, c] as const))(
    "torch %s: the same output to 1e-13",
    (_, c) => {
      const { W, n, m, output, kernel } = operator(c.kind, c.input, c.channels ?? null, options(c.options), c.K ?? null);
      expect(output).toEqual(c.output);
      if (c.kshape) expect(kernel).toEqual(c.kshape);
      const per = output[1] * output[2];
      const y = apply(W, n, m, c.x).map((v, i) => v + (c.b ? c.b[Math.floor(i / per)] : 0));
      y.forEach((v, i) => {
        expect(Math.abs(v - c.y[i])).toBeLessThan(1e-13);
      });
    },
  );

  it("through a spec: the torch cases written as layers give torch's outputs (layer 1 with the linear activation)", () => {
    for (const c of FIXTURE.cases) {
      const [C, H, Wd] = c.input,
        n = C * H * Wd;
      const opts = Object.entries(c.options).map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(", ")}]` : v}`);
      const params = c.K ? [`K = ${nest(c.K, c.kshape!)}`, `b = [${c.b!.join(", ")}]`] : [];
      const coords = Array.from({ length: n }, (_, i) => `x${i}`).join(", ");
      const text =
        `manifold X (${coords})\nnetwork f : X {\n  reshape with shape = [${C}, ${H}, ${Wd}]\n` +
        `  ${c.kind}${c.channels ? ` ${c.channels}` : ""}${LAYER_KINDS[c.kind].syntax.activation ? " linear" : ""} ` +
        `with ${[...opts, ...params].join(", ")}\n}\n`;
      const net = model(text).mappings.get("f")!;
      if (net.kind !== "network") throw new Error("no network");
      const layer = net.layers[0];
      expect(layer.outWidth).toBe(c.y.length);
      const W = layer.W!.values!,
        b = layer.b!.values!;
      const y = apply(W, layer.outWidth, n, c.x).map((v, i) => v + b[i]);
      y.forEach((v, i) => {
        expect(Math.abs(v - c.y[i])).toBeLessThan(1e-13);
      });
    }
  });
});

describe("the convolutional decoder (examples/conv-decoder.rgnn) against torch.autograd", () => {
  const rel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / Math.max(...b.map(Math.abs));

  it("its metric at four points equals torch's JᵀJ to 1e-10 on the matrix route and in forward mode", () => {
    const m = exampleModel("conv-decoder"),
      g = m.metrics.get("g")!;
    process.env.RGNN_ROUTE = "matrix";
    const engine = metricAt(
      g,
      FIXTURE.decoder.map((d) => d.point),
      new Map(),
    );
    FIXTURE.decoder.forEach((d, k) => {
      expect(rel(engine[k].metric.flat(), d.g)).toBeLessThan(1e-10);
      expect(rel(forwardMetric(g, d.point).flat(), d.g)).toBeLessThan(1e-10);
    });
  });

  it("rgnn metric --at prints torch's numbers; --form matrix names the kernels and never the 256×32 matrix", async () => {
    const d = FIXTURE.decoder[0];
    const r = await cli(["metric", "examples/conv-decoder.rgnn", "--at", d.point.join(","), "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(rel((out.values?.[0]?.metric ?? out.metric).flat(), d.g)).toBeLessThan(1e-10);
    const f = await cli(["metric", "examples/conv-decoder.rgnn", "--form", "matrix"]);
    expect(f.out).toContain("K2: 2×4×4×4 (symbolic)".replace(" (symbolic)", ""));
    expect(f.out).toContain("transposed, 4×4 kernel, stride 2, padding 1, 2→4 channels");
    expect(f.out).toContain("z2 = K2 ∗ᵀ x1 + b2");
    expect(f.out).toContain("z3 = K3 ∗ x2 + b3");
    expect(f.out).toContain("J3 = diag(sigmoid'(z3))*(K3 ∗ ·)");
    expect(f.out).not.toMatch(/W2|W3/);
  });

  it("the NumPy and torch exports compute torch's JᵀJ (run by /usr/bin/python3)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-export-"));
    for (const target of ["numpy", "torch"]) {
      const r = await cli(["export", "examples/conv-decoder.rgnn", "-t", target, "-o", join(dir, `dec_${target}.py`)]);
      expect(r.code, r.err).toBe(0);
    }
    const points = JSON.stringify(FIXTURE.decoder.map((d) => d.point));
    const script =
      "import json, sys, numpy, torch\nsys.path.insert(0, sys.argv[1])\nimport dec_numpy, dec_torch\nout = []\n" +
      `for p in json.loads('${points}'):\n` +
      "    a = numpy.asarray(dec_numpy.metric(numpy.array(p))).reshape(-1).tolist()\n" +
      "    b = dec_torch.metric(torch.tensor(p, dtype=torch.float64)).reshape(-1).tolist()\n" +
      "    out.append([a, b])\nprint(json.dumps(out))\n";
    const res = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    const got = JSON.parse(res.stdout) as number[][][];
    got.forEach(([a, b], k) => {
      expect(rel(a, FIXTURE.decoder[k].g)).toBeLessThan(1e-10);
      expect(rel(b, FIXTURE.decoder[k].g)).toBeLessThan(1e-10);
    });
  });

  it("the symbolic scalar route refuses it up front, saying what to do instead", async () => {
    const r = await cli(["metric", "examples/conv-decoder.rgnn", "--form", "explicit"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("layer 2 (conv_transpose) alone is a 256×32 matrix");
    expect(r.err).toContain("--form matrix");
    expect(r.err).toContain("--at");
  });
});

describe("a small convolutional network on every route", () => {
  // 1×3×3 input → conv 2 (2×2 kernel) tanh → 2×2×2 → avgpool 2 → 2×1×1 → flatten → dense 2 sigmoid, on a 9-D chart;
  // then a 2-D chart into it (dense 9) so that the symbolic route stays small
  const spec = (symbolic: boolean) => `manifold Z (u, v)
network f : Z {
  dense 9 tanh with W = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.2, 0.2], [0.6, -0.1], [-0.3, 0.5], [0.1, -0.6],
                        [0.4, 0.3], [-0.2, -0.4]], b = [0.1, 0, -0.1, 0.2, 0, 0.05, -0.05, 0.1, 0]
  reshape with shape = [1, 3, 3]
  conv 2 tanh with kernel = 2${symbolic ? "" : ", K = [[[[0.5, -0.3], [0.2, 0.7]]], [[[-0.4, 0.1], [0.6, 0.3]]]], b = [0.1, -0.2]"}
  upsample with scale = 2
  avgpool with kernel = 3, stride = 2, padding = 1
  flatten
  dense 3 sigmoid with W = [[0.2, -0.1, 0.3, 0.1, 0.5, -0.2, 0.1, 0.4], [-0.3, 0.2, 0.1, 0.6, -0.1, 0.2, 0.3, -0.5],
                           [0.1, 0.1, -0.2, 0.3, 0.2, 0.4, -0.3, 0.2]], b = [0, 0.1, -0.1]
}
metric g = pullback along f
`;
  it("symbolic, matrix and forward mode agree to 1e-12 at points; a symbolic kernel's closed form, bound, too", () => {
    const m = model(spec(false)),
      g = m.metrics.get("g")!;
    const points = [
      [0.3, -0.7],
      [-0.4, 0.9],
    ];
    process.env.RGNN_ROUTE = "symbolic";
    const s = metricAt(g, points, new Map());
    process.env.RGNN_ROUTE = "matrix";
    const x = metricAt(g, points, new Map());
    points.forEach((p, k) => {
      const f = forwardMetric(g, p).flat();
      expect(Math.max(...s[k].metric.flat().map((v, i) => Math.abs(v - f[i])))).toBeLessThan(1e-12);
      expect(Math.max(...x[k].metric.flat().map((v, i) => Math.abs(v - f[i])))).toBeLessThan(1e-12);
    });
    // the same kernel as symbols K2_1111 … bound by value: the same metric, and the closed form is in them
    const ms = model(spec(true)),
      gs = ms.metrics.get("g")!;
    const env = new Map<string, number>([
      ["K2_1111", 0.5],
      ["K2_1112", -0.3],
      ["K2_1121", 0.2],
      ["K2_1122", 0.7],
      ["K2_2111", -0.4],
      ["K2_2112", 0.1],
      ["K2_2121", 0.6],
      ["K2_2122", 0.3],
      ["b2_1", 0.1],
      ["b2_2", -0.2],
    ]);
    const comps = metricComponents(gs).flat();
    const values = evaluate(comps, { ...Object.fromEntries(env), u: 0.3, v: -0.7 });
    const want = forwardMetric(g, [0.3, -0.7]).flat();
    values.forEach((v, i) => {
      expect(Math.abs(v - want[i])).toBeLessThan(1e-12);
    });
  });

  it("--weights binds a symbolic kernel and per-channel bias by their names, K2 [2, 1, 2, 2] and b2 [2]", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-"));
    writeFileSync(join(dir, "f.rgnn"), spec(true));
    const K2 = [
      [
        [
          [0.5, -0.3],
          [0.2, 0.7],
        ],
      ],
      [
        [
          [-0.4, 0.1],
          [0.6, 0.3],
        ],
      ],
    ];
    writeFileSync(join(dir, "w.json"), JSON.stringify({ K2, b2: [0.1, -0.2] }));
    const r = await cli(["metric", join(dir, "f.rgnn"), "--at", "0.3,-0.7", "--weights", join(dir, "w.json"), "--format", "json"]);
    expect(r.err).toBe("");
    const out = JSON.parse(r.out);
    const want = forwardMetric(model(spec(false)).metrics.get("g")!, [0.3, -0.7]).flat();
    (out.values?.[0]?.metric ?? out.metric).flat().forEach((v: number, i: number) => {
      expect(Math.abs(v - want[i])).toBeLessThan(1e-12);
    });
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ K2: [[1, 2]], b2: [0.1, -0.2] }));
    const bad = await cli(["metric", join(dir, "f.rgnn"), "--at", "0.3,-0.7", "--weights", join(dir, "bad.json")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("'K2' has shape [1, 2], but layer 2 of 'f' needs [2, 1, 2, 2]");
  });
});

describe("hostile shaped specs: one located error each", () => {
  const net = (body: string, input = "manifold Z (u, v)") => `${input}\nnetwork f : Z {\n  dense 32 tanh\n${body}\n}\n`;
  const cases: [string, string, string, number][] = [
    ["a conv on a vector", "  conv 4 tanh with kernel = 3", "reads a channels × height × width state, but the output of layer 1", 4],
    [
      "a shape that does not multiply out",
      "  reshape with shape = [2, 4, 5]",
      "a 2×4×5 shape holds 40 numbers, but the output of layer 1 has 32",
      4,
    ],
    ["a shape of four numbers", "  reshape with shape = [2, 2, 2, 4]", "a list of three whole numbers", 4],
    [
      "a negative stride",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 3, stride = -1",
      "the stride of layer 2 (conv) must be a positive whole number, not -1",
      5,
    ],
    [
      "a zero stride",
      "  reshape with shape = [2, 4, 4]\n  avgpool with kernel = 2, stride = 0",
      "the stride of layer 2 (avgpool) must be a positive whole number, not 0",
      5,
    ],
    [
      "a fractional padding",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 3, padding = 0.5",
      "the padding of layer 2 (conv) must be a whole number ≥ 0, not 0.5",
      5,
    ],
    [
      "a huge stride",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 3, stride = 1e12",
      "must be a positive whole number up to 1048576",
      5,
    ],
    [
      "a kernel larger than the padded input",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 7, padding = 1",
      "the kernel spans 7 along the height (kernel 7, dilation 1), more than the padded input's 6",
      5,
    ],
    [
      "channels not divisible by groups",
      "  reshape with shape = [2, 4, 4]\n  conv 3 tanh with kernel = 3, groups = 2",
      "3 output channels do not divide into 2 groups",
      5,
    ],
    [
      "input channels not divisible by groups",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 3, groups = 4",
      "2 input channels do not divide into 4 groups",
      5,
    ],
    [
      "an output padding as large as the stride",
      "  reshape with shape = [2, 4, 4]\n  conv_transpose 4 tanh with kernel = 3, stride = 2, output_padding = 2",
      "must be smaller than the stride or the dilation (2)",
      5,
    ],
    ["no kernel size", "  reshape with shape = [2, 4, 4]\n  conv 4 tanh", "layer 2 (conv) needs its kernel", 5],
    [
      "no output channels",
      "  reshape with shape = [2, 4, 4]\n  conv tanh with kernel = 3",
      "the number of output channels is not given",
      5,
    ],
    [
      "an unknown option",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = 3, strides = 2",
      "a conv layer has no parameter 'strides'",
      5,
    ],
    [
      "a kernel of the wrong shape",
      "  reshape with shape = [2, 4, 4]\n  conv 1 tanh with kernel = 1, K = [[1, 2]]",
      "kernel K of layer 2 (conv) is a 1×2 matrix, expected a 1×2×1×1 tensor",
      5,
    ],
    [
      "a 3-number kernel size",
      "  reshape with shape = [2, 4, 4]\n  conv 4 tanh with kernel = [3, 3, 3]",
      "the kernel of layer 2 (conv) is a whole number or a list [height, width] of two",
      5,
    ],
    ["a huge upsampling", "  reshape with shape = [2, 4, 4]\n  upsample with scale = 100000", "of memory with this layer", 5],
    [
      "a pooling padding over half its kernel",
      "  reshape with shape = [2, 4, 4]\n  avgpool with kernel = 2, padding = 2",
      "must be at most half the kernel (2)",
      5,
    ],
    ["an option on flatten", "  flatten with shape = [32]", "unexpected keyword 'with' (a 'flatten' layer has no parameters)", 4],
  ];
  it.each(cases)("%s", (_, body, message, line) => {
    const e = onlyError(net(body));
    expect([e.message, ...e.notes.map((n) => `(${n})`)].join(" ")).toContain(message);
    expect(e.line).toBe(line);
  });
});

describe("training a convolution: its kernel and per-channel bias, tied through the operator", () => {
  const spec = `manifold P (x, y)
network clf : P {
  dense 16 tanh
  reshape with shape = [1, 4, 4]
  conv 2 tanh with kernel = 3, padding = 1, stride = 1
  avgpool with kernel = 2
  flatten
  dense 2 linear
}
`;
  it("∂loss/∂K and ∂loss/∂b by reverse mode equal central differences of the loss in θ", () => {
    const net = model(spec).mappings.get("clf") as Network;
    const t = trainable(net, new Map());
    // θ: W1, b1, then the kernel K2 (2·1·3·3 = 18 numbers) and b2 (2), never a 32×16 dense matrix
    expect(t.tensors.map((x) => [x.name, x.shape])).toEqual([
      ["W1", [16, 2]],
      ["b1", [16]],
      ["K2", [2, 1, 3, 3]],
      ["b2", [2]],
      ["W4", [2, 8]],
      ["b4", [2]],
    ]);
    const theta = initialParameters(t, 3);
    const r = rng(9);
    for (let i = 0; i < theta.length; i++) theta[i] += 0.3 * (2 * r() - 1); // biases away from zero too
    const x0 = [0.4, -0.8];
    const grad = new Float64Array(t.size);
    sampleLoss(t, theta, x0, 1, grad);
    const k2 = t.tensors.find((x) => x.name === "K2")!.offset;
    for (let i = k2; i < k2 + 20; i++) {
      const e = 1e-6,
        p = theta.slice(),
        q = theta.slice();
      p[i] += e;
      q[i] -= e;
      const fd = (sampleLoss(t, p, x0, 1).loss - sampleLoss(t, q, x0, 1).loss) / (2 * e);
      expect(Math.abs(grad[i] - fd)).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)));
    }
  });

  it("rgnn train writes K2 four arrays deep, and the spec reads it back with --weights", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-train-"));
    const file = join(dir, "clf.rgnn");
    writeFileSync(file, `${spec}metric g = pullback along clf\n`);
    const r = await cli(["train", file, "--data", "moons", "--epochs", "15", "--quiet", "-o", join(dir, "w.json")]);
    expect(r.code, r.err).toBe(0);
    const w = JSON.parse(readFileSync(join(dir, "w.json"), "utf8"));
    expect([w.K2.length, w.K2[0].length, w.K2[0][0].length, w.K2[0][0][0].length]).toEqual([2, 1, 3, 3]);
    expect(w.b2).toHaveLength(2);
    expect(w.W2).toBeUndefined();
    const m = await cli(["metric", file, "--at", "0.2,0.1", "--weights", join(dir, "w.json"), "--format", "json"]);
    expect(m.code, m.err).toBe(0);
  });
});

describe("derivations of a small convolutional network", () => {
  it("rgnn derive checks every step and names each shaped layer's operator in formulas KaTeX sets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-derive-"));
    const file = join(dir, "sm.rgnn");
    writeFileSync(
      file,
      `manifold Z (u, v)
network f : Z {
  dense 4 tanh with W = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.2, 0.2]], b = [0.1, 0, -0.1, 0.2]
  reshape with shape = [1, 2, 2]
  conv 2 tanh with kernel = 2, padding = 1, K = [[[[0.5, -0.3], [0.2, 0.7]]], [[[-0.4, 0.1], [0.6, 0.3]]]], b = [0.1, -0.2]
  upsample with scale = 2
  avgpool with kernel = 3
  flatten
}
metric g = pullback along f
`,
    );
    const r = await cli(["derive", file, "-f", "md", "-o", join(dir, "sm.md")]);
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).toContain("0 failed");
    const md = readFileSync(join(dir, "sm.md"), "utf8");
    // its widths (18, 72) take the matrix form: each operator named, never a matrix of its entries
    for (const op of [
      "z_{2} = K_{2} \\ast x_{1} + b_{2}",
      "\\operatorname{up}_{2 \\times 2}(x_{2})",
      "\\operatorname{avg}_{3 \\times 3}(x_{3})",
    ])
      expect(md).toContain(op);
    expect(md).toContain("(\\text{2}\\times\\text{2 kernel, stride 1, padding 1, 1}\\to\\text{2 channels})");
    // every formula that mentions a shaped layer sets in KaTeX without a warning
    const formulas = [...md.matchAll(/\$\$\n([\s\S]*?)\n\$\$|\$([^$\n]+)\$/g)].map((m) => m[1] ?? m[2]);
    const shaped = formulas.filter((f) => /\\ast|operatorname\{(up|avg)\}|kernel/.test(f));
    expect(shaped.length).toBeGreaterThan(5);
    for (const f of shaped) expect(() => katex.renderToString(f, { throwOnError: true, strict: "error" }), f).not.toThrow();
  });

  it("the layered form says what the convolution is, in prose whose math KaTeX sets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-derive-"));
    const file = join(dir, "tiny.rgnn");
    writeFileSync(
      file,
      "manifold Z (u, v)\nnetwork f : Z {\n" +
        "  dense 4 tanh with W = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.2, 0.2]], b = [0.1, 0, -0.1, 0.2]\n" +
        "  reshape with shape = [1, 2, 2]\n" +
        "  conv 2 sigmoid with kernel = 2, K = [[[[0.5, -0.3], [0.2, 0.7]]], [[[-0.4, 0.1], [0.6, 0.3]]]], b = [0.1, -0.2]\n}\n" +
        "metric g = pullback along f\n",
    );
    const r = await cli(["derive", file, "-f", "md", "--form", "layered", "-o", join(dir, "tiny.md")]);
    expect(r.out + r.err).toContain("0 failed");
    const line = readFileSync(join(dir, "tiny.md"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("Layer 2 is a convolution"));
    expect(line).toContain("$x_{2} = \\sigma(K_{2} \\ast x_{1} + b_{2})$ with $\\sigma = \\operatorname{sigmoid}$.");
    const inline = [...line!.matchAll(/\$([^$]+)\$/g)].map((m) => m[1]);
    expect(inline.length).toBe(4);
    for (const f of inline) expect(() => katex.renderToString(f, { throwOnError: true, strict: "error" }), f).not.toThrow();
  });
});

describe("the matrix-level Python export writes shaped layers as conv2d, conv_transpose2d, upsampling and pooling", () => {
  const spec = `manifold Z (u, v)
network f : Z {
  dense 18 tanh with W = ${literal([18, 2], (i) => 0.1 * ((i % 7) - 3))}, b = ${literal([18], (i) => 0.02 * (i - 9))}
  reshape with shape = [2, 3, 3]
  conv_transpose 4 softplus with kernel = 3, stride = 2, padding = 1, output_padding = 1, groups = 2,
    K = ${literal([2, 2, 3, 3], (i) => 0.1 * Math.sin(3 * i))}, b = [0.1, -0.1, 0.05, 0]
  conv 3 tanh with kernel = 3, padding = 2, dilation = 2, K = ${literal([3, 4, 3, 3], (i) => 0.15 * Math.cos(2 * i))}, b = [0, 0.1, -0.1]
  avgpool with kernel = 3, stride = 2, padding = 1
  upsample with scale = [1, 2]
  dense 3 sigmoid with W = ${literal([3, 54], (i) => 0.05 * Math.sin(i))}, b = [0, 0.1, -0.1]
}
metric g = pullback along f
`;
  it("NumPy and torch (with and without autograd) give rgnn's metric and Christoffel symbols to 1e-12", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-conv-export-"));
    const file = join(dir, "f.rgnn");
    writeFileSync(file, spec);
    for (const target of ["numpy", "torch"]) {
      const r = await cli(["export", file, "-t", target, "--form", "matrix", "-o", join(dir, `m_${target}.py`)]);
      expect(r.code, r.err).toBe(0);
      const text = readFileSync(join(dir, `m_${target}.py`), "utf8");
      expect(text).toContain('_SHAPED = {"avgpool": _avgpool, "conv": _conv, "conv_transpose": _conv_transpose, "upsample": _upsample}');
      if (target === "torch") expect(text).toContain("torch.nn.functional.conv_transpose2d(");
    }
    const points = [
      [0.3, -0.7],
      [-0.5, 0.4],
    ];
    const m = model(spec),
      g = m.metrics.get("g")!;
    const want = metricAt(g, points, new Map()).map((v) => v.metric.flat());
    const gamma = await Promise.all(
      points.map(async (p) => {
        const r = await cli(["geometry", file, "--quantity", "christoffel", "--at", p.join(","), "--format", "json"]);
        return JSON.stringify(JSON.parse(r.out))
          .match(/-?\d+(\.\d+)?(e-?\d+)?/g)!
          .map(Number);
      }),
    );
    const script =
      "import json, sys, numpy, torch\nsys.path.insert(0, sys.argv[1])\nimport m_numpy, m_torch\nout = []\n" +
      `for p in json.loads('${JSON.stringify(points)}'):\n` +
      "    t = torch.tensor(p, dtype=torch.float64, requires_grad=True)\n" +
      "    ga = m_torch.metric(t)\n" +
      "    grad = torch.autograd.grad(ga.sum(), t)[0].tolist()\n" +
      "    out.append([numpy.asarray(m_numpy.metric(numpy.array(p))).reshape(-1).tolist(),\n" +
      "                m_torch.metric(torch.tensor(p, dtype=torch.float64)).reshape(-1).tolist(), ga.reshape(-1).tolist(), grad,\n" +
      "                numpy.asarray(m_numpy.christoffel(numpy.array(p))).reshape(-1).tolist(),\n" +
      "                m_torch.christoffel(torch.tensor(p, dtype=torch.float64)).reshape(-1).tolist()])\n" +
      "print(json.dumps(out))\n";
    const res = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    const got = JSON.parse(res.stdout) as number[][][];
    const close = (a: number[], b: number[], tol: number) => {
      const s = Math.max(...b.map(Math.abs));
      expect(a).toHaveLength(b.length);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / s).toBeLessThan(tol);
    };
    got.forEach(([gn, gt, ga, grad, cn, ct], k) => {
      for (const x of [gn, gt, ga]) close(x, want[k], 1e-12);
      // d/dp Σ g_ab(p) = Σ_ab ∂_c g_ab = Σ_ab (Γ_{a,cb} + Γ_{b,ca}) with Γ_{a,cb} = g_ad Γ^d_cb: from rgnn's Γ
      const n = 2,
        G = want[k],
        Gam = (d: number, a: number, b: number) => ct[(d * n + a) * n + b];
      const lowered = (a: number, c: number, b: number) => G[a * n] * Gam(0, c, b) + G[a * n + 1] * Gam(1, c, b);
      const dsum = [0, 1].map((c) => [0, 1].reduce((s, a) => s + [0, 1].reduce((t, b) => t + lowered(a, c, b) + lowered(b, c, a), 0), 0));
      close(grad, dsum, 1e-9);
      close(cn, ct, 1e-12);
      close(ct, gamma[k].slice(-ct.length), 1e-9);
    });
  });
});
