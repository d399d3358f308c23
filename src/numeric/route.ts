// The one place that decides how a metric or a network is evaluated at points: the symbolic route
// (closed forms on the DAG, compiled) while its DAG stays small, the matrix engine (engine/) when the
// up-front estimate of symbolic/size.ts makes it the faster route (routeThreshold). The engine serves pullbacks of the
// Euclidean metric along a network; other metrics, and networks inside composed maps, keep the
// symbolic route. Both routes agree to round-off (test/numeric/route.test.ts runs both).
import { REAL } from "../core/functions.js";
import { geometryOver, quantity, restriction, insteadOf } from "../core/quantities.js";
import type { Mapping, Metric, Network } from "../semantics/model.js";
import { assertSymbolicFeasible, estimateMappingSize, estimateSymbolicSize } from "../symbolic/size.js";
import {
  determinant,
  energyTermsAt,
  geodesicAccelerationAt,
  geodesicAccelerationsAt,
  geometryAt,
  inverseAndDet,
  jacobianAt,
  metricAt,
  metricsAt,
  type PointsGeometry,
} from "./engine/geometry.js";
import { blockServes, pointOfBlock, propagateBlocks, writeBlock } from "./engine/batch.js";
import { prepareNetwork, propagate, workspace } from "./engine/network.js";
import {
  assertFinite,
  bindParams,
  EvaluationError,
  locateInPullback,
  layerStatesEvaluator,
  locateLayer,
  mappingEvaluator,
  metricEvaluator,
} from "./evaluate.js";
import { assertNondegenerate, componentName, type GeometryQuantity, geodesicEvaluators, quantityEvaluator } from "./geometry.js";
import type { Mat } from "./linalg.js";

export type Route = "symbolic" | "matrix";

/**
 * The cost model of the route choice, in CPU µs for a request at a point (`--at`): the symbolic route builds,
 * simplifies and compiles its DAG, about 20 µs a node (measured 15–35 µs on residual and dense tanh nets of widths
 * 2–16, metric to curvature); the engine sets up (weights, buffers, the WebAssembly kernel) in about 100 ms and
 * 0.3 ms a layer, then takes microseconds a point. Hence the engine from (100 ms + 0.3 ms·L) / 20 µs nodes on:
 * 5·10³ nodes at depth 1 (the 2→16→16→2 MLP's metric, 10⁴ nodes, is 2.3× faster there), 2·10⁴ at depth 1024 (the
 * width-2 depth-1024 residual net, 4.5·10⁴: 2.3×). Per point the symbolic route's compiled code is cheaper only on
 * nets this small, so the choice stands for many points too.
 */
const SYMBOLIC_US_PER_NODE = 20,
  ENGINE_SETUP_US = 1e5,
  ENGINE_US_PER_LAYER = 300;

/** Estimated DAG nodes beyond which the engine is the faster route for a network of `layers` layers. */
export const routeThreshold = (layers: number) => (ENGINE_SETUP_US + ENGINE_US_PER_LAYER * layers) / SYMBOLIC_US_PER_NODE;

/**
 * The same for the geodesic equation, lower: a boundary-value geodesic evaluates Γ(v, v) about 10³ times, which the
 * engine's directional pass does in tens of µs on narrow deep nets, while compiling a Γ of 10⁴ nodes takes seconds
 * (examples/deep-resnet.rgnn: 3 s to compile, against 0.3 s for the whole solve on the engine).
 */
export const GEODESIC_ROUTE_THRESHOLD = 5e3;

/** RGNN_ROUTE=symbolic|matrix forces a route where both exist: for tests and comparisons, not for users. */
function forced(): Route | undefined {
  const r = process.env.RGNN_ROUTE;
  return r === "symbolic" || r === "matrix" ? r : undefined;
}

export interface EnginePullback {
  net: Network;
  /** The layer the metric lives on (0 = the input). */
  from: number;
}

