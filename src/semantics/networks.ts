// Networks: layers expanded from `repeat` and `skip` blocks, widths inferred and checked, parameters
// resolved to tensors (inline numbers, a weights file, or symbols named after the layer).
import type { MathNode } from "mathjs";
import { DEFAULT_ACTIVATION } from "../core/functions.js";
import {
  type Geometry,
  isShapeStep,
  LAYER_KINDS,
  LAYER_WORDS,
  MAX_SKIP,
  type LayerKind,
  type Options,
  type ParamSpec,
  SHAPE_STEPS,
  type Shape,
  type ShapeStep,
} from "../core/layers/index.js";
import { EXIT, RgnnError } from "../core/errors.js";
import { denseOperator, isGeometryError, shapeText, sizeOf, spreadBias } from "../core/layers/shape.js";
import { ConstantNode, SymbolNode } from "./mathnodes.js";
import type { Expr, Item, LayerAst, Param, Span } from "../syntax/ast.js";
import type { Context } from "./context.js";
import { constantValue, listLeaves, listShape, toNode } from "./expressions.js";
import {
  ACTIVATIONS,
  type Activation,
  type Layer,
  type Manifold,
  type Mapping,
  type Metric,
  type Network,
  type ParamTensor,
} from "./model.js";
import { listOf, suggestion } from "./names.js";
import { PackedTensor, tensorFromJson, type WeightsFile } from "./weights-access.js";

type NetworkItem = Extract<Item, { kind: "network" }>;
type LayerNode = Extract<LayerAst, { kind: "layer" }>;

/** The largest number a shape, option or channel count may be: beyond it a typo (the memory check comes later). */
export const MAX_SHAPE_NUMBER = 1 << 20;

/** Limits that keep a mistyped spec from exhausting memory instead of getting an error. */
export const MAX_LAYERS = 10000;

/**
 * What the parameters of one network may take in memory, estimated from the widths before a tensor is built: 8 bytes
 * a number (float64, from a weights file or inline), about 300 a symbolic entry (its node and name). 2 GiB: a
 * 10⁸-parameter net read from a file, or 7·10⁶ symbols (a symbolic net that wide has no closed form anyway).
 */
export const PARAMETER_MEMORY = 2 * 1024 ** 3;
const BYTES_PER_NUMBER = 8,
  BYTES_PER_SYMBOL = 300;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** Name of entry `index` of a symbolic tensor: W1 -> W1_12 (or W1_1_12 once an index reaches 10). */
export function entryName(name: string, shape: number[], index: number): string {
  if (shape.length === 0) return name;
  const idx: number[] = [];
  for (let k = shape.length - 1, r = index; k >= 0; k--) {
    idx.unshift((r % shape[k]) + 1);
    r = Math.floor(r / shape[k]);
  }
  return `${name}_${shape.some((n) => n >= 10) ? idx.join("_") : idx.join("")}`;
}

function symbolicTensor(name: string, shape: number[], span: Span): ParamTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const entries = Array.from({ length: size }, (_, i) => new SymbolNode(entryName(name, shape, i)) as MathNode);
  return { name, shape, entries, values: null, span };
}

function numericTensor(name: string, shape: number[], values: number[] | Float64Array, span: Span): ParamTensor {
  const v = values instanceof Float64Array ? values : Float64Array.from(values);
  let entries: ConstantNode[] | undefined; // built when a symbolic route asks: a million nodes a 1024-wide layer
  return {
    name,
    shape,
    get entries() {
      entries ??= Array.from(v, (x) => new ConstantNode(x));
      return entries;
    },
    values: v,
    span,
  };
}

/** A dense W too large for PARAMETER_MEMORY, asked for by a route that needs it written out. */
export class DenseOperatorError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** Bytes a shaped layer's taps take wherever it is used: the taps (row, column, kernel index: 12), the engine's rows
 *  of them (column and value: 12), and their copy in the WebAssembly kernel's memory (12). */
const BYTES_PER_TAP = 36;

/** Shaped layers' dense W not written out yet (isWrittenOut). */
const unwritten = new WeakSet<ParamTensor>();

/** Whether a shaped layer's dense W has been written out (the matrix engine never asks for it). */
export const isWrittenOut = (W: ParamTensor): boolean => !unwritten.has(W);

/**
 * A shaped layer's operator as a dense W, written out only when a route reads its entries or values (the symbolic
 * and forward-mode routes, training, the export): at decoder scale it is a 6272×3136 matrix, 160 MB, that the matrix
 * engine never needs. `what` names it for the message when it would pass PARAMETER_MEMORY (with `others`, the bytes
 * the network's other parameters take).
 */
