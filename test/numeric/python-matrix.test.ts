// Networks exported at the matrix level (weights as arrays, batched jets through the layers) and run with Debian's
// /usr/bin/python3 on NumPy and torch (CPU): every function's numbers against rgnn's own (the API's evaluateAt,
// metricAt and geometryAt, i.e. `rgnn eval` and `geometry --at`) to 1e-12, for each layer kind the engine serves:
// a fixed-seed 2→32→32→2 tanh MLP from safetensors, residual, second- and third-order nets, softmax, log_softmax, a skip
// block with layer_norm, a metric on a
// hidden layer and the decoder example (softplus, sigmoid; 784 outputs, so its curvature is not zero).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateAt, geometryAt } from "../../src/index.js";
import { metricAt } from "../../src/api/metric.js";
import { checkSpec, pickMapping, pickMetric } from "../../src/api/spec.js";
import { valuesOf } from "../../src/api/values.js";
import { EXPORTED, type PythonForm, type PythonTarget, pythonModule } from "../../src/numeric/python.js";
import type { Model } from "../../src/semantics/model.js";
import { inRequestGraph } from "../../src/symbolic/expr.js";
import { exampleModel, expectClose, rng } from "../helpers.js";
import { python, requireTorch } from "../import/tools.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/export");
const POINTS = [
  [0.3, -0.7],
  [-0.45, 0.6],
  [0.8, 0.25],
];

const fromFile = (path: string): Model => {
  const r = checkSpec(readFileSync(path, "utf8"), path, { baseDir: join(path, "..") });
  if (!r.ok) throw new Error(r.message);
  return r.model;
};
const inline = (text: string, name: string): Model => {
  const r = checkSpec(text, name);
  if (!r.ok) throw new Error(`${name}: ${r.message}`);
  return r.model;
};

const W2 = "W = [[0.8, -0.5], [0.3, 0.9]], b = [0.1, -0.2]";
const W2b = "W = [[-0.4, 0.7], [0.6, 0.2]], b = [0, 0.15]";
const HEAD = "dense 3 sigmoid with W = [[1.0, 0.4], [-0.6, 0.7], [0.5, -0.9]], b = [0, 0.1, -0.2]";
const net = (layers: string[], metric = "metric g = pullback of euclidean along net") =>
  ["manifold M (x, y)", "network net : M -> R^3 {", ...layers.map((l) => `  ${l}`), "}", metric, ""].join("\n");

interface Case {
  label: string;
  model: Model;
  /** Forced where the net is small enough for closed forms. */
  form?: PythonForm;
  /** The points (in the metric's coordinates). */
  points?: number[][];
  /**
   * Compare with rgnn's matrix route (the same recurrence) rather than the route it picks: the order-3 recurrence
   * (3, −3, 1) amplifies round-off over 64 layers, so rgnn's own symbolic and matrix routes differ by 4e-12 there.
   */
  route?: "matrix";
}

