// 1-D convolutions and pooling (a channels × length state), (bi)linear upsampling and max pooling: their maps against
// torch's (test/fixtures/conv/kinds.json, written by make_kinds.py with torch 1.13 in float64), max pooling's choice
// at ties against torch's gradient, a network of every new kind (kinds.rgnn) against torch.autograd's JᵀJ on every
// route and in the NumPy and torch exports, and the located error of each hostile spec.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { metricAt } from "../../../src/api/metric.js";
import { LAYER_KINDS, type LayerKind } from "../../../src/core/layers/index.js";
import { linearSources } from "../../../src/core/layers/shape.js";
import { prepareNetwork, propagate, reverseJacobian } from "../../../src/numeric/engine/network.js";
import { forwardMapping, forwardMetric } from "../../../src/numeric/forward.js";
import { layerLabel } from "../../../src/semantics/labels.js";
import type { Network } from "../../../src/semantics/model.js";
import { cli, model, onlyError, relErr } from "../../helpers.js";

afterEach(() => {
  delete process.env.RGNN_ROUTE;
});

interface Case {
  kind: LayerKind;
  input: number[];
  channels?: number;
  options: Record<string, number | number[]>;
  K?: number[];
  kshape?: number[];
  b?: number[];
  x: number[];
  output: number[];
  y: number[];
}
const FIXTURE = JSON.parse(readFileSync("test/fixtures/conv/kinds.json", "utf8")) as {
  cases: Case[];
  ties: { input: number[]; options: { kernel: number }; x: number[]; grad: number[] };
  network: { point: number[]; x: number[]; J: number[]; g: number[] }[];
};

const nest = (v: number[], shape: number[]): string => {
  if (shape.length === 1) return `[${v.join(", ")}]`;
  const step = v.length / shape[0];
  return `[${Array.from({ length: shape[0] }, (_, i) => nest(v.slice(i * step, (i + 1) * step), shape.slice(1))).join(", ")}]`;
};
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** One layer of a case on a chart of its input's entries, as a spec writes it. */
function caseNetwork(c: Case): Network {
  const opts = Object.entries(c.options).map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(", ")}]` : v}`);
  const params = c.K ? [`K = ${nest(c.K, c.kshape!)}`, `b = [${c.b!.join(", ")}]`] : [];
  const coords = Array.from({ length: size(c.input) }, (_, i) => `x${i}`).join(", ");
  const text =
    `manifold X (${coords})\nnetwork f : X {\n  reshape with shape = [${c.input.join(", ")}]\n` +
    `  ${c.kind}${c.channels ? ` ${c.channels}` : ""}${LAYER_KINDS[c.kind].syntax.activation ? " linear" : ""} ` +
    `with ${[...opts, ...params].join(", ")}\n}\n`;
  const net = model(text).mappings.get("f")!;
  if (net.kind !== "network") throw new Error("no network");
  return net;
}

describe("1-D layers, linear upsampling and max pooling against torch", () => {
  it.each(FIXTURE.cases.map((c, i) => [`${i}: ${c.kind} ${JSON.stringify(c.input)} ${JSON.stringify(c.options)}`, c] as const))(
    "torch %s: the same output to 1e-13 in the matrix engine and in forward mode, the kernel in torch's layout",
    (_, c) => {
      const net = caseNetwork(c),
        layer = net.layers[0];
      expect(layer.shaped!.geometry.output).toEqual(c.output);
      if (c.kshape) expect(layer.shaped!.K!.shape).toEqual(c.kshape);
      const engine = propagate(prepareNetwork(net), c.x, 0).out;
      expect(relErr(engine, c.y)).toBeLessThan(1e-13);
      expect(relErr(forwardMapping(net, c.x).x, c.y)).toBeLessThan(1e-13);
    },
  );

  it("linear upsampling's sources follow torch's align_corners = False: (o + ½)/f − ½, clamped at both ends", () => {
    // n = 3, f = 2: sources −¼ (clamped to 0), ¼, ¾, 1¼, 1¾, 2¼ (the last past the end: entry 2 alone)
    const got = Array.from({ length: 6 }, (_, o) => linearSources(o, 3, 2));
    expect(got).toEqual([
      [0, 1, 1, 0],
      [0, 0.75, 1, 0.25],
      [0, 0.25, 1, 0.75],
      [1, 0.75, 2, 0.25],
      [1, 0.25, 2, 0.75],
      [2, 0.75, 2, 0.25],
    ]);
  });

  it("max pooling at ties picks the first of the window's equal entries, as torch's gradient does, on every route", () => {
    const { input, x, grad } = FIXTURE.ties;
    const n = size(input);
    const coords = Array.from({ length: n }, (_, i) => `x${i}`).join(", ");
    const text =
      `manifold X (${coords})\nnetwork f : X {\n  reshape with shape = [${input.join(", ")}]\n  maxpool with kernel = 2\n}\n` +
      "metric g = pullback along f\n";
    const g = model(text).metrics.get("g")!;
    // J is a 0/1 selection with one pick per column at most: JᵀJ = diag(the entries torch's gradient reaches)
    const want = Array.from({ length: n * n }, (_, t) => (t % (n + 1) === 0 ? grad[t / (n + 1)] : 0));
    for (const route of ["symbolic", "matrix"]) {
      process.env.RGNN_ROUTE = route;
      expect(metricAt(g, [x], new Map())[0].metric.flat(), route).toEqual(want);
    }
    expect(forwardMetric(g, x).flat()).toEqual(want);
    const net = model(text).mappings.get("f") as Network;
    expect(Array.from(reverseJacobian(prepareNetwork(net), x).J)).toEqual(forwardMapping(net, x).J.flat());
  });
});

