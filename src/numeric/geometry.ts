// Compiled evaluators for a metric's geometry, with the degeneracy checks every quantity that
// needs g⁻¹ must pass: a (nearly) singular metric is an error naming the point and det g.
import type { Metric } from "../semantics/model.js";
import type { Expr } from "../symbolic/expr.js";
import { gaussianCurvature, type Geometry, geometry, ricci, riemann, scalarCurvature } from "../symbolic/geometry.js";
import { metricComponents } from "../symbolic/metric.js";
import { compile, type CompiledFunction } from "./codegen.js";
import { bindParams, EvaluationError } from "./evaluate.js";

export const QUANTITY_NAMES = ["volume", "determinant", "inverse", "christoffel", "riemann", "ricci", "scalar", "gaussian"] as const;
export type GeometryQuantity = (typeof QUANTITY_NAMES)[number];

export interface SymbolicQuantity { name: GeometryQuantity; shape: number[]; entries: Expr[] }

const geoCache = new WeakMap<Metric, { geo: Geometry; R?: Expr[][][][] }>();

/** The metric's geometry, built once per metric. */
export function geoOf(metric: Metric) {
  let c = geoCache.get(metric);
  if (!c) { c = { geo: geometry(metricComponents(metric), metric.manifold.coords) }; geoCache.set(metric, c); }
  return c;
}

/** A quantity's components as DAG nodes (row-major) with its index shape. */
export function symbolicQuantity(metric: Metric, q: GeometryQuantity): SymbolicQuantity {
  const c = geoOf(metric);
  const { geo } = c;
  const n = geo.coords.length;
  const R = () => (c.R ??= riemann(geo));
  switch (q) {
    case "volume": return { name: q, shape: [], entries: [geo.volume] };
    case "determinant": return { name: q, shape: [], entries: [geo.det] };
    case "inverse": return { name: q, shape: [n, n], entries: geo.inverse.flat() };
    case "christoffel": return { name: q, shape: [n, n, n], entries: geo.christoffel.flat(2) };
    case "riemann": return { name: q, shape: [n, n, n, n], entries: R().flat(3) };
    case "ricci": return { name: q, shape: [n, n], entries: ricci(R()).flat() };
    case "scalar": return { name: q, shape: [], entries: [scalarCurvature(geo, ricci(R()))] };
    case "gaussian": {
      if (n !== 2) throw new EvaluationError(`Gaussian curvature is defined for 2-dimensional charts; ${metric.manifold.name} has dimension ${n} (use scalar)`);
      return { name: q, shape: [], entries: [gaussianCurvature(geo, R())] };
    }
  }
}

/** Relative size below which det g counts as zero. */
export const DEGENERATE = 1e-12;

export interface QuantityEvaluator {
  quantity: SymbolicQuantity;
  compiled: CompiledFunction;
  /** Values at a point, after checking that g is not degenerate there (for quantities that need g⁻¹). */
  at(point: number[]): number[];
}

/** det g and the scale of g at a point: what the degeneracy check needs. */
function detCheck(metric: Metric, env: ReadonlyMap<string, number>) {
  const { geo } = geoOf(metric);
  const f = compile([geo.det, ...geo.g.flat()], metric.manifold.coords);
  const p = bindParams(f, env, `metric '${metric.name}'`);
  const n = geo.coords.length;
  return (point: number[]) => {
    const v = f.at(point, p);
    const scale = Math.max(...Array.from(v.subarray(1)).map(Math.abs)) ** n;
    if (!Number.isFinite(v[0]) || Math.abs(v[0]) <= DEGENERATE * Math.max(scale, 1e-300)) {
      const what = Number.isFinite(v[0]) && Number.isFinite(scale) ? `det g = ${v[0]}${scale > 0 && v[0] !== 0 ? ` (relative to the size of g: ${(Math.abs(v[0]) / scale).toExponential(2)})` : ""}` : `g is not finite there (det g = ${v[0]})`;
      throw new EvaluationError(`metric '${metric.name}' is degenerate at (${point.join(", ")}): ${what}; its inverse, Christoffel symbols and curvature do not exist there`);
    }
  };
}

export function quantityEvaluator(metric: Metric, q: GeometryQuantity, env: ReadonlyMap<string, number>): QuantityEvaluator {
  const quantity = symbolicQuantity(metric, q);
  const compiled = compile(quantity.entries, metric.manifold.coords);
  const params = bindParams(compiled, env, `${q} of '${metric.name}'`);
  const check = q === "determinant" ? null : detCheck(metric, env);
  return {
    quantity, compiled,
    at(point) {
      check?.(point);
      const v = Array.from(compiled.at(point, params));
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new EvaluationError(`${q} of '${metric.name}' is not finite at (${point.join(", ")}): component ${componentName(quantity.shape, bad)} = ${v[bad]}`);
      return v;
    },
  };
}

/** 1-based index text of entry k of a tensor with this shape: [2][1][2]. */
export function componentName(shape: number[], k: number): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  for (let d = shape.length - 1, r = k; d >= 0; d--) { idx.unshift((r % shape[d]) + 1); r = Math.floor(r / shape[d]); }
  return idx.map((i) => `[${i}]`).join("");
}