function lazyOperator(
  name: string,
  shape: [number, number],
  numbers: (() => Float64Array) | null,
  nodes: () => MathNode[],
  what: string,
  others: number,
  span: Span,
): ParamTensor {
  const bytes = shape[0] * shape[1] * (numbers ? BYTES_PER_NUMBER : BYTES_PER_SYMBOL);
  const check = () => {
    if (others + bytes > PARAMETER_MEMORY)
      throw new DenseOperatorError(
        `${what} written out as a ${shape[0]}×${shape[1]} matrix would take about ${gib(others + bytes)} of memory with the ` +
          `parameters before it (the limit is ${gib(PARAMETER_MEMORY)}); the matrix engine (metric, eval, geodesics, ` +
          "distances) applies it from its kernel instead",
      );
  };
  let values: Float64Array | null = null,
    entries: MathNode[] | null = null;
  const t: ParamTensor = {
    name,
    shape,
    get entries() {
      if (!entries) {
        check();
        entries = numbers ? Array.from(t.values!, (x) => new ConstantNode(x) as MathNode) : nodes();
        unwritten.delete(t);
      }
      return entries;
    },
    get values() {
      if (!numbers) return null;
      if (!values) {
        check();
        values = numbers();
        unwritten.delete(t);
      }
      return values;
    },
    span,
  };
  unwritten.add(t);
  return t;
}

const tensorText = (s: number[]) =>
  s.length === 0 ? "a scalar" : s.length === 1 ? `a vector of length ${s[0]}` : `a ${s.join("×")} ${s.length === 2 ? "matrix" : "tensor"}`;

class NetworkBuilder {
  private weights: WeightsFile | null = null;
  private weightsFailed = false;
  private readonly symbolsUsed = new Set<string>();
  /** Memory of the parameters of the layers built so far (PARAMETER_MEMORY). */
  private parameterBytes = 0;
  /** The width a skip block's last layer takes when its spec gives none: the width of the state the block adds. */
  private readonly widthHints = new Map<LayerAst, number>();

  constructor(
    private readonly ctx: Context,
    private readonly item: NetworkItem,
    private readonly input: Manifold,
  ) {
    if (item.weights) {
      const res = ctx.weights.load(ctx.baseDir, ctx.spec, item.weights);
      if (res.ok) this.weights = res.file;
      else {
        ctx.diagnostics.push(res.diagnostic);
        this.weightsFailed = true;
      }
    }
  }

  /** A parameter given by name: from the weights file if the network has one, else symbolic. */
  private named(name: string, expected: (number | null)[], span: Span, what: string): ParamTensor | null {
    if (this.item.weights) {
      if (this.weightsFailed) return null;
      const raw = this.weights!.entries[name];
      if (raw === undefined) {
        this.ctx.error(
          span,
          `${what}: weights file '${this.weights!.path}' has no entry '${name}'`,
          suggestion(name, Object.keys(this.weights!.entries)),
        );
        return null;
      }
      const t = tensorFromJson(raw, name);
      if ("error" in t) {
        this.ctx.error(span, `${what}: in weights file '${this.weights!.path}', ${t.error}`);
        return null;
      }
      if (!this.fits(t.shape, expected)) {
        this.ctx.error(
          span,
          `${what}: '${name}' in '${this.weights!.path}' is ${tensorText(t.shape)}, expected ${this.expectedText(expected)}`,
        );
        return null;
      }
      return numericTensor(name, t.shape, t.values, span);
    }
    const shape = expected.map((n) => n ?? 0);
    if (shape.includes(0)) return null; // cannot happen: symbolic shapes are always known
    const tensor = symbolicTensor(name, shape, span);
    for (const e of tensor.entries) {
      const s = (e as SymbolNode).name;
      if (this.input.coords.includes(s)) {
        this.ctx.error(span, `${what}: the symbol '${s}' is also a coordinate of ${this.input.name}; rename one of them`);
        return null;
      }
      this.symbolsUsed.add(s);
    }
    return tensor;
  }

  private fits(shape: number[], expected: (number | null)[]): boolean {
    return shape.length === expected.length && shape.every((n, i) => expected[i] === null || expected[i] === n);
  }
  private expectedText(expected: (number | null)[]): string {
    if (expected.length === 0) return "a scalar";
    if (expected.length === 1) return expected[0] === null ? "a vector" : `a vector of length ${expected[0]}`;
    return `a ${expected.map((n) => n ?? "n").join("×")} ${expected.length === 2 ? "matrix" : "tensor"}`;
  }