/** What the matrix engine needs of a metric: a network it is pulled back along (Euclidean on the output), or null. */
export function enginePullback(metric: Metric): EnginePullback | null {
  const d = metric.def;
  if (d.kind !== "pullback" || d.along.kind !== "network" || d.of.def.kind !== "euclidean") return null;
  return { net: d.along, from: d.layer };
}

/** The route for a metric's quantities of this derivative order at points. */
export function metricRoute(metric: Metric, derivatives: 0 | 1 | 2, threshold?: number): Route {
  const e = enginePullback(metric);
  if (!e) return "symbolic";
  const limit = threshold ?? routeThreshold(e.net.layers.length - e.from);
  return forced() ?? (estimateSymbolicSize(metric, derivatives) > limit ? "matrix" : "symbolic");
}

/** The route for a mapping's coordinates, Jacobian and metric at points. */
export function mappingRoute(m: Mapping): Route {
  if (m.kind !== "network") return "symbolic";
  return forced() ?? (estimateMappingSize(m) > routeThreshold(m.layers.length) ? "matrix" : "symbolic");
}

const rows = (flat: ArrayLike<number>, r: number, c: number): Mat =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => flat[i * c + j]));

/** g at points, by the route metricRoute picks; throws EvaluationError where it is not finite. */
export function pointMetric(metric: Metric, env: ReadonlyMap<string, number>): { route: Route; at(point: number[]): Mat } {
  const e = enginePullback(metric);
  if (!e || metricRoute(metric, 0) === "symbolic") {
    assertSymbolicFeasible(metric, 0, "the metric");
    const ev = metricEvaluator(metric, env);
    return { route: "symbolic", at: (p) => ev.at(p) };
  }
  const net = prepareNetwork(e.net, env),
    n = metric.manifold.dim;
  return {
    route: "matrix",
    at(point) {
      const g = rows(metricAt(net, point, { from: e.from }), n, n);
      assertFinite(g, `metric '${metric.name}'`, "g", point, () => locateInPullback(metric, point, env));
      return g;
    },
  };
}

export interface MappingAtPoint {
  output: number[];
  jacobian: Mat;
  metric: Mat;
}

export interface PointMapping {
  route: Route;
  at(point: number[]): MappingAtPoint;
  /**
   * `at` at every point, in order: on the matrix route by blocks of points through the network (engine/batch.ts: one
   * W·X per layer for the whole block, 2–3× the throughput of point by point). Where `at` would throw (a value that is
   * not finite), the first such point throws the same error.
   */
  many(points: number[][]): MappingAtPoint[];
  /** `many` into flat arrays (point-major, J and g row-major), without a nested array per point: the same values. */
  flat(points: number[][]): FlatMappingValues;
}

/** Values at `count` points, point after point: output (count × m), Jacobian (count × m × n), metric (count × n × n). */
export interface FlatMappingValues {
  count: number;
  output: Float64Array;
  jacobian: Float64Array;
  metric: Float64Array;
}

function flatValues(count: number, n: number, m: number): FlatMappingValues {
  return { count, output: new Float64Array(count * m), jacobian: new Float64Array(count * m * n), metric: new Float64Array(count * n * n) };
}

/** One point's MappingAtPoint written into slot k of flat values. */
function putPoint(v: FlatMappingValues, k: number, r: MappingAtPoint): void {
  const m = r.output.length,
    n = r.metric.length;
  v.output.set(r.output, k * m);
  for (let i = 0; i < m; i++) v.jacobian.set(r.jacobian[i], (k * m + i) * n);
  for (let a = 0; a < n; a++) v.metric.set(r.metric[a], (k * n + a) * n);
}

/** g = JᵀJ (n × n) of J (m × n, row-major) into g at `at`: the one formula both the nested and the flat values use. */
function gramInto(J: ArrayLike<number>, m: number, n: number, g: Float64Array, at = 0): void {
  for (let a = 0; a < n; a++)
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += J[i * n + a] * J[i * n + b];
      g[at + a * n + b] = g[at + b * n + a] = s;
    }
}

