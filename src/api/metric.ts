// A metric as plain data: its components in closed form (text and LaTeX), and its values at points.
import { LAYER_KINDS } from "../core/layers/index.js";
import { layerReadingAcross } from "../semantics/networks.js";
import type { Metric } from "../semantics/model.js";
import { pointMetric } from "../numeric/route.js";
import { classifyMetric, detN, eigenvaluesOf, type MetricType } from "../numeric/linalg.js";
import { latex, latexSymbol } from "../render/latex-expr.js";
import { type Form, type Listing, matrixFormChosen, metricListing } from "../symbolic/listing.js";
import { type MatrixDefinition, type MatrixParameter, metricMatrixForm } from "../symbolic/matrix-form.js";
import { displayNode, type Expr, inRequestGraph, num, substitute } from "../symbolic/expr.js";
import { assertSymbolicFeasible, PRINT_LIMIT, printedSize, SymbolicSizeError } from "../symbolic/size.js";
import { print } from "../symbolic/print.js";
import { LookupError } from "./errors.js";
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

/**
 * A metric's components in closed form. `form`: "auto" (write out in full while small), "explicit" or "layers".
 * @example
 * const s = metricSymbolic(pickMetric(model));
 * s.components[1][1]; // "r^2" for polar coordinates
 */
export function metricSymbolic(metric: Metric, form: Form = "auto", set: ReadonlyMap<string, number> = new Map()): SymbolicMetric {
  return inRequestGraph(metric, () => symbolicMetric(metric, form, set));
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
  const instead =
    metric.def.kind === "pullback" && metric.def.along.kind === "network" ? `print it with ${other}, or evaluate it` : "evaluate it";
  throw new SymbolicSizeError(
    `the metric '${metric.name}' written out ${listing.definitions.length ? "with named layers" : "in full"} would print more than ` +
      `${PRINT_LIMIT / 1e6} million terms; ${instead} at points with --at, or use a smaller network`,
  );
}

export interface MetricValue {
  point: number[];
  /** g_ij at the point. */
  metric: number[][];
  /** Number of non-zero eigenvalues (|λ| > 1e-10·max|λ|; a pullback through a narrow layer has fewer than dim). */
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
  return inRequestGraph(metric, () => {
    const ev = pointMetric(metric, env);
    return points.map((point) => {
      const g = ev.at(point);
      const eigenvalues = eigenvaluesOf(g);
      const { rank, signature, type } = classifyMetric(g, eigenvalues);
      return { point, metric: g, rank, signature, type, eigenvalues, determinant: detN(g) };
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