  /** Resolve the value written for a parameter against the shape it must have. */
  private param(p: Param | undefined, defaultName: string, expected: (number | null)[], layerSpan: Span, what: string): ParamTensor | null {
    if (!p)
      return this.named(
        defaultName,
        expected.map((n) => n),
        layerSpan,
        what,
      );
    if (p.value.kind === "key") {
      if (!this.item.weights) {
        this.ctx.error(
          p.value.span,
          `${what}: a quoted name is the key of a weights-file entry, but network '${this.item.name.name}' has no weights file`,
        );
        return null;
      }
      return this.named(p.value.key, expected, p.value.span, what);
    }
    const v: Expr = p.value;
    if (v.kind === "ident" && this.ctx.names.get(v.name)?.kind !== "constant" && v.name !== "pi") {
      return this.named(v.name, expected, v.span, what);
    }
    const shape = listShape(v);
    if (shape === null) {
      this.ctx.error(v.span, `${what} is not a rectangular array`);
      return null;
    }
    if (!this.fits(shape, expected)) {
      this.ctx.error(v.span, `${what} is ${tensorText(shape)}, expected ${this.expectedText(expected)}`);
      return null;
    }
    const leaves = listLeaves(v);
    const values: number[] = [];
    const entries: MathNode[] = [];
    let ok = true;
    for (const leaf of leaves) {
      const node = toNode(this.ctx, leaf, { coords: new Set(), where: "no coordinates (a weight is a constant)" });
      if (!node) {
        ok = false;
        continue;
      }
      const x = constantValue(this.ctx, leaf);
      if (x !== undefined && !Number.isFinite(x)) {
        this.ctx.error(leaf.span, `${what} has an entry that is not a finite number (${x})`);
        ok = false;
      }
      entries.push(x !== undefined ? new ConstantNode(x) : node);
      if (x !== undefined) values.push(x);
    }
    if (!ok) return null;
    const name = v.kind === "ident" ? v.name : defaultName;
    return { name, shape, entries, values: values.length === entries.length ? Float64Array.from(values) : null, span: v.span };
  }

  /** The layer's activation (the identity when none is written), or null after saying it is unknown. */
  private activation(ast: LayerNode): Activation | null {
    if (!ast.activation) return DEFAULT_ACTIVATION;
    if (!(ACTIVATIONS as readonly string[]).includes(ast.activation.name)) {
      this.ctx.error(ast.activation.span, `unknown activation '${ast.activation.name}'`, [
        ...suggestion(ast.activation.name, ACTIVATIONS),
        `activations: ${ACTIVATIONS.join(", ")}`,
      ]);
      return null;
    }
    return ast.activation.name as Activation;
  }

  /** The parameters written `with …`, by name, each allowed once and only if `allowed` has it (null after an error). */
  private given(ast: LayerNode, allowed: readonly string[], written: string): Map<string, Param> | null {
    const given = new Map<string, Param>();
    let ok = true;
    for (const p of ast.params) {
      if (!allowed.includes(p.name.name)) {
        this.ctx.error(p.name.span, `a ${written} layer has no parameter '${p.name.name}'`, [
          ...suggestion(p.name.name, allowed),
          allowed.length ? `its parameters are ${listOf(allowed)}` : "it has no parameters",
        ]);
        ok = false;
      } else if (given.has(p.name.name)) {
        this.ctx.error(p.name.span, `parameter '${p.name.name}' is given twice`);
        ok = false;
      } else given.set(p.name.name, p);
    }
    return ok ? given : null;
  }

  /** Whole numbers written for an option or a shape: a number, or a list of them; null after an error. */
  private wholeNumbers(v: Expr, what: string, min: number): number[] | null {
    const items = v.kind === "list" ? v.items : [v];
    const out: number[] = [];
    for (const item of items) {
      const x = item.kind === "list" ? undefined : constantValue(this.ctx, item);
      if (x === undefined || !Number.isInteger(x) || x < min || x > MAX_SHAPE_NUMBER) {
        this.ctx.error(
          item.span,
          `${what} must be ${min === 0 ? "a whole number ≥ 0" : "a positive whole number"}` +
            `${x !== undefined && x > MAX_SHAPE_NUMBER ? ` up to ${MAX_SHAPE_NUMBER}` : ""}` +
            `${x === undefined ? "" : `, not ${x}`}`,
        );
        return null;
      }
      out.push(x);
    }
    return out;
  }

  /** `reshape with shape = [C, H, W]` (or `[C, L]`: a 1-D state) and `flatten`: the shape the next layer reads the
   *  state in (null: a vector), or undefined after an error. `where`: what the state is, for the message. */
  private shapeStep(ast: LayerNode, width: number, where: string): Shape | null | undefined {
    const step = ast.type as ShapeStep,
      given = this.given(ast, SHAPE_STEPS[step].params, ast.word.name);
    if (!given) return undefined;
    if (step === "flatten") return null;
    const p = given.get("shape");
    if (!p) {
      this.ctx.error(ast.word.span, "a reshape needs its shape: reshape with shape = [channels, height, width]");
      return undefined;
    }
    const rank = p.value.kind === "list" ? p.value.items.length : 1;
    if (p.value.kind === "key" || (rank !== 2 && rank !== 3)) {
      this.ctx.error(
        p.value.span,
        "a reshape's shape is a list of three whole numbers, [channels, height, width], or of two, [channels, length]",
      );
      return undefined;
    }
    const dims = this.wholeNumbers(p.value, "each number of a shape", 1);
    if (!dims) return undefined;
    if (sizeOf(dims) !== width) {
      this.ctx.error(p.value.span, `a ${shapeText(dims)} shape holds ${sizeOf(dims)} numbers, but ${where} has ${width}`);
      return undefined;
    }
    return dims.length === 2 ? [dims[0], dims[1]] : [dims[0], dims[1], dims[2]];
  }

