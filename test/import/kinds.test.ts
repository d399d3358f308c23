// rgnn import of 1-D layers, max pooling, linear upsampling and batch normalisations before a convolution
// (test/fixtures/onnx/make_kinds.py): torch 1.13 models in float64 exported at opset 17 — Conv, ConvTranspose and MaxPool
// on channels × length states, Resize in linear mode (1-D and bilinear), MaxPool 2-D with padding, a BatchNorm2d folded
// into the unpadded Conv after it and one kept as a per-channel layer before a padded Conv, a ResNet basic block (a skip
// around two 3×3 convolutions, padding 1) — imported, and their output,
// Jacobian and metric at five points against torch.autograd's, stored by the same script, to 1e-10.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/semantics/safetensors.js";
import { cli, expectClose } from "../helpers.js";
import { FIXTURES } from "./tools.js";

const out = mkdtempSync(join(tmpdir(), "rgnn-import-kinds-"));
const TOL = 1e-10;

const LAYERS: Record<string, string[]> = {
  conv1d: [
    "dense 16 linear",
    "reshape with shape = [2, 8]",
    "conv 3 tanh with kernel = 3, padding = 1",
    "maxpool with kernel = 2",
    "conv_transpose 2 softplus with kernel = 2, stride = 2",
    "upsample_linear with scale = 2",
    "avgpool with kernel = 3, stride = 1, padding = 1",
    "flatten",
    "dense 3 linear",
  ],
  pool2d: [
    "dense 32 linear",
    "reshape with shape = [2, 4, 4]",
    "upsample_linear with scale = 2",
    "conv 3 tanh with kernel = 3, padding = 1",
    "maxpool with kernel = 3, stride = 2, padding = 1",
    "conv 2 sigmoid with kernel = 3",
    "conv 2 linear with kernel = 1, groups = 2",
    "conv 1 linear with kernel = 3, padding = 1",
  ],
  // torch's exporter folds an eval-mode BatchNorm2d into the Conv before it; the relu after the skip's Add acts on the
  // identity, a 1×1 conv with a group per channel
  resconv: [
    "dense 18 linear",
    "reshape with shape = [2, 3, 3]",
    "skip {",
    "conv 2 relu with kernel = 3, padding = 1",
    "conv 2 linear with kernel = 3, padding = 1",
    "}",
    "conv 2 relu with kernel = 1, groups = 2",
    "flatten",
    "dense 2 linear",
  ],
};
/** The weights' names and shapes: 1-D kernels [out, in, k], the per-channel layer's [C, 1, 1, 1]. */
const KERNELS: Record<string, Record<string, number[]>> = {
  conv1d: { W1: [16, 2], K2: [3, 2, 3], b2: [3], K4: [3, 2, 2], b4: [2], W7: [3, 32] },
  pool2d: { K3: [3, 2, 3, 3], K5: [2, 3, 3, 3], K6: [2, 1, 1, 1], b6: [2], K7: [1, 2, 3, 3] },
  resconv: { K2: [2, 2, 3, 3], b2: [2], K3: [2, 2, 3, 3], b3: [2], K4: [2, 1, 1, 1], W5: [2, 18] },
};

describe("rgnn import: 1-D layers, max pooling, linear upsampling, batch normalisation before a convolution", () => {
  it.each(Object.entries(LAYERS))("%s.onnx: the layers, and torch's output, Jacobian and metric", async (name, layers) => {
    const spec = join(out, `${name}.rgnn`);
    const r = await cli(["import", join(FIXTURES, `${name}.onnx`), "-o", spec]);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(spec, "utf8");
    const lines = text.split("\n");
    const body = lines.slice(lines.findIndex((l) => l.startsWith("network")) + 1, lines.indexOf("}"));
    expect(body.map((l) => l.trim())).toEqual(layers);
    if (name === "pool2d") {
      expect(text).toContain("# layer 5: K and b fold in node '/6/BatchNormalization'");
      expect(text).toContain("the eval-mode batch normalisation before it: K ← K diag(γ/√(var + ε)) per input channel");
      expect(text).toContain("# layer 6: node '/9/BatchNormalization'");
      expect(text).toContain("written as a 1×1 convolution with 2 groups");
    }
    const weights = readSafetensors(readFileSync(spec.replace(/\.rgnn$/, ".safetensors")));
    for (const [key, shape] of Object.entries(KERNELS[name])) expect(weights.get(key)?.shape, key).toEqual(shape);
    const reference = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
    expect(reference.points.length).toBeGreaterThanOrEqual(5);
    for (let k = 0; k < reference.points.length; k++) {
      const e = await cli(["eval", spec, "--at", reference.points[k].join(","), "-f", "json"]);
      expect(e.code, e.err).toBe(0);
      const got = JSON.parse(e.out).points[0];
      expectClose([got.output], [reference.outputs[k]], TOL, `${name} output`);
      expectClose(got.jacobian, reference.jacobians[k], TOL, `${name} Jacobian`);
      expectClose(got.metric, reference.metrics[k], TOL, `${name} metric`);
    }
  });
});

describe("the imported ResNet block on every route", () => {
  it("the symbolic and matrix routes and the NumPy and torch exports give torch's JᵀJ to 1e-10", async () => {
    const spec = join(out, "resconv-routes.rgnn");
    expect((await cli(["import", join(FIXTURES, "resconv.onnx"), "-o", spec])).code).toBe(0);
    const reference = JSON.parse(readFileSync(join(FIXTURES, "resconv.json"), "utf8"));
    const points: number[][] = reference.points.slice(0, 2);
    for (const route of ["symbolic", "matrix"]) {
      process.env.RGNN_ROUTE = route;
      for (let k = 0; k < points.length; k++) {
        const r = await cli(["metric", spec, "--at", points[k].join(","), "--format", "json"]);
        expect(r.code, r.err).toBe(0);
        const got = JSON.parse(r.out);
        expectClose(got.values?.[0]?.metric ?? got.metric, reference.metrics[k], TOL, `${route} metric`);
      }
    }
    delete process.env.RGNN_ROUTE;
    for (const target of ["numpy", "torch"]) {
      const file = join(out, `res_${target}.py`);
      expect((await cli(["export", spec, "-t", target, "-o", file])).code).toBe(0);
    }
    const script =
      "import json, sys, numpy, torch\nsys.path.insert(0, sys.argv[1])\nimport res_numpy, res_torch\nout = []\n" +
      `for p in json.loads('${JSON.stringify(points)}'):\n` +
      "    out.append([numpy.asarray(res_numpy.metric(numpy.array(p))).tolist(),\n" +
      "                res_torch.metric(torch.tensor(p, dtype=torch.float64)).tolist()])\nprint(json.dumps(out))\n";
    const res = spawnSync("/usr/bin/python3", ["-c", script, out], { encoding: "utf8" });
    expect(res.status, res.stderr).toBe(0);
    (JSON.parse(res.stdout) as number[][][][]).forEach(([a, b], k) => {
      expectClose(a, reference.metrics[k], TOL, "numpy export");
      expectClose(b, reference.metrics[k], TOL, "torch export");
    });
  });
});