/** Whether the `count` values of xs from `at` on are all finite. */
function allFinite(xs: Float64Array, at: number, count: number): boolean {
  for (let i = at; i < at + count; i++) if (!Number.isFinite(xs[i])) return false;
  return true;
}

/**
 * `flat` on chunks of points, for output that streams: where a chunk has a point `at` rejects, the values before
 * it come out as a shorter chunk and the error is thrown at the point itself (what `eachPoint` does point by point).
 */
export function* eachFlat(ev: PointMapping, points: number[][], dims: { n: number; m: number }, chunk = 256): Generator<FlatMappingValues> {
  for (let k = 0; k < points.length; k += chunk) {
    const part = points.slice(k, k + chunk);
    let values: FlatMappingValues | null = null;
    try {
      values = ev.flat(part);
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
    }
    if (values) {
      yield values;
      continue;
    }
    const some = flatValues(part.length, dims.n, dims.m);
    for (let j = 0; j < part.length; j++) {
      let r: MappingAtPoint;
      try {
        r = ev.at(part[j]);
      } catch (e) {
        if (j > 0) yield { ...some, count: j };
        throw e;
      }
      putPoint(some, j, r);
    }
    yield some;
  }
}

/**
 * `at` at each point in turn, for output that streams: `many` on chunks of points, and where a chunk has a point
 * `at` rejects, that chunk point by point, so the values before it come out and the error comes at the point itself.
 */
export function* eachPoint(ev: PointMapping, points: number[][], chunk = 256): Generator<MappingAtPoint> {
  for (let k = 0; k < points.length; k += chunk) {
    const part = points.slice(k, k + chunk);
    let values: MappingAtPoint[] | null = null;
    try {
      values = ev.many(part);
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
    }
    if (values) yield* values;
    else for (const p of part) yield ev.at(p);
  }
}

/** A mapping's output, Jacobian and pulled-back Euclidean metric at points, by the route mappingRoute picks. */
export function pointMapping(mapping: Mapping, env: ReadonlyMap<string, number>): PointMapping {
  if (mapping.kind !== "network" || mappingRoute(mapping) === "symbolic") {
    const ev = mappingEvaluator(mapping, env);
    const at = (p: number[]) => ev.at(p);
    const dims = { n: mapping.source.dim, m: mapping.target.dim };
    return {
      route: "symbolic",
      at,
      many: (points) => points.map(at),
      flat(points) {
        const v = flatValues(points.length, dims.n, dims.m);
        for (let k = 0; k < points.length; k++) putPoint(v, k, at(points[k]));
        return v;
      },
    };
  }
  const net = prepareNetwork(mapping, env),
    n = mapping.source.dim,
    m = mapping.target.dim;
  /** x, J (m × n, row-major) and g = JᵀJ as the command prints them. */
  const value = (output: ArrayLike<number>, J: ArrayLike<number>): MappingAtPoint => {
    const g = new Float64Array(n * n);
    gramInto(J, m, n, g);
    return { output: Array.from(output), jacobian: rows(J, m, n), metric: rows(g, n, n) };
  };
  const at = (point: number[]) => {
    const { output, J } = jacobianAt(net, point);
    const r = value(output, J);
    const locate = () => locateLayer(mapping, point, env);
    assertFinite([r.output], `'${mapping.name}'`, "output", point, locate);
    assertFinite(r.jacobian, `'${mapping.name}'`, "J", point, locate);
    return r;
  };
  return {
    route: "matrix",
    at,
    many(points) {
      if (!blockServes(net) || points.some((p) => p.length !== n)) return points.map(at);
      const out: MappingAtPoint[] = [];
      const J = new Float64Array(m * n);
      propagateBlocks(net, Float64Array.from(points.flat()), n, (block) => {
        for (let b = 0; b < block.B; b++) {
          const { output, finite } = pointOfBlock(block, b, n, J);
          // where not finite, the one message `at` gives, with the layer where it first failed
          out.push(finite ? value(output, J) : at(points[block.first + b]));
        }
      });
      return out;
    },
    flat(points) {
      if (!blockServes(net) || points.some((p) => p.length !== n)) {
        const v = flatValues(points.length, n, m);
        for (let k = 0; k < points.length; k++) putPoint(v, k, at(points[k]));
        return v;
      }
      const v = flatValues(points.length, n, m);
      propagateBlocks(net, Float64Array.from(points.flat()), n, (block) => {
        // x, J and g (summed as gramInto sums) straight from the block; from its first point with a value that is not
        // finite on, `at` throws the one message it gives, with the layer where it first failed (a g that overflowed
        // alone is no error: `at` passes it)
        const bad = writeBlock(block, n, v);
        if (bad >= 0)
          for (let k = bad; k < block.first + block.B; k++)
            if (!allFinite(v.output, k * m, m) || !allFinite(v.jacobian, k * m * n, m * n)) at(points[k]);
      });
      return v;
    },
  };
}