  /** A conv, conv_transpose, upsample or avgpool layer on a state of shape `shape`: its geometry from the options, the
   *  kernel and bias resolved as any parameter, and its operator written out as W (with the bias spread as b). */
  private shapedLayer(ast: LayerNode, index: number, inWidth: number, shape: Shape | null, where: string): Layer | null {
    const written = ast.word.name,
      kind = LAYER_KINDS[ast.type as LayerKind],
      sd = kind.shaped!;
    const what = `layer ${index} (${written})`;
    if (!shape) {
      this.ctx.error(ast.word.span, `${what} reads a channels × height × width state, but ${where} is a vector of ${inWidth}`, [
        `give it a shape first: reshape with shape = [channels, height, width], or [channels, length] for a 1-D layer ` +
          `(multiplying out to ${inWidth})`,
      ]);
      return null;
    }
    const activation = this.activation(ast);
    const given = this.given(ast, [...sd.params.map((p) => p.name), ...sd.options.map((o) => o.name)], written);
    if (!activation || !given) return null;
    const options: Options = {},
      oneD = shape.length === 2;
    for (const o of sd.options) {
      const p = given.get(o.name);
      if (!p) {
        if (o.default === null) {
          this.ctx.error(ast.word.span, `${what} needs its ${o.name}: ${written} … with ${o.name} = …`);
          return null;
        }
        const d = o.default === "kernel" ? options.kernel! : ([oneD && o.pair ? o.min : o.default, o.default] as const);
        options[o.name] = d;
        continue;
      }
      const v = p.value;
      if (v.kind === "key" || (v.kind === "list" && (!o.pair || oneD || v.items.length !== 2))) {
        this.ctx.error(
          v.span,
          `the ${o.name} of ${what} is ${o.pair && !oneD ? "a whole number or a list [height, width] of two" : "a whole number"}` +
            (oneD && o.pair ? ` (its input is 1-D, ${shapeText(shape)})` : ""),
        );
        return null;
      }
      const n = this.wholeNumbers(v, `the ${o.name} of ${what}`, o.min);
      if (!n) return null;
      // a 1-D layer's option acts along the length; along the height of 1 it is neutral (1, or a padding of 0)
      options[o.name] = n.length === 2 ? [n[0], n[1]] : [oneD && o.pair ? o.min : n[0], n[0]];
    }
    let channels: number | null = null;
    if (ast.width) {
      if (ast.width.value < 1 || !Number.isInteger(ast.width.value) || ast.width.value > MAX_SHAPE_NUMBER) {
        this.ctx.error(ast.width.span, `the output channels of ${what} must be a positive whole number up to ${MAX_SHAPE_NUMBER}`);
        return null;
      }
      channels = ast.width.value;
    } else if (sd.channelsOf) {
      const rows = this.weightsShape(given.get("K"), `K${index}`);
      channels = rows ? sd.channelsOf(rows, options) : null;
    }
    const geo = sd.geometry(shape, channels, options);
    if (isGeometryError(geo)) {
      const at = geo.at === "channels" ? ast.width?.span : geo.at && given.get(geo.at)?.value.span;
      this.ctx.error(at ?? ast.span, `${what}: ${geo.error}`);
      return null;
    }
    const geometry: Geometry = { input: shape, output: geo.output, options, kernel: geo.kernel };
    const outWidth = sizeOf(geo.output);
    const symbolic = sd.kernel && !this.item.weights && !given.has("K");
    // what it takes whatever the route: its taps, at most (kernel entries per output channel) a row (no kernel: the
    // pooling window, or 4 for an interpolation), and its kernel; its dense W counts when a route writes it out
    const perRow = geo.kernel ? sizeOf(geo.kernel) / geo.output[0] : Math.max(4, sizeOf(options.kernel ?? [1]));
    const bytes =
      Math.min(inWidth, perRow) * outWidth * BYTES_PER_TAP + sizeOf(geo.kernel ?? []) * (symbolic ? BYTES_PER_SYMBOL : BYTES_PER_NUMBER);
    if (this.parameterBytes + bytes > PARAMETER_MEMORY) {
      this.ctx.error(
        ast.span,
        `the network's parameters would take about ${gib(this.parameterBytes + bytes)} of memory with this layer ` +
          `(${shapeText(shape)} → ${shapeText(geo.output)}); the limit is ${gib(PARAMETER_MEMORY)}`,
      );
      return null;
    }
    const taps = sd.taps(geometry);
    const others = this.parameterBytes;
    const lazy = (name: string, kernel: ParamTensor | null) =>
      lazyOperator(
        name,
        [outWidth, inWidth],
        kernel && !kernel.values ? null : () => denseOperator(taps, outWidth, inWidth, kernel?.values ?? null),
        () => {
          const zero = new ConstantNode(0) as MathNode;
          const entries = new Array<MathNode>(outWidth * inWidth).fill(zero);
          for (let k = 0; k < taps.rows.length; k++) entries[taps.rows[k] * inWidth + taps.cols[k]] = kernel!.entries[taps.index[k]];
          return entries;
        },
        what,
        others,
        ast.span,
      );
    if (!sd.kernel) {
      const W = lazy(`W${index}`, null);
      const b = numericTensor(`b${index}`, [outWidth], new Float64Array(outWidth), ast.span);
      return {
        index,
        kind: kind.keyword,
        activation,
        inWidth,
        outWidth,
        W,
        b,
        shaped: { kind: kind.keyword, geometry, taps },
        span: ast.span,
      };
    }
    const K = this.param(given.get("K"), `K${index}`, geo.kernel!, ast.span, `kernel K of ${what}`);
    const bias = this.param(given.get("b"), `b${index}`, [geo.output[0]], ast.span, `b of ${what}`);
    if (!K || !bias) return null;
    const W = lazy(K.name, K);
    const b: ParamTensor = bias.values
      ? numericTensor(bias.name, [outWidth], Float64Array.from(spreadBias([...bias.values], geo.output)), bias.span)
      : { name: bias.name, shape: [outWidth], entries: spreadBias(bias.entries, geo.output), values: null, span: bias.span };
    return {
      index,
      kind: kind.keyword,
      activation,
      inWidth,
      outWidth,
      W,
      b,
      shaped: { kind: kind.keyword, geometry, taps, K, bias },
      span: ast.span,
    };
  }

