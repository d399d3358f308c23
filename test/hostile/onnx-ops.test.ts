// `rgnn import` of the ONNX ops that landed with skip blocks and normalisation (LayerNormalization and torch's
// decomposition of it, LogSoftmax, an Add of a skip, the SiLU and Mish patterns, BatchNormalization), each made hostile:
// one line naming the node, exit 1, nothing written; never a spec that does not load, never "wrote" with a wrong map.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { cli, folder, refusedImport } from "./tools.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto;
const { dir } = folder("onnx-ops");
type Tensor = onnxProto.onnx.ITensorProto;
type Node = onnxProto.onnx.INodeProto;
const FLOAT = 1,
  INT = 2,
  INTS = 7;
const value = (name: string, width: number) => ({
  name,
  type: { tensorType: { elemType: T.DataType.FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } },
});
const f32 = (name: string, dims: number[], values: number[]): Tensor => ({ name, dims, dataType: T.DataType.FLOAT, floatData: values });
const W = f32("W", [2, 2], [1, 0.5, -0.5, 1]),
  B = f32("b", [2], [0.1, -0.2]),
  W3 = f32("W3", [3, 2], [1, 0, 0, 1, 1, 1]),
  B3 = f32("b3", [3], [0, 0, 0]);
const gemm = (input: string, output: string, w = "W", b = "b"): Node => ({
  opType: "Gemm",
  input: [input, w, b],
  output: [output],
  name: `fc_${output}`,
  attribute: [{ name: "transB", i: 1, type: INT }],
});
function model(nodes: Node[], initializer: Tensor[], outWidth = 2): string {
  const graph = { node: nodes, initializer, input: [value("x", 2)], output: [value("y", outWidth)] };
  const path = join(dir, `o${Math.random().toString(36).slice(2, 8)}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({ graph, opsetImport: [{ version: 17 }] })).finish());
  return path;
}
const refused = refusedImport;
const ln = (eps: number, axis = -1, scale = "g"): Node => ({
  opType: "LayerNormalization",
  input: ["z", scale, "be"],
  output: ["y"],
  name: "norm",
  attribute: [
    { name: "epsilon", f: eps, type: FLOAT },
    { name: "axis", i: axis, type: INT },
  ],
});
const LN_INIT = [W, B, f32("g", [2], [1, 2]), f32("be", [2], [0, 0.5])];

describe("LayerNormalization", () => {
  it("the good model imports (the cases below differ from it in one thing)", async () => {
    const p = model([gemm("x", "z"), ln(1e-5)], LN_INIT);
    const r = await cli(["import", p, "-o", `${p}.rgnn`]);
    expect(r.code).toBe(0);
    expect(existsSync(`${p}.rgnn`)).toBe(true);
  });
  // var + ε is 0 or negative where the state is constant: the spec written would not load (layer_norm's eps > 0)
  for (const eps of [0, -1, Number.NaN])
    it(`epsilon ${eps}`, async () =>
      refused(model([gemm("x", "z"), ln(eps)], LN_INIT), `a layer normalisation's epsilon must be positive, not ${eps}`));
  it("over the first axis", async () => refused(model([gemm("x", "z"), ln(1e-5, 0)], LN_INIT), "must act on the last axis"));
  it("a scale of the wrong width", async () =>
    refused(
      model([gemm("x", "z"), ln(1e-5, -1, "g3")], [...LN_INIT, f32("g3", [3], [1, 1, 1])]),
      "scale is not a constant vector of length 2",
    ));
  it("torch's decomposition with a negative ε", async () => {
    const nodes: Node[] = [
      gemm("x", "z"),
      { opType: "ReduceMean", input: ["z"], output: ["m"], name: "mean", attribute: [{ name: "axes", ints: [-1], type: INTS }] },
      { opType: "Sub", input: ["z", "m"], output: ["c"], name: "sub" },
      { opType: "Pow", input: ["c", "two"], output: ["c2"], name: "pow" },
      { opType: "ReduceMean", input: ["c2"], output: ["v"], name: "var", attribute: [{ name: "axes", ints: [-1], type: INTS }] },
      { opType: "Add", input: ["v", "eps"], output: ["ve"], name: "addeps" },
      { opType: "Sqrt", input: ["ve"], output: ["s"], name: "sqrt" },
      { opType: "Div", input: ["c", "s"], output: ["n"], name: "div" },
      { opType: "Mul", input: ["n", "g"], output: ["ng"], name: "scale" },
      { opType: "Add", input: ["ng", "be"], output: ["y"], name: "shift" },
    ];
    await refused(model(nodes, [...LN_INIT, f32("two", [], [2]), f32("eps", [], [-1])]), "epsilon must be positive, not -1");
  });
});

describe("LogSoftmax, skips, SiLU and Mish", () => {
  it("LogSoftmax over the first axis", async () =>
    refused(
      model(
        [
          gemm("x", "z"),
          { opType: "LogSoftmax", input: ["z"], output: ["y"], name: "lsm", attribute: [{ name: "axis", i: 0, type: INT }] },
        ],
        [W, B],
      ),
      "log-softmax must act on the last axis",
    ));
  it("an Add of a skip of the wrong width (2 + 3)", async () =>
    refused(
      model([gemm("x", "z", "W3", "b3"), { opType: "Add", input: ["x", "z"], output: ["y"], name: "skip" }], [W3, B3], 3),
      "node 'skip' (Add, node 2 of 2): a skip connection adds x_0 (width 2) to a branch of width 3; they must be equal",
    ));
  it("x·sigmoid(u) of two different affine maps is not SiLU", async () => {
    const nodes: Node[] = [
      gemm("x", "z"),
      gemm("x", "u", "W2", "b"),
      { opType: "Sigmoid", input: ["u"], output: ["s"], name: "sig" },
      { opType: "Mul", input: ["z", "s"], output: ["y"], name: "mul" },
    ];
    await refused(model(nodes, [W, B, f32("W2", [2, 2], [2, 0, 0, 2])]), "node 'mul' (Mul, node 4 of 4): only a scalar step h");
  });
  it("x·tanh(softplus(u)) of two different affine maps is not Mish", async () => {
    const nodes: Node[] = [
      gemm("x", "z"),
      gemm("x", "u", "W2", "b"),
      { opType: "Softplus", input: ["u"], output: ["sp"], name: "sp" },
      { opType: "Tanh", input: ["sp"], output: ["t"], name: "tanh" },
      { opType: "Mul", input: ["z", "t"], output: ["y"], name: "mul" },
    ];
    await refused(model(nodes, [W, B, f32("W2", [2, 2], [2, 0, 0, 2])]), "node 'mul' (Mul, node 5 of 5): only a scalar step h");
  });
  it("BatchNormalization with a NaN variance", async () => {
    const nodes: Node[] = [
      gemm("x", "z"),
      { opType: "BatchNormalization", input: ["z", "g", "be", "mu", "var"], output: ["y"], name: "bn" },
    ];
    const init = [W, B, f32("g", [2], [1, 1]), f32("be", [2], [0, 0]), f32("mu", [2], [0, 0]), f32("var", [2], [Number.NaN, 1])];
    await refused(model(nodes, init), "node 'bn' (BatchNormalization, node 2 of 2): its variance + epsilon is NaN at channel 1");
  });
});
