// The shaped layer kinds (conv, conv_transpose, upsample, avgpool) and the shape steps (reshape, flatten): their
// operators against convolutions written out independently here and against torch's own numbers
// (test/fixtures/conv/conv.json, written by make.py with torch 1.13 in float64), a convolutional decoder's metric on
// every route against torch.autograd's JᵀJ, and the located error of each hostile spec.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { metricAt } from "../../../src/api/metric.js";
import { LAYER_KINDS, type LayerKind, type Options, type Shape3 } from "../../../src/core/layers/index.js";
import { denseOperator, isGeometryError } from "../../../src/core/layers/shape.js";
import { forwardMetric } from "../../../src/numeric/forward.js";
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

const options = (o: Case["options"]): Options =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? [v[0], v[1]] : [v, v]])) as Options;

/** A shaped kind's operator as a dense matrix, through its core module only. */
function operator(kind: LayerKind, input: Shape3, channels: number | null, o: Options, K: number[] | null) {
  const sd = LAYER_KINDS[kind].shaped!;
  const geo = sd.geometry(input, channels, o);
  if (isGeometryError(geo)) throw new Error(geo.error);
  const g = { input, output: geo.output, options: o, kernel: geo.kernel };
  const n = geo.output[0] * geo.output[1] * geo.output[2],
    m = input[0] * input[1] * input[2];
  return { W: denseOperator(sd.taps(g), n, m, K), n, m, output: geo.output, kernel: geo.kernel };
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

  it("conv_transpose is the adjoint of conv with the same kernel: ⟨K ∗ᵀ u, v⟩ = ⟨u, K ∗ v⟩", () => {
    // conv maps C_out × H × W (the transposed layer's output) to C_in × h × w (its input); without output padding the
    // transposed layer's matrix is that matrix's transpose, entry for entry
    const r = rng(5);
    for (const [cin, h, w, cout, k, s, p, d, g] of [
      [2, 4, 4, 3, 4, 2, 1, 1, 1],
      [4, 3, 5, 2, 3, 2, 0, 2, 2],
      [1, 5, 5, 2, 3, 1, 1, 1, 1],
    ]) {
      const o: Options = { kernel: [k, k], stride: [s, s], padding: [p, p], dilation: [d, d], groups: [g, g], output_padding: [0, 0] };
      const K = Array.from({ length: cin * (cout / g) * k * k }, () => 2 * r() - 1);
      const T = operator("conv_transpose", [cin, h, w], cout, o, K);
      const C = operator("conv", T.output, cin, o, K); // same [cin, cout/g, k, k] array read as conv's [out, in, k, k]
      expect(C.output).toEqual([cin, h, w]);
      let differ = 0;
      for (let i = 0; i < T.n; i++) for (let j = 0; j < T.m; j++) if (T.W[i * T.m + j] !== C.W[j * C.m + i]) differ++;
      expect(differ).toBe(0);
      expect(T.W.some((v) => v !== 0)).toBe(true);
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
      const nest = (v: number[], shape: number[]): string =>
        shape.length === 1
          ? `[${v.join(", ")}]`
          : `[${Array.from({ length: shape[0] }, (_, i) => nest(v.slice((i * v.length) / shape[0], ((i + 1) * v.length) / shape[0]), shape.slice(1))).join(", ")}]`;
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
  dense 9 tanh with W = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2], [0.2, 0.2], [0.6, -0.1], [-0.3, 0.5], [0.1, -0.6], [0.4, 0.3], [-0.2, -0.4]], b = [0.1, 0, -0.1, 0.2, 0, 0.05, -0.05, 0.1, 0]
  reshape with shape = [1, 3, 3]
  conv 2 tanh with kernel = 2${symbolic ? "" : ", K = [[[[0.5, -0.3], [0.2, 0.7]]], [[[-0.4, 0.1], [0.6, 0.3]]]], b = [0.1, -0.2]"}
  upsample with scale = 2
  avgpool with kernel = 3, stride = 2, padding = 1
  flatten
  dense 3 sigmoid with W = [[0.2, -0.1, 0.3, 0.1, 0.5, -0.2, 0.1, 0.4], [-0.3, 0.2, 0.1, 0.6, -0.1, 0.2, 0.3, -0.5], [0.1, 0.1, -0.2, 0.3, 0.2, 0.4, -0.3, 0.2]], b = [0, 0.1, -0.1]
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
    ["a shape of two numbers", "  reshape with shape = [4, 8]", "a list of three whole numbers", 4],
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