const CASES: Case[] = [
  { label: "2→32→32→2 tanh MLP (safetensors)", model: fromFile(join(FIXTURES, "mlp32.rgnn")) },
  {
    label: "residual",
    model: inline(net([`residual tanh with h = 0.3, ${W2}`, `residual softplus with h = 0.3, ${W2b}`, HEAD]), "residual.rgnn"),
    form: "matrix",
  },
  {
    label: "second order (starting step, then the recurrence)",
    model: inline(net([`second_order tanh with h = 0.4, ${W2}`, `second_order tanh with h = 0.4, ${W2b}`, HEAD]), "second.rgnn"),
    form: "matrix",
  },
  { label: "examples/second-order.rgnn (64 layers)", model: exampleModel("second-order") },
  { label: "examples/third-order.rgnn (order 3, 64 layers)", model: exampleModel("third-order"), route: "matrix" },
  {
    label: "softmax",
    model: inline(net(["dense 3 tanh with W = [[1.0, 0.4], [-0.6, 0.7], [0.5, -0.9]], b = [0, 0.1, -0.2]", "softmax"]), "softmax.rgnn"),
    form: "matrix",
  },
  {
    label: "log_softmax",
    model: inline(net(["dense 3 tanh with W = [[1.0, 0.4], [-0.6, 0.7], [0.5, -0.9]], b = [0, 0.1, -0.2]", "log_softmax"]), "logsm.rgnn"),
    form: "matrix",
  },
  {
    // ε = 0.5: a small ε leaves the norm's radial direction a factor ε/(var x + ε), g ill-conditioned, and the curvature
    // of Gauss's equation and of rgnn's third-order jets 1.3e-12 apart (ε = 0.1) — round-off, not the formulas
    label: "a skip block (x + W₂ tanh(W₁ x + b₁) + b₂) and layer_norm",
    model: inline(
      net([
        "dense 4 tanh with W = [[1.0, 0.4], [-0.6, 0.7], [0.5, -0.9], [0.3, 0.8]], b = [0, 0.1, -0.2, 0.15]",
        "skip {",
        "  dense 2 tanh with W = [[0.7, -0.3, 0.5, 0.1], [0.2, 0.9, -0.4, 0.6]], b = [0.1, -0.1]",
        "  dense 4 linear with W = [[0.6, -0.2], [0.3, 0.8], [-0.5, 0.4], [0.2, -0.7]], b = [0.05, 0, -0.1, 0.2]",
        "}",
        "layer_norm with W = [1.3, 0.7, -0.9, 1.1], b = [0.2, -0.1, 0.05, 0.3], eps = 0.5",
        "dense 3 sigmoid with W = [[1.0, 0.4, -0.2, 0.3], [-0.6, 0.7, 0.3, -0.1], [0.5, -0.9, 0.8, 0.4]], b = [0, 0.1, -0.2]",
      ]),
      "skipnorm.rgnn",
    ),
    form: "matrix",
  },
  {
    label: "a metric on a hidden layer (to layer 1)",
    model: inline(
      net(
        [`residual tanh with h = 0.3, ${W2}`, `residual tanh with h = 0.3, ${W2b}`, HEAD],
        "metric g = pullback of euclidean along net to layer 1",
      ),
      "hidden.rgnn",
    ),
    form: "matrix",
  },
  { label: "examples/decoder.rgnn", model: exampleModel("decoder"), points: POINTS.slice(0, 2) },
];

/** Calls the named functions of each module on a float64 batch; JSON {module: {name: nested lists}}. */
const RUN = `
import importlib.util, json, sys
out = {}
for path, target, names, points in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("exported", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if target == "torch":
        import torch
        x = torch.tensor(points, dtype=torch.float64)
    else:
        import numpy
        x = numpy.array(points, dtype=numpy.float64)
    out[path] = {n: getattr(m, n)(x).tolist() for n in names}
print(json.dumps(out))
`;

const NAMES = ["network", "jacobian", "metric", ...EXPORTED];

