// Sizes of symbolic results before they are built or printed: an up-front estimate of the DAG a
// metric (and the derivatives a quantity takes of it) needs, and the size of a printed listing.
// The numeric route choice (numeric/route.ts) and the refusals of requests that could not finish
// both read these, so a request is never started only to hang or run out of memory.
import { pullbackNetwork } from "../semantics/networks.js";
import { EXIT, RgnnError } from "../core/errors.js";
import type { Mapping, Metric } from "../semantics/model.js";
import { type Expr, topoOrder } from "./expr.js";

/** A symbolic request too large to finish: the message says what to do instead. */
export class SymbolicSizeError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/**
 * Estimated DAG nodes of a mapping's coordinates and Jacobian. A network layer w_{l−1} → w_l costs about
 * w_{l−1} w_l (w_l + w_{l−1}/2 + 8) nodes: its z, x and J, and the congruence J_lᵀ g_l J_l that pulls the
 * metric through it (calibrated on dense and residual tanh networks of widths 2–32: within 20% of dagSize).
 */
function mappingSize(m: Mapping): number {
  switch (m.kind) {
    case "network": {
      let s = 0;
      for (const l of m.layers) s += l.inWidth * l.outWidth * (l.outWidth + l.inWidth / 2 + 8);
      return s;
    }
    case "compose":
      return mappingSize(m.first) + mappingSize(m.second) + m.source.dim * m.first.target.dim * m.second.target.dim;
    default:
      // written component by component: a few nodes per component and per Jacobian entry
      return 4 * m.target.dim * (m.source.dim + 1);
  }
}

/** Estimated DAG nodes of a pullback along a network taken to layer `from` (only the layers after it count). */
function networkFrom(m: Mapping, from: number): number {
  if (m.kind !== "network" || from === 0) return mappingSize(m);
  return mappingSize({ ...m, layers: m.layers.slice(from) });
}

/** Estimated DAG nodes of a metric's components g_ab. */
function metricSize(metric: Metric): number {
  const d = metric.def,
    n = metric.manifold.dim;
  switch (d.kind) {
    case "euclidean":
      return n;
    case "components":
      return 4 * n * n;
    case "pullback": {
      const m = d.along.target.dim;
      return networkFrom(d.along, d.layer) + metricSize(d.of) + 2 * n * m * (m + n);
    }
  }
}

/**
 * Estimated DAG nodes of a metric's components and `derivatives` orders of derivatives of them (0: g, det g,
 * g⁻¹; 1: ∂g and Γ; 2: ∂Γ and curvature). Each order multiplies the DAG by about 1 + 1.5n (measured: 4–4.7
 * at n = 2, 5.3–6 at n = 3), and the index algebra adds about n³ (elimination), n⁴ (Γ) or n⁵ (Riemann) nodes.
 */
export function estimateSymbolicSize(metric: Metric, derivatives: 0 | 1 | 2): number {
  const n = metric.manifold.dim;
  return metricSize(metric) * (1 + 1.5 * n) ** derivatives + n ** (3 + derivatives);
}

/** Estimated DAG nodes of a mapping's coordinates, Jacobian and pulled-back Euclidean metric. */
export function estimateMappingSize(m: Mapping): number {
  return mappingSize(m) + 2 * m.source.dim * m.target.dim * (m.target.dim + m.source.dim);
}

/**
 * Beyond this many estimated nodes a symbolic request is refused: building costs about 60 µs and 1 kB a node
 * (the 2→64→64→64→2 tanh MLP, 0.9·10⁶ nodes, took 63–175 s and 1 GB), so 3·10⁵ nodes stay near 20 s.
 */
export const SYMBOLIC_LIMIT = 3e5;

/**
 * Characters-worth of tree nodes a printed listing may have: each node prints as a few characters, and a
 * JavaScript string stops at 2²⁹ characters ("Invalid string length"); 2·10⁶ nodes keep it to megabytes.
 */
export const PRINT_LIMIT = 2e6;

/**
 * Tree nodes when the roots are printed with these names (a named node other than the root prints as its
 * name), counted up to `cap`. Linear in the DAG, so it is measured before anything is printed.
 */
export function printedSize(roots: readonly Expr[], names: ReadonlyMap<Expr, string>, cap = PRINT_LIMIT): number {
  const size = new Map<Expr, number>();
  for (const x of topoOrder(roots)) {
    let s = 1;
    for (const a of x.args) s += names.has(a) ? 1 : size.get(a)!;
    size.set(x, Math.min(s, cap + 1));
  }
  let total = 0;
  for (const r of roots) total = Math.min(total + size.get(r)!, cap + 1);
  return total;
}

/**
 * Tree nodes of the layered listing of a network pullback to layer `from` (z_l, x_l, J_l and g_{l−1} = J_lᵀ g_l J_l
 * named), from the widths alone: per layer w_{l−1} → w_l, the w_{l−1}(w_{l−1}+1)/2 entries of g_{l−1} print w_l²
 * products of about 5 nodes each, and z_l, J_l about 15 nodes per weight. Calibrated on dense and residual
 * tanh networks of widths 4–16 (test/symbolic/size.test.ts: within 20% of printedSize).
 */
export function layeredPrintSize(widths: readonly number[], from: number): number {
  let nodes = 0;
  for (let l = from + 1; l < widths.length; l++) {
    const w = widths[l],
      v = widths[l - 1];
    nodes += 5 * ((v * (v + 1)) / 2) * w * w + 15 * w * v;
  }
  return nodes;
}

/**
 * The one size model of `--form auto`: a metric pulled back along a network is written in matrix form when its
 * symbolic form would pass SYMBOLIC_LIMIT or its layered listing PRINT_LIMIT, so auto takes the form that finishes
 * (the matrix form's size grows with depth only). Decided from the widths, before anything is built.
 */
export function autoTakesMatrixForm(metric: Metric): boolean {
  const d = metric.def;
  if (d.kind !== "pullback" || d.along.kind !== "network") return false;
  const widths = [d.along.layers[0].inWidth, ...d.along.layers.map((l) => l.outWidth)];
  return estimateSymbolicSize(metric, 0) > SYMBOLIC_LIMIT || layeredPrintSize(widths, d.layer) > PRINT_LIMIT;
}

const fmt = (k: number) => (k >= 1e6 ? `${(k / 1e6).toPrecision(2)} million` : `${Math.round(k)}`);

/** Refuse a symbolic computation estimated beyond SYMBOLIC_LIMIT, saying what to do instead. */
export function assertSymbolicFeasible(metric: Metric, derivatives: 0 | 1 | 2, what: string): void {
  const est = estimateSymbolicSize(metric, derivatives);
  if (est <= SYMBOLIC_LIMIT) return;
  const instead = pullbackNetwork(metric)
    ? `${what === "the metric" ? "print it with --form matrix, or " : ""}evaluate it at points with --at (the matrix engine ` +
      "handles any width), or use a smaller network"
    : `evaluate it at points with --at${derivatives ? " where the metric allows it" : ""}, or use a smaller chart`;
  // a shaped layer is a dense one in the symbolic route (the matrix form names its kernel): say how large
  const shaped = pullbackNetwork(metric)?.layers.find((l) => l.shaped);
  const note = shaped
    ? `; layer ${shaped.index} (${shaped.kind}) alone is a ${shaped.outWidth}×${shaped.inWidth} matrix of expressions there`
    : "";
  throw new SymbolicSizeError(
    `${what} of '${metric.name}' is too large to compute symbolically: about ${fmt(est)} expression nodes ` +
      `(the limit is ${fmt(SYMBOLIC_LIMIT)}${note}); ${instead}`,
  );
}
