// A metric as plain data: its components in closed form (text and LaTeX), and its values at points.
import { LAYER_KINDS } from "../core/layers/index.js";
import { layerReadingAcross, pullbackNetwork } from "../semantics/networks.js";
import type { Metric } from "../semantics/model.js";
import { pointMetric } from "../numeric/route.js";
import { classifyMetric, determinantOf, eigenvaluesOf, type MetricType } from "../numeric/linalg.js";
import { metricZeroFloor } from "../numeric/roundoff.js";
import { latex, latexSymbol } from "../render/latex-expr.js";
import { type Form, type Listing, matrixFormChosen, metricListing } from "../symbolic/listing.js";
import { type MatrixDefinition, type MatrixParameter, metricMatrixForm } from "../symbolic/matrix-form.js";
import { displayNode, type Expr, inRequestGraph, num, substitute } from "../symbolic/expr.js";
import { assertSymbolicFeasible, layeredPrintSize, PRINT_LIMIT, printedSize, SymbolicSizeError } from "../symbolic/size.js";
import { print } from "../symbolic/print.js";
import { LookupError } from "./errors.js";
import { assertInChart } from "./chart.js";
import { simplifyAll } from "../symbolic/simplify/index.js";

export { type Values, valuesOf } from "./values.js";

/**
 * The same pullback metric, taken to layer `layer` of its network (0 = the input); `undefined` keeps it.
 * @example
 * const g2 = atLayer(pickMetric(model), 2);
 */
export function atLayer(metric: Metric, layer: number | undefined): Metric {
  if (layer === undefined) return metric;
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") {
    throw new LookupError(`--layer applies to metrics pulled back along a network; '${metric.name}' is not one`);
  }
  const net = def.along,
    L = net.layers.length;
  if (layer > L) throw new LookupError(`--layer ${layer}: '${net.name}' has layers 0 to ${L}`);
  const across = layerReadingAcross(net, layer);
  if (across) {
    throw new LookupError(
      `--layer ${layer}: layer ${across.index} is ${LAYER_KINDS[across.kind].labels.prose} and also depends on ` +
        `layer ${across.index - LAYER_KINDS[across.kind].reads}, so no metric lives on layer ${layer} alone`,
    );
  }
  return { ...metric, manifold: net.layerSpaces[layer], def: { ...def, layer } };
}

/** What every JSON view of a metric starts with: its name, chart and layer (0 unless pulled back to a later one). */
export function metricHeader(metric: Metric): { name: string; manifold: string; coords: string[]; layer: number } {
  const layer = metric.def.kind === "pullback" ? metric.def.layer : 0;
  return { name: metric.name, manifold: metric.manifold.name, coords: metric.manifold.coords, layer };
}

export interface SymbolicMetric {
  name: string;
  manifold: string;
  coords: string[];
  /** The network layer it is pulled back to (0 for the input, and for metrics that are not pullbacks). */
  layer: number;
  /** "layers" when named intermediate quantities (z_l, x_l, J_l, g_l) are used, else "explicit". */
  form: "layers" | "explicit";
  /** The named intermediate quantities, in order; each `expr` may use the names before it. */
  definitions: { name: string; group: string; expr: string; latex: string }[];
  /** g_ij as text (rgnn/mathjs syntax) and as LaTeX. */
  components: string[][];
  latex: string[][];
}

/** Print each definition's own expression in full, other named nodes by name, through one shared map
 *  (a copy per definition made printing quadratic in depth): its own entry is lifted while it prints. */
function printDefinition<T>(names: Map<Expr, string>, e: Expr, write: (names: ReadonlyMap<Expr, string>) => T): T {
  const own = names.get(e);
  names.delete(e);
  try {
    return write(names);
  } finally {
    if (own !== undefined) names.set(e, own);
  }
}

/** The forms a metric's closed form takes: written out, with named layer quantities, or as the matrix recursion. */
export type MetricForm = Form | "matrix";

/**
 * A metric's closed form as data, in the form `rgnn metric --form` would print it: "explicit" (components written out),
 * "layers" (named layer quantities), "matrix" (the recursion with the weights as named matrices: networks only), or
 * "auto" (written out while small, named layers for deep networks, the matrix form where a layered listing would be
 * too large). Throws SymbolicSizeError for an explicit or layered form too large to print, LookupError for "matrix"
 * on a metric that is not pulled back along a network.
 * @example
 * const s = metricSymbolic(pickMetric(model));
 * if (s.form !== "matrix") s.components[1][1]; // "r^2" for polar coordinates
 */