/** What the geodesic solvers evaluate: g (flat) with det g, and Γ^a_bc (flat, (a·n + b)·n + c), at chart points. */
export interface GeodesicBackend {
  route: Route;
  metric(x: ArrayLike<number>): { g: Float64Array; det: number };
  christoffel(x: Float64Array, out: Float64Array): void;
  /** g, det g and Γ at one point: one pass of the engine where it runs. */
  both(x: Float64Array, out: Float64Array): { g: Float64Array; det: number };
  /** Γ^a_bc(x) v^b v^c into out (n): the geodesic equation's right-hand side without all of Γ where the engine runs. */
  acceleration(x: Float64Array, v: Float64Array, out: Float64Array): void;
  /**
   * The same at many points (x and v row after row, n each) into acc, with g and det g into `at`: on the matrix route
   * one block pass through the network for all of them (engine/geometry.ts, geodesicAccelerationsAt).
   */
  accelerations(x: Float64Array, v: Float64Array, acc: Float64Array, at: PointsGeometry): void;
  /** g, det g and ∂_a g(d, d) (into dE, n a point) at points x with directions d: what the curve energy needs. */
  energyTerms(x: Float64Array, d: Float64Array, dE: Float64Array, at: PointsGeometry): void;
  /** g and det g at points. */
  metrics(x: Float64Array, at: PointsGeometry): void;
}

/** Γ(v, v) from all of Γ (n³ flat). */
function contract(G: Float64Array, v: ArrayLike<number>, n: number, out: Float64Array): void {
  for (let a = 0; a < n; a++) {
    let acc = 0;
    for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) acc += G[(a * n + b) * n + c] * v[b] * v[c];
    out[a] = acc;
  }
}

