// Numeric evaluation of the symbolic results: compiled evaluators for a metric, or for a
// mapping's coordinates, Jacobian and metric together, with checks that never let a
// non-finite number through as a result.
import { EXIT, RgnnError } from "../core/errors.js";
import type { Mapping, Metric, Model } from "../semantics/model.js";
import type { Expr } from "../symbolic/expr.js";
import { mappingExprs, metricComponents } from "../symbolic/metric.js";
import { congruence, identity } from "../symbolic/tensor.js";
import { compile, type CompiledFunction } from "./codegen.js";
import { forwardNetwork } from "./forward.js";
import type { Mat } from "./linalg.js";

/** A numeric problem with the inputs the user gave (not a bug): printed as one message. */
export class EvaluationError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** Values of named constants and of any --set overrides. */
export function valueEnv(model: Model, overrides: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const env = new Map<string, number>();
  for (const c of model.constants.values()) if (c.value !== undefined) env.set(c.name, c.value);
  for (const [k, v] of overrides) env.set(k, v);
  return env;
}

/** Refuse symbols without values, naming them (the user gives them with --set). */
export function assertValued(symbols: readonly string[], env: ReadonlyMap<string, number>, what: string): void {
  const missing = [...new Set(symbols)].filter((p) => !env.has(p));
  if (!missing.length) return;
  const shown = missing.slice(0, 8).join(", ") + (missing.length > 8 ? `, … (${missing.length} in all)` : "");
  throw new EvaluationError(`${what} has symbols without values: ${shown}; give them with --set NAME=VALUE (or use numeric weights)`);
}

export function bindParams(f: CompiledFunction, env: ReadonlyMap<string, number>, what: string): Float64Array {
  assertValued(f.params, env, what);
  return Float64Array.from(f.params.map((p) => env.get(p)!));
}

const toMatrix = (flat: ArrayLike<number>, rows: number, cols: number, offset = 0): Mat =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => flat[offset + i * cols + j]));

const fmtPoint = (p: number[]) => `(${p.join(", ")})`;

export interface MetricEvaluator {
  metric: Metric;
  compiled: CompiledFunction;
  params: Float64Array;
  /** g at one point; throws EvaluationError naming the component if anything is not finite. */
  at(point: number[]): Mat;
}

export function metricEvaluator(metric: Metric, env: ReadonlyMap<string, number>): MetricEvaluator {
  const g = metricComponents(metric);
  const n = metric.manifold.dim;
  const compiled = compile(g.flat(), metric.manifold.coords);
  const params = bindParams(compiled, env, `metric '${metric.name}'`);
  const image = pulledAlong(metric, env);
  return {
    metric,
    compiled,
    params,
    at(point) {
      image?.(point);
      const out = new Float64Array(n * n);
      compiled.run(Float64Array.from(point), params, out, 1);
      const m = toMatrix(out, n, n);
      assertFinite(m, `metric '${metric.name}'`, "g", point, () => locateInPullback(metric, point, env));
      return m;
    },
  };
}

/**
 * For a pullback from the input of a map or network: a check that the map itself is finite at the point, as `eval`
 * checks it. Where the map is undefined (log(x) at x = -1) the pullback is too, even if its Jacobian is finite.
 */
function pulledAlong(metric: Metric, env: ReadonlyMap<string, number>): ((point: number[]) => void) | null {
  const def = metric.def;
  if (def.kind !== "pullback" || def.layer) return null;
  const along = def.along;
  const f = compile(mappingExprs(along).components, along.source.coords);
  const params = bindParams(f, env, `'${along.name}'`);
  return (point) => {
    const out = Array.from(f.at(point, params));
    assertFinite([out], `'${along.name}'`, "output", point, () => (along.kind === "network" ? locateLayer(along, point, env) : ""));
  };
}

export interface MappingEvaluator {
  mapping: Mapping;
  compiled: CompiledFunction;
  params: Float64Array;
  /** Output coordinates, Jacobian and pulled-back Euclidean metric at a batch of points. */
  run(points: Float64Array, count: number): Float64Array;
  unpack(out: Float64Array, k: number): { output: number[]; jacobian: Mat; metric: Mat };
  at(point: number[]): { output: number[]; jacobian: Mat; metric: Mat };
}

