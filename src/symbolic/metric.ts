// Metrics in closed form: declared components, Euclidean, and pullbacks along maps and
// networks, g_l = J_lᵀ g_{l+1} J_l, as components in the chart of the metric's manifold.
import type { Manifold, Mapping, Metric } from "../semantics/model.js";
import { jacobian } from "./diff.js";
import { type Expr, graphCache, substitute } from "./expr.js";
import { fromMath } from "./mathjs.js";
import { hasSecondOrder, networkExprs, type NetworkExprs } from "./network.js";
import { congruence, identity, type Matrix, matMul } from "./tensor.js";

export interface MappingExprs {
  /** Target coordinates as functions of the source coordinates. */
  components: Expr[];
  /** ∂F^i/∂x^j. */
  readonly jacobian: Matrix;
  /** For networks: the layer-by-layer expressions. */
  network?: NetworkExprs;
}

const mappingCache = graphCache<Mapping, MappingExprs>();

/** Substitute a manifold's coordinates by expressions, in a whole matrix at once. */
export function composeWith(m: Matrix, chart: Manifold, values: Expr[]): Matrix {
  const bindings = new Map(chart.coords.map((c, i) => [c, values[i]] as const));
  const n = m[0]?.length ?? 0;
  const flat = substitute(m.flat(), bindings);
  return m.map((_, i) => flat.slice(i * n, (i + 1) * n));
}

export function mappingExprs(m: Mapping): MappingExprs {
  const hit = mappingCache.get(m);
  if (hit) return hit;
  let out: MappingExprs;
  switch (m.kind) {
    case "map":
    case "embedding": {
      const components = m.components.map(fromMath);
      out = { components, jacobian: jacobian(components, m.source.coords) };
      break;
    }
    case "compose": {
      const a = mappingExprs(m.first),
        b = mappingExprs(m.second);
      const bindings = new Map(m.first.target.coords.map((c, i) => [c, a.components[i]] as const));
      const components = substitute(b.components, bindings);
      out = { components, jacobian: matMul(composeWith(b.jacobian, m.first.target, a.components), a.jacobian) };
      break;
    }
    case "network": {
      const ex = networkExprs(m, 0);
      out = {
        components: ex.layers[ex.layers.length - 1].x,
        get jacobian() {
          return ex.jacobian; // built on first use: pulling a metric back never needs it
        },
        network: ex,
      };
      break;
    }
  }
  mappingCache.set(m, out);
  return out;
}

export interface PullbackSteps {
  /** g at layer from … L (index 0 = the requested layer), each in that layer's coordinates as
   *  functions of the requested layer's coordinates. */
  metrics: Matrix[];
  /** The layer each of `metrics` lives on. */
  layers: number[];
  network: NetworkExprs;
}

/** Pull a metric on a network's output back to layer `from`, keeping every intermediate g_l. */
export function networkPullback(net: Extract<Mapping, { kind: "network" }>, outputMetric: Metric, from: number): PullbackSteps {
  const ex = from === 0 ? mappingExprs(net).network! : networkExprs(net, from);
  const xL = ex.layers.length ? ex.layers[ex.layers.length - 1].x : ex.x0;
  const gL = composeWith(metricComponents(outputMetric), net.target, xL);
  if (hasSecondOrder(ex)) {
    // x_l depends on two earlier layers: pull back by the total Jacobian instead of layer by layer
    return { metrics: [congruence(ex.jacobian, gL), gL], layers: [from, net.layers.length], network: ex };
  }
  const metrics: Matrix[] = [gL];
  for (let k = ex.layers.length - 1; k >= 0; k--) metrics.unshift(congruence(ex.layers[k].J, metrics[0]));
  return { metrics, layers: metrics.map((_, k) => from + k), network: ex };
}

const metricCache = graphCache<Metric, Matrix>();

/** Components g_ab of a metric in the coordinates of its manifold. */
export function metricComponents(metric: Metric): Matrix {
  const hit = metricCache.get(metric);
  if (hit) return hit;
  let g: Matrix;
  const def = metric.def;
  switch (def.kind) {
    case "euclidean":
      g = identity(metric.manifold.dim);
      break;
    case "components":
      g = def.components.map((row) => row.map(fromMath));
      break;
    case "pullback": {
      const along = def.along;
      if (along.kind === "network") g = networkPullback(along, def.of, def.layer).metrics[0];
      else {
        const F = mappingExprs(along);
        g = congruence(F.jacobian, composeWith(metricComponents(def.of), along.target, F.components));
      }
      break;
    }
  }
  metricCache.set(metric, g);
  return g;
}
