// An ONNX graph read as an rgnn network: the nodes are walked in their (topological) order, each value
// tracked as what it is in a layer stack — a network state x_k, an affine map W x_k + b of one, an
// activation of that, h times an activation — and a layer is emitted when a state is needed again.
// Which ONNX ops are activations is the function registry's business (an op whose lower-cased name is
// a registry activation), and the layers written are the kinds of core/layers.
import { EXIT, RgnnError } from "../core/errors.js";
import onnxProto from "onnx-proto";
import { ACTIVATION_FUNCTIONS, type ActivationFunction, DEFAULT_ACTIVATION, type FunctionDef, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS, type LayerKind, MAX_SKIP } from "../core/layers/index.js";
import { isGeometryError, type OptionName, type OptionSpec, type Options, type Shape, shapeText, sizeOf } from "../core/layers/shape.js";
import { writeSafetensors } from "../semantics/safetensors.js";
import { escapeControls } from "../syntax/diagnostics.js";
import { clip } from "../syntax/text.js";

const { onnx } = onnxProto;

// The kinds an ONNX graph is read as, named through the table so that the compiler checks each one exists.
const DENSE = LAYER_KINDS.dense.keyword,
  RESIDUAL = LAYER_KINDS.residual.keyword,
  SOFTMAX = LAYER_KINDS.softmax.keyword,
  LOG_SOFTMAX = LAYER_KINDS.log_softmax.keyword,
  LAYER_NORM = LAYER_KINDS.layer_norm.keyword;
/** layer_norm's ε when a spec gives none (written into the spec only when a model's differs). */
const DEFAULT_EPS = LAYER_KINDS.layer_norm.params.find((p) => p.name === "eps")?.default;

export class OnnxImportError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** A name from the model in a message: control characters escaped (an ESC would act on the terminal), cut to 40. */
const shown = (name: string | null | undefined) => clip(escapeControls(name ?? ""));

/** A tensor of the graph's constants, row-major. */
interface Tensor {
  dims: number[];
  values: Float64Array;
  dtype: "F32" | "F64" | "other";
}

/** One imported layer: its kind (a key of LAYER_KINDS), activation, and parameters. */
export interface ImportedLayer {
  kind: LayerKind;
  activation: ActivationFunction;
  inWidth: number;
  outWidth: number;
  /** out × in, row-major. */
  W?: Float64Array;
  b?: Float64Array;
  h?: number;
  /** layer_norm's ε. */
  eps?: number;
  /** A shaped layer's options, its output shape and (a convolution's) kernel shape; W is then the kernel, b one bias
   *  per output channel. */
  options?: Options;
  outShape?: Shape;
  kernelDims?: number[];
  /** A skip block's last layer (kind skip_k) that is a convolution: the shaped kind it is written as. */
  shapedKind?: LayerKind;
}

export interface ImportedNetwork {
  inputDim: number;
  layers: ImportedLayer[];
  /** F64 when the model's weights are double precision. */
  dtype: "F32" | "F64";
  /** What the import changed in the model's form without changing its function: batch normalisations folded into layers. */
  notes: string[];
  /** The shape state k is read as by the layer after it, where it differs from the shape the layer before wrote. */
  views: Map<number, Shape | "flatten">;
}

/** `folded`: the batch normalisations folded into W and b so far, as the notes will say (layer index still to come). */
type Affine = {
  from: number;
  W: Float64Array;
  b: Float64Array | null;
  rows: number;
  cols: number;
  folded?: string[];
  /** A convolution: W is its kernel (torch's layout), b its bias per output channel. */
  conv?: ConvInfo;
};
/** A Conv or ConvTranspose node read as a layer. */
type ConvInfo = { kind: LayerKind; options: Options; kernelDims: number[]; input: Shape; output: Shape };
type Value =
  | { kind: "const"; t: Tensor }
  | { kind: "state"; k: number }
  | ({ kind: "affine" } & Affine)
  | ({ kind: "act"; fn: ActivationFunction } & Affine)
  | ({ kind: "scaled"; fn: ActivationFunction; h: number } & Affine)
  // x·(1 + erf(x/√2))/2 built step by step from an affine x: ONNX opsets before 20 have no Gelu op
  | ({ kind: "gelu"; stage: "div" | "erf" | "plus1" | "timesX" } & Affine)
  // tanh(softplus(x)) of an affine x, which times x is mish (torch exports Mish so before opset 18)
  | ({ kind: "mish" } & Affine)
  // an eval-mode batch normalisation scale ⊙ x_k + shift of a state, waiting for the affine map it folds into
  | Normalized
  | NormValue
  // state k read with another shape (Reshape, Flatten, Unsqueeze): its dims without the batch axis
  | { kind: "view"; k: number; dims: number[] }
  // torch's x.size(0) in a view(x.size(0), …): the Shape of a value, its batch entry (-1 here), in a shape vector
  | { kind: "shapeOf" }
  | { kind: "dims"; dims: number[] }
  // the zero padding torch writes before an AveragePool that counts it in the mean (count_include_pad)
  | { kind: "padded"; k: number; shape: Shape; pads: [number, number] };

/** An eval-mode batch normalisation scale ⊙ x_k + shift of state k (per channel of an image: `shape`), waiting for the
 *  affine map it folds into. */
type Normalized = { kind: "normalized"; k: number; scale: Float64Array; shift: Float64Array; where: string; shape?: Shape };

/** 1 for a channels × length state, 2 for channels × height × width. */
const rankOfShape = (shape: Shape): 1 | 2 => (shape.length === 2 ? 1 : 2);

/** Two values computed from one affine map W x_k + b (x·sigmoid(x) reads the x it multiplies). */
const sameMap = (p: Affine, q: Affine) => p.from === q.from && p.W === q.W && p.b === q.b;

/** torch 1.13's LayerNorm below opset 17, step by step from state x_from: ReduceMean, Sub, Pow 2, ReduceMean, Add ε,
 *  Sqrt, Div, Mul γ (then Add β makes the layer). */
type NormValue = {
  kind: "norm";
  stage: "mean" | "centred" | "squared" | "var" | "varEps" | "std" | "normed" | "scaled";
  from: number;
  eps: number;
  gamma: Float64Array | null;
};

/** What normalisationOrSkip reads a node with: step's own helpers. */
interface PatternHelpers {
  input(i: number): Value;
  state(i: number): number;
  scalar(v: Value): number | null;
  fail(why: string): never;
  has(i: number): boolean;
  intAttr(name: string, dflt: number): number;
  floatAttr(name: string, dflt: number): number;
  ints(name: string): readonly (number | Long)[] | null | undefined;
}
type Long = { toNumber(): number };

const DTYPE: Record<number, Tensor["dtype"]> = { [onnx.TensorProto.DataType.FLOAT]: "F32", [onnx.TensorProto.DataType.DOUBLE]: "F64" };

/** The most values a tensor may have: more than the 1 GiB weights limit holds (ONNX data cannot be smaller). */
const MAX_TENSOR_VALUES = 2 ** 28;

