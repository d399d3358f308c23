// rgnn import of shaped layers (test/fixtures/onnx/make_shaped.py): torch 1.13 decoders in float64 exported at opset
// 17 — Reshape from a constant and from a Shape/Gather/Concat chain, Unsqueeze, Flatten, Conv, ConvTranspose, Resize,
// AveragePool (after torch's Pad), BatchNorm2d folded into a ConvTranspose — imported, and their output, Jacobian and
// metric at five points against torch.autograd's, stored by the same script, to 1e-10.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../src/semantics/safetensors.js";
import { cli, expectClose } from "../helpers.js";
import { FIXTURES } from "./tools.js";

const ROOT = join(import.meta.dirname, "../..");
const out = mkdtempSync(join(tmpdir(), "rgnn-import-shaped-"));
const TOL = 1e-10;

const DECODER = [
  "dense 32 linear",
  "reshape with shape = [8, 2, 2]",
  "conv_transpose 4 softplus with kernel = 2, stride = 2",
  "conv_transpose 2 softplus with kernel = 2, stride = 2",
  "conv 1 sigmoid with kernel = 3, padding = 1",
];
const SHAPES = [
  "dense 18 linear",
  "reshape with shape = [2, 3, 3]",
  "upsample with scale = 2",
  "conv 4 tanh with kernel = 3, padding = 1, groups = 2",
  "avgpool with kernel = 2",
  "conv_transpose 2 silu with kernel = 3, stride = 2, padding = 1, output_padding = 1",
  "conv 2 linear with kernel = 3, stride = 2, padding = 2, dilation = 2",
  "flatten",
  "dense 3 linear",
];
const UNSQUEEZE = [
  "dense 4 tanh",
  "reshape with shape = [4, 1, 1]",
  "conv_transpose 2 sigmoid with kernel = 3",
  "avgpool with kernel = 3, stride = 1, padding = 1",
  "conv 1 linear with kernel = 3",
];

/** The weights' names and shapes: kernels in torch's layout, one bias per output channel, named as the layers read them. */
const KERNELS: Record<string, Record<string, number[]>> = {
  convdec: { W1: [32, 2], b1: [32], K2: [8, 4, 2, 2], b2: [4], K3: [4, 2, 2, 2], b3: [2], K4: [1, 2, 3, 3], b4: [1] },
  shapes: { W1: [18, 2], b1: [18], K3: [4, 1, 3, 3], b3: [4], K5: [4, 2, 3, 3], b5: [2], K6: [2, 2, 3, 3], b6: [2], W7: [3, 18], b7: [3] },
};