  /** The shape of a weights-file entry a parameter names (or of its default name), when there is one. */
  private weightsShape(p: Param | undefined, defaultName: string): number[] | undefined {
    const v = p?.value;
    const key = v?.kind === "ident" ? v.name : v?.kind === "key" ? v.key : p ? undefined : defaultName;
    const raw = key !== undefined && this.weights ? this.weights.entries[key] : undefined;
    if (raw instanceof PackedTensor) return raw.shape;
    if (v?.kind === "list") return listShape(v) ?? undefined;
    const shape: number[] = [];
    for (let r: unknown = raw; Array.isArray(r); r = r[0]) shape.push(r.length);
    return raw === undefined ? undefined : shape;
  }

  private layer(ast: LayerNode, index: number, inWidth: number): Layer | null {
    const written = ast.argument ? `${ast.word.name} ${ast.argument.value}` : ast.word.name; // as the spec spells the kind
    const kind = LAYER_KINDS[ast.type as LayerKind];
    if (!kind) {
      const note = LAYER_WORDS.get(ast.word.name)?.argumentNote;
      this.ctx.error(ast.argument?.span ?? ast.word.span, `no layer kind '${written}'`, note ? [note] : []);
      return null;
    }
    const what = `layer ${index} (${written})`;
    const activation = this.activation(ast);
    if (!activation) return null;
    const given = this.given(
      ast,
      kind.params.map((p) => p.name),
      written,
    );
    if (!given) return null;
    let outWidth = inWidth;
    if (kind.width === "chosen") {
      outWidth = ast.width?.value ?? this.inferredRows(given.get("W"), `W${index}`) ?? this.widthHints.get(ast) ?? inWidth;
      if (ast.width && (ast.width.value < 1 || !Number.isInteger(ast.width.value))) {
        this.ctx.error(ast.width.span, "a layer's width must be a positive whole number");
        return null;
      }
      const symbolic = !this.item.weights && !given.has("W");
      const bytes = (outWidth * inWidth + outWidth) * (symbolic ? BYTES_PER_SYMBOL : BYTES_PER_NUMBER);
      if (this.parameterBytes + bytes > PARAMETER_MEMORY) {
        this.ctx.error(
          ast.width?.span ?? ast.span,
          `the network's parameters would take about ${gib(this.parameterBytes + bytes)} of memory with this layer ` +
            `(${outWidth}×${inWidth} weights${symbolic ? " as symbols" : ""}); the limit is ${gib(PARAMETER_MEMORY)}` +
            (symbolic ? ': give the weights in a file (weights "PATH" or --weights), 8 bytes each' : ""),
        );
        return null;
      }
    } else if (ast.width) {
      this.ctx.error(ast.width.span, `a ${written} layer keeps the width of its input`);
      return null;
    }
    // each parameter against the shape its kind gives it; every one is resolved so that all errors are reported
    const params: Partial<Record<ParamSpec["name"], ParamTensor | null>> = {};
    for (const spec of kind.params) {
      const shape = spec.shape.map((axis) => (axis === "out" ? outWidth : inWidth)); // "kernel", "channels": shaped kinds only
      const defaultName = spec.shared ? spec.name : `${spec.name}${index}`;
      const written = given.get(spec.name);
      params[spec.name] =
        !written && spec.default !== undefined
          ? numericTensor(spec.name, [], [spec.default], ast.span)
          : this.param(written, defaultName, shape, ast.span, `${spec.described} of ${what}`);
    }
    if (Object.values(params).some((p) => p === null)) return null;
    // var x + ε must stay positive where x is constant (var x = 0): ε = 0 divides by zero there, ε < 0 takes √ of < 0
    const epsValue = params.eps?.values?.[0];
    if (epsValue !== undefined && !(epsValue > 0)) {
      this.ctx.error(params.eps!.span, `eps of ${what} must be positive (var x + ε is 0 or negative where x is constant), not ${epsValue}`);
      return null;
    }
    const { W, b, h, eps } = params as Record<ParamSpec["name"], ParamTensor | undefined>;
    return { index, kind: kind.keyword, activation, inWidth, outWidth, W, b, h, eps, span: ast.span };
  }