/** A tensor's values, or an OnnxImportError: dims, data type, data location and value count all checked. */
function tensorOf(t: onnxProto.onnx.ITensorProto): Tensor {
  const T = onnx.TensorProto;
  const name = `tensor '${shown(t.name) || "?"}'`;
  if (t.dataLocation === T.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0)
    throw new OnnxImportError(`${name} keeps its data in an external file; save the model with its data inside (rgnn reads one file)`);
  const dims = (t.dims ?? []).map(Number);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new OnnxImportError(`${name} has invalid dims [${dims.join(", ")}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_VALUES)
    throw new OnnxImportError(`${name} has dims [${dims.join(", ")}]: ${count} values, more than the ${MAX_TENSOR_VALUES} rgnn reads`);
  const dtype = DTYPE[t.dataType ?? 0] ?? "other";
  let values: Float64Array;
  const raw = t.rawData?.length ? t.rawData : null;
  if (dtype === "F32") {
    values = raw ? Float64Array.from(new Float32Array(copy(raw, 4 * count))) : Float64Array.from(t.floatData ?? []);
  } else if (dtype === "F64") {
    values = raw ? new Float64Array(copy(raw, 8 * count)) : Float64Array.from(t.doubleData ?? []);
  } else if (t.dataType === T.DataType.INT64) {
    values = raw ? Float64Array.from(new BigInt64Array(copy(raw, 8 * count)), Number) : Float64Array.from((t.int64Data ?? []).map(Number));
  } else {
    // float16, bfloat16, int8, …: read as nothing, they would become NaN weights
    const type = T.DataType[t.dataType ?? 0] ?? String(t.dataType);
    throw new OnnxImportError(`${name} has data type ${type}; rgnn reads FLOAT, DOUBLE and INT64 tensors (convert the model to float32)`);
  }
  if (values.length !== count)
    throw new OnnxImportError(`${name} has ${values.length} values, but its dims [${dims.join(", ")}] need ${count}`);
  return { dims, values, dtype };
}

/**
 * A float attribute as the exporter was given it: ONNX stores attributes as float32, so torch's ε = 1e-5 arrives as
 * 9.99999974e-6 and LeakyReLU's 0.01 as 0.00999999978; the shortest decimal with the same float32 recovers 1e-5 and
 * 0.01, the numbers torch computes with in float64.
 */
function float32Decimal(f: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === Math.fround(f)) return d;
  }
  return f;
}

/** The bytes in a buffer of their own (protobuf's may be unaligned views into the file). */
function copy(bytes: Uint8Array, n: number): ArrayBuffer {
  if (bytes.length !== n) throw new OnnxImportError(`a tensor has ${bytes.length} bytes of data, expected ${n}`);
  return new Uint8Array(bytes).buffer; // a copy: Node Buffers slice as views into a shared pool
}

// the identity is ONNX's Identity op (one of NO_OPS), not an activation op named after it
const ACTIVATION_OPS = new Map<string, ActivationFunction>(
  ACTIVATION_FUNCTIONS.filter((f) => !(REGISTRY[f] as FunctionDef).identity).map((f) => [f, f]),
);
const NO_OPS = new Set(["Identity", "Dropout"]);
/** The largest stride, padding, dilation, kernel side or scale read: beyond it a layer's operator could not be held. */
const MAX_OPTION = 1 << 16;
const PATTERN_OPS = new Set(["Add", "Mul", "Div", "Erf"]);

/** The network an ONNX model computes, or an OnnxImportError naming the first node rgnn cannot read. */
export function importOnnx(bytes: Uint8Array): ImportedNetwork {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxImportError(`not an ONNX model: ${(e as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw new OnnxImportError("the ONNX model has no graph");
  const values = new Map<string, Value>();
  const dtypes = new Set<string>();
  for (const init of graph.initializer ?? []) {
    const t = tensorOf(init);
    if (t.dtype !== "other") dtypes.add(t.dtype);
    values.set(init.name ?? "", { kind: "const", t });
  }
  const inputs = (graph.input ?? []).filter((i) => !values.has(i.name ?? ""));
  if (inputs.length !== 1) throw new OnnxImportError(`the graph has ${inputs.length} inputs besides its weights; rgnn reads one`);
  const shape = inputs[0].type?.tensorType?.shape?.dim ?? [];
  const last = shape.at(-1);
  const inputDim = last?.dimValue != null ? Number(last.dimValue) : NaN;
  if (inputDim > MAX_TENSOR_VALUES)
    throw new OnnxImportError(`input '${shown(inputs[0].name)}' has width ${inputDim}, more than the ${MAX_TENSOR_VALUES} rgnn reads`);
  if (!(inputDim >= 1)) throw new OnnxImportError(`input '${shown(inputs[0].name)}' has no fixed last dimension`);
  values.set(inputs[0].name ?? "", { kind: "state", k: 0 });

  const layers: ImportedLayer[] = [];
  const notes: string[] = [];
  /** Emit a layer, noting the batch normalisations folded into it. */
  const emit = (layer: ImportedLayer, folded: string[] | undefined) => {
    layers.push(layer);
    for (const f of folded ?? []) notes.push(`layer ${layers.length}: ${f}`);
  };
  const width = (k: number) => (k === 0 ? inputDim : layers[k - 1].outWidth);
  const views = new Map<number, Shape | "flatten">();
  /** The shape state k has: C×H×W, or null for a vector. */
  const shapeAt = (k: number): Shape | null => {
    const v = views.get(k);
    return v === "flatten" ? null : (v ?? (k === 0 ? null : (layers[k - 1].outShape ?? null)));
  };
  /** The layer an affine map (or an activation of one) completes: dense, or the convolution it is. */
  const layerOf = (v: Affine, activation: ActivationFunction): ImportedLayer => {
    const { conv } = v;
    const common = { activation, inWidth: v.cols, outWidth: v.rows, W: v.W };
    if (!conv) return { kind: DENSE, ...common, b: v.b ?? new Float64Array(v.rows) };
    const b = v.b ?? new Float64Array(conv.output[0]);
    return { kind: conv.kind, ...common, b, options: conv.options, outShape: conv.output, kernelDims: conv.kernelDims };
  };
  const nodes = graph.node ?? [];

  // one node; what it returns is of no use (returning lets each case end with `return set(…)`)
  const step = (node: onnxProto.onnx.INodeProto, position: number): unknown => {
    const op = node.opType ?? "";
    const where = `node '${shown(node.name || (node.output ?? [])[0] || "?")}' (${shown(op)}, node ${position + 1} of ${nodes.length})`;
    const fail = (why: string): never => {
      throw new OnnxImportError(`${where}: ${why}`);
    };
    /** Input i; a batch normalisation of a state only where it can still fold into an affine map (`normalized`). */
    const input = (i: number, normalized = false): Value => {
      const v = values.get((node.input ?? [])[i] ?? "");
      if (v?.kind === "normalized" && !normalized) {
        if (!v.shape) throw unfoldable(v.where);
        // an image's normalisation that nothing folds: its own per-channel layer, the state later readers see
        const made: Value = { kind: "state", k: perChannel(v) };
        values.set((node.input ?? [])[i] ?? "", made);
        return made;
      }
      if (v?.kind === "padded" && op !== "AveragePool")
        fail("it reads a Pad's output; a zero Pad is read only before an AveragePool (torch's count_include_pad)");
      return v ?? fail(`its input ${i + 1} is not computed by an earlier node`);
    };
    const scalar = (v: Value): number | null => (v.kind === "const" && v.t.values.length === 1 ? v.t.values[0] : null);
    /** The network state a value is, emitting the dense layer it completes when it is an affine map or activation. */
    const state = (i: number): number => {
      const v = input(i);
      if (v.kind === "state") return v.k;
      if (v.kind === "view") {
        if (v.k !== layers.length) fail("it reads a state that later layers have already replaced");
        readAs(v.k, v.dims);
        return v.k;
      }
      if (v.kind === "norm" && (v.stage === "normed" || v.stage === "scaled")) {
        // a LayerNorm without its shift β (or without γ and β): the layer it completes
        values.set((node.input ?? [])[i] ?? "", { kind: "state", k: pushNorm(v.from, v.gamma, null, v.eps) });
        return layers.length;
      }
      if (v.kind !== "affine" && v.kind !== "act") return fail(`it uses a ${v.kind} value where a layer's output is expected`);
      if (v.from !== layers.length) fail("it reads a state that later layers have already replaced");
      emit(layerOf(v, v.kind === "act" ? v.fn : DEFAULT_ACTIVATION), v.folded);
      // later readers of this value see the state it has become
      values.set((node.input ?? [])[i] ?? "", { kind: "state", k: layers.length });
      return layers.length;
    };
    const set = (v: Value) => {
      // a value written twice would silently replace the first (a Tanh between them would vanish)
      const name = (node.output ?? [])[0] ?? "";
      if (values.has(name)) fail(`it writes '${shown(name)}', which the graph already defines; each value must be written once`);
      return values.set(name, v);
    };
    const attr = (name: string) => (node.attribute ?? []).find((a) => a.name === name);
    const intAttr = (name: string, dflt: number) => {
      const a = attr(name);
      return a ? Number(a.i) : dflt;
    };
    const floatAttr = (name: string, dflt: number) => attr(name)?.f ?? dflt;

    if (op === "Constant") {
      const t = attr("value")?.t;
      if (!t) fail("only a tensor 'value' constant is read");
      return set({ kind: "const", t: tensorOf(t as onnxProto.onnx.ITensorProto) });
    }
    if (NO_OPS.has(op)) return set(input(0, true));
    const shaped = shapedOp(op);
    if (shaped) return set(shaped);
    if (op === "Gemm" || op === "MatMul") {
      // a batch normalisation of the state before it folds in: W diag(scale) x + (W shift + b)
      // (an image's normalisation, per channel, is a layer of its own before it: input(0) makes it)
      const raw = input(0, true);
      const x = raw.kind === "normalized" && raw.shape ? input(0) : raw;
      const bn = x.kind === "normalized" ? x : null;
      if (bn && bn.k !== layers.length) fail("it reads a state that later layers have already replaced");
      const k = bn ? bn.k : state(0);
      const wv = input(1);
      if (wv.kind !== "const" || wv.t.dims.length !== 2) return fail("its weight is not a constant matrix");
      const transB = op === "Gemm" && intAttr("transB", 0) === 1;
      if (op === "Gemm" && intAttr("transA", 0) !== 0) fail("transA is not supported");
      const [r, c] = wv.t.dims;
      const [rows, cols] = transB ? [r, c] : [c, r];
      if (cols !== width(k)) fail(`its weight is ${r}×${c}, but its input has width ${width(k)}`);
      const alpha = op === "Gemm" ? floatAttr("alpha", 1) : 1;
      // rgnn's W is out × in: ONNX's B is that with transB, else its transpose
      const W = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) W[i * cols + j] = alpha * wv.t.values[transB ? i * cols + j : j * rows + i];
      let b: Float64Array | null = null;
      if (op === "Gemm" && (node.input ?? []).length > 2 && node.input?.[2]) {
        const bv = input(2);
        if (bv.kind !== "const" || bv.t.values.length !== rows) return fail(`its bias is not a constant vector of length ${rows}`);
        const beta = floatAttr("beta", 1);
        b = bv.t.values.map((x) => beta * x);
      }
      if (!bn) return set({ kind: "affine", from: k, W, b, rows, cols });
      const shifted = b ?? new Float64Array(rows);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) {
          shifted[i] += W[i * cols + j] * bn.shift[j];
          W[i * cols + j] *= bn.scale[j];
        }
      const how = "W ← W diag(γ/√(var + ε)), b ← b + W(β − γμ/√(var + ε))";
      return set({
        kind: "affine",
        from: k,
        W,
        b: shifted,
        rows,
        cols,
        folded: [`W and b fold in ${bn.where}, the eval-mode batch normalisation before it: ${how}`],
      });
    }
    if (op === "BatchNormalization") return set(batchNorm());
    if (op === "Tanh") {
      const v = input(0);
      if (v.kind === "act" && v.fn === "softplus") return set({ ...v, kind: "mish" });
    }
    if (op === "Clip") {
      const v = input(0);
      if (v.kind !== "affine") return fail("an activation must follow an affine map (Gemm, or MatMul and Add)");
      // opset 11 on: bounds as optional inputs; before: as attributes
      const bound = (i: number, name: string, none: number): number => {
        if ((node.input ?? [])[i]) return scalar(input(i)) ?? fail(`its ${name} is not a constant scalar`);
        const a = attr(name);
        return a ? float32Decimal(a.f ?? 0) : none;
      };
      const lo = bound(1, "min", -Infinity),
        hi = bound(2, "max", Infinity);
      if (lo !== -1 || hi !== 1)
        fail(`a Clip is read as hardtanh, which clips to [-1, 1]; this one clips to [${lo}, ${hi}] (ReLU6, or Hardtanh's other bounds)`);
      return set({ ...v, kind: "act", fn: "hardtanh" });
    }
    const fn = op === "LeakyRelu" ? "leaky_relu" : ACTIVATION_OPS.get(op.toLowerCase());
    if (fn) {
      // an activation of an image (ResNet's relu after the skip's Add): of the identity, a 1×1 conv with a group per channel
      const x = input(0),
        image = x.kind === "state" ? shapeAt(x.k) : null;
      const v = x.kind === "state" && image ? identityOf(x.k, image) : x;
      if (v.kind !== "affine") return fail("an activation must follow an affine map (Gemm, or MatMul and Add)");
      if (op === "LeakyRelu" && float32Decimal(floatAttr("alpha", 0.01)) !== 0.01)
        fail(`rgnn's leaky_relu has slope 0.01 (torch's default); this one has alpha = ${float32Decimal(floatAttr("alpha", 0.01))}`);
      if (op === "Elu" && floatAttr("alpha", 1) !== 1) fail("rgnn's elu has α = 1");
      if (op === "Gelu" && attr("approximate")?.s?.length && new TextDecoder().decode(attr("approximate")?.s ?? undefined) !== "none")
        fail("rgnn's gelu is the exact one (approximate = 'none')");
      return set({ ...v, kind: "act", fn });
    }
    if (op === "Softmax") {
      const k = state(0);
      const axis = intAttr("axis", -1);
      if (axis !== -1 && axis !== 1) fail("softmax must act on the last axis");
      layers.push({ kind: SOFTMAX, activation: DEFAULT_ACTIVATION, inWidth: width(k), outWidth: width(k) });
      return set({ kind: "state", k: layers.length });
    }
    const has = (i: number) => Boolean((node.input ?? [])[i]);
    const normalised = normalisationOrSkip(op, { input, state, scalar, fail, has, intAttr, floatAttr, ints: (n) => attr(n)?.ints });
    if (normalised) return set(normalised);
    // what remains is read only as parts of a pattern: a bias, a skip connection, its step h, gelu from erf
    if (!PATTERN_OPS.has(op)) return fail("this operation is not supported by rgnn import");
    const a = input(0);
    const b = op === "Erf" ? a : input(1);
    const [x, y] = a.kind === "const" ? [b, a] : [a, b];
    const c = scalar(y);
    if (op === "Div" && x.kind === "affine" && c !== null && Math.abs(c - Math.SQRT2) < 1e-6)
      return set({ ...x, kind: "gelu", stage: "div" });
    if (op === "Erf" && x.kind === "gelu" && x.stage === "div") return set({ ...x, stage: "erf" });
    if (op === "Add" && x.kind === "gelu" && x.stage === "erf" && c === 1) return set({ ...x, stage: "plus1" });
    if (op === "Mul") {
      // x·sigmoid(x) is silu, x·tanh(softplus(x)) mish: the affine x times a function of the same x
      const [f, z] = a.kind === "affine" ? [b, a] : [a, b];
      if (z.kind === "affine" && (f.kind === "mish" || (f.kind === "act" && f.fn === "sigmoid")) && sameMap(f, z))
        return set({ ...z, kind: "act", fn: f.kind === "mish" ? "mish" : "silu" });
      const [g, o] = a.kind === "gelu" ? [a, b] : [b, a];
      if (g.kind === "gelu" && g.stage === "plus1" && o.kind === "affine" && o.W === g.W) return set({ ...g, stage: "timesX" });
      if (x.kind === "gelu" && x.stage === "timesX" && c === 0.5) return set({ ...x, kind: "act", fn: "gelu" });
      if (x.kind === "act" && c !== null) return set({ ...x, kind: "scaled", h: c });
      return fail("only a scalar step h times an activation, x·sigmoid(x) (silu) and x·tanh(softplus(x)) (mish) are read");
    }
    if (op === "Add") {
      if (x.kind === "affine" && y.kind === "const") {
        if (x.conv) fail("a bias is read from a Conv node's third input, not from an Add after it");
        if (y.t.values.length !== x.rows) fail(`its bias has ${y.t.values.length} entries, expected ${x.rows}`);
        // onto a bias already there: one that a batch normalisation before a MatMul left
        return set({ ...x, b: x.b ? x.b.map((v, i) => v + y.t.values[i]) : y.t.values });
      }
      // x_k + h σ(W x_k + b): a residual layer (h = 1 without the scale)
      const [s, r] = a.kind === "state" ? [a, b] : [b, a];
      if (s.kind === "state" && (r.kind === "act" || r.kind === "scaled") && r.from === s.k) {
        if (r.conv) fail("a skip connection around a convolution is not read");
        if (r.from !== layers.length) fail("it reads a state that later layers have already replaced");
        if (r.rows !== r.cols) fail("a residual branch must keep the width");
        emit(
          {
            kind: RESIDUAL,
            activation: r.fn,
            inWidth: r.cols,
            outWidth: r.rows,
            W: r.W,
            b: r.b ?? new Float64Array(r.rows),
            h: r.kind === "scaled" ? r.h : 1,
          },
          r.folded,
        );
        return set({ kind: "state", k: layers.length });
      }
      return fail("only a bias, or a skip connection x + h·σ(W x + b), is read as an addition");
    }
    return fail("this operation is not supported by rgnn import");

    /** State k read as `dims` (no batch axis) by the layer after it: a `reshape` or `flatten` line where the shape changes. */
    function readAs(k: number, dims: number[]): void {
      if (dims.length < 1 || dims.length > 3)
        fail(
          `it reads a state as [${dims.join(", ")}] (after the batch axis); rgnn reads vectors, channels × length and ` +
            "channels × height × width",
        );
      const now = shapeAt(k);
      const want: Shape | "flatten" | null =
        dims.length === 1
          ? now
            ? "flatten"
            : null
          : now?.length === dims.length && now.every((n, a) => n === dims[a])
            ? null
            : dims.length === 2
              ? [dims[0], dims[1]]
              : [dims[0], dims[1], dims[2]];
      const had = views.get(k);
      if (want && had && String(had) !== String(want)) fail(`it reads x_${k} with a second shape (${String(want)}, after ${String(had)})`);
      if (want) views.set(k, want);
    }

    /** A value's state and dims without materialising a view (a Reshape of a Reshape is one view). */
    function viewBase(i: number): { k: number; dims: number[] } {
      const v = input(i);
      if (v.kind === "view") return { k: v.k, dims: v.dims };
      const k = state(i);
      return { k, dims: [...(shapeAt(k) ?? [width(k)])] };
    }

    /** The channels × height × width (or channels × length) state input i is. */
    function image(i: number): { k: number; shape: Shape } {
      const k = state(i);
      const shape = shapeAt(k);
      if (!shape)
        return fail(`it reads a vector of width ${width(k)}; reshape it to channels × height × width (or channels × length) first`);
      return { k, shape };
    }

    /** Whole-number attribute values, each checked against [min, MAX_OPTION]. */
    function intList(name: string, dflt: number[], min: number): number[] {
      const a = attr(name);
      const list = a ? (a.ints ?? []).map(Number) : dflt;
      for (const n of list)
        if (!Number.isSafeInteger(n) || n < min || n > MAX_OPTION)
          fail(`its ${name} [${list.join(", ")}] has ${n}; each must be a whole number from ${min} to ${MAX_OPTION}`);
      return list;
    }
    /** A per-axis attribute of a layer on a `rank`-D state (2: height and width; 1: the length) as rgnn's [height,
     *  width] option; a 1-D layer's as [neutral, n] (the neutral entry `min`: 1, or 0 for a padding). */
    function pair(name: string, dflt: number, min: number, rank: 1 | 2 = 2): [number, number] {
      const list = intList(name, rank === 2 ? [dflt, dflt] : [dflt], min);
      if (list.length !== rank)
        fail(`its ${name} has ${list.length} entries; its input is ${rank}-D (${rank} entr${rank === 1 ? "y" : "ies"})`);
      return rank === 2 ? [list[0], list[1]] : [min, list[0]];
    }
    /** pads [begin…, end…] as one padding per axis, or an error where begin and end differ. */
    function symmetricPads(rank: 1 | 2 = 2): [number, number] {
      const p = intList("pads", new Array(2 * rank).fill(0), 0);
      if (p.length !== 2 * rank) fail(`its pads has ${p.length} entries; its input is ${rank}-D (${2 * rank} entries)`);
      if (p.some((v, a) => a < rank && v !== p[a + rank]))
        fail(`its pads [${p.join(", ")}] differ at the start and end of an axis; rgnn reads symmetric padding (torch's padding = p)`);
      const auto = attr("auto_pad")?.s;
      if (auto?.length && new TextDecoder().decode(auto) !== "NOTSET") fail("auto_pad is not read; export with explicit pads");
      return rank === 2 ? [p[0], p[1]] : [0, p[0]];
    }
    function geometryOf(kind: LayerKind, shape: Shape, channels: number | null, options: Options) {
      const g = LAYER_KINDS[kind].shaped?.geometry(shape, channels, options);
      if (!g || isGeometryError(g)) return fail(`on its ${shapeText(shape)} input: ${g ? g.error : "no geometry"}`);
      if (sizeOf(g.output) > MAX_TENSOR_VALUES)
        fail(`its output ${shapeText(g.output)} is larger than the ${MAX_TENSOR_VALUES} values rgnn reads`);
      return g;
    }
    function constInts(i: number, what: string): number[] {
      const v = input(i);
      if (v.kind !== "const") return fail(`its ${what} is not a constant`);
      return [...v.t.values];
    }

    /** Reshape, Flatten, Unsqueeze (and the Shape, Gather, Concat that spell x.size(0)), Conv, ConvTranspose, Resize,
     *  Upsample, Pad and AveragePool: the value made, or null for other ops. */
    function shapedOp(op: string): Value | null {
      if (op === "Shape") {
        if (attr("start") || attr("end")) fail("a Shape with start or end is not read");
        return { kind: "shapeOf" };
      }
      if (op === "Gather" && input(0).kind === "shapeOf") {
        const idx = input(1);
        if (idx.kind !== "const" || idx.t.values.length !== 1 || idx.t.values[0] !== 0 || intAttr("axis", 0) !== 0)
          fail("of a Shape only entry 0, the batch size (torch's x.size(0)), is read");
        return { kind: "dims", dims: [-1] };
      }
      if (op === "Unsqueeze" && input(0).kind === "dims") return input(0);
      if (op === "Concat" && (node.input ?? []).some((_, i) => input(i).kind === "dims")) {
        const dims = (node.input ?? []).flatMap((_, i) => {
          const v = input(i);
          return v.kind === "dims" ? v.dims : v.kind === "const" ? [...v.t.values] : fail(`its input ${i + 1} is not a shape`);
        });
        return { kind: "dims", dims };
      }
      if (op === "Reshape" || op === "Flatten" || op === "Unsqueeze") {
        // a batch normalisation of a vector flattened again (still a vector) waits for its affine map as before
        const raw = input(0, true);
        if (raw.kind === "normalized" && !raw.shape) {
          const t = op === "Reshape" ? input(1) : null;
          const rank = t?.kind === "dims" ? t.dims.length : t?.kind === "const" ? t.t.values.length : 2;
          if (op === "Unsqueeze" || rank !== 2) throw unfoldable(raw.where);
          return raw;
        }
        const base = viewBase(0);
        const full = [-1, ...base.dims];
        const w = width(base.k);
        let dims: number[];
        if (op === "Flatten") {
          if (intAttr("axis", 1) !== 1) fail("a Flatten is read only from axis 1, keeping the batch axis");
          dims = [w];
        } else if (op === "Unsqueeze") {
          const axes = (node.input ?? [])[1] ? constInts(1, "axes") : intList("axes", [], -8);
          const rank = full.length + axes.length;
          const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
          if (at.size !== axes.length || at.has(0) || [...at].some((a) => a < 0 || a >= rank))
            fail(`its axes [${axes.join(", ")}] are not distinct axes after the batch axis`);
          const rest = base.dims.slice();
          dims = [];
          for (let a = 1; a < rank; a++) dims.push(at.has(a) ? 1 : (rest.shift() as number));
        } else {
          const t = input(1);
          const target = t.kind === "dims" ? t.dims : t.kind === "const" ? [...t.t.values] : fail("its shape is not a constant");
          if (intAttr("allowzero", 0) !== 0) fail("allowzero = 1 is not read");
          if (target.length < 2 || !(target[0] === -1 || target[0] === 0))
            fail(`its shape [${target.join(", ")}] does not keep the batch axis first (-1 or x.size(0))`);
          const rest = target.slice(1).map((n, a) => (n === 0 ? (full[a + 1] ?? fail("a 0 in its shape copies no axis")) : n));
          const free = rest.filter((n) => n === -1).length;
          if (free > (target[0] === -1 && t.kind === "const" ? 0 : 1) || rest.some((n) => !Number.isSafeInteger(n) || n < -1 || n === 0))
            fail(`its shape [${target.join(", ")}] has more than one axis to infer, or an entry that is not a size`);
          const known = rest.filter((n) => n !== -1).reduce((a, b) => a * b, 1);
          dims = rest.map((n) => (n === -1 ? w / known : n));
          if (sizeOf(dims) !== w || !dims.every(Number.isSafeInteger))
            fail(`its shape [${target.join(", ")}] does not multiply out to the ${w} values of its input (${shapeText(base.dims)})`);
        }
        // a vector read as the same vector (a Flatten before a Gemm) keeps what it was: the affine map stays pending
        const v = input(0);
        if (dims.length === 1 && base.dims.length === 1 && v.kind !== "view") return v;
        return { kind: "view", k: base.k, dims };
      }
      if (op === "Conv" || op === "ConvTranspose") {
        // a batch normalisation of the image before it: folded into a Conv without padding, else its own layer
        const raw = input(0, true);
        const bn = raw.kind === "normalized" && raw.shape ? raw : null;
        if (bn && bn.k !== layers.length) fail("it reads a state that later layers have already replaced");
        let { k, shape } = bn ? { k: bn.k, shape: bn.shape! } : image(0);
        const rank = rankOfShape(shape);
        const kv = input(1);
        if (kv.kind !== "const" || kv.t.dims.length !== rank + 2)
          return fail(
            `its kernel is not a constant ${rank + 2}-D tensor (its input is ${shapeText(shape)}: a ${rank}-D convolution's kernel is ` +
              `${rank === 2 ? "out × in × kH × kW" : "out × in × k"})`,
          );
        const kd = kv.t.dims;
        const transpose = op === "ConvTranspose";
        const kernel = pair("kernel_shape", kd[rank + 1], 1, rank);
        if (String(kernel.slice(2 - rank)) !== String(kd.slice(2)))
          fail(`its kernel_shape ${shapeText(kernel.slice(2 - rank))} is not its kernel's ${shapeText(kd.slice(2))}`);
        const groups = intAttr("group", 1);
        if (!Number.isSafeInteger(groups) || groups < 1 || groups > MAX_OPTION)
          fail(`its group ${groups} is not a whole number from 1 to ${MAX_OPTION}`);
        if (transpose && attr("output_shape")) fail("output_shape is not read; export with output_padding");
        const options: Partial<Record<OptionName, readonly [number, number]>> = {
          kernel,
          stride: pair("strides", 1, 1, rank),
          padding: symmetricPads(rank),
          dilation: pair("dilations", 1, 1, rank),
          groups: [groups, groups],
        };
        if (transpose) options.output_padding = pair("output_padding", 0, 0, rank);
        const folds = bn && !transpose && options.padding![0] === 0 && options.padding![1] === 0;
        if (bn && !folds) {
          k = perChannel(bn);
          values.set((node.input ?? [])[0] ?? "", { kind: "state", k });
        }
        const channels = transpose ? kd[1] * groups : kd[0];
        const kind: LayerKind = transpose ? LAYER_KINDS.conv_transpose.keyword : LAYER_KINDS.conv.keyword;
        const g = geometryOf(kind, shape, channels, options);
        if (String(g.kernel) !== String(kd))
          fail(`its kernel is ${shapeText(kd)}, but ${shape[0]} input channels in ${groups} groups need ${shapeText(g.kernel ?? [])}`);
        let b: Float64Array | null = null;
        if ((node.input ?? [])[2]) {
          const bv = input(2);
          if (bv.kind !== "const" || bv.t.values.length !== channels)
            return fail(`its bias is not a constant vector of length ${channels}`);
          b = bv.t.values;
        }
        const conv = { kind, options, kernelDims: kd, input: shape, output: g.output };
        const value: Value = { kind: "affine", from: k, W: kv.t.values, b, rows: sizeOf(g.output), cols: sizeOf(shape), conv };
        return folds ? foldBefore(value as Affine & { conv: ConvInfo }, bn!) : value;
      }
      if (op === "Resize" || op === "Upsample") {
        const text = (name: string, dflt: string) => {
          const s = attr(name)?.s;
          return s?.length ? new TextDecoder().decode(s) : dflt;
        };
        const mode = text("mode", "nearest"),
          coords = text("coordinate_transformation_mode", "half_pixel");
        if (mode !== "nearest" && mode !== "linear") fail(`its mode is '${shown(mode)}'; rgnn reads nearest and (bi)linear upsampling`);
        if (mode === "nearest" && op === "Resize" && (coords !== "asymmetric" || text("nearest_mode", "round_prefer_floor") !== "floor"))
          fail("a Resize is read as torch writes nearest upsampling: coordinate_transformation_mode asymmetric, nearest_mode floor");
        // torch's align_corners = False: (o + ½)/f − ½, ONNX's half_pixel (pytorch_half_pixel differs only at an output of 1)
        if (mode === "linear" && op === "Upsample")
          fail("an Upsample's linear mode samples at o/f (asymmetric), not torch's align_corners = False: export at opset 11 or later");
        if (mode === "linear" && coords !== "half_pixel" && coords !== "pytorch_half_pixel")
          fail(
            `its coordinate_transformation_mode is '${shown(coords)}'; rgnn's upsample_linear is torch's align_corners = False ` +
              "(half_pixel or pytorch_half_pixel)",
          );
        const { k, shape } = image(0);
        const at = op === "Upsample" ? 1 : (node.input ?? [])[2] ? 2 : 3;
        let scales = constInts(at, at === 3 ? "sizes" : "scales");
        if (at === 3) scales = scales.map((n, a) => n / ([1, ...shape][a] ?? Number.NaN));
        const rank = rankOfShape(shape);
        if (
          scales.length !== rank + 2 ||
          scales[0] !== 1 ||
          scales[1] !== 1 ||
          !scales.every((f) => Number.isInteger(f) && f >= 1 && f <= MAX_OPTION)
        )
          fail(
            `its scales [${scales.join(", ")}] are not [1, 1, ${rank === 2 ? "f_h, f_w" : "f"}] with whole factors from 1 to ` +
              `${MAX_OPTION} (its input is ${shapeText(shape)})`,
          );
        const options: Options = { scale: rank === 2 ? [scales[2], scales[3]] : [1, scales[2]] };
        return pushShaped(mode === "linear" ? LAYER_KINDS.upsample_linear.keyword : LAYER_KINDS.upsample.keyword, k, shape, options);
      }
      if (op === "Pad") {
        const { k, shape } = image(0);
        const mode = attr("mode")?.s;
        if (mode?.length && new TextDecoder().decode(mode) !== "constant") fail("only a constant (zero) Pad is read");
        if ((node.input ?? [])[2] && scalar(input(2)) !== 0) fail("only a zero Pad is read");
        const p = constInts(1, "pads");
        const n = shape.length + 1; // the axes, batch included: pads are [begin × n, end × n]
        if (
          p.length !== 2 * n ||
          p[0] ||
          p[1] ||
          p[n] ||
          p[n + 1] ||
          p.some((v, a) => a < n && v !== p[a + n]) ||
          p.some((v) => !Number.isInteger(v) || v < 0 || v > MAX_OPTION)
        )
          fail(`its pads [${p.join(", ")}] are not the same zero padding at both ends of ${n === 4 ? "height and width" : "the length"}`);
        return { kind: "padded", k, shape, pads: n === 4 ? [p[2], p[3]] : [0, p[2]] };
      }
      if (op === "AveragePool" || op === "MaxPool") {
        const x = input(0);
        const { k, shape } = x.kind === "padded" && op === "AveragePool" ? x : image(0);
        if (x.kind === "padded" && x.k !== layers.length) fail("it reads a state that later layers have already replaced");
        const rank = rankOfShape(shape);
        const before = x.kind === "padded" ? x.pads : [0, 0];
        const own = symmetricPads(rank);
        if (op === "AveragePool" && (own[0] || own[1]) && intAttr("count_include_pad", 0) !== 1)
          fail("its padding is left out of the mean (count_include_pad 0); rgnn's avgpool counts it, as torch's default");
        if (intAttr("ceil_mode", 0) !== 0) fail("ceil_mode 1 is not read: export with ceil_mode=False");
        if (op === "MaxPool") {
          const d = intList("dilations", [], 1);
          if (d.some((v) => v !== 1)) fail(`its dilations [${d.join(", ")}] are not read: rgnn's maxpool has no dilation`);
          if ((node.output ?? []).filter(Boolean).length > 1) fail("its second output (the indices) is not read");
        }
        const kernel = pair("kernel_shape", 0, 1, rank);
        const options: Options = {
          kernel,
          stride: pair("strides", 1, 1, rank),
          padding: [before[0] + own[0], before[1] + own[1]],
        };
        return pushShaped(op === "MaxPool" ? LAYER_KINDS.maxpool.keyword : LAYER_KINDS.avgpool.keyword, k, shape, options);
      }
      return null;
    }

    /** Push a shaped layer without parameters (upsample, avgpool) on state k; the state it makes. */
    function pushShaped(kind: LayerKind, k: number, shape: Shape, options: Options): Value {
      if (k !== layers.length) fail("it reads a state that later layers have already replaced");
      const g = geometryOf(kind, shape, null, options);
      layers.push({
        kind,
        activation: DEFAULT_ACTIVATION,
        inWidth: sizeOf(shape),
        outWidth: sizeOf(g.output),
        options,
        outShape: g.output,
      });
      return { kind: "state", k: layers.length };
    }

    /** An eval-mode BatchNormalization: y = γ(x − μ)/√(var + ε) + β per channel, folded into the affine map before it, or
     *  held until the one after it. */
    function batchNorm(): Value {
      if (intAttr("training_mode", 0) !== 0 || (node.output ?? []).filter(Boolean).length > 1)
        fail("only inference mode is read (training_mode 0, one output): export the model after model.eval()");
      const x = input(0);
      const k = x.kind === "affine" ? null : state(0);
      // an image's normalisation acts per channel: folded into the Conv after it, or a layer of its own
      const image = k === null ? null : shapeAt(k);
      const channels = x.kind === "affine" ? (x.conv ? x.conv.output[0] : x.rows) : image ? image[0] : width(k as number);
      const param = (i: number, name: string): Float64Array => {
        const v = input(i);
        if (v.kind === "const" && v.t.dims.length === 1 && v.t.values.length === channels) return v.t.values;
        return fail(`its ${name} is not a constant vector of length ${channels}, the width of its input`);
      };
      const gamma = param(1, "scale γ"),
        beta = param(2, "bias β"),
        mean = param(3, "mean"),
        variance = param(4, "variance");
      const eps = float32Decimal(floatAttr("epsilon", 1e-5));
      const scale = new Float64Array(channels),
        shift = new Float64Array(channels);
      for (let i = 0; i < channels; i++) {
        const d = variance[i] + eps;
        if (!(d > 0) || !Number.isFinite(d))
          fail(`its variance + epsilon is ${d} at channel ${i + 1} (variance ${variance[i]}, epsilon ${eps}); it must be positive`);
        scale[i] = gamma[i] / Math.sqrt(d);
        shift[i] = beta[i] - scale[i] * mean[i];
        if (!Number.isFinite(scale[i]) || !Number.isFinite(shift[i]))
          fail(`its scale γ/√(var + ε) or shift at channel ${i + 1} is not finite (γ ${gamma[i]}, mean ${mean[i]}, ε ${eps})`);
      }
      if (x.kind !== "affine") return { kind: "normalized", k: k as number, scale, shift, where, ...(image ? { shape: image } : {}) };
      // each entry of W (a convolution's kernel) scaled by the factor of the output (channel) it makes
      const W = x.W.slice(),
        b = new Float64Array(channels),
        channelOf = x.conv ? outputChannel(x.conv) : (e: number) => Math.floor(e / x.cols);
      for (let e = 0; e < W.length; e++) W[e] *= scale[channelOf(e)];
      for (let i = 0; i < channels; i++) b[i] = scale[i] * (x.b ? x.b[i] : 0) + shift[i];
      const [w, per] = x.conv ? ["K", " per output channel"] : ["W", ""];
      const how = `${w} ← diag(γ/√(var + ε)) ${w}${per}, b ← γ(b − μ)/√(var + ε) + β`;
      const folded = `${w} and b fold in ${where}, the eval-mode batch normalisation after it: ${how}`;
      return { ...x, W, b, folded: [...(x.folded ?? []), folded] };
    }
  };
  /**
   * A batch normalisation x ↦ s ⊙ x + t (per input channel) folded into the Conv after it, which has no padding: every
   * window lies inside the image, so K ∗ (s ⊙ x + t) = (K diag(s)) ∗ x + Σ K t, the last term one number per output
   * channel: K[o, c, …] ← K[o, c, …] s[c_in], b[o] ← b[o] + Σ_{c, taps} K[o, c, …] t[c_in] (c_in the input channel of
   * c in o's group).
   */
  function foldBefore(x: Affine & { conv: ConvInfo }, bn: Normalized): Value {
    const [co, cg] = x.conv.kernelDims,
      taps = sizeOf(x.conv.kernelDims.slice(2)),
      og = co / (x.conv.options.groups?.[0] ?? 1);
    const W = x.W.slice(),
      b = x.b ? x.b.slice() : new Float64Array(co);
    for (let e = 0; e < W.length; e++) {
      const o = Math.floor(e / (cg * taps)),
        ci = Math.floor(o / og) * cg + (Math.floor(e / taps) % cg);
      W[e] = x.W[e] * bn.scale[ci];
      b[o] += x.W[e] * bn.shift[ci];
    }
    const how = "K ← K diag(γ/√(var + ε)) per input channel, b ← b + Σ K (β − γμ/√(var + ε)) (no padding: every window is inside)";
    return { ...x, kind: "affine", W, b, folded: [`K and b fold in ${bn.where}, the eval-mode batch normalisation before it: ${how}`] };
  }
  /** The identity of image state k as an affine map: the 1×1 convolution with a group per channel, kernel 1, bias 0. */
  function identityOf(k: number, shape: Shape): Value {
    const C = shape[0],
      n = sizeOf(shape);
    const options: Options = { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: [C, C] };
    const kernelDims = shape.length === 2 ? [C, 1, 1] : [C, 1, 1, 1];
    const conv = { kind: LAYER_KINDS.conv.keyword, options, kernelDims, input: shape, output: shape };
    return { kind: "affine", from: k, W: new Float64Array(C).fill(1), b: new Float64Array(C), rows: n, cols: n, conv };
  }
  /** A batch normalisation of an image that no convolution absorbs, as a per-channel affine layer: the 1×1 convolution
   *  with a group per channel, kernel γ/√(var + ε) and bias β − γμ/√(var + ε); the state it makes. */
  function perChannel(bn: Normalized): number {
    if (bn.k !== layers.length) throw new OnnxImportError(`${bn.where}: it reads a state that later layers have already replaced`);
    const shape = bn.shape!,
      C = shape[0];
    layers.push({
      kind: LAYER_KINDS.conv.keyword,
      activation: DEFAULT_ACTIVATION,
      inWidth: sizeOf(shape),
      outWidth: sizeOf(shape),
      W: bn.scale,
      b: bn.shift,
      options: { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: [C, C] },
      outShape: shape,
      kernelDims: shape.length === 2 ? [C, 1, 1] : [C, 1, 1, 1],
    });
    notes.push(
      `layer ${layers.length}: ${bn.where}, an eval-mode batch normalisation that no layer after it absorbs, is the ` +
        `per-channel affine map x ↦ γ/√(var + ε) ⊙ x + β − γμ/√(var + ε), written as a 1×1 convolution with ${C} groups`,
    );
    return layers.length;
  }
  /** The output channel a convolution kernel's entry e (row-major) feeds: K[co, …] for Conv, K[ci, co mod C_out/g, …]
   *  for ConvTranspose (the group of ci chooses the block of outputs). */
  function outputChannel(conv: ConvInfo): (e: number) => number {
    const [k0, k1] = conv.kernelDims,
      taps = sizeOf(conv.kernelDims.slice(2));
    if (conv.kind === LAYER_KINDS.conv.keyword) return (e) => Math.floor(e / (k1 * taps));
    const perGroup = k0 / (conv.options.groups?.[0] ?? 1);
    return (e) => Math.floor(Math.floor(e / (k1 * taps)) / perGroup) * k1 + (Math.floor(e / taps) % k1);
  }
  /** The error for a batch normalisation of a state that no affine map follows, naming its node. */
  function unfoldable(where: string): OnnxImportError {
    return new OnnxImportError(
      `${where}: rgnn reads an eval-mode batch normalisation folded into the affine map (Gemm or MatMul) before or after it, ` +
        "and this one has neither",
    );
  }
  /** Push layer_norm on x_from (γ = 1, β = 0 where the model has none); its index. */
  const pushNorm = (from: number, gamma: Float64Array | null, beta: Float64Array | null, eps: number): number => {
    const w = width(from);
    if (!(eps > 0)) throw new OnnxImportError(`a layer normalisation's epsilon must be positive, not ${eps}`);
    if (from !== layers.length) throw new OnnxImportError("a LayerNorm reads a state that later layers have already replaced");
    layers.push({
      kind: LAYER_NORM,
      activation: DEFAULT_ACTIVATION,
      inWidth: w,
      outWidth: w,
      W: gamma ?? new Float64Array(w).fill(1),
      b: beta ?? new Float64Array(w),
      eps,
    });
    return layers.length;
  };

  /**
   * LayerNormalization (opset 17) and torch's decomposition of it, LogSoftmax, and an Add of a skip around a
   * sub-graph: x_k + F(x_k) with F ending in an affine map or an activation of one, read as the layers of F with the
   * last one adding x_k (a `skip { … }` block). The value the node makes, or null when the node is none of these.
   */
  function normalisationOrSkip(op: string, n: PatternHelpers): Value | null {
    const { input, state, scalar, fail } = n;
    const rowVector = (v: Value, w: number, what: string): Float64Array => {
      if (v.kind !== "const" || v.t.values.length !== w) return fail(`its ${what} is not a constant vector of length ${w}`);
      return v.t.values;
    };
    const lastAxis = () => {
      const axes = (n.ints("axes") ?? []).map(Number);
      if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 1) || n.intAttr("keepdims", 1) !== 1)
        fail("a mean is read only over the last axis, keeping it (torch's LayerNorm)");
    };
    const norm = <S extends NormValue["stage"]>(v: Value, stage: S): v is NormValue & { stage: S } =>
      v.kind === "norm" && v.stage === stage;
    if (op === "LayerNormalization") {
      const k = state(0),
        w = width(k);
      if (n.intAttr("axis", -1) !== -1 && n.intAttr("axis", -1) !== 1) fail("a layer normalisation must act on the last axis");
      const gamma = rowVector(input(1), w, "scale"),
        beta = n.has(2) ? rowVector(input(2), w, "bias") : null;
      return { kind: "state", k: pushNorm(k, gamma, beta, float32Decimal(n.floatAttr("epsilon", 1e-5))) };
    }
    if (op === "LogSoftmax") {
      const k = state(0);
      const axis = n.intAttr("axis", -1);
      if (axis !== -1 && axis !== 1) fail("log-softmax must act on the last axis");
      layers.push({ kind: LOG_SOFTMAX, activation: DEFAULT_ACTIVATION, inWidth: width(k), outWidth: width(k) });
      return { kind: "state", k: layers.length };
    }
    const [a, b] = [input(0), op === "Sqrt" || op === "ReduceMean" || !n.has(1) ? null : input(1)];
    const stage = (v: NormValue, next: NormValue["stage"], more: Partial<NormValue> = {}): NormValue => ({ ...v, stage: next, ...more });
    if (op === "ReduceMean") {
      if (norm(a, "squared")) {
        lastAxis();
        return stage(a, "var");
      }
      const k = state(0);
      lastAxis();
      return { kind: "norm", stage: "mean", from: k, eps: 0, gamma: null };
    }
    if (op === "Sub" && a.kind === "state" && b && norm(b, "mean") && b.from === a.k) return stage(b, "centred");
    if (op === "Pow" && norm(a, "centred") && b && scalar(b) === 2) return stage(a, "squared");
    if (op === "Sqrt" && norm(a, "varEps")) return stage(a, "std");
    if (op === "Div" && norm(a, "centred") && b && norm(b, "std") && b.from === a.from) return stage(b, "normed");
    if (op === "Mul" && b) {
      const [v, c] = a.kind === "norm" ? [a, b] : [b, a];
      if (norm(v, "normed")) return stage(v, "scaled", { gamma: rowVector(c, width(v.from), "scale") });
    }
    if (op !== "Add" || !b) return null;
    const [v, c] = a.kind === "norm" ? [a, b] : [b, a];
    if (norm(v, "var")) {
      const eps = scalar(c);
      if (eps === null) return fail("the variance's offset ε is not a constant scalar");
      return stage(v, "varEps", { eps: float32Decimal(eps) });
    }
    if (v.kind === "norm" && (v.stage === "scaled" || v.stage === "normed"))
      return { kind: "state", k: pushNorm(v.from, v.gamma, rowVector(c, width(v.from), "bias"), v.eps) };
    // x_k + F(x_k), F's last layer pending: the layers from k + 1 on, the last one adding x_k (x_k as the image a
    // reshape made of it, which the block's first layer has read)
    const seen = (v: Value): Value => (v.kind === "view" && v.k < layers.length && shapeAt(v.k) ? { kind: "state", k: v.k } : v);
    const [s, r] = seen(a).kind === "state" ? [seen(a), b] : [seen(b), a];
    if (s.kind !== "state" || (r.kind !== "affine" && r.kind !== "act") || r.from !== layers.length) return null;
    // x + σ(W x + b): the residual kind reads it (around one convolution: a skip block of one layer)
    if (r.from === s.k && r.kind === "act" && !r.conv) return null;
    if (r.conv && String(r.conv.output) !== String(shapeAt(s.k)))
      fail(`a skip connection adds x_${s.k} (${shapeText(shapeAt(s.k) ?? [width(s.k)])}) to a convolution's ${shapeText(r.conv.output)}`);
    if (r.rows !== width(s.k))
      fail(`a skip connection adds x_${s.k} (width ${width(s.k)}) to a branch of width ${r.rows}; they must be equal`);
    const k = layers.length + 1 - s.k;
    if (!LAYER_KINDS[`skip_${k}`]) fail(`a skip connection around ${k} layers; rgnn reads skip blocks of at most ${MAX_SKIP}`);
    const end = layerOf(r, r.kind === "act" ? r.fn : DEFAULT_ACTIVATION);
    layers.push({ ...end, kind: `skip_${k}`, ...(r.conv ? { shapedKind: r.conv.kind } : {}) });
    for (const f of r.folded ?? []) notes.push(`layer ${layers.length}: ${f}`);
    return { kind: "state", k: layers.length };
  }

  for (const [position, node] of nodes.entries()) step(node, position);

  const outputs = graph.output ?? [];
  if (outputs.length !== 1) throw new OnnxImportError(`the graph has ${outputs.length} outputs; rgnn reads one`);
  let out = values.get(outputs[0].name ?? "");
  // an image flattened or reshaped at the end: the network's output is its values either way
  if (out?.kind === "view") out = { kind: "state", k: out.k };
  if (!out) throw new OnnxImportError(`output '${shown(outputs[0].name)}' is not computed by the graph`);
  if (out?.kind === "normalized" && out.shape) out = { kind: "state", k: perChannel(out) };
  if (out.kind === "normalized") throw unfoldable(out.where);
  const valueName = outputs[0].name;
  const finalState = out.kind === "state" ? out.k : null;
  if (finalState === null) {
    if (out.kind !== "affine" && out.kind !== "act") throw new OnnxImportError(`output '${shown(valueName)}' is not a layer's output`);
    if (out.from !== layers.length) throw new OnnxImportError(`output '${shown(valueName)}' reads a state that later layers replaced`);
    emit(layerOf(out, out.kind === "act" ? out.fn : DEFAULT_ACTIVATION), out.folded);
  } else if (finalState !== layers.length) throw new OnnxImportError(`output '${shown(valueName)}' is not the last layer's output`);
  if (layers.length === 0) throw new OnnxImportError("the graph has no layers");
  const hs = new Set(layers.filter((l) => LAYER_KINDS[l.kind].params.some((p) => p.shared)).map((l) => l.h));
  if (hs.size > 1) throw new OnnxImportError(`the residual layers have different steps h (${[...hs].join(", ")}); rgnn shares one h`);
  views.delete(layers.length); // the last state read as another shape by nothing
  return { inputDim, layers, dtype: dtypes.has("F64") ? "F64" : "F32", notes, views };
}

