// A metric's geometric quantities as plain data: the simplified closed forms of their components (the listing
// `rgnn geometry` prints), and their values at points with the components worth reading picked out.
import { quantity } from "../core/quantities.js";
import type { Metric } from "../semantics/model.js";
import { type GeometryQuantity, symbolicQuantity } from "../numeric/geometry.js";
import { pointQuantity } from "../numeric/route.js";
import { type Expr, inRequestGraph, num, substitute } from "../symbolic/expr.js";
import { print, printable } from "../symbolic/print.js";
import { simplifyAll } from "../symbolic/simplify/index.js";
import { assertSymbolicFeasible } from "../symbolic/size.js";
import { indicesOf } from "../symbolic/tensor.js";
import { latex } from "../render/latex-expr.js";
import { assertInChart } from "./chart.js";

/** One component of a listing: its indices (numbers and coordinate names) and its closed form. */
export interface SymbolicComponent {
  index: number[];
  coords: string[];
  /** The simplified component as text (rgnn/mathjs syntax) and LaTeX; null where it is too large to print. */
  text: string | null;
  latex: string | null;
}

export interface SymbolicQuantityListing {
  metric: string;
  manifold: string;
  coords: string[];
  quantity: GeometryQuantity;
  /** [] for a scalar, [n, n] for g^ab and R_ab, [n, n, n] for Γ^a_bc, [n, n, n, n] for R^a_bcd. */
  shape: number[];
  /** The symmetry giving the components not listed (e.g. "Gamma^a_cb = Gamma^a_bc"), or null. */
  symmetry: string | null;
  /** The components worth reading: a scalar, else those nonzero in simplified form, one of each symmetric set. */
  listed: SymbolicComponent[];
  /** Every component in row-major order of `shape`, as text (null where too large to print). */
  tensor: (string | null)[];
}

/** True for the components a listing shows: one of each set the quantity's symmetry relates (Γ^a_bc = Γ^a_cb). */
const independent = (q: GeometryQuantity, shape: readonly number[], k: number) => quantity(q).independent(indicesOf(shape, k));

const isZero = (e: Expr) => e.op === "num" && e.value === 0;

/** Each entry's simplified form, distinct entries simplified once (symmetric components are shared nodes). */
function simplifiedEntries(entries: readonly Expr[]): Expr[] {
  const distinct = [...new Set(entries)];
  const done = new Map(simplifyAll(distinct).map((s, i) => [distinct[i], s.expr]));
  return entries.map((e) => done.get(e)!);
}

/**
 * A geometric quantity of a metric in closed form, simplified, with `set` values written for their symbols.
 * Components proved identically zero are left out of `listed` like structural zeros. Throws SymbolicSizeError
 * when the closed form would be too large to build, EvaluationError for a quantity the dimension excludes.
 * @example
 * const l = geometrySymbolic(pickMetric(sphere), "christoffel");
 * l.listed.map((c) => `Γ^${c.coords[0]}_${c.coords[1]}${c.coords[2]} = ${c.text}`);
 */
export function geometrySymbolic(
  metric: Metric,
  q: GeometryQuantity,
  set: ReadonlyMap<string, number> = new Map(),
): SymbolicQuantityListing {
  return inRequestGraph(metric, () => listingOf(metric, q, set));
}

function listingOf(metric: Metric, q: GeometryQuantity, set: ReadonlyMap<string, number>): SymbolicQuantityListing {
  const def = quantity(q);
  assertSymbolicFeasible(metric, def.derivatives, def.title);
  const raw = symbolicQuantity(metric, q);
  const values = new Map([...set].map(([k, v]) => [k, num(v)] as const));
  const entries = simplifiedEntries(values.size ? substitute(raw.entries, values) : raw.entries);
  const shape = raw.shape;
  const coords = metric.manifold.coords;
  const ks = shape.length === 0 ? [0] : entries.map((_, k) => k).filter((k) => independent(q, shape, k) && !isZero(entries[k]));
  return {
    metric: metric.name,
    manifold: metric.manifold.name,
    coords,
    quantity: q,
    shape,
    symmetry: def.symmetry ?? null,
    listed: ks.map((k) => {
      const index = indicesOf(shape, k);
      const big = !printable(entries[k]);
      return { index, coords: index.map((i) => coords[i]), text: big ? null : print(entries[k]), latex: big ? null : latex(entries[k]) };
    }),
    tensor: entries.map((e) => (printable(e) ? print(e) : null)),
  };
}

export interface QuantityValue {
  point: number[];
  /** [] for a scalar, [n, n] for g^ab and R_ab, [n, n, n] for Γ^a_bc, [n, n, n, n] for R^a_bcd. */
  shape: number[];
  /** Components in row-major order of `shape`. */
  values: number[];
  /** The components worth reading: a scalar, else the nonzero ones, one of each symmetric set. */
  listed: { index: number[]; value: number }[];
}

/**
 * A geometric quantity of a metric (volume, determinant, inverse, christoffel, riemann, ricci, scalar, gaussian, …)
 * at each point, with the nonzero independent components picked out (what `rgnn geometry --at` lists).
 * Throws EvaluationError where it is not finite.
 * @example
 * const [k] = geometryAt(pickMetric(model), "gaussian", [[1, 2]], valuesOf(model, { R: 2 }));
 * k.values[0]; // 1/R² = 0.25 on a sphere of radius 2
 */
export function geometryAt(metric: Metric, q: GeometryQuantity, points: number[][], env: ReadonlyMap<string, number>): QuantityValue[] {
  assertInChart(metric.manifold, points);
  return inRequestGraph(metric, () => {
    const ev = pointQuantity(metric, q, env);
    const shape = ev.shape;
    return points.map((point) => {
      const values = Array.from(ev.at(point));
      // symbolically zero entries are zero here too: the nonzero independent ones are those a listing shows
      const ks = shape.length === 0 ? [0] : values.map((_, k) => k).filter((k) => values[k] !== 0 && independent(q, shape, k));
      return { point, shape, values, listed: ks.map((k) => ({ index: indicesOf(shape, k), value: values[k] })) };
    });
  });
}