  /** Rows of W when its value tells them (an inline matrix or a weights-file entry). */
  private inferredRows(p: Param | undefined, defaultName: string): number | undefined {
    const v = p?.value;
    if (v?.kind === "list") return v.items.length;
    const key = v?.kind === "ident" ? v.name : v?.kind === "key" ? v.key : p ? undefined : defaultName;
    const raw = key !== undefined && this.weights ? this.weights.entries[key] : undefined;
    return Array.isArray(raw) ? raw.length : raw instanceof PackedTensor && raw.shape.length ? raw.shape[0] : undefined;
  }

  build(): Layer[] | null {
    const layers: Layer[] = [];
    let width = this.input.dim,
      shape: Shape | null = null;
    const where = () => (layers.length ? `the output of layer ${layers.length}` : `the input ${this.input.name}`);
    const walk = (asts: LayerAst[]): void => {
      for (const ast of asts) {
        if (ast.kind === "repeat") {
          if (ast.count.value < 1 || !Number.isInteger(ast.count.value)) {
            this.ctx.error(ast.count.span, "repeat needs a positive whole number");
            this.ok = false;
            continue;
          }
          if (layers.length + ast.count.value > MAX_LAYERS) {
            this.ctx.error(ast.count.span, `too many layers: a network may have at most ${MAX_LAYERS}`);
            this.ok = false;
            return;
          }
          for (let i = 0; i < ast.count.value && this.ok; i++) walk(ast.body);
          continue;
        }
        if (ast.kind === "skip") {
          this.skipBlock(ast, layers, width, walk);
          if (!this.ok) return;
          width = layers[layers.length - 1].outWidth;
          shape = layers[layers.length - 1].shaped?.geometry.output ?? null; // a dense end: a vector; a convolution's: its image
          continue;
        }
        if (layers.length >= MAX_LAYERS) {
          this.ctx.error(ast.span, `too many layers: a network may have at most ${MAX_LAYERS}`);
          this.ok = false;
          return;
        }
        if (isShapeStep(ast.type)) {
          const s = this.shapeStep(ast, width, where());
          if (s === undefined) {
            this.ok = false;
            return;
          }
          shape = s;
          continue;
        }
        const layer = LAYER_KINDS[ast.type]?.shaped
          ? this.shapedLayer(ast, layers.length + 1, width, shape, where())
          : this.layer(ast, layers.length + 1, width);
        if (!layer) {
          this.ok = false;
          return;
        } // later layers' widths would be guesses: stop here
        const reads = LAYER_KINDS[layer.kind].reads; // it adds x_{l−1}, …, x_{l−reads}: one width
        const earlier = layers
          .slice(Math.max(0, layers.length - reads + 1))
          .map((p) => p.inWidth)
          .reverse();
        if (earlier.some((w) => w !== width)) {
          const combined = reads === 2 ? `${layer.index - 1} and ${layer.index - 2}` : `${layer.index - 1} to ${layer.index - reads}`;
          this.ctx.error(
            ast.span,
            `layer ${layer.index} is ${LAYER_KINDS[layer.kind].labels.prose}: it combines layers ${combined}, which must ` +
              `have the same width (${[width, ...earlier].join(" and ")})`,
          );
          this.ok = false;
          return;
        }
        const count = (p: ParamTensor | undefined) => (p ? p.shape.reduce((a, b) => a * b, 1) : 0);
        const K = layer.shaped?.K;
        this.parameterBytes += layer.shaped
          ? layer.shaped.taps.rows.length * BYTES_PER_TAP + (K ? count(K) * (K.values ? BYTES_PER_NUMBER : BYTES_PER_SYMBOL) : 0)
          : (count(layer.W) + count(layer.b)) * (layer.W?.values ? BYTES_PER_NUMBER : BYTES_PER_SYMBOL);
        layers.push(layer);
        width = layer.outWidth;
        shape = layer.shaped ? layer.shaped.geometry.output : null;
      }
    };
    walk(this.item.layers);
    return this.ok ? layers : null;
  }