describe.runIf(requireTorch())("networks exported at the matrix level", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-export-matrix-"));
  const jobs: { path: string; target: PythonTarget; c: Case; text: string }[] = [];
  CASES.forEach((c, k) => {
    for (const target of ["numpy", "torch"] as const) {
      const path = join(dir, `case${k}_${target}.py`);
      const text = inRequestGraph(c.model, () =>
        pythonModule(c.model, target, c.label, { env: valuesOf(c.model), ...(c.form ? { form: c.form } : {}) }),
      );
      writeFileSync(path, text);
      jobs.push({ path, target, c, text });
    }
  });
  const got: Record<string, Record<string, unknown[]>> = JSON.parse(
    python(RUN, [JSON.stringify(jobs.map((j) => [j.path, j.target, NAMES, j.c.points ?? POINTS]))]),
  );

  it.each(jobs.map((j) => [`${j.c.label} (${j.target})`, j] as const))("%s", (_, { path, c, text }) => {
    expect(text).toContain("_P = _floats("); // written at the matrix level
    expect(text).not.toMatch(/^ {4}t\d+ = /m); // and nothing unrolled to scalars (the activations are, once)
    const out = got[path],
      points = c.points ?? POINTS,
      env = valuesOf(c.model);
    const flat = (v: unknown) => [[v].flat(4) as number[]];
    if (c.route) process.env.RGNN_ROUTE = c.route;
    try {
      const mapping = pickMapping(c.model),
        metric = pickMetric(c.model);
      evaluateAt(mapping, points, env).forEach((e, k) => {
        expectClose([out.network[k] as number[]], [e.output], 1e-12, `${c.label} network`);
        expectClose(out.jacobian[k] as number[][], e.jacobian, 1e-12, `${c.label} jacobian`);
      });
      metricAt(metric, points, env).forEach((m, k) => {
        expectClose(out.metric[k] as number[][], m.metric, 1e-12, `${c.label} metric`);
      });
      // a map between spaces of one dimension pulls the flat metric back to a flat one: the scalar curvature is 0, which
      // Gauss's equation gives to round-off, and rgnn's third-order jets to about 1e-12 (their terms are of order 10²)
      const flatMap = mapping.target.dim === metric.manifold.dim;
      for (const q of EXPORTED)
        geometryAt(metric, q, points, env).forEach((v, k) => {
          if (q === "scalar" && flatMap) {
            expect(Math.abs(flat(out[q][k])[0][0])).toBeLessThan(1e-12);
            expect(Math.abs(v.values[0])).toBeLessThan(1e-10);
          } else expectClose(flat(out[q][k]), [v.values], 1e-12, `${c.label} ${q}`);
        });
    } finally {
      delete process.env.RGNN_ROUTE;
    }
  });

  it("follows the input's dtype and batch shape in torch, converting the weights once per dtype", () => {
    const torchModule = jobs.find((j) => j.target === "torch")!.path;
    const r = JSON.parse(
      python(
        `
import importlib.util, json, sys, torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float64)
g64 = m.metric(x)
g32 = m.metric(x.float())
s = m.scalar(x.float().reshape(3, 1, 2))
print(json.dumps({"dtype": str(g32.dtype), "shape": list(s.shape), "err": float((g32.double() - g64).abs().max()),
                  "scale": float(g64.abs().max()), "casts": len(m._CAST)}))
`,
        [torchModule, JSON.stringify(POINTS)],
      ),
    );
    expect(r.dtype).toBe("torch.float32");
    expect(r.shape).toEqual([3, 1]);
    expect(r.err).toBeLessThan(1e-5 * r.scale);
    expect(r.err).toBeGreaterThan(0); // really computed in float32
    expect(r.casts).toBe(2);
  });

  it("writes a 32-wide MLP in well under 300 kB, and a wider one larger by its weights only", () => {
    const mlp = jobs.find((j) => j.c === CASES[0] && j.target === "torch")!.text;
    expect(mlp.length).toBeLessThan(300_000);
    const random = rng(7);
    const mat = (r: number, c: number) =>
      `[${Array.from({ length: r }, () => `[${Array.from({ length: c }, () => (random() - 0.5).toFixed(3)).join(", ")}]`).join(", ")}]`;
    const wide = (w: number) =>
      inline(
        [
          "manifold I (x, y)",
          "network mlp : I -> R^2 {",
          `  dense ${w} tanh with W = ${mat(w, 2)}, b = ${mat(1, w).slice(1, -1)}`,
          `  dense ${w} tanh with W = ${mat(w, w)}, b = ${mat(1, w).slice(1, -1)}`,
          `  dense 2 linear with W = ${mat(2, w)}, b = [0, 0]`,
          "}",
          "metric g = pullback of euclidean along mlp",
        ].join("\n"),
        `w${w}.rgnn`,
      );
    const sizes = [16, 64].map((w) => {
      const m = wide(w);
      const text = inRequestGraph(m, () => pythonModule(m, "torch", "w.rgnn", { env: valuesOf(m) }));
      const blob = /"""\n([A-Za-z0-9+/=\n]+)\n"""/.exec(text)![1];
      return { total: text.length, rest: text.length - blob.length, params: 2 * w + w + w * w + w + 2 * w + 2 };
    });
    // everything but the weights is the same text up to the digits of the counts in it
    expect(Math.abs(sizes[1].rest - sizes[0].rest)).toBeLessThan(40);
    // the weights: 3-digit decimals are not float32-exact, so 8 bytes each, base64 (4/3) in lines of 96
    expect(sizes[1].total - sizes[1].rest).toBeLessThanOrEqual(Math.ceil((sizes[1].params * 8 * 4) / 3) * (97 / 96) + 8);
  });
});
