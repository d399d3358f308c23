// A pulled-back metric's closed form at the matrix level, for any width: the paper's recursion
// z_l = W_l x_{l−1} + b_l, x_l = σ(z_l) (or the kind's recurrence), J_l = ∂x_l/∂x_{l−1}, g_{l−1} = J_lᵀ g_l J_l,
// with the weights as named matrices. Its size is linear in depth and independent of width: nothing is expanded.
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS, type LayerKindDef, type MatrixText, type Recurrence } from "../core/layers/index.js";
import type { Activation, Layer, Mapping, Metric, ParamTensor } from "../semantics/model.js";
import { fromMath } from "./mathjs.js";
import { latexSymbol } from "./notation.js";
import { formatNumber, print } from "./print.js";
import { layerLabel } from "../semantics/labels.js";

/** One named weight: W_l (out × in), b_l (out), h (a scalar). */
export interface MatrixParameter {
  name: string;
  /** [] for a scalar, [n] for a vector, [rows, cols] for a matrix. */
  shape: number[];
  /** Its name in the spec or weights file. */
  source: string;
  /** Whether its entries are numbers (they are not expanded here). */
  numeric: boolean;
  /** A scalar's value as text (a number, or its expression in the spec's constants). */
  value?: string;
  /** A shaped layer's kernel: the operator it makes ("3×3 kernel, stride 1, 8→16 channels"); its bias is per channel. */
  operator?: string;
}

export interface MatrixDefinition {
  name: string;
  group: string;
  /** Rows and columns ([n] for a vector). */
  shape: number[];
  expr: string;
  latex: string;
}

export interface MatrixForm {
  parameters: MatrixParameter[];
  /** In dependency order; the last one is the metric itself. */
  definitions: MatrixDefinition[];
}

type Net = Extract<Mapping, { kind: "network" }>;

/** How one output language spells the notation. */
interface Spelling {
  name(letter: string, l: number | null): string;
  identity: string;
  product(fs: string[]): string;
  transpose(m: string): string;
  apply(a: Activation, arg: string): string;
  slope(a: Activation, arg: string): string;
  diag(v: string): string;
  scale(r: NonNullable<Recurrence["scale"]>, h: string): string;
  /** c·m for an integer coefficient c ≠ 0, as a term of a sum (sign first). */
  term(c: number, m: string): [sign: string, body: string];
  kindText(k: LayerKindDef): MatrixText["text"];
  /** A shaped layer's operator applied to `arg`: K3 ∗ x2 (its shaped kind's spelling: a skip block may end in one). */
  operator(layer: Layer, arg: string): string;
  /** The argument of an operator written as a map: (K3 ∗ ·). */
  dot: string;
}

const fnDef = (a: Activation) => REGISTRY[a] as FunctionDef;

/** A factor as p/q with a small denominator (the schemes' Taylor coefficients 1/2, 1/6, 7/6, 4/7), or null. */
export function smallFraction(v: number): [number, number] | null {
  for (let q = 2; q <= 24; q++) {
    const p = Math.round(v * q);
    if (Math.abs(p / q - v) <= 1e-12 * Math.abs(v)) return [p, q];
  }
  return null;
}

const TEXT: Spelling = {
  name: (letter, l) => (l === null ? letter : `${letter}${l}`),
  identity: "I",
  product: (fs) => fs.join("*"),
  transpose: (m) => `${m}^T`,
  apply: (a, arg) => (fnDef(a).identity ? arg : `${fnDef(a).text}(${arg})`),
  slope: (a, arg) => `${fnDef(a).text}'(${arg})`,
  diag: (v) => `diag(${v})`,
  scale: ({ factor, power }, h) => {
    const q = smallFraction(factor);
    // a short decimal as it is (0.5), a repeating one as its fraction ((1/6), never 0.166666666667)
    const c = factor === 1 ? "" : q && formatNumber(factor).length > 6 ? `(${q[0]}/${q[1]})*` : `${formatNumber(factor)}*`;
    return `${c}${h}${power === 1 ? "" : `^${power}`}`;
  },
  term: (c, m) => [c < 0 ? "-" : "+", Math.abs(c) === 1 ? m : `${Math.abs(c)}*${m}`],
  kindText: (k) => k.matrix!.text,
  operator: (layer, arg) => LAYER_KINDS[layer.shaped!.kind].shaped!.apply.text(layer.shaped!.geometry, `K${layer.index}`, arg),
  dot: "·",
};