/** The geodesic equation's evaluators, by the route metricRoute picks for first derivatives (Γ). */
export function geodesicBackend(metric: Metric, env: ReadonlyMap<string, number>): GeodesicBackend {
  const e = enginePullback(metric),
    n = metric.manifold.dim;
  if (!e || metricRoute(metric, 1, GEODESIC_ROUTE_THRESHOLD) === "symbolic") {
    assertSymbolicFeasible(metric, 1, "the geodesic equation");
    const ev = geodesicEvaluators(metric); // compiled once per metric
    const gp = bindParams(ev.gamma, env, `metric '${metric.name}'`),
      mp = bindParams(ev.metric, env, `metric '${metric.name}'`);
    const metricOf = (x: ArrayLike<number>) => {
      const v = ev.metric.at(x, mp);
      return { g: v.subarray(0, n * n), det: v[n * n] };
    };
    const christoffel = (x: Float64Array, out: Float64Array) => ev.gamma.run(x, gp, out, 1);
    const G = new Float64Array(n ** 3);
    return {
      route: "symbolic",
      metric: metricOf,
      christoffel,
      both(x, out) {
        christoffel(x, out);
        return metricOf(x);
      },
      acceleration(x, v, out) {
        christoffel(x, G);
        contract(G, v, n, out);
      },
      ...pointByPoint(n, metricOf, (x, out) => {
        christoffel(x, out);
        return metricOf(x);
      }),
    };
  }
  const net = prepareNetwork(e.net, env),
    opts = { from: e.from },
    ws = workspace(net, n, 2); // the directional passes' buffers, reused: the solver runs thousands of them
  const det = (g: Float64Array) => determinant(g, n);
  // the last point `acceleration` ran at, with its g: the integrator's degeneracy guard asks for g exactly there
  const last = { x: new Float64Array(n).fill(NaN), g: new Float64Array(n * n), det: NaN };
  return {
    route: "matrix",
    metric(x) {
      let same = true;
      for (let a = 0; a < n && same; a++) same = x[a] === last.x[a];
      if (same) return { g: last.g.slice(), det: last.det };
      const g = metricAt(net, x, opts);
      return { g, det: det(g) };
    },
    acceleration(x, v, out) {
      const r = geodesicAccelerationAt(net, x, v, out, opts, ws);
      if (!r) {
        contract(geometryAt(net, x, opts).christoffel, v, n, out);
        return;
      }
      last.x.set(x);
      last.g.set(r.g);
      last.det = det(r.g);
    },
    christoffel(x, out) {
      out.set(geometryAt(net, x, opts).christoffel);
    },
    both(x, out) {
      const pg = geometryAt(net, x, opts);
      out.set(pg.christoffel);
      return { g: pg.g, det: pg.det };
    },
    accelerations(x, v, acc, at) {
      if (geodesicAccelerationsAt(net, x, v, n, acc, at, opts)) return;
      for (let k = 0; k * n < x.length; k++) {
        const xk = x.subarray(k * n, (k + 1) * n);
        this.acceleration(xk, v.subarray(k * n, (k + 1) * n), acc.subarray(k * n, (k + 1) * n));
        const { g, det } = this.metric(xk);
        at.g.set(g, k * n * n);
        at.det[k] = det;
      }
    },
    energyTerms(x, d, dE, at) {
      if (energyTermsAt(net, x, d, n, dE, at, opts)) return;
      for (let k = 0; k * n < x.length; k++) {
        const { g, dg } = geometryAt(net, x.subarray(k * n, (k + 1) * n), opts);
        at.g.set(g, k * n * n);
        at.det[k] = det(g);
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) s += dg![(a * n + b) * n + c] * d[k * n + b] * d[k * n + c];
          dE[k * n + a] = s;
        }
      }
    },
    metrics(x, at) {
      at.g.set(metricsAt(net, x, n, opts));
      for (let k = 0; k * n < x.length; k++) at.det[k] = det(at.g.subarray(k * n * n, (k + 1) * n * n));
    },
  };
}

/**
 * The batched evaluators point by point, from g and from g with Γ at one point: the symbolic route, whose compiled
 * code has no block pass. ∂_a g(d, d) = 2 (g d)_l Γ^l_ac d^c by metric compatibility (∂_a g_bc = g_bl Γ^l_ac + g_cl Γ^l_ab).
 */
