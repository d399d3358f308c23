// Compiled evaluators for a metric's geometry, with the degeneracy checks every quantity that
// needs g⁻¹ must pass: a (nearly) singular metric is an error naming the point and det g.
import { insteadOf, quantity, type QuantityName, restriction } from "../core/quantities.js";
import type { Metric } from "../semantics/model.js";
import { type Expr, graphCache } from "../symbolic/expr.js";
import { DAG, type Geometry, geometry } from "../symbolic/geometry.js";
import { metricComponents } from "../symbolic/metric.js";
import { compile, type CompiledFunction } from "./codegen.js";
import { bindParams, EvaluationError } from "./evaluate.js";

export { QUANTITY_NAMES } from "../core/quantities.js";
export type GeometryQuantity = QuantityName;

export interface SymbolicQuantity {
  name: GeometryQuantity;
  shape: number[];
  entries: Expr[];
}

const geoCache = graphCache<Metric, { geo: Geometry }>();

/** The metric's geometry, built once per metric. */
export function geoOf(metric: Metric) {
  let c = geoCache.get(metric);
  if (!c) {
    c = { geo: geometry(metricComponents(metric), metric.manifold.coords) };
    geoCache.set(metric, c);
  }
  return c;
}

export interface GeodesicEvaluators {
  /** Γ^a_bc, flat (a, b, c) row-major. */
  gamma: CompiledFunction;
  /** g flat, then det g. */
  metric: CompiledFunction;
}

const geodesicCache = new WeakMap<Metric, GeodesicEvaluators>();

/** Points a fresh evaluator runs on once: V8 then optimizes it, where ~1,500 single calls would run interpreted first. */
const WARM_POINTS = 2048;

function warm(f: CompiledFunction): void {
  const n = f.inputs.length;
  const input = Float64Array.from({ length: WARM_POINTS * n }, (_, i) => 0.25 + ((i * 0.618034) % 1));
  f.run(input, new Float64Array(f.params.length).fill(1), new Float64Array(WARM_POINTS * f.outputCount), WARM_POINTS);
}

/** The geodesic equation's evaluators, compiled and warmed once per metric (every solve on it reuses them). */
export function geodesicEvaluators(metric: Metric): GeodesicEvaluators {
  let e = geodesicCache.get(metric);
  if (!e) {
    const { geo } = geoOf(metric);
    e = { gamma: compile(geo.christoffel.flat(2), geo.coords), metric: compile([...geo.g.flat(), geo.det], geo.coords) };
    warm(e.gamma);
    geodesicCache.set(metric, e);
  }
  return e;
}

/** A quantity's components as DAG nodes (row-major) with its index shape. */
export function symbolicQuantity(metric: Metric, q: GeometryQuantity): SymbolicQuantity {
  const { geo } = geoOf(metric);
  const n = geo.coords.length;
  const why = restriction(q, n, metric.manifold.name);
  const alt = insteadOf(q);
  if (why) throw new EvaluationError(`${why}${alt ? ` (use ${alt.name})` : ""}`);
  return { name: q, shape: quantity(q).shape(n), entries: quantity(q).define(DAG, geo.quantities) };
}

/** Relative size below which det g counts as zero. */
export const DEGENERATE = 1e-12;

export interface QuantityEvaluator {
  quantity: SymbolicQuantity;
  compiled: CompiledFunction;
  /** Values at a point, after checking that g is not degenerate there (for quantities that need g⁻¹). */
  at(point: number[]): number[];
}

/**
 * Throw unless det g is clearly nonzero relative to the size of g: the product of its rows' largest |g_ab| (Hadamard's
 * bound up to n^(n/2), so diag(1e200, 1e-200) with det 1 is of size 1, not 1e400): the check every quantity that
 * needs g⁻¹ passes, on either route (numeric/route.ts applies it to the matrix engine's det).
 */
export function assertNondegenerate(name: string, point: number[], det: number, g: ArrayLike<number>, n: number): void {
  const entries = Array.from(g);
  let logScale = 0;
  for (let a = 0; a < n; a++) {
    let r = 0;
    for (let b = 0; b < n; b++) r = Math.max(r, Math.abs(entries[a * n + b]));
    logScale += Math.log(r);
  }
  const finite = Number.isFinite(det) && entries.every(Number.isFinite);
  const relative = det === 0 ? 0 : Math.exp(Math.log(Math.abs(det)) - logScale);
  if (!finite || !(relative > DEGENERATE)) {
    const what = finite
      ? `det g = ${det}${det !== 0 && Number.isFinite(relative) ? ` (relative to the size of g: ${relative.toExponential(2)})` : ""}`
      : `g is not finite there (det g = ${det})`;
    throw new EvaluationError(
      `metric '${name}' is degenerate at (${point.join(", ")}): ${what}; its inverse, Christoffel symbols and curvature do not exist there`,
    );
  }
}

/** det g and the scale of g at a point: what the degeneracy check needs. */
function detCheck(metric: Metric, env: ReadonlyMap<string, number>) {
  const { geo } = geoOf(metric);
  const f = compile([geo.det, ...geo.g.flat()], metric.manifold.coords);
  const p = bindParams(f, env, `metric '${metric.name}'`);
  const n = geo.coords.length;
  return (point: number[]) => {
    const v = f.at(point, p);
    assertNondegenerate(metric.name, point, v[0], v.subarray(1), n);
  };
}

export function quantityEvaluator(metric: Metric, q: GeometryQuantity, env: ReadonlyMap<string, number>): QuantityEvaluator {
  const quantity = symbolicQuantity(metric, q);
  const compiled = compile(quantity.entries, metric.manifold.coords);
  const params = bindParams(compiled, env, `${q} of '${metric.name}'`);
  const check = q === "determinant" ? null : detCheck(metric, env);
  return {
    quantity,
    compiled,
    at(point) {
      check?.(point);
      const v = Array.from(compiled.at(point, params));
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0)
        throw new EvaluationError(
          `${q} of '${metric.name}' is not finite at (${point.join(", ")}): component ${componentName(quantity.shape, bad)} = ${v[bad]}`,
        );
      return v;
    },
  };
}

/** 1-based index text of entry k of a tensor with this shape: [2][1][2]. */
export function componentName(shape: number[], k: number): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  for (let d = shape.length - 1, r = k; d >= 0; d--) {
    idx.unshift((r % shape[d]) + 1);
    r = Math.floor(r / shape[d]);
  }
  return idx.map((i) => `[${i}]`).join("");
}