const LATEX: Spelling = {
  name: (letter, l) => (l === null ? letter : `${letter}_{${l}}`),
  identity: "I",
  product: (fs) => fs.join(" \\, "),
  transpose: (m) => `${m}^{\\mathsf{T}}`,
  apply: (a, arg) => (fnDef(a).identity ? arg : `${fnDef(a).tex}(${arg})`),
  slope: (a, arg) => `${fnDef(a).tex}'(${arg})`,
  diag: (v) => `\\operatorname{diag}\\big(${v}\\big)`,
  scale: ({ factor, power }, h) => {
    const q = smallFraction(factor);
    const c = factor === 1 ? "" : q ? `${q[0] < 0 ? "-" : ""}\\tfrac{${Math.abs(q[0])}}{${q[1]}} ` : `${formatNumber(factor)} `;
    return `${c}${h}${power === 1 ? "" : `^{${power}}`}`;
  },
  term: (c, m) => [c < 0 ? "-" : "+", Math.abs(c) === 1 ? m : `${Math.abs(c)} ${m}`],
  kindText: (k) => k.matrix!.tex,
  operator: (layer, arg) => LAYER_KINDS[layer.shaped!.kind].shaped!.apply.tex(layer.shaped!.geometry, `K_{${layer.index}}`, arg),
  dot: "\\,\\cdot\\,",
};

const sum = (terms: [string, string][]) =>
  terms.map(([sign, body], i) => (i === 0 ? (sign === "-" ? `-${body}` : body) : ` ${sign} ${body}`)).join("");

/** The step sizes: one `h` when every layer's is the same, else h_l per layer (null: the layer has none). */
function stepIndex(layers: Layer[]): (l: Layer) => number | null {
  const key = (p: ParamTensor) => (p.values ? `v${p.values[0]}` : print(fromMath(p.entries[0])));
  const keys = new Set(layers.filter((l) => l.h).map((l) => key(l.h!)));
  return (l) => (keys.size <= 1 ? null : l.index);
}

