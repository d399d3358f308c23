// `rgnn import` of hostile ONNX models: every tensor's dims, data type, data location and value count are checked,
// and the graph's well-formedness, before anything is written; never "wrote" with NaN weights, never an internal error,
// never a hang on a FIFO or /dev/zero.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { child, cli, folder, refusedImport } from "./tools.js";

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

const refused = refusedImport;

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
  it("an ONNX model or other binary file where a spec is expected: one line saying what it is, not a parse error", () => {
    const onnxFile = join(dir, "model-as-spec.onnx");
    writeFileSync(onnxFile, readFileSync(join(import.meta.dirname, "../fixtures/onnx/bnsilu.onnx")));
    const renamed = join(dir, "model.bin");
    writeFileSync(renamed, readFileSync(onnxFile));
    const binary = join(dir, "zero.rgnn");
    writeFileSync(binary, "manifold M (x)\n\0");
    const cases: [string[], string, string][] = [
      [
        ["metric", onnxFile, "--at", "0,0"],
        "",
        `${onnxFile}: error: it is an ONNX model, not a spec: run \`rgnn import ${onnxFile}\` first`,
      ],
      [["check", renamed], "", `${renamed}: error: it is an ONNX model, not a spec: run \`rgnn import ${renamed}\` first`],
      [
        ["check", "-"],
        readFileSync(onnxFile, "latin1"),
        "<stdin>: error: standard input is an ONNX model, not a spec: run `rgnn import FILE.onnx`",
      ],
      [
        ["check", binary],
        "",
        `${binary}: error: it is a binary file (a zero byte at offset 15), not a spec: rgnn reads specs as UTF-8 text`,
      ],
    ];
    for (const [args, input, message] of cases) {
      const r = child(args, { input });
      expect(r.code).toBe(1);
      expect(r.err).toContain(message);
      expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    }
  });

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

