// `rgnn import` of hostile ONNX models: every tensor's dims, data type, data location and value count are checked,
// and the graph's well-formedness, before anything is written; never "wrote" with NaN weights, never an internal error,
// never a hang on a FIFO or /dev/zero.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { child, cli, folder } from "./tools.js";

const { onnx } = onnxProto;
const T = onnx.TensorProto;
const { dir } = folder("onnx");

type Tensor = onnxProto.onnx.ITensorProto;
const value = (name: string, width: number) => ({
  name,
  type: { tensorType: { elemType: T.DataType.FLOAT, shape: { dim: [{ dimParam: "batch" }, { dimValue: width }] } } },
});
/** x (width 2) → Gemm with weight W and bias b → Tanh → y; `extra` nodes appended. */
function model(W: Tensor, b: Tensor, opts: { inputWidth?: number; extra?: onnxProto.onnx.INodeProto[] } = {}): string {
  const graph = {
    node: [
      { opType: "Gemm", input: ["x", "W", "b"], output: ["z"], name: "fc", attribute: [{ name: "transB", i: 1, type: 2 }] },
      { opType: "Tanh", input: ["z"], output: ["y"], name: "act" },
      ...(opts.extra ?? []),
    ],
    initializer: [W, b],
    input: [value("x", opts.inputWidth ?? 2)],
    output: [value("y", 2)],
  };
  const path = join(dir, `m${Math.random().toString(36).slice(2, 8)}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({ graph })).finish());
  return path;
}
const f32 = (name: string, dims: number[], values: number[]): Tensor => ({ name, dims, dataType: T.DataType.FLOAT, floatData: values });
const GOOD_W = f32("W", [2, 2], [1, 0, 0, 1]),
  GOOD_B = f32("b", [2], [0.5, -0.5]);

/** Imports `path`; the error must be exactly one line naming the model, and nothing may be written. */
async function refused(path: string, message: string) {
  const spec = `${path}.rgnn`;
  const r = await cli(["import", path, "-o", spec]);
  expect(r.code).toBe(1);
  expect(r.out).toBe("");
  expect(r.err).toContain(message);
  expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  expect(existsSync(spec)).toBe(false);
}

describe("tensors", () => {
  it("the good model imports (the cases below differ from it in one thing)", async () => {
    const path = model(GOOD_W, GOOD_B);
    expect((await cli(["import", path, "-o", `${path}.rgnn`])).code).toBe(0);
  });

  it("fewer values than the dims need", async () => {
    await refused(model(f32("W", [2, 2], [1, 0, 0]), GOOD_B), "tensor 'W' has 3 values, but its dims [2, 2] need 4");
  });

  it("data in an external file", async () => {
    const external: Tensor = { name: "W", dims: [2, 2], dataType: T.DataType.FLOAT, dataLocation: T.DataLocation.EXTERNAL };
    external.externalData = [{ key: "location", value: "W.bin" }];
    await refused(model(external, GOOD_B), "tensor 'W' keeps its data in an external file");
  });

  it("float16 weights", async () => {
    const half: Tensor = { name: "W", dims: [2, 2], dataType: T.DataType.FLOAT16, rawData: new Uint8Array(8) };
    await refused(model(half, GOOD_B), "tensor 'W' has data type FLOAT16; rgnn reads FLOAT, DOUBLE and INT64");
  });

  it("dims 100000 × 100000 and an input width of 2^40", async () => {
    await refused(model(f32("W", [100000, 100000], []), GOOD_B), "more than the 268435456 rgnn reads");
    await refused(model(GOOD_W, GOOD_B, { inputWidth: 2 ** 40 }), "input 'x' has width 1099511627776, more than");
  });
});

describe("the graph", () => {
  it("a node writing a value another node already wrote (the Tanh would vanish)", async () => {
    const again = { opType: "Identity", input: ["z"], output: ["y"], name: "again" };
    await refused(model(GOOD_W, GOOD_B, { extra: [again] }), "node 'again' (Identity, node 3 of 3): it writes 'y'");
  });
});

describe("the model file", () => {
  it("a FIFO and /dev/zero are refused at once", () => {
    const fifo = join(dir, "model.onnx");
    execFileSync("mkfifo", [fifo]);
    for (const path of [fifo, "/dev/zero"]) {
      const r = child(["import", path, "-o", join(dir, "fifo.rgnn")]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`cannot read '${path}': not a regular file`);
    }
  });
});