/** A metric pulled back along a network, in matrix notation (throws for other metrics: they have no layers). */
export function metricMatrixForm(metric: Metric): MatrixForm {
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") {
    throw new Error(`the matrix form applies to metrics pulled back along a network; '${metric.name}' is not one`);
  }
  const net: Net = def.along,
    from = def.layer,
    L = net.layers.length;
  const layers = net.layers.slice(from);
  const stepAt = stepIndex(net.layers);
  const parameters: MatrixParameter[] = [];
  const seen = new Set<string>();
  const param = (name: string, p: ParamTensor) => {
    if (seen.has(name)) return;
    seen.add(name);
    const scalar = p.shape.length === 0;
    const value = scalar ? (p.values ? formatNumber(p.values[0]) : print(fromMath(p.entries[0]))) : undefined;
    parameters.push({ name, shape: [...p.shape], source: p.name, numeric: p.values !== null, ...(value === undefined ? {} : { value }) });
  };
  for (const layer of layers) {
    const shaped = layer.shaped;
    if (shaped) {
      // the kernel and the per-channel bias, never the operator written out
      const { K, bias } = shaped;
      if (K) {
        param(`K${layer.index}`, K);
        parameters[parameters.length - 1].operator = LAYER_KINDS[shaped.kind].shaped!.describe(shaped.geometry);
      }
      if (bias) param(`b${layer.index}`, bias);
      continue;
    }
    if (layer.W) param(`W${layer.index}`, layer.W);
    if (layer.b) param(`b${layer.index}`, layer.b);
    if (layer.h) param(TEXT.name("h", stepAt(layer)), layer.h);
    if (layer.eps) param(`eps${layer.index}`, layer.eps);
  }

  const secondOrder = layers.some((l) => LAYER_KINDS[l.kind].reads > 1);
  const build = (sp: Spelling) => {
    const at = sp === TEXT ? 0 : 1;
    const out: Omit<MatrixDefinition, "latex" | "expr">[] = [];
    const texts: string[] = [];
    const define = (name: string, group: string, shape: number[], expr: string) => {
      out.push({ name, group, shape });
      texts.push(expr);
    };
    const widthOf = (l: number) => (l === 0 ? net.layers[0].inWidth : net.layers[l - 1].outWidth);
    const x = (l: number) => sp.name("x", l);
    const coords = net.layerSpaces[from].coords;
    define(TEXT.name("x", from), "input", [widthOf(from)], at === 0 ? `(${coords.join(", ")})` : `(${coords.map(latexSymbol).join(", ")})`);
    for (const layer of layers) {
      const l = layer.index,
        kind = LAYER_KINDS[layer.kind];
      const group = `layer ${l} (${layerLabel(layer)})`;
      const available = Math.min(kind.reads, l - from);
      const [n, m] = [layer.outWidth, layer.inWidth];
      if (!kind.recurrence) {
        const mt = sp.kindText(kind);
        const own = (p: string) => sp.name(p, l);
        define(TEXT.name("x", l), group, [n], mt.x(x(l - 1), own));
        define(TEXT.name("J", l), group, [n, m], mt.jacobian(x(l), own, x(l - 1)));
        continue;
      }
      const r = kind.recurrence(available);
      const z = sp.name("z", l);
      // a shaped layer's operator applied to x_{l−1} (K_l ∗ x_{l−1}), and as a map (K_l ∗ ·) in its Jacobian
      const op = layer.shaped && ((arg: string) => sp.operator(layer, arg));
      const bias = !layer.shaped || layer.shaped.bias ? ` + ${sp.name("b", l)}` : "";
      define(TEXT.name("z", l), group, [n], `${op ? op(x(l - 1)) : sp.product([sp.name("W", l), x(l - 1)])}${bias}`);
      const s = r.scale && sp.scale(r.scale, sp.name("h", stepAt(layer)));
      const act = sp.apply(layer.activation, z);
      const last: [string, string] = ["+", s ? sp.product([s, act]) : act];
      // a zero coefficient is no term (a skip block's end reads x_{l−k} only)
      const terms = r.coeffs.flatMap((c, k) => (c === 0 ? [] : [sp.term(c, x(l - 1 - k))]));
      define(TEXT.name("x", l), group, [n], sum([...terms, last]));
      const Wl = op ? `(${op(sp.dot)})` : sp.name("W", l);
      const slopeW = fnDef(layer.activation).identity ? Wl : sp.product([sp.diag(sp.slope(layer.activation, z)), Wl]);
      const varying: [string, string] = ["+", s ? sp.product([s, slopeW]) : slopeW];
      const c0 = r.coeffs[0];
      define(TEXT.name("J", l), group, [n, m], c0 ? sum([sp.term(c0, sp.identity), varying]) : varying[1]);
    }
    const n0 = widthOf(from),
      nL = widthOf(L);
    const of = def.of;
    const outMetric = of.def.kind === "euclidean" ? sp.identity : `${at === 0 ? of.name : latexSymbol(of.name)}(${x(L)})`;
    if (from === L) define(metric.name, "metric", [nL, nL], outMetric);
    else if (!secondOrder) {
      define(TEXT.name("g", L), "metric", [nL, nL], outMetric);
      for (let l = L; l > from; l--) {
        const J = sp.name("J", l);
        define(
          l - 1 === from ? metric.name : TEXT.name("g", l - 1),
          "metric",
          [widthOf(l - 1), widthOf(l - 1)],
          sp.product([sp.transpose(J), sp.name("g", l), J]),
        );
      }
    } else {
      // a layer that also reads x_{l−2}: accumulate the total Jacobian P_l = ∂x_l/∂x_from instead
      define(TEXT.name("P", from), "total Jacobian", [n0, n0], sp.identity);
      for (const layer of layers) {
        const l = layer.index,
          kind = LAYER_KINDS[layer.kind];
        const r = kind.recurrence?.(Math.min(kind.reads, l - from));
        const earlier = (r?.coeffs.slice(1) ?? []).flatMap((c, k) => (c === 0 ? [] : [sp.term(c, sp.name("P", l - 2 - k))]));
        define(
          TEXT.name("P", l),
          "total Jacobian",
          [widthOf(l), n0],
          sum([["+", sp.product([sp.name("J", l), sp.name("P", l - 1)])], ...earlier]),
        );
      }
      define(TEXT.name("g", L), "metric", [nL, nL], outMetric);
      const P = sp.name("P", L);
      define(metric.name, "metric", [n0, n0], sp.product([sp.transpose(P), sp.name("g", L), P]));
    }
    return { out, texts };
  };
  const text = build(TEXT),
    tex = build(LATEX);
  const definitions = text.out.map((d, i): MatrixDefinition => ({ ...d, expr: text.texts[i], latex: tex.texts[i] }));
  return { parameters, definitions };
}