describe("activations and batch normalisation", () => {
  /** x (width 2) → `nodes` → y, with the given initializers; float32 like the models above. */
  function graph(nodes: onnxProto.onnx.INodeProto[], initializer: Tensor[], outWidth = 2): string {
    const g = { node: nodes, initializer, input: [value("x", 2)], output: [value("y", outWidth)] };
    const path = join(dir, `a${Math.random().toString(36).slice(2, 8)}.onnx`);
    writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({ graph: g })).finish());
    return path;
  }
  const FLOAT = 1,
    gemm = (input: string, output: string) => ({
      opType: "Gemm",
      input: [input, "W", "b"],
      output: [output],
      name: `fc_${output}`,
      attribute: [{ name: "transB", i: 1, type: 2 }],
    });
  /** BatchNormalization of `input` with γ, β, μ, var given (2 channels unless the vectors say otherwise). */
  const bn = (input: string, output: string, stats: { gamma?: number[]; var?: number[]; mean?: number[] } = {}) => ({
    nodes: [{ opType: "BatchNormalization", input: [input, "g", "be", "mu", "var"], output: [output], name: "bn" }],
    init: [
      f32("g", [(stats.gamma ?? [1, 2]).length], stats.gamma ?? [1, 2]),
      f32("be", [2], [0.1, -0.1]),
      f32("mu", [(stats.mean ?? [0.5, 0]).length], stats.mean ?? [0.5, 0]),
      f32("var", [(stats.var ?? [1, 4]).length], stats.var ?? [1, 4]),
    ],
  });

  it("LeakyRelu with a slope other than 0.01", async () => {
    const leaky = { opType: "LeakyRelu", input: ["z"], output: ["y"], name: "leaky", attribute: [{ name: "alpha", f: 0.2, type: FLOAT }] };
    await refused(
      graph([gemm("x", "z"), leaky], [GOOD_W, GOOD_B]),
      "node 'leaky' (LeakyRelu, node 2 of 2): rgnn's leaky_relu has slope 0.01 (torch's default); this one has alpha = 0.2",
    );
  });

  it("Clip to bounds other than [-1, 1] (ReLU6), as inputs and as opset-6 attributes", async () => {
    const relu6 = { opType: "Clip", input: ["z", "lo", "hi"], output: ["y"], name: "clip" };
    await refused(
      graph([gemm("x", "z"), relu6], [GOOD_W, GOOD_B, f32("lo", [], [0]), f32("hi", [], [6])]),
      "node 'clip' (Clip, node 2 of 2): a Clip is read as hardtanh, which clips to [-1, 1]; this one clips to [0, 6]",
    );
    const old = { opType: "Clip", input: ["z"], output: ["y"], name: "clip", attribute: [{ name: "min", f: -2, type: FLOAT }] };
    await refused(graph([gemm("x", "z"), old], [GOOD_W, GOOD_B]), "this one clips to [-2, Infinity]");
    const vector = { opType: "Clip", input: ["z", "lo", "hi"], output: ["y"], name: "clip" };
    await refused(
      graph([gemm("x", "z"), vector], [GOOD_W, GOOD_B, f32("lo", [2], [-1, -1]), f32("hi", [], [1])]),
      "node 'clip' (Clip, node 2 of 2): its min is not a constant scalar",
    );
  });

  it("BatchNormalization with variance + ε zero or negative", async () => {
    // a channel that never varied, exported with ε = 0: 0 under the root
    const zero = bn("z", "y", { var: [1, 0] });
    zero.nodes[0] = { ...zero.nodes[0], attribute: [{ name: "epsilon", f: 0, type: FLOAT }] } as (typeof zero.nodes)[0];
    await refused(
      graph([gemm("x", "z"), ...zero.nodes], [GOOD_W, GOOD_B, ...zero.init]),
      "node 'bn' (BatchNormalization, node 2 of 2): its variance + epsilon is 0 at channel 2",
    );
    const negative = bn("z", "y", { var: [-3, 1] });
    await refused(
      graph([gemm("x", "z"), ...negative.nodes], [GOOD_W, GOOD_B, ...negative.init]),
      "its variance + epsilon is -2.99999 at channel 1 (variance -3, epsilon 0.00001); it must be positive",
    );
  });

  it("BatchNormalization whose statistics do not match its input's width", async () => {
    const three = bn("z", "y", { gamma: [1, 2, 3] });
    await refused(
      graph([gemm("x", "z"), ...three.nodes], [GOOD_W, GOOD_B, ...three.init]),
      "node 'bn' (BatchNormalization, node 2 of 2): its scale γ is not a constant vector of length 2, the width of its input",
    );
    const one = bn("z", "y", { var: [1] });
    await refused(
      graph([gemm("x", "z"), ...one.nodes], [GOOD_W, GOOD_B, ...one.init]),
      "its variance is not a constant vector of length 2",
    );
  });

  it("BatchNormalization in training mode", async () => {
    const train = bn("z", "y");
    train.nodes[0] = { ...train.nodes[0], attribute: [{ name: "training_mode", i: 1, type: 2 }] } as (typeof train.nodes)[0];
    await refused(
      graph([gemm("x", "z"), ...train.nodes], [GOOD_W, GOOD_B, ...train.init]),
      "node 'bn' (BatchNormalization, node 2 of 2): only inference mode is read (training_mode 0, one output)",
    );
  });

  it("BatchNormalization with no affine map before or after it: at the output, and before an activation", async () => {
    const NOT = "rgnn reads an eval-mode batch normalisation folded into the affine map (Gemm or MatMul) before or after it";
    const last = bn("t", "y");
    const tanh = { opType: "Tanh", input: ["z"], output: ["t"], name: "tanh" };
    await refused(
      graph([gemm("x", "z"), tanh, ...last.nodes], [GOOD_W, GOOD_B, ...last.init]),
      `node 'bn' (BatchNormalization, node 3 of 3): ${NOT}, and this one has neither`,
    );
    const first = bn("x", "n");
    const act = { opType: "Sigmoid", input: ["n"], output: ["y"], name: "act" };
    await refused(graph([...first.nodes, act], [GOOD_W, GOOD_B, ...first.init]), `node 'bn' (BatchNormalization, node 1 of 2): ${NOT}`);
  });
});

