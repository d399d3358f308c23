// Tensor expressions of claims evaluated numerically at a point, without the DAG: metrics by the matrix engine where it
// serves them and by forward mode through the model's own expressions otherwise, Jacobians likewise, literals and factors
// by dual numbers on their mathjs trees. The independent route of a claim's closed form (claims.ts), and both sides of
// claims on wide tensors (matrix-claims.ts).
import type { Manifold, Mapping, Metric, Network, TensorExpr } from "../semantics/model.js";
import { jacobianAt, metricAt } from "../numeric/engine/geometry.js";
import { prepareNetwork } from "../numeric/engine/network.js";
import { Dual, dualEval, forwardMapping, forwardMetric } from "../numeric/forward.js";
import type { Mat } from "../numeric/linalg.js";
import { enginePullback, pointQuantity } from "../numeric/route.js";

/** The networks a tensor expression evaluates (their symbolic weights are sampled with the coordinates). */
export function networksOf(t: TensorExpr): Network[] {
  switch (t.kind) {
    case "metric":
    case "geometry": {
      const e = enginePullback(t.metric);
      return e ? [e.net] : [];
    }
    case "jacobian":
      return t.map.kind === "network" ? [t.map] : [];
    case "literal":
      return [];
    case "transpose":
    case "scale":
      return networksOf(t.arg);
    case "binary":
      return [...networksOf(t.left), ...networksOf(t.right)];
  }
}

const rows = (flat: ArrayLike<number>, r: number, c: number): Mat =>
  Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => flat[i * c + j]));

function metricValue(metric: Metric, point: number[], env: ReadonlyMap<string, number>): Mat {
  const e = enginePullback(metric),
    n = point.length;
  return e ? rows(metricAt(prepareNetwork(e.net, env), point, { from: e.from }), n, n) : forwardMetric(metric, point, env);
}

function jacobianValue(map: Mapping, point: number[], env: ReadonlyMap<string, number>): Mat {
  if (map.kind !== "network") return forwardMapping(map, point, env).J;
  const { J } = jacobianAt(prepareNetwork(map, env), point);
  return rows(J, J.length / point.length, point.length);
}

const scalarOf = (node: Parameters<typeof dualEval>[0], env: ReadonlyMap<string, number>) =>
  dualEval(node, new Map([...env].map(([k, v]) => [k, Dual.constant(v, 0)])), 0).v;

/** A tensor expression's value at the point of `env` (its chart's coordinates), as a matrix (vectors as one column). */
export function tensorValue(t: TensorExpr, chart: Manifold | null, env: ReadonlyMap<string, number>): Mat {
  const point = chart ? chart.coords.map((c) => env.get(c)!) : [];
  switch (t.kind) {
    case "metric":
      return metricValue(t.metric, point, env);
    case "jacobian":
      return jacobianValue(t.map, point, env);
    case "geometry": {
      const v = pointQuantity(t.metric, t.quantity, env).at(point);
      return t.shape.length === 0 ? [[v[0]]] : rows(v, t.shape[0], t.shape[1] ?? 1);
    }
    case "literal": {
      const e = t.entries.map((x) => scalarOf(x, env));
      if (t.shape.length === 0) return [[e[0]]];
      if (t.shape.length === 1) return e.map((x) => [x]);
      return rows(e, t.shape[0], t.shape[1]);
    }
    case "transpose": {
      const a = tensorValue(t.arg, chart, env);
      return a[0].map((_, j) => a.map((r) => r[j]));
    }
    case "scale": {
      const f = scalarOf(t.factor, env);
      return tensorValue(t.arg, chart, env).map((r) => r.map((x) => f * x));
    }
    case "binary": {
      const a = tensorValue(t.left, chart, env),
        b = tensorValue(t.right, chart, env);
      if (t.op === "*") return a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
      return a.map((r, i) => r.map((x, j) => (t.op === "+" ? x + b[i][j] : x - b[i][j])));
    }
  }
}

/** Whether evaluating a tensor expression goes through the matrix engine (a network's metric or Jacobian). */
export const usesEngine = (t: TensorExpr): boolean => networksOf(t).length > 0;