  private ok = true;

  /** `skip { … }`: the block's layers, the last of which (a dense one) becomes skip_k and adds x_start, the state the
   *  block starts from; its width must be x_start's. */
  private skipBlock(ast: Extract<LayerAst, { kind: "skip" }>, layers: Layer[], width: number, walk: (asts: LayerAst[]) => void): void {
    const start = layers.length,
      last = ast.body[ast.body.length - 1];
    if (last.kind === "layer") this.widthHints.set(last, width);
    walk(ast.body);
    if (!this.ok) return;
    const k = layers.length - start,
      end = layers[layers.length - 1];
    const notDense = end.kind.startsWith("skip_")
      ? "it ends in another skip block: add a layer after the inner block"
      : `end the block with a dense layer (e.g. 'dense ${width} linear') or a convolution: its output is what the block adds ` +
        `to x_${start}`;
    // a convolution (its operator written out as W, an affine layer as dense is) may end a block too: ResNet's blocks
    const affine = end.kind === "dense" || (end.shaped !== undefined && LAYER_KINDS[end.kind].shaped?.kernel === true);
    const problem: [Span, string, string[]] | null =
      k > MAX_SKIP
        ? [ast.span, `a skip block may have at most ${MAX_SKIP} layers; this one has ${k}`, []]
        : !affine
          ? [
              end.span,
              `layer ${end.index} ends a skip block, so it must be a dense layer or a convolution, not ` +
                LAYER_KINDS[end.kind].labels.prose,
              [notDense],
            ]
          : end.outWidth !== width
            ? [
                end.span,
                `layer ${end.index} ends a skip block that adds x_${start} (width ${width}), so its width must be ${width}, ` +
                  `not ${end.outWidth}`,
                [],
              ]
            : null;
    if (problem) {
      this.ctx.error(...problem);
      this.ok = false;
      return;
    }
    layers[layers.length - 1] = { ...end, kind: `skip_${k}` };
  }
}

/** A layer's parameters as the spec writes them (a weights file's entries, the symbols --set and --weights give values
 *  to): W, b and h; a shaped layer's kernel K and per-channel b instead of the W and b written out from them. */
export function writtenParams(layer: Layer): ParamTensor[] {
  const ps = layer.shaped ? [layer.shaped.K, layer.shaped.bias] : [layer.W, layer.b, layer.h];
  return ps.filter((p): p is ParamTensor => p !== undefined);
}

/** The first layer after `layer` that also reads a state before it (then no metric lives on layer `layer` alone). */
export function layerReadingAcross(net: Network, layer: number): Layer | null {
  if (layer === 0) return null; // at the input, such a layer takes its starting step instead
  return net.layers.find((l) => l.index > layer && l.index - LAYER_KINDS[l.kind].reads < layer) ?? null;
}

/** What is wrong with layers `first`..`last` of `net` as a sub-network, and at which bound (or the whole range):
 *  bounds outside 1..L, first > last, or a layer in it that reads a state before layer first−1 (a second-order layer
 *  cut from x_{first−2} has no value there: the states it reads follow from the network's input only). */
export function sliceProblems(
  net: Network,
  first: number,
  last: number,
): { at: "from" | "to" | "range"; message: string; notes: string[] }[] {
  const L = net.layers.length;
  const outside = ([first, last] as const).flatMap((bound, k) =>
    Number.isInteger(bound) && bound >= 1 && bound <= L
      ? []
      : [{ at: k === 0 ? ("from" as const) : ("to" as const), message: `'${net.name}' has layers 1 to ${L}, not ${bound}`, notes: [] }],
  );
  if (outside.length) return outside;
  if (first > last) {
    return [
      {
        at: "range",
        message: `layers ${first} to ${last}: the first layer of a range must not come after the last`,
        notes: [`the metric layer ${first} induces on the input is 'layers 1 to ${first}'`],
      },
    ];
  }
  const across = layerReadingAcross(net, first - 1);
  if (!across || across.index > last) return [];
  const kind = LAYER_KINDS[across.kind];
  return [
    {
      at: "from",
      message:
        `layer ${across.index} of '${net.name}' is ${kind.labels.prose}: it reads layers ${readsText(across)}, so layers ` +
        `${first} to ${last} are no map of ${sliceChart(first)} alone`,
      notes: [`start the range at layer 1: the states a ${kind.labels.title} layer reads follow from the input of '${net.name}' only`],
    },
  ];
}

/** The chart a sub-network starting at layer `first` reads: "the input" or "the coordinates of layer first−1". */
export const sliceChart = (first: number) => (first === 1 ? "the input" : `the coordinates of layer ${first - 1}`);

/** `NET[A..B]` as a command line names a sub-network: the sub-network, a message saying why there is none, or
 *  `undefined` when the name is not of that form or names no network. */
