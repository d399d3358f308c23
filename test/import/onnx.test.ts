// rgnn import on the committed ONNX fixtures (test/fixtures/onnx/make.py): the imported spec's forward pass,
// Jacobian and metric against the torch model's own, stored as reference JSON by the same script.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import onnxProto from "onnx-proto";
import { importOnnx, OnnxImportError } from "../../src/import/onnx.js";
import { readSafetensors } from "../../src/semantics/safetensors.js";
import { cli, expectClose } from "../helpers.js";
import { FIXTURES, imported } from "./tools.js";

const dir = mkdtempSync(join(tmpdir(), "rgnn-import-"));

interface Reference {
  dtype: "F32" | "F64";
  points: number[][];
  outputs: number[][];
  jacobians: number[][][];
  metrics: number[][][];
}
const reference = (name: string): Reference => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));

const LAYERS: Record<string, string[]> = {
  mlp: ["dense 16 softplus", "dense 16 tanh", "dense 3 linear", "softmax"],
  resmlp: ["dense 4 tanh", "residual tanh", "residual gelu", "residual elu", "residual sigmoid", "dense 2 linear"],
  unscaled: ["residual tanh", "residual sin"],
  decoder: ["dense 32 tanh", "dense 32 relu", "dense 10 linear"],
};

describe("rgnn import", () => {
  for (const [name, layers] of Object.entries(LAYERS)) {
    it(`${name}: the layers, and output, Jacobian and metric as torch computes them`, async () => {
      const spec = await imported(name, dir);
      const text = readFileSync(spec, "utf8");
      expect(
        text
          .split("\n")
          .filter((l) => l.startsWith("  "))
          .map((l) => l.trim()),
      ).toEqual(layers);
      const ref = reference(name);
      const weights = readSafetensors(readFileSync(spec.replace(/\.rgnn$/, ".safetensors")));
      expect(new Set([...weights.values()].map((t) => t.dtype))).toEqual(new Set([ref.dtype]));
      // the reference is the model's function in float64 with its own weights, so F64 agrees to rounding
      const tol = ref.dtype === "F32" ? 1e-6 : 1e-12;
      for (let k = 0; k < ref.points.length; k++) {
        const r = await cli(["eval", spec, "--at", ref.points[k].join(","), "-f", "json"]);
        expect(r.code).toBe(0);
        const got = JSON.parse(r.out).points[0];
        expectClose([got.output], [ref.outputs[k]], tol, `${name} output`);
        expectClose(got.jacobian, ref.jacobians[k], tol, `${name} Jacobian`);
        expectClose(got.metric, ref.metrics[k], tol, `${name} metric`);
      }
    });
  }

  it("the residual step h is read from the scale, and is 1 without one", async () => {
    const h = (name: string) => readSafetensors(readFileSync(join(dir, `${name}.safetensors`))).get("h")?.values[0];
    await imported("resmlp", dir);
    await imported("unscaled", dir);
    expect(h("resmlp")).toBe(0.25);
    expect(h("unscaled")).toBe(1);
  });

  it("an unsupported op is a one-line error naming the node, its op type and position", async () => {
    const r = await cli(["import", join(FIXTURES, "unsupported.onnx"), "-o", join(dir, "u.rgnn")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^rgnn import: .*unsupported\.onnx: node '\/3\/Cos' \(Cos, node 4 of 5\): this operation is not supported/);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });

  it("MatMul + Add reads as an affine map, its B (in × out) transposed to rgnn's W; Identity passes through", () => {
    const { onnx } = onnxProto;
    const F64 = onnx.TensorProto.DataType.DOUBLE;
    const tensor = (name: string, dims: number[], values: number[]) => ({ name, dims, dataType: F64, doubleData: values });
    const value = (name: string, dims: number[]) => ({
      name,
      type: { tensorType: { elemType: F64, shape: { dim: dims.map((d) => (d < 0 ? { dimParam: "batch" } : { dimValue: d })) } } },
    });
    const graph = {
      node: [
        { opType: "Identity", input: ["x"], output: ["x0"], name: "id" },
        { opType: "MatMul", input: ["x0", "B"], output: ["m"], name: "mm" },
        { opType: "Add", input: ["m", "c"], output: ["z"], name: "add" },
        { opType: "Sigmoid", input: ["z"], output: ["y"], name: "act" },
      ],
      initializer: [tensor("B", [2, 3], [1, 2, 3, 4, 5, 6]), tensor("c", [3], [0.5, -0.5, 0])],
      input: [value("x", [-1, 2])],
      output: [value("y", [-1, 3])],
    };
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create({ graph })).finish();
    const net = importOnnx(bytes);
    expect(net.dtype).toBe("F64");
    expect(net.layers).toHaveLength(1);
    expect(net.layers[0]).toMatchObject({ kind: "dense", activation: "sigmoid", inWidth: 2, outWidth: 3 });
    expect([...net.layers[0].W!]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...net.layers[0].b!]).toEqual([0.5, -0.5, 0]);
  });

  it("a file that is not ONNX is refused", () => {
    expect(() => importOnnx(new TextEncoder().encode("manifold M (x)\n"))).toThrow(OnnxImportError);
  });
});
