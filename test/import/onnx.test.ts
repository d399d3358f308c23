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
  // make_activations.py, torch 1.13 at opset 17: SiLU, Mish and Hardtanh from their decompositions, BatchNorm1d folded
  bnsilu: ["dense 16 silu", "dense 16 mish", "dense 16 leaky_relu", "dense 8 hardtanh", "dense 3 linear"],
  bnafter: ["dense 8 tanh", "dense 3 linear"],
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

  it("a folded batch normalisation is said, in the spec's header and on standard output", async () => {
    const r = await cli(["import", join(FIXTURES, "bnafter.onnx"), "-o", join(dir, "bn.rgnn")]);
    expect(r.code).toBe(0);
    const notes = [
      "layer 1: W and b fold in node '/0/BatchNormalization' (BatchNormalization, node 1 of 5), the eval-mode batch " +
        "normalisation before it: W ← W diag(γ/√(var + ε)), b ← b + W(β − γμ/√(var + ε))",
      "layer 2: W and b fold in node '/3/BatchNormalization' (BatchNormalization, node 4 of 5), the eval-mode batch " +
        "normalisation before it: W ← W diag(γ/√(var + ε)), b ← b + W(β − γμ/√(var + ε))",
    ];
    expect(r.out.trimEnd().split("\n")).toEqual(notes);
    const header = readFileSync(join(dir, "bn.rgnn"), "utf8").split("\n").slice(1, 3);
    expect(header).toEqual(notes.map((n) => `# ${n}.`));
  });

  it("rgnn metric (or any command reading a spec) given the ONNX model says to import it first", async () => {
    const model = join(FIXTURES, "bnsilu.onnx");
    for (const command of [
      ["metric", model, "--at", "0,0"],
      ["check", model],
      ["derive", model],
    ]) {
      const r = await cli(command);
      expect(r.code).toBe(1);
      expect(r.err.trimEnd()).toBe(
        `${model}: error: it is an ONNX model, not a spec: run \`rgnn import ${model}\` first (it writes the spec and its weights)`,
      );
    }
  });

  describe("activations and batch normalisation by hand", () => {
    const { onnx } = onnxProto;
    const F64 = onnx.TensorProto.DataType.DOUBLE;
    const tensor = (name: string, dims: number[], values: number[]) => ({ name, dims, dataType: F64, doubleData: values });
    const value = (name: string, width: number) => ({
      name,
      type: { tensorType: { elemType: F64, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } },
    });
    /** x (width 2) → nodes → y; the imported network. */
    const net = (node: onnxProto.onnx.INodeProto[], initializer: ReturnType<typeof tensor>[], outWidth = 2) =>
      importOnnx(
        onnx.ModelProto.encode(
          onnx.ModelProto.create({ graph: { node, initializer, input: [value("x", 2)], output: [value("y", outWidth)] } }),
        ).finish(),
      );
    // B = [[1, 2], [3, 4]] (in × out): W = Bᵀ = [[1, 3], [2, 4]]
    const B = tensor("B", [2, 2], [1, 2, 3, 4]),
      c = tensor("c", [2], [0.5, -1]);
    const affine = [
      { opType: "MatMul", input: ["x", "B"], output: ["m"] },
      { opType: "Add", input: ["m", "c"], output: ["z"] },
    ];

    it("x·sigmoid(x) is silu and x·tanh(softplus(x)) mish, whichever side of the Mul the x is on; opset 18's Mish op too", () => {
      const silu = net(
        [...affine, { opType: "Sigmoid", input: ["z"], output: ["s"] }, { opType: "Mul", input: ["s", "z"], output: ["y"] }],
        [B, c],
      );
      expect(silu.layers.map((l) => [l.kind, l.activation])).toEqual([["dense", "silu"]]);
      expect([...silu.layers[0].W!]).toEqual([1, 3, 2, 4]);
      const decomposed = [
        { opType: "Softplus", input: ["z"], output: ["p"] },
        { opType: "Tanh", input: ["p"], output: ["t"] },
        { opType: "Mul", input: ["z", "t"], output: ["y"] },
      ];
      expect(net([...affine, ...decomposed], [B, c]).layers[0].activation).toBe("mish");
      expect(net([...affine, { opType: "Mish", input: ["z"], output: ["y"] }], [B, c]).layers[0].activation).toBe("mish");
      // tanh of softplus alone stays two layers' worth of error: it is not an activation of the affine map
      expect(() => net([...affine, ...decomposed.slice(0, 2), { opType: "Identity", input: ["t"], output: ["y"] }], [B, c])).toThrow(
        /is not a layer's output/,
      );
      // x·sigmoid(y) of another affine map y is no silu
      const other = [
        ...affine,
        { opType: "MatMul", input: ["x", "B"], output: ["m2"] },
        { opType: "Sigmoid", input: ["m2"], output: ["s"] },
        { opType: "Mul", input: ["z", "s"], output: ["y"], name: "mul" },
      ];
      expect(() => net(other, [B, c])).toThrow(/node 'mul' \(Mul, node 5 of 5\): only a scalar step h times an activation, x·sigmoid/);
    });

    it("LeakyRelu's float32 alpha 0.00999999977 is torch's 0.01; Clip(-1, 1) is hardtanh", () => {
      const leaky = { opType: "LeakyRelu", input: ["z"], output: ["y"], attribute: [{ name: "alpha", f: 0.01, type: 1 }] };
      expect(net([...affine, leaky], [B, c]).layers[0].activation).toBe("leaky_relu");
      expect(net([...affine, { opType: "LeakyRelu", input: ["z"], output: ["y"] }], [B, c]).layers[0].activation).toBe("leaky_relu");
      const clip = { opType: "Clip", input: ["z", "lo", "hi"], output: ["y"] };
      expect(net([...affine, clip], [B, c, tensor("lo", [], [-1]), tensor("hi", [], [1])]).layers[0].activation).toBe("hardtanh");
    });

    it("a batch normalisation after the affine map folds into it: W' = diag(k)W, b' = k(b − μ) + β, k = γ/√(var + ε)", () => {
      // γ = (2, 1), β = (0.1, 0), μ = (1, −2), var = (3, 0.25), ε = 1 (exact in float32): k = (2/2, 1/√1.25)
      const stats = [tensor("g", [2], [2, 1]), tensor("be", [2], [0.1, 0]), tensor("mu", [2], [1, -2]), tensor("v", [2], [3, 0.25])];
      const bn = (input: string, output: string) => ({
        opType: "BatchNormalization",
        input: [input, "g", "be", "mu", "v"],
        output: [output],
        attribute: [{ name: "epsilon", f: 1, type: 1 }],
      });
      const after = net([...affine, bn("z", "n"), { opType: "Tanh", input: ["n"], output: ["y"] }], [B, c, ...stats]);
      const k2 = 1 / Math.sqrt(1.25);
      expect(after.layers).toHaveLength(1);
      expect(after.layers[0].activation).toBe("tanh");
      expectClose([[...after.layers[0].W!]], [[1, 3, 2 * k2, 4 * k2]], 1e-15, "W'");
      expectClose([[...after.layers[0].b!]], [[0.5 - 1 + 0.1, k2 * (-1 + 2)]], 1e-15, "b'");
      expect(after.notes).toHaveLength(1);
      // before it (on the input): W' = W diag(k), b' = b + W(β − kμ); k = (1, k2), β − kμ = (−0.9, 2k2)
      const before = net(
        [bn("x", "n"), { opType: "MatMul", input: ["n", "B"], output: ["m"] }, { opType: "Add", input: ["m", "c"], output: ["y"] }],
        [B, c, ...stats],
      );
      expectClose([[...before.layers[0].W!]], [[1, 3 * k2, 2, 4 * k2]], 1e-15, "W'");
      expectClose([[...before.layers[0].b!]], [[0.5 - 0.9 + 3 * 2 * k2, -1 - 1.8 + 4 * 2 * k2]], 1e-15, "b'");
    });
  });

  it("a file that is not ONNX is refused", () => {
    expect(() => importOnnx(new TextEncoder().encode("manifold M (x)\n"))).toThrow(OnnxImportError);
  });
});