function pointByPoint(
  n: number,
  metricOf: (x: Float64Array) => { g: ArrayLike<number>; det: number },
  withChristoffel: (x: Float64Array, out: Float64Array) => { g: ArrayLike<number>; det: number },
): Pick<GeodesicBackend, "accelerations" | "energyTerms" | "metrics"> {
  const G = new Float64Array(n ** 3),
    gd = new Float64Array(n);
  const metrics = (x: Float64Array, at: PointsGeometry) => {
    for (let k = 0; k * n < x.length; k++) {
      const { g, det } = metricOf(x.subarray(k * n, (k + 1) * n));
      at.g.set(g, k * n * n);
      at.det[k] = det;
    }
  };
  return {
    metrics,
    accelerations(x, v, acc, at) {
      for (let k = 0; k * n < x.length; k++) {
        const { g, det } = withChristoffel(x.subarray(k * n, (k + 1) * n), G);
        contract(G, v.subarray(k * n, (k + 1) * n), n, acc.subarray(k * n, (k + 1) * n));
        at.g.set(g, k * n * n);
        at.det[k] = det;
      }
    },
    energyTerms(x, d, dE, at) {
      for (let k = 0; k * n < x.length; k++) {
        const { g, det } = withChristoffel(x.subarray(k * n, (k + 1) * n), G);
        at.g.set(g, k * n * n);
        at.det[k] = det;
        const dk = d.subarray(k * n, (k + 1) * n);
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let b = 0; b < n; b++) s += g[a * n + b] * dk[b];
          gd[a] = s;
        }
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let l = 0; l < n; l++) for (let c = 0; c < n; c++) s += 2 * gd[l] * G[(l * n + a) * n + c] * dk[c];
          dE[k * n + a] = s;
        }
      }
    },
  };
}

/** Every layer's state x_0 … x_L at each point (the figures' grids), by the route mappingRoute picks. */
export function layerStates(net: Network, env: ReadonlyMap<string, number>): (points: number[][]) => number[][][] {
  if (mappingRoute(net) === "symbolic") return layerStatesEvaluator(net, env);
  const p = prepareNetwork(net, env);
  return (points) => points.map((x) => [x, ...propagate(p, x, 0, {}, true).caches!.map((c) => Array.from(c.x))]);
}

export interface PointQuantity {
  route: Route;
  shape: number[];
  /** Components (row-major) at a point, after the degeneracy check for quantities that need g⁻¹. */
  at(point: number[]): number[];
}

/** A geometric quantity of a metric at points, by the route metricRoute picks for its derivative order. */
export function pointQuantity(metric: Metric, q: GeometryQuantity, env: ReadonlyMap<string, number>): PointQuantity {
  const entry = quantity(q),
    derivatives = entry.derivatives,
    n = metric.manifold.dim;
  const e = enginePullback(metric);
  if (!e || metricRoute(metric, derivatives) === "symbolic") {
    assertSymbolicFeasible(metric, derivatives, entry.title);
    const ev = quantityEvaluator(metric, q, env);
    return { route: "symbolic", shape: ev.quantity.shape, at: (p) => ev.at(p) };
  }
  const why = restriction(q, n, metric.manifold.name),
    alt = insteadOf(q);
  if (why) throw new EvaluationError(`${why}${alt ? ` (use ${alt.name})` : ""}`);
  const net = prepareNetwork(e.net, env);
  const shape = entry.shape(n);
  return {
    route: "matrix",
    shape,
    at(point) {
      // the engine's own geometry (Γ and curvature already evaluated from the table) where derivatives are needed
      const pg = derivatives === 0 ? null : geometryAt(net, point, { from: e.from, curvature: derivatives === 2 });
      const flat = pg ? pg.g : metricAt(net, point, { from: e.from });
      const g = rows(flat, n, n);
      assertFinite(g, `metric '${metric.name}'`, "g", point, () => locateInPullback(metric, point, env));
      const { inverse, det } = pg ?? inverseAndDet(flat, n);
      if (q !== "determinant") assertNondegenerate(metric.name, point, det, flat, n);
      const algebraic = (): never => {
        throw new Error(`${q} needs no derivatives of g`);
      };
      const geo = pg?.quantities ?? geometryOver(REAL, { g, det, inverse: rows(inverse, n, n), dg: algebraic, dGamma: algebraic });
      const v = entry.define(REAL, geo);
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0)
        throw new EvaluationError(
          `${q} of '${metric.name}' is not finite at (${point.join(", ")}): component ${componentName(shape, bad)} = ${v[bad]}`,
        );
      return v;
    },
  };
}