describe("a skip block ending in a convolution (ResNet's basic block) on every route", () => {
  // x1 (2×3×3) → conv relu → conv, plus x1: the end's operator kept as taps, its state the image
  const spec = `manifold Z (u, v)
network f : Z {
  dense 18 tanh with W = ${nest(
    Array.from({ length: 36 }, (_, i) => Number((0.3 * Math.sin(i + 1)).toFixed(3))),
    [18, 2],
  )}, b = ${nest(
    Array.from({ length: 18 }, (_, i) => Number((0.1 * Math.cos(i)).toFixed(3))),
    [18],
  )}
  reshape with shape = [2, 3, 3]
  skip {
    conv 2 relu with kernel = 3, padding = 1, K = ${nest(
      Array.from({ length: 36 }, (_, i) => Number((0.4 * Math.cos(2 * i + 1)).toFixed(3))),
      [2, 2, 3, 3],
    )}, b = [0.1, -0.1]
    conv 2 linear with kernel = 3, padding = 1, K = ${nest(
      Array.from({ length: 36 }, (_, i) => Number((0.4 * Math.sin(3 * i)).toFixed(3))),
      [2, 2, 3, 3],
    )}, b = [0.05, 0]
  }
  maxpool with kernel = 3
  flatten
  dense 2 sigmoid with W = [[0.5, -0.3], [0.2, 0.4]], b = [0, 0.1]
}
metric g = pullback along f
`;
  it("the block's state is the convolution's image (a maxpool reads it); symbolic, matrix and forward mode agree", () => {
    const m = model(spec),
      net = m.mappings.get("f") as Network;
    expect(net.layers.map((l) => l.kind)).toEqual(["dense", "conv", "skip_2", "maxpool", "dense"]);
    expect(net.layers[2].shaped?.kind).toBe("conv");
    const g = m.metrics.get("g")!,
      points = [
        [0.3, -0.7],
        [-0.5, 0.2],
      ];
    const want = points.map((p) => forwardMetric(g, p).flat());
    // x3 = K3 ∗ x2 + b3 + x1: the engine's x3 against the spec's own operator written out
    const x = propagate(prepareNetwork(net), points[0], 0, { to: 3 }).out;
    const x1 = propagate(prepareNetwork(net), points[0], 0, { to: 1 }).out,
      x2 = propagate(prepareNetwork(net), points[0], 0, { to: 2 }).out;
    const W3 = net.layers[2].W!.values!,
      b3 = net.layers[2].b!.values!;
    for (let i = 0; i < 18; i++) {
      let s = b3[i] + x1[i];
      for (let j = 0; j < 18; j++) s += W3[i * 18 + j] * x2[j];
      expect(x[i]).toBeCloseTo(s, 14);
    }
    for (const route of ["symbolic", "matrix"]) {
      process.env.RGNN_ROUTE = route;
      metricAt(g, points, new Map()).forEach((r, k) => {
        expect(relErr(r.metric.flat(), want[k]), route).toBeLessThan(1e-12);
      });
    }
  });

  it("listings, hovers, exports and figures name the block's end by the convolution it was written as", async () => {
    const net = model(spec).mappings.get("f") as Network;
    expect(layerLabel(net.layers[2])).toBe("end of skip 2: conv linear");
    expect(layerLabel(net.layers[2], "short")).toBe("conv + skip 2 linear");
    expect(layerLabel(net.layers[0])).toBe("dense tanh");
    const dir = mkdtempSync(join(tmpdir(), "rgnn-skip-label-"));
    writeFileSync(join(dir, "s.rgnn"), spec);
    const r = await cli(["metric", join(dir, "s.rgnn"), "--form", "matrix"]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("layer 3 (end of skip 2: conv linear)");
    expect(r.out).not.toContain("skip 2: dense");
  });
});

describe("a network of every new kind (test/fixtures/conv/kinds.rgnn) against torch.autograd", () => {
  const file = "test/fixtures/conv/kinds.rgnn";
  const points = FIXTURE.network.map((d) => d.point);

  it("its metric at four points equals torch's JᵀJ to 1e-10 on the symbolic and matrix routes and in forward mode", () => {
    const g = model(readFileSync(file, "utf8"), file, "test/fixtures/conv").metrics.get("g")!;
    for (const route of ["symbolic", "matrix"]) {
      process.env.RGNN_ROUTE = route;
      const got = metricAt(g, points, new Map());
      FIXTURE.network.forEach((d, k) => {
        expect(relErr(got[k].metric.flat(), d.g), `${route} at ${d.point}`).toBeLessThan(1e-10);
      });
    }
    FIXTURE.network.forEach((d) => {
      expect(relErr(forwardMetric(g, d.point).flat(), d.g)).toBeLessThan(1e-10);
    });
  });

  it("the engine's Jacobian is the central differences of its own map (no tie near the points)", () => {
    const net = model(readFileSync(file, "utf8"), file, "test/fixtures/conv").mappings.get("f") as Network;
    const p = prepareNetwork(net);
    for (const d of FIXTURE.network) {
      const pass = propagate(p, d.point, 1);
      expect(relErr(pass.out.subarray(0, 2), d.x)).toBeLessThan(1e-12);
      const h = 1e-6;
      for (let a = 0; a < 2; a++) {
        const [plus, minus] = [h, -h].map(
          (e) =>
            propagate(
              p,
              d.point.map((v, i) => (i === a ? v + e : v)),
              0,
            ).out,
        );
        for (let i = 0; i < 2; i++) expect(Math.abs(pass.out[(1 + a) * 2 + i] - (plus[i] - minus[i]) / (2 * h))).toBeLessThan(1e-8);
      }
    }
  });

  it("rgnn metric warns that max pooling makes the metric piecewise, and --form matrix names each operator", async () => {
    const r = await cli(["metric", file, "--at", points[0].join(",")]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning: metric 'g' is taken through layer 5 of 'f' (maxpool) (and 1 more layer): max pooling is not C¹");
    const f = await cli(["metric", file, "--form", "matrix"]);
    expect(f.out).toContain("K2: 3×2×3: 1-D, 3 kernel, stride 2, padding 1, 2→3 channels");
    expect(f.out).toContain("K3: 3×2×2: transposed 1-D, 2 kernel, stride 2, 3→2 channels");
    expect(f.out).toContain("z4 = uplin3(x3)");
    expect(f.out).toContain("x5 = maxpool(x4)");
    expect(f.out).toContain("J5 = S(x4), S picking each window's largest entry");
    expect(f.out).toContain("z6 = uplin2×2(x5)");
  });

  it("rgnn derive checks every step; max pooling's Jacobian (ties after the upsampling) against forward mode", async () => {
    // the linear upsampling by 3 repeats its edge entries exactly, so some window of layer 5 ties at every point: a
    // difference of the layer map straddles the kink there, forward mode takes the branch the engine takes
    const dir = mkdtempSync(join(tmpdir(), "rgnn-kinds-derive-"));
    const r = await cli(["derive", file, "-o", join(dir, "kinds.md")]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("(23 steps, 0 failed)");
    const md = readFileSync(join(dir, "kinds.md"), "utf8");
    expect(md).toMatch(/\| \[Jacobian of layer 5\]\(#g%3Ajacobian5\) \| independent \| forward mode \| 3 \| 0 \| ✓ \|/);
  });

  it("the NumPy and torch exports compute torch's JᵀJ (run by /usr/bin/python3)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-kinds-export-"));
    for (const target of ["numpy", "torch"]) {
      const r = await cli(["export", file, "-t", target, "-o", join(dir, `k_${target}.py`)]);
      expect(r.code, r.err).toBe(0);
    }
    const torchText = readFileSync(join(dir, "k_torch.py"), "utf8");
    for (const call of ["conv1d(", "conv_transpose1d(", 'mode="linear"', "max_pool1d(", "max_pool2d("]) expect(torchText).toContain(call);
    const script =
      "import json, sys, numpy, torch\nsys.path.insert(0, sys.argv[1])\nimport k_numpy, k_torch\nout = []\n" +
      `for p in json.loads('${JSON.stringify(points)}'):\n` +
      "    a = numpy.asarray(k_numpy.metric(numpy.array(p))).reshape(-1).tolist()\n" +
      "    b = k_torch.metric(torch.tensor(p, dtype=torch.float64)).reshape(-1).tolist()\n" +
      "    out.append([a, b])\nprint(json.dumps(out))\n";
    const res = spawnSync("/usr/bin/python3", ["-c", script, dir], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    (JSON.parse(res.stdout) as number[][][]).forEach(([a, b], k) => {
      expect(relErr(a, FIXTURE.network[k].g)).toBeLessThan(1e-10);
      expect(relErr(b, FIXTURE.network[k].g)).toBeLessThan(1e-10);
    });
  });
});

describe("hostile specs of the new kinds: one located error each", () => {
  const net = (body: string) => `manifold Z (u, v)\nnetwork f : Z {\n  dense 12 tanh\n${body}\n}\n`;
  const cases: [string, string, string, number][] = [
    [
      "a [height, width] option on a 1-D state",
      "  reshape with shape = [2, 6]\n  conv 3 tanh with kernel = [3, 3]",
      "the kernel of layer 2 (conv) is a whole number (its input is 1-D, 2×6)",
      5,
    ],
    [
      "a 1-D kernel longer than the padded length",
      "  reshape with shape = [2, 6]\n  conv 3 tanh with kernel = 9, padding = 1",
      "the kernel spans 9 along the length (kernel 9, dilation 1), more than the padded input's 8",
      5,
    ],
    [
      "a 1-D kernel of the wrong rank",
      "  reshape with shape = [2, 6]\n  conv 1 tanh with kernel = 3, K = [[[[1, 2, 3]], [[1, 2, 3]]]]",
      "kernel K of layer 2 (conv) is a 1×2×1×3 tensor, expected a 1×2×3 tensor",
      5,
    ],
    ["a 1-D shape that does not multiply out", "  reshape with shape = [5, 2]", "a 5×2 shape holds 10 numbers", 4],
    [
      "a max pooling padding over half its kernel",
      "  reshape with shape = [3, 4]\n  maxpool with kernel = 2, padding = 2",
      "must be at most half the kernel (2)",
      5,
    ],
    [
      "a max pooling window larger than the input",
      "  reshape with shape = [3, 2, 2]\n  maxpool with kernel = 3",
      "the kernel (3) is larger than the padded input's height (2)",
      5,
    ],
    [
      "a negative max pooling stride",
      "  reshape with shape = [3, 4]\n  maxpool with kernel = 2, stride = -2",
      "the stride of layer 2 (maxpool) must be a positive whole number, not -2",
      5,
    ],
    [
      "a zero upsampling factor",
      "  reshape with shape = [3, 4]\n  upsample_linear with scale = 0",
      "the scale of layer 2 (upsample_linear) must be a positive whole number, not 0",
      5,
    ],
    ["a huge linear upsampling", "  reshape with shape = [3, 2, 2]\n  upsample_linear with scale = 100000", "of memory with this layer", 5],
    ["an activation on max pooling", "  reshape with shape = [3, 4]\n  maxpool tanh with kernel = 2", "has no activation", 5],
    [
      "a skip block ending in a max pooling",
      "  reshape with shape = [3, 4]\n  skip {\n    conv 3 tanh with kernel = 3, padding = 1\n    maxpool with kernel = 1\n  }",
      "layer 3 ends a skip block, so it must be a dense layer or a convolution, not a max pooling",
      7,
    ],
    [
      "a skip block ending in a convolution of another width",
      "  reshape with shape = [3, 4]\n  skip {\n    conv 3 tanh with kernel = 3, padding = 1\n    conv 2 linear with kernel = 3, padding = 1\n  }",
      "layer 3 ends a skip block that adds x_1 (width 12), so its width must be 12, not 8",
      7,
    ],
  ];
  it.each(cases)("%s", (_, body, message, line) => {
    const e = onlyError(net(body));
    expect([e.message, ...e.notes.map((n) => `(${n})`)].join(" ")).toContain(message);
    expect(e.line).toBe(line);
  });

  it("a maxpool spec trains: reverse mode through the picks, the loss falling", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-maxpool-train-"));
    const spec = `manifold P (x, y)
network f : P {
  dense 8 tanh
  reshape with shape = [2, 4]
  maxpool with kernel = 2
  flatten
  dense 2 linear
}
`;
    writeFileSync(join(dir, "f.rgnn"), spec);
    const r = await cli(["train", join(dir, "f.rgnn"), "--data", "moons", "--epochs", "30", "-o", join(dir, "w.json")]);
    expect(r.code, r.err).toBe(0);
    const curve = readFileSync(join(dir, "w.curve.csv"), "utf8").trim().split("\n").slice(1);
    const loss = curve.map((line) => Number(line.split(",")[1]));
    expect(loss).toHaveLength(30);
    expect(loss[29]).toBeLessThan(0.6 * loss[0]);
  });
});