export function metricSymbolic(metric: Metric, form: "matrix"): MatrixMetric;
export function metricSymbolic(metric: Metric, form: "explicit" | "layers", set?: ReadonlyMap<string, number>): SymbolicMetric;
export function metricSymbolic(metric: Metric, form?: MetricForm, set?: ReadonlyMap<string, number>): SymbolicMetric | MatrixMetric;
export function metricSymbolic(
  metric: Metric,
  form: MetricForm = "auto",
  set: ReadonlyMap<string, number> = new Map(),
): SymbolicMetric | MatrixMetric {
  if (matrixFormChosen(metric, form)) return metricMatrix(metric);
  try {
    return inRequestGraph(metric, () => symbolicMetric(metric, form as Form, set));
  } catch (e) {
    // auto never fails where the matrix form succeeds: a listing the size model let through is written that way
    if (!(e instanceof SymbolicSizeError && form === "auto" && pullbackNetwork(metric))) throw e;
    return metricMatrix(metric);
  }
}

/**
 * Beyond this printed size of a layered listing (`layeredPrintSize`, tree nodes), or this many layers, an interactive
 * view (the editor's hover, the playground) shows the matrix form: building and printing the listing takes about 0.1 s
 * per 3,000 nodes and grows with depth (measured on 2→w→w→2 tanh MLPs: w = 6, 5.6·10³ nodes, 0.17 s; w = 8, 1.5·10⁴,
 * 0.36–0.54 s; w = 32, 8–9 s; examples/deep-resnet, 64 layers of width 2: 0.64 s), and a view should answer within
 * ~0.2 s. The matrix form takes under 25 ms at any width or depth.
 */
export const INTERACTIVE_SIZE = 8000,
  INTERACTIVE_LAYERS = 16;

/** The form an interactive view shows a metric in: "auto", or the matrix form for a wide or deep network. */
export function interactiveForm(metric: Metric): MetricForm {
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") return "auto";
  const net = def.along;
  const widths = [net.layers[0].inWidth, ...net.layers.map((l) => l.outWidth)];
  const large = layeredPrintSize(widths, def.layer) > INTERACTIVE_SIZE || net.layers.length - def.layer > INTERACTIVE_LAYERS;
  return large ? "matrix" : "auto";
}

/**
 * A closed form as the lines of an `align` environment, as `rgnn metric --format latex` writes them: the named layer
 * quantities (or the matrix recursion), then g's independent components (none for the matrix form, whose last line is
 * g). The metric's symbol is braced before its indices, so a name with a subscript of its own (g2 → g_{2}) typesets.
 */
export function closedFormLines(s: SymbolicMetric | MatrixMetric): string[] {
  const lines = s.definitions.map((d) => `${latexSymbol(d.name)} &= ${d.latex}`);
  if (s.form === "matrix") return lines;
  const g = latexSymbol(s.name),
    c = s.coords.map(latexSymbol);
  for (let i = 0; i < c.length; i++) for (let j = i; j < c.length; j++) lines.push(`{${g}}_{${c[i]} ${c[j]}} &= ${s.latex[i][j]}`);
  return lines;
}

/** A closed form as one display-math string: g written out as a matrix, or the aligned lines of closedFormLines. */
export function closedFormTex(s: SymbolicMetric | MatrixMetric): string {
  if (s.form === "explicit")
    return `${latexSymbol(s.name)} = \\begin{pmatrix} ${s.latex.map((r) => r.join(" & ")).join(" \\\\ ")} \\end{pmatrix}`;
  return `\\begin{aligned}\n${closedFormLines(s).join(" \\\\\n")}\n\\end{aligned}`;
}

function symbolicMetric(metric: Metric, form: Form, set: ReadonlyMap<string, number>): SymbolicMetric {
  assertSymbolicFeasible(metric, 0, "the metric");
  const listing = withValues(metricListing(metric, form), set);
  assertPrintable(metric, form, listing);
  const names = new Map(listing.names);
  // written out in full: each component in its simplified form (rotated polar coordinates read diag(1, r²))
  if (!listing.definitions.length) {
    const flat = listing.result.flat();
    const shown = simplifyAll(flat).map((s) => s.expr);
    const n = listing.result.length;
    listing.result = listing.result.map((row, i) => row.map((_, j) => shown[i * n + j]));
  }
  const tnames = new Map([...listing.names].map(([e, s]) => [e, latexSymbol(s)] as const));
  return {
    ...metricHeader(metric),
    form: listing.definitions.length ? "layers" : "explicit",
    definitions: listing.definitions.map((d) => ({
      name: d.name,
      group: d.group,
      expr: printDefinition(names, d.expr, (n) => print(d.expr, { names: n })),
      latex: printDefinition(tnames, d.expr, (n) => latex(d.expr, n)),
    })),
    components: listing.result.map((row) => row.map((e) => print(e, { names: listing.names }))),
    latex: listing.result.map((row) => row.map((e) => latex(e, tnames))),
  };
}

/** The listing with the `--set` values written for their symbols (definitions keep their names, and a definition
 *  printed through its predecessor, x_l = x_{l−1} + …, keeps that form). */