describe("rgnn import: convolutions, reshapes, upsampling and pooling", () => {
  it.each([
    ["convdec", DECODER],
    ["convdecbn", DECODER],
    ["shapes", SHAPES],
    ["unsqueeze", UNSQUEEZE],
  ])("%s.onnx: the layers, and torch's output, Jacobian and metric", async (name, layers) => {
    const spec = join(out, `${name}.rgnn`);
    const r = await cli(["import", join(FIXTURES, `${name}.onnx`), "-o", spec]);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(spec, "utf8");
    const lines = text.split("\n");
    const body = lines.slice(lines.findIndex((l) => l.startsWith("network")) + 1, lines.indexOf("}"));
    expect(body.map((l) => l.trim())).toEqual(layers);
    const folds = name === "convdecbn" || name === "shapes";
    expect(text.includes("K and b fold in node") && text.includes("K ← diag(γ/√(var + ε)) K per output channel")).toBe(folds);
    const weights = readSafetensors(readFileSync(spec.replace(/\.rgnn$/, ".safetensors")));
    for (const [key, shape] of Object.entries(KERNELS[name] ?? {})) expect(weights.get(key)?.shape, key).toEqual(shape);
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

  it("the digits VAE's trained decoder (examples/digits-vae/decoder.onnx) against its torch reference", async () => {
    const spec = join(out, "digits.rgnn");
    const r = await cli(["import", join(ROOT, "examples/digits-vae/decoder.onnx"), "-o", spec]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(spec, "utf8")).toContain(
      "  dense 128 linear\n  reshape with shape = [32, 2, 2]\n  conv_transpose 16 softplus with kernel = 2, stride = 2\n",
    );
    const reference = JSON.parse(readFileSync(join(ROOT, "test/fixtures/digits-vae/reference.json"), "utf8"));
    expect(reference.metric.length).toBeGreaterThanOrEqual(5);
    for (const { point, image, jacobian, metric } of reference.metric) {
      const e = await cli(["eval", spec, "--at", point.join(","), "-f", "json"]);
      expect(e.code, e.err).toBe(0);
      const got = JSON.parse(e.out).points[0];
      expectClose([got.output], [image], TOL, "digits image");
      expectClose(got.jacobian, jacobian, TOL, "digits Jacobian");
      expectClose(got.metric, metric, TOL, "digits metric");
    }
  });

  it("the batch normalisation changes the kernel it folds into, channel by channel, and nothing else", async () => {
    const read = async (name: string) => {
      const spec = join(out, `${name}-fold.rgnn`);
      expect((await cli(["import", join(FIXTURES, `${name}.onnx`), "-o", spec])).code).toBe(0);
      return readSafetensors(readFileSync(spec.replace(/\.rgnn$/, ".safetensors")));
    };
    const [plain, bn] = [await read("convdec"), await read("convdecbn")];
    // the same seed makes the same layers: only K2 and b2 differ, each output channel (axis 1 of [8, 4, 2, 2]) by one factor
    for (const key of ["W1", "b1", "K3", "b3", "K4", "b4"]) expect([...bn.get(key)!.values]).toEqual([...plain.get(key)!.values]);
    const k0 = plain.get("K2")!.values,
      k1 = bn.get("K2")!.values;
    for (let co = 0; co < 4; co++) {
      const ratios = [];
      for (let ci = 0; ci < 8; ci++) for (let t = 0; t < 4; t++) ratios.push(k1[(ci * 4 + co) * 4 + t] / k0[(ci * 4 + co) * 4 + t]);
      for (const q of ratios) expect(q).toBeCloseTo(ratios[0], 12);
    }
  });

  it("a BatchNorm1d, then a Flatten of the vector, folds into the Gemm after it: W diag(s), b + W(β − sμ)", async () => {
    const { onnx } = onnxProto;
    const f = (name: string, dims: number[], floatData: number[]) => ({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData });
    const io = (name: string, w: number) => ({
      name,
      type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "batch" }, { dimValue: w }] } } },
    });
    const graph = {
      node: [
        {
          opType: "BatchNormalization",
          input: ["x", "g", "beta", "mu", "var"],
          output: ["n"],
          name: "bn",
          attribute: [{ name: "epsilon", f: 1, type: 1 }],
        },
        { opType: "Flatten", input: ["n"], output: ["v"], name: "flat", attribute: [{ name: "axis", i: 1, type: 2 }] },
        { opType: "Gemm", input: ["v", "W", "b"], output: ["y"], name: "fc", attribute: [{ name: "transB", i: 1, type: 2 }] },
      ],
      // s = γ/√(var + ε) = [1/2, 1], β − sμ = [−1/2, 1]: W' = [[1/2, 2]], b' = 1/2 + 1·(−1/2) + 2·1 = 2
      initializer: [
        f("g", [2], [1, 1]),
        f("beta", [2], [0, 0]),
        f("mu", [2], [1, -1]),
        f("var", [2], [3, 0]),
        f("W", [1, 2], [1, 2]),
        f("b", [1], [0.5]),
      ],
      input: [io("x", 2)],
      output: [io("y", 1)],
    };
    const path = join(out, "bnflat.onnx");
    writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({ graph })).finish());
    expect((await cli(["import", path, "-o", join(out, "bnflat.rgnn")])).code).toBe(0);
    const w = readSafetensors(readFileSync(join(out, "bnflat.safetensors")));
    expect([...w.get("W1")!.values]).toEqual([0.5, 2]);
    expect([...w.get("b1")!.values]).toEqual([2]);
  });
});
