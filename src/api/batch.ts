// Many points at once as typed arrays: a network's output, Jacobian and pulled-back metric, and a metric's components,
// as flat row-major Float64Arrays with their shapes ([points, m], [points, m, n], [points, n, n]), which NumPy reads
// with one reshape. On the matrix route the points go through the engine's block pass (numeric/engine/batch.ts) and
// are written straight into the arrays; evaluateAt and metricAt return the same numbers as nested arrays per point.
import { blockServes, type BlockOutputs, propagateBlocks, writeBlock } from "../numeric/engine/batch.js";
import { metricsAt } from "../numeric/engine/geometry.js";
import { prepareNetwork } from "../numeric/engine/network.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { enginePullback, metricRoute, pointMapping, pointMetric } from "../numeric/route.js";
import type { Mapping, Metric } from "../semantics/model.js";
import { inRequestGraph } from "../symbolic/expr.js";

/** A row-major array of numbers and its shape: element [p, i, j] of shape [P, I, J] is data[(p·I + i)·J + j]. */
export interface Tensor {
  data: Float64Array;
  shape: number[];
}

/** Points as a flat Float64Array (count × n, row-major), or one array of n coordinates per point. */
export type Points = Float64Array | readonly (readonly number[])[];

export interface MappingBatch {
  /** The points, [count, n]. */
  points: Tensor;
  /** The outputs, [count, m]. */
  output: Tensor;
  /** ∂output_i/∂x_j, [count, m, n]. */
  jacobian: Tensor;
  /** Jᵀ J, the Euclidean metric of the output pulled back to the input, [count, n, n]. */
  metric: Tensor;
}

/** The points as one flat array, each of dimension n; an EvaluationError names the first point that is not. */
function flatPoints(points: Points, n: number): Float64Array {
  if (points instanceof Float64Array) {
    if (points.length % n !== 0)
      throw new EvaluationError(`${points.length} coordinates are not a whole number of points of dimension ${n}`);
    return points;
  }
  const flat = new Float64Array(points.length * n);
  points.forEach((p, k) => {
    if (p.length !== n) throw new EvaluationError(`point ${k + 1} has ${p.length} coordinates; the input has dimension ${n}`);
    flat.set(p, k * n);
  });
  return flat;
}

/** Point k's value was not finite: the per-point route's own located message, which `at` throws there. */
function notFinite(at: () => unknown, name: string, k: number): never {
  at();
  throw new EvaluationError(`'${name}' is not finite at point ${k + 1}`);
}

const pointAt = (flat: Float64Array, k: number, n: number): number[] => Array.from(flat.subarray(k * n, (k + 1) * n));

/**
 * A network's (or map's) output, Jacobian and pulled-back Euclidean metric at many points, as typed arrays: the
 * numbers evaluateAt gives, at the engine's throughput. Throws EvaluationError at the first point where a value is
 * not finite, with the message evaluateAt gives there.
 * @example
 * const r = evaluateBatch(pickMapping(model), Float64Array.of(0.3, -0.7, 0.1, 0.2), valuesOf(model));
 * r.metric.shape; // [2, 2, 2]
 * r.metric.data[(1 * 2 + 0) * 2 + 1]; // g_01 at the second point
 */
export function evaluateBatch(mapping: Mapping, points: Points, env: ReadonlyMap<string, number>): MappingBatch {
  const n = mapping.source.dim,
    m = mapping.target.dim;
  const flat = flatPoints(points, n),
    count = flat.length / n;
  const out: BlockOutputs = {
    output: new Float64Array(count * m),
    jacobian: new Float64Array(count * m * n),
    metric: new Float64Array(count * n * n),
  };
  const ev = inRequestGraph(mapping, () => pointMapping(mapping, env));
  const net = ev.route === "matrix" && mapping.kind === "network" ? prepareNetwork(mapping, env) : null;
  if (net && blockServes(net)) {
    let bad = -1;
    propagateBlocks(net, flat, n, (block) => {
      const b = writeBlock(block, n, out);
      if (bad < 0) bad = b;
    });
    if (bad >= 0) notFinite(() => ev.at(pointAt(flat, bad, n)), mapping.name, bad);
  } else {
    for (let k = 0; k < count; k++) {
      const r = ev.at(pointAt(flat, k, n));
      out.output!.set(r.output, k * m);
      out.jacobian!.set(r.jacobian.flat(), k * m * n);
      out.metric!.set(r.metric.flat(), k * n * n);
    }
  }
  return {
    points: { data: flat, shape: [count, n] },
    output: { data: out.output!, shape: [count, m] },
    jacobian: { data: out.jacobian!, shape: [count, m, n] },
    metric: { data: out.metric!, shape: [count, n, n] },
  };
}

/**
 * A metric's components g_ij at many points, [count, n, n]: the numbers metricAt gives (without its eigenvalues), a
 * pullback along a network through the engine's block pass. Throws EvaluationError at the first point where g is
 * not finite, with metricAt's message.
 * @example
 * const g = metricBatch(pickMetric(model), [[0.3, -0.7], [0.1, 0.2]], valuesOf(model));
 * g.data.subarray(0, 4); // g at the first point, row-major
 */
export function metricBatch(metric: Metric, points: Points, env: ReadonlyMap<string, number>): Tensor {
  const n = metric.manifold.dim;
  const flat = flatPoints(points, n),
    count = flat.length / n;
  return inRequestGraph(metric, () => {
    const e = enginePullback(metric);
    const pointwise = () => pointMetric(metric, env);
    let data: Float64Array;
    if (e && metricRoute(metric, 0) === "matrix") {
      data = metricsAt(prepareNetwork(e.net, env), flat, n, { from: e.from });
      const bad = data.findIndex((v) => !Number.isFinite(v));
      const k = Math.floor(bad / (n * n));
      if (bad >= 0) notFinite(() => pointwise().at(pointAt(flat, k, n)), metric.name, k);
    } else {
      const ev = pointwise();
      data = new Float64Array(count * n * n);
      for (let k = 0; k < count; k++) data.set(ev.at(pointAt(flat, k, n)).flat(), k * n * n);
    }
    return { data, shape: [count, n, n] };
  });
}