function withValues(listing: Listing, set: ReadonlyMap<string, number>): Listing {
  if (!set.size) return listing;
  const named = new Map([...listing.names].map(([e, name]) => [name, e] as const));
  const keys = listing.definitions.map((d) => named.get(d.name)!);
  const shown = listing.definitions.map((d, i) => (d.expr === keys[i] ? [] : [...d.expr.args]));
  const flat = listing.result.flat();
  const roots = [...keys, ...shown.flat(), ...flat];
  const out = substitute(roots, new Map([...set].map(([k, v]) => [k, num(v)] as const)));
  const at = new Map(roots.map((e, i) => [e, out[i]] as const));
  const names = new Map<Expr, string>();
  const definitions = listing.definitions
    .map((d, i) => {
      const key = at.get(keys[i])!;
      const expr = shown[i].length
        ? displayNode(
            d.expr.op as "add",
            shown[i].map((a) => at.get(a)!),
          )
        : key;
      return { ...d, key, expr };
    })
    .filter((d) => {
      if (names.has(d.key) || d.key.op === "num" || d.key.op === "sym") return false;
      names.set(d.key, d.name);
      return true;
    })
    .map(({ key: _, ...d }) => d);
  return { definitions, result: listing.result.map((row) => row.map((e) => at.get(e)!)), names };
}

/** Refuse a listing whose printed text would run to gigabytes (a tree written out without shared names). */
function assertPrintable(metric: Metric, form: Form, listing: Listing): void {
  const size = (l: Listing) => printedSize([...l.definitions.map((d) => d.expr), ...l.result.flat()], l.names);
  if (size(listing) <= PRINT_LIMIT) return;
  const layered = form !== "layers" && metricListing(metric, "layers");
  const other = layered && size(layered) <= PRINT_LIMIT ? "--form layers" : "--form matrix";
  const instead = pullbackNetwork(metric) ? `print it with ${other}, or evaluate it` : "evaluate it";
  throw new SymbolicSizeError(
    `the metric '${metric.name}' written out ${listing.definitions.length ? "with named layers" : "in full"} would print more than ` +
      `${PRINT_LIMIT / 1e6} million terms; ${instead} at points with --at, or use a smaller network`,
  );
}

export interface MetricValue {
  point: number[];
  /** g_ij at the point. */
  metric: number[][];
  /** Number of non-zero eigenvalues (|λ| above 1e-10·max|λ| and the round-off floor of the factors of a pullback, as
   *  classifyMetric judges them; a pullback through a narrow layer has fewer than dim). */
  rank: number;
  /** (n₊, n₋, n₀): positive, negative and zero eigenvalues, by the same tolerance. */
  signature: [number, number, number];
  type: MetricType;
  /** Ascending eigenvalues. */
  eigenvalues: number[];
  determinant: number;
}

/**
 * A metric evaluated at each point: components, rank, eigenvalues and determinant.
 * Throws EvaluationError where it is not finite.
 * @example
 * const [v] = metricAt(pickMetric(model), [[0.3, -0.7]], valuesOf(model));
 * console.log(v.rank, v.determinant);
 */
export function metricAt(metric: Metric, points: number[][], env: ReadonlyMap<string, number>): MetricValue[] {
  assertInChart(metric.manifold, points);
  return inRequestGraph(metric, () => {
    const ev = pointMetric(metric, env);
    return points.map((point) => {
      const g = ev.at(point);
      const eigenvalues = eigenvaluesOf(g);
      // zero judged against the factors that built g (a pullback's Jacobian), not g's own size
      const { rank, signature, type } = classifyMetric(g, eigenvalues, metricZeroFloor(metric, point, env) ?? 0);
      return { point, metric: g, rank, signature, type, eigenvalues, determinant: determinantOf(g) };
    });
  });
}

export interface MatrixMetric {
  name: string;
  manifold: string;
  coords: string[];
  layer: number;
  form: "matrix";
  /** The weights as named matrices, vectors and scalars (W_l, b_l, h): their shapes, never their entries. */
  parameters: MatrixParameter[];
  /** z_l, x_l, J_l, g_l as matrix expressions, in dependency order; the last is the metric itself. */
  definitions: MatrixDefinition[];
}

/**
 * Whether a metric is written in matrix form for `form`: always for "matrix", and for "auto" when the layered
 * listing of a network pullback would be too large (wide layers).
 * @example
 * usesMatrixForm(pickMetric(model), "auto") ? metricMatrix(g) : metricSymbolic(g);
 */
export function usesMatrixForm(metric: Metric, form: Form | "matrix"): boolean {
  return matrixFormChosen(metric, form);
}

/**
 * A metric pulled back along a network as the recursion in matrices (weights named, nothing expanded): its size
 * grows with depth, not width. Throws LookupError for a metric that is not pulled back along a network.
 * @example
 * metricMatrix(pickMetric(model)).definitions.at(-1)?.expr;
 */
export function metricMatrix(metric: Metric): MatrixMetric {
  const def = metric.def;
  if (def.kind !== "pullback" || def.along.kind !== "network") {
    throw new LookupError(`--form matrix applies to metrics pulled back along a network; '${metric.name}' is not one`);
  }
  const { parameters, definitions } = inRequestGraph(metric, () => metricMatrixForm(metric));
  return { ...metricHeader(metric), form: "matrix", parameters, definitions };
}