export function subNetworkNamed(mappings: ReadonlyMap<string, Mapping>, name: string): Network | { error: string } | undefined {
  const m = /^(.+)\[(\d+)\.\.(\d+)\]$/.exec(name);
  const net = m ? mappings.get(m[1]) : undefined;
  if (!m || net?.kind !== "network") return undefined;
  const [first, last] = [Number(m[2]), Number(m[3])];
  const problem = sliceProblems(net, first, last)[0];
  return problem ? { error: `${name}: ${problem.message}` } : subNetwork(net, first, last);
}

/** The network a metric is pulled back along, or null when it is not pulled back along one. */
export function pullbackNetwork(metric: Metric): Network | null {
  const d = metric.def;
  return d.kind === "pullback" && d.along.kind === "network" ? d.along : null;
}

/** Where a metric pulled back along a network has its chart in the network the spec declares: layer `layer` of
 *  `network` (0: its input; layer A−1 + K for `layers A to B` taken to layer K); null when it is no such pullback. */
export function chartLayer(metric: Metric): { network: Network; layer: number } | null {
  const d = metric.def;
  if (d.kind !== "pullback" || d.along.kind !== "network") return null;
  const slice = d.along.slice;
  return slice ? { network: slice.of, layer: slice.first - 1 + d.layer } : { network: d.along, layer: d.layer };
}

/** The name of layers `first`..`last` of a network: `mlp[2..3]` (plain text in TeX, HTML and a Python docstring). */
export const subNetworkName = (net: string, first: number, last: number) => `${net}[${first}..${last}]`;

/**
 * Layers `first`..`last` of `net` as a network of its own, so that every later stage reads it as any network: its layers
 * renumbered from 1 (the same parameter tensors), and its layer spaces named in that numbering (`mlp[2..3].x0` with
 * coordinates x0_1, … for layer first−1 of mlp), so that no name of a layer listing or derivation (z1, x1, J1) is also
 * a coordinate. From the input when first = 1; to NET's output when last = L, or to `target`, a manifold of layer
 * last's width that the metric pulled back along it lives on. The caller checks the range (`sliceProblems`).
 */
export function subNetwork(net: Network, first: number, last: number, target?: Manifold): Network {
  const name = subNetworkName(net.name, first, last);
  const layers = net.layers.slice(first - 1, last).map((layer, k) => ({ ...layer, index: k + 1 }));
  const width = layers[0].inWidth;
  const input: Manifold =
    first === 1
      ? net.source
      : {
          name: `${name}.x0`,
          dim: width,
          coords: Array.from({ length: width }, (_, i) => `x0_${i + 1}`),
          span: net.layerSpaces[first - 1].span,
        };
  const output = target ?? (last === net.layers.length ? net.target : null);
  const spaces = layerSpaces(name, input, layers, output);
  return {
    kind: "network",
    name,
    source: spaces[0],
    target: spaces[spaces.length - 1],
    layers,
    layerSpaces: spaces,
    weightsFile: net.weightsFile,
    span: net.span,
    slice: { of: net, first, last },
  };
}

/** The layers a layer reads, as prose: "1 and 2", or "1 to 3". */
export function readsText(layer: Layer): string {
  const reads = LAYER_KINDS[layer.kind].reads,
    l = layer.index;
  return reads === 2 ? `${l - 2} and ${l - 1}` : `${l - reads} to ${l - 1}`;
}

/** Layer coordinate spaces x_0 (the input) … x_L; the last is the named output if one is given. */
function layerSpaces(name: string, input: Manifold, layers: Layer[], output: Manifold | null): Manifold[] {
  const spaces = [input];
  for (const l of layers) {
    spaces.push({
      name: `${name}.x${l.index}`,
      dim: l.outWidth,
      coords: Array.from({ length: l.outWidth }, (_, i) => `x${l.index}_${i + 1}`),
      span: l.span,
    });
  }
  if (output) spaces[spaces.length - 1] = output;
  return spaces;
}

export function buildNetwork(ctx: Context, item: NetworkItem, input: Manifold, output: Manifold | null): Network | null {
  const layers = new NetworkBuilder(ctx, item, input).build();
  if (!layers) return null;
  if (layers.length === 0) {
    ctx.error(item.name.span, `network '${item.name.name}' has no layers`);
    return null;
  }
  const last = layers[layers.length - 1].outWidth;
  if (output && output.dim !== last) {
    ctx.error(
      item.output!.span,
      `network '${item.name.name}' ends with width ${last}, but its output ${output.name} has dimension ${output.dim}`,
    );
    return null;
  }
  const spaces = layerSpaces(item.name.name, input, layers, output);
  return {
    kind: "network",
    name: item.name.name,
    source: input,
    target: spaces[spaces.length - 1],
    layers,
    layerSpaces: spaces,
    weightsFile: item.weights?.path,
    span: item.span,
  };
}