/** The spec text for an imported network, its weights in `weightsFile` (written by importedWeights). */
/** A file name as an rgnn string literal (which escapes only `"` and `\\`, and holds no line break). */
function rgnnString(text: string): string {
  if (escapeControls(text) !== text)
    throw new OnnxImportError(`the weights file name '${escapeControls(text)}' has a control character or line break; choose another -o`);
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

export function importedSpec(net: ImportedNetwork, weightsFile: string, source: string): string {
  const coords = Array.from({ length: net.inputDim }, (_, i) => `x${i + 1}`);
  const lines = blockLines(
    net.layers,
    (l) => {
      // a skip block's last layer is written as the dense layer it is, inside its block
      const { syntax, shaped } = LAYER_KINDS[l.kind.startsWith("skip_") ? (l.shapedKind ?? DENSE) : l.kind];
      const width = syntax.number === "width" ? ` ${l.outShape ? l.outShape[0] : l.outWidth}` : "";
      const act = syntax.activation ? ` ${l.activation}` : "";
      const eps = l.eps !== undefined && l.eps !== DEFAULT_EPS ? ` with eps = ${l.eps}` : "";
      const options = shaped && l.options ? ` with ${optionsLine(shaped.options, l.options, l.outShape?.length === 2)}` : "";
      return `${syntax.word}${width}${act}${eps}${options}`;
    },
    (k) => {
      const v = net.views.get(k);
      return v === undefined ? undefined : v === "flatten" ? "flatten" : `reshape with shape = [${v.join(", ")}]`;
    },
  );
  const outDim = net.layers.at(-1)?.outWidth ?? net.inputDim;
  return [
    // the names escaped: a line break in a file name would end the comment and start statements
    `# Imported by rgnn import from ${escapeControls(source)}: ${net.layers.length} layers, ` +
      `weights (${net.dtype}) in ${escapeControls(weightsFile)}.`,
    ...net.notes.map((n) => `# ${n}.`),
    "",
    `manifold Input (${coords.join(", ")})`,
    "",
    `network net : Input -> R^${outDim} weights ${rgnnString(weightsFile)} {`,
    ...lines,
    "}",
    "",
    "metric g = pullback of euclidean along net",
    "",
  ].join("\n");
}

/** A shaped layer's options as the spec writes them, those at their defaults left out (the kernel always written); a
 *  1-D layer's (`oneD`) as the one number along the length. */
function optionsLine(specs: readonly OptionSpec[], o: Options, oneD = false): string {
  const parts: string[] = [];
  for (const spec of specs) {
    const v = o[spec.name];
    if (!v) continue;
    const dflt = spec.default === "kernel" ? o.kernel : spec.default === null ? null : [spec.default, spec.default];
    if (dflt && (oneD && spec.pair ? dflt[1] === v[1] : dflt[0] === v[0] && dflt[1] === v[1])) continue;
    parts.push(`${spec.name} = ${oneD && spec.pair ? v[1] : v[0] === v[1] || !spec.pair ? v[0] : `[${v[0]}, ${v[1]}]`}`);
  }
  return parts.join(", ");
}

/** The layers' lines, each skip_k layer closing a `skip {` block opened k layers before it (nested blocks indented), a
 *  `reshape`/`flatten` line (`before`) ahead of the layer that reads a state with a new shape. */
function blockLines(layers: ImportedLayer[], line: (l: ImportedLayer) => string, before?: (k: number) => string | undefined): string[] {
  const opens = new Map<number, number[]>(); // layer index → the sizes of the blocks that start there, outermost first
  layers.forEach((l, i) => {
    const m = /^skip_(\d+)$/.exec(l.kind);
    if (m)
      opens.set(
        i + 2 - Number(m[1]),
        [...(opens.get(i + 2 - Number(m[1])) ?? []), Number(m[1])].sort((a, b) => b - a),
      );
  });
  const out: string[] = [];
  let depth = 1;
  layers.forEach((l, i) => {
    const view = before?.(i);
    if (view) out.push(`${"  ".repeat(depth)}${view}`);
    for (const _ of opens.get(i + 1) ?? []) out.push(`${"  ".repeat(depth++)}skip {`);
    out.push(`${"  ".repeat(depth)}${line(l)}`);
    if (l.kind.startsWith("skip_")) out.push(`${"  ".repeat(--depth)}}`);
  });
  return out;
}

/** The weights as safetensors, named as the spec's layers read them by default (W1, b1, …, a shared h). */
export function importedWeights(net: ImportedNetwork): Uint8Array {
  const tensors: Record<string, { shape: number[]; values: ArrayLike<number>; dtype: "F32" | "F64" }> = {};
  const dtype = net.dtype;
  net.layers.forEach((l, i) => {
    if (LAYER_KINDS[l.kind].shaped || l.shapedKind) {
      // a convolution's kernel in torch's layout and its bias per channel; upsample and avgpool have no parameters
      if (l.kernelDims && l.W && l.b && l.outShape) {
        tensors[`K${i + 1}`] = { shape: l.kernelDims, values: l.W, dtype };
        tensors[`b${i + 1}`] = { shape: [l.outShape[0]], values: l.b, dtype };
      }
      return;
    }
    for (const p of LAYER_KINDS[l.kind].params) {
      if (p.default !== undefined) continue; // written in the spec (layer_norm's eps), not in the weights
      const name = p.shared ? p.name : `${p.name}${i + 1}`;
      const shape = p.shape.map((axis) => (axis === "out" ? l.outWidth : l.inWidth));
      const values = p.name === "h" ? [l.h ?? 1] : p.name === "W" ? l.W : l.b;
      if (!values) throw new OnnxImportError(`layer ${i + 1} has no ${p.name}`);
      tensors[name] = { shape, values, dtype };
    }
  });
  return writeSafetensors(tensors);
}