/** Coordinates, Jacobian and g = Jᵀ G J (G: the target's Euclidean metric) in one pass. */
export function mappingEvaluator(mapping: Mapping, env: ReadonlyMap<string, number>): MappingEvaluator {
  const F = mappingExprs(mapping);
  const m = mapping.target.dim,
    n = mapping.source.dim;
  const g = congruence(F.jacobian, identity(m));
  const outputs: Expr[] = [...F.components, ...F.jacobian.flat(), ...g.flat()];
  const compiled = compile(outputs, mapping.source.coords);
  const params = bindParams(compiled, env, `'${mapping.name}'`);
  const width = outputs.length;
  const unpack = (out: Float64Array, k: number) => {
    const o = k * width;
    return { output: Array.from(out.subarray(o, o + m)), jacobian: toMatrix(out, m, n, o + m), metric: toMatrix(out, n, n, o + m + m * n) };
  };
  return {
    mapping,
    compiled,
    params,
    unpack,
    run(points, count) {
      const out = new Float64Array(count * width);
      compiled.run(points, params, out, count);
      return out;
    },
    at(point) {
      const out = new Float64Array(width);
      compiled.run(Float64Array.from(point), params, out, 1);
      const r = unpack(out, 0);
      const locate = () => (mapping.kind === "network" ? locateLayer(mapping, point, env) : "");
      assertFinite([r.output], `'${mapping.name}'`, "output", point, locate);
      assertFinite(r.jacobian, `'${mapping.name}'`, "J", point, locate);
      return r;
    },
  };
}

/** Throw an EvaluationError naming the first non-finite entry (1-based indices). */
export function assertFinite(m: Mat, what: string, symbol: string, point: number[], locate: () => string): void {
  for (let i = 0; i < m.length; i++) {
    for (let j = 0; j < m[i].length; j++) {
      if (!Number.isFinite(m[i][j])) {
        const idx = m.length === 1 && symbol === "output" ? `[${j + 1}]` : `[${i + 1}][${j + 1}]`;
        const where = locate();
        throw new EvaluationError(`${what} is not finite at ${fmtPoint(point)}: ${symbol}${idx} = ${m[i][j]}${where ? `; ${where}` : ""}`);
      }
    }
  }
}

/** The first layer of a network whose coordinates or Jacobian stop being finite. */
export function locateLayer(
  net: Extract<Mapping, { kind: "network" }>,
  point: number[],
  env: ReadonlyMap<string, number>,
  from = 0,
): string {
  const states = forwardNetwork(net, point, env, from);
  for (let k = 1; k < states.length; k++) {
    const s = states[k];
    if (!s.x.every(Number.isFinite) || !s.J.flat().every(Number.isFinite)) {
      const l = net.layers[from + k - 1];
      return `it first goes wrong at layer ${l.index} (${l.kind} ${l.activation}) of '${net.name}'`;
    }
  }
  return "";
}

export function locateInPullback(metric: Metric, point: number[], env: ReadonlyMap<string, number>): string {
  const def = metric.def;
  if (def.kind === "pullback" && def.along.kind === "network") return locateLayer(def.along, point, env, def.layer);
  if (def.kind === "components") return "the declared components are singular there";
  return "";
}

/** Coordinates of every layer (x_0 … x_L, each flattened) at a batch of points, compiled once. */
export function layerStatesEvaluator(net: Extract<Mapping, { kind: "network" }>, env: ReadonlyMap<string, number>) {
  const ex = mappingExprs(net).network!;
  const outputs = [...ex.x0, ...ex.layers.flatMap((l) => l.x)];
  const compiled = compile(outputs, net.source.coords);
  const params = bindParams(compiled, env, `'${net.name}'`);
  const widths = [net.source.dim, ...net.layers.map((l) => l.outWidth)];
  return (points: number[][]): number[][][] => {
    const out = new Float64Array(points.length * outputs.length);
    compiled.run(Float64Array.from(points.flat()), params, out, points.length);
    return points.map((_, k) => {
      let o = k * outputs.length;
      return widths.map((w) => {
        const v = Array.from(out.subarray(o, o + w));
        o += w;
        return v;
      });
    });
  };
}