describe("shaped layers", () => {
  const ints = (name: string, v: number[]) => ({ name, ints: v, type: 7 });
  const int = (name: string, v: number) => ({ name, i: v, type: 2 });
  const i64 = (name: string, values: number[]): Tensor => ({ name, dims: [values.length], dataType: T.DataType.INT64, int64Data: values });
  /** x (width 8) → Reshape to `shape` → one node `op` reading it (with `inputs` after it) → y. */
  function shaped(
    op: string,
    attribute: object[],
    opts: { shape?: number[]; kernel?: number[]; inputs?: string[]; extra?: Tensor[]; reshape?: boolean } = {},
  ): string {
    const kernel = opts.kernel ?? [1, 2, 1, 1];
    const initializer = [
      i64("shape", opts.shape ?? [-1, 2, 2, 2]),
      f32("K", kernel, Array(kernel.reduce((a, b) => a * b, 1)).fill(0.5)),
      ...(opts.extra ?? []),
    ];
    const node = [
      { opType: "Reshape", input: ["x", "shape"], output: ["img"], name: "view" },
      { opType: op, input: [opts.reshape === false ? "x" : "img", ...(opts.inputs ?? ["K"])], output: ["y"], name: "layer", attribute },
    ];
    const graph = { node, initializer, input: [value("x", 8)], output: [value("y", 8)] };
    const path = join(dir, `s${Math.random().toString(36).slice(2, 8)}.onnx`);
    writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.create({ graph })).finish());
    return path;
  }

  it("the good model imports: a 1×1 convolution of a 2×2×2 image", async () => {
    const path = shaped("Conv", [ints("kernel_shape", [1, 1])]);
    const r = await cli(["import", path, "-o", `${path}.rgnn`]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(`${path}.rgnn`, "utf8")).toContain("reshape with shape = [2, 2, 2]\n  conv 1 linear with kernel = 1\n");
  });

  it("strides of 0, -1 and 2^40", async () => {
    for (const s of [0, -1, 2 ** 40])
      await refused(shaped("Conv", [ints("strides", [s, 1])]), `node 'layer' (Conv, node 2 of 2): its strides [${s}, 1] has ${s}`);
  });

  it("a kernel larger than the padded input", async () => {
    await refused(
      shaped("Conv", [], { kernel: [1, 2, 5, 5] }),
      "on its 2×2×2 input: the kernel spans 5 along the height (kernel 5, dilation 1), more than the padded input's 2",
    );
    await refused(
      shaped("AveragePool", [ints("kernel_shape", [3, 3])], { inputs: [] }),
      "the kernel (3) is larger than the padded input's height (2)",
    );
  });

  it("asymmetric pads", async () => {
    await refused(shaped("Conv", [ints("pads", [0, 0, 1, 1])]), "its pads [0, 0, 1, 1] differ at the start and end of an axis");
  });

  it("a reshape whose numbers do not multiply out, and one that drops the batch axis", async () => {
    await refused(
      shaped("Conv", [], { shape: [-1, 3, 2, 2] }),
      "its shape [-1, 3, 2, 2] does not multiply out to the 8 values of its input",
    );
    await refused(shaped("Conv", [], { shape: [2, 2, 2] }), "its shape [2, 2, 2] does not keep the batch axis first");
  });

  it("a group that does not divide the channels, and a kernel that does not match them", async () => {
    await refused(shaped("Conv", [int("group", 3)], { kernel: [3, 1, 1, 1] }), "2 input channels do not divide into 3 groups");
    await refused(shaped("Conv", [], { kernel: [1, 3, 1, 1] }), "kernel is 1×3×1×1, but 2 input channels in 1 groups need 1×2×1×1");
  });

  it("a transposed convolution's output padding as large as its stride", async () => {
    await refused(
      shaped("ConvTranspose", [ints("strides", [2, 2]), ints("output_padding", [2, 2])], { kernel: [2, 1, 2, 2] }),
      "the output padding along the height (2) must be smaller than the stride or the dilation (2)",
    );
  });

  it("a Resize by 1.5, and one by a bilinear mode", async () => {
    const mode = (m: string) => ({ name: "mode", s: new TextEncoder().encode(m), type: 3 });
    const asym = { name: "coordinate_transformation_mode", s: new TextEncoder().encode("asymmetric"), type: 3 };
    const floor = { name: "nearest_mode", s: new TextEncoder().encode("floor"), type: 3 };
    const scales = [f32("scales", [4], [1, 1, 1.5, 1.5])];
    await refused(
      shaped("Resize", [mode("nearest"), asym, floor], { inputs: ["", "scales"], extra: scales }),
      "its scales [1, 1, 1.5, 1.5] are not [1, 1, f_h, f_w] with whole factors",
    );
    await refused(
      shaped("Resize", [mode("linear")], { inputs: ["", "scales"], extra: scales }),
      "its scales [1, 1, 1.5, 1.5] are not [1, 1, f_h, f_w] with whole factors",
    );
    await refused(shaped("Resize", [mode("cubic")], { inputs: ["", "scales"], extra: scales }), "rgnn reads nearest and (bi)linear");
  });

  it("a linear Resize with align_corners, and a linear Upsample (asymmetric)", async () => {
    const text = (name: string, v: string) => ({ name, s: new TextEncoder().encode(v), type: 3 });
    const scales = [f32("scales", [4], [1, 1, 2, 2])];
    await refused(
      shaped("Resize", [text("mode", "linear"), text("coordinate_transformation_mode", "align_corners")], {
        inputs: ["", "scales"],
        extra: scales,
      }),
      "its coordinate_transformation_mode is 'align_corners'; rgnn's upsample_linear is torch's align_corners = False",
    );
    await refused(
      shaped("Upsample", [text("mode", "linear")], { inputs: ["scales"], extra: scales }),
      "an Upsample's linear mode samples at o/f (asymmetric), not torch's align_corners = False",
    );
  });

  // the same on a 2×4 (channels × length) state, and max pooling
  const oneD = { shape: [-1, 2, 4], kernel: [1, 2, 1] };
  it("the good 1-D model imports: a 1-D convolution and a max pooling", async () => {
    const path = shaped("Conv", [ints("kernel_shape", [1])], oneD);
    const r = await cli(["import", path, "-o", `${path}.rgnn`]);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(`${path}.rgnn`, "utf8")).toContain("reshape with shape = [2, 4]\n  conv 1 linear with kernel = 1\n");
    const pool = shaped("MaxPool", [ints("kernel_shape", [2]), ints("strides", [2])], { ...oneD, inputs: [] });
    const p = await cli(["import", pool, "-o", `${pool}.rgnn`]);
    expect(p.code, p.err).toBe(0);
    expect(readFileSync(`${pool}.rgnn`, "utf8")).toContain("reshape with shape = [2, 4]\n  maxpool with kernel = 2\n");
  });

  it("1-D strides of 0, -1 and 2^40, and 2-D strides on a 1-D state", async () => {
    for (const s of [0, -1, 2 ** 40])
      await refused(shaped("Conv", [ints("strides", [s])], oneD), `node 'layer' (Conv, node 2 of 2): its strides [${s}] has ${s}`);
    await refused(shaped("Conv", [ints("strides", [1, 1])], oneD), "its strides has 2 entries; its input is 1-D (1 entry)");
    await refused(
      shaped("MaxPool", [ints("kernel_shape", [2]), ints("strides", [-2])], { ...oneD, inputs: [] }),
      "its strides [-2] has -2; each must be a whole number from 1",
    );
  });

  it("a 1-D kernel longer than the padded input, a 2-D kernel on a 1-D state, a pooling window past the image", async () => {
    await refused(
      shaped("Conv", [], { ...oneD, kernel: [1, 2, 7] }),
      "on its 2×4 input: the kernel spans 7 along the length (kernel 7, dilation 1), more than the padded input's 4",
    );
    await refused(shaped("Conv", [], { ...oneD, kernel: [1, 2, 1, 1] }), "its kernel is not a constant 3-D tensor (its input is 2×4");
    await refused(
      shaped("MaxPool", [ints("kernel_shape", [3, 3])], { inputs: [] }),
      "the kernel (3) is larger than the padded input's height (2)",
    );
  });

  it("max pooling with ceil_mode or dilations", async () => {
    const pool = (attribute: object[]) => shaped("MaxPool", [ints("kernel_shape", [2, 2]), ...attribute], { inputs: [] });
    await refused(pool([int("ceil_mode", 1)]), "node 'layer' (MaxPool, node 2 of 2): ceil_mode 1 is not read");
    await refused(pool([ints("dilations", [2, 2])]), "its dilations [2, 2] are not read: rgnn's maxpool has no dilation");
  });

  it("a 1-D reshape that does not multiply out, and 1-D linear scales of 1.5", async () => {
    await refused(shaped("Conv", [], { ...oneD, shape: [-1, 3, 2] }), "its shape [-1, 3, 2] does not multiply out to the 8 values");
    const text = (name: string, v: string) => ({ name, s: new TextEncoder().encode(v), type: 3 });
    await refused(
      shaped("Resize", [text("mode", "linear")], { ...oneD, inputs: ["", "scales"], extra: [f32("scales", [3], [1, 1, 1.5])] }),
      "its scales [1, 1, 1.5] are not [1, 1, f] with whole factors from 1 to 65536 (its input is 2×4)",
    );
  });

  it("a convolution of a vector", async () => {
    await refused(
      shaped("Conv", [], { reshape: false }),
      "it reads a vector of width 8; reshape it to channels × height × width (or channels × length) first",
    );
  });
});
