// A result as a list of named definitions, for printing. Small results are written out in
// full; for deep networks the layer quantities z_l, x_l, J_l and the pulled-back g_l are
// named, so the printed size stays linear in depth like the DAG itself.
import type { Metric } from "../semantics/model.js";
import { displayNode, type Expr } from "./expr.js";
import { metricComponents, networkPullback, type PullbackSteps } from "./metric.js";
import { treeSize } from "./print.js";
import { autoTakesMatrixForm } from "./size.js";
import type { Matrix } from "./tensor.js";
import { layerLabel } from "../semantics/labels.js";

export interface Definition {
  name: string;
  expr: Expr /** group heading, e.g. "layer 2 (residual tanh)" */;
  group: string;
}

export interface Listing {
  /** Definitions in dependency order; empty when the result is written out in full. */
  definitions: Definition[];
  /** The result's components; nodes that have a definition print as its name. */
  result: Matrix;
  names: Map<Expr, string>;
}

export type Form = "auto" | "explicit" | "layers";

/** Beyond this many tree nodes per component, "auto" names the layer intermediates. */
export const EXPLICIT_LIMIT = 200;

/** Whether a metric prints in the matrix form: asked for, or "auto" where size.ts's model says the symbolic forms
 *  would not finish (decided before any expression is built). */
export function matrixFormChosen(metric: Metric, form: Form | "matrix"): boolean {
  return form === "auto" ? autoTakesMatrixForm(metric) : form === "matrix";
}

const nameable = (e: Expr) => e.op !== "num" && e.op !== "sym";

export function metricListing(metric: Metric, form: Form = "auto"): Listing {
  const g = metricComponents(metric);
  const def = metric.def;
  const small = g.flat().every((e) => treeSize(e, EXPLICIT_LIMIT) <= EXPLICIT_LIMIT);
  if (form === "explicit" || (form === "auto" && small) || def.kind !== "pullback" || def.along.kind !== "network") {
    return { definitions: [], result: g, names: new Map() };
  }
  return { ...layerNames(networkPullback(def.along, def.of, def.layer)) };
}

/**
 * x_l written through its named predecessor, x_{l−1} + (x_l − x_{l−1}), when that is shorter: the constructors merge
 * small sums, so x_l = x_{l−1} + h·tanh(z_l) is built as x + h·tanh(z_1) + … + h·tanh(z_l), which would print
 * the earlier layers' terms expanded beside named ones.
 */
function residualForm(x: Expr, prev: Expr | undefined, names: ReadonlyMap<Expr, string>): Expr {
  if (!prev || !names.has(prev) || x.op !== "add") return x;
  // x's terms less the predecessor's (merged in as they were: the same nodes)
  const rest = [...x.args];
  for (const t of prev.op === "add" ? prev.args : [prev]) {
    const i = rest.indexOf(t);
    if (i < 0) return x;
    rest.splice(i, 1);
  }
  if (rest.length === 0) return x;
  return displayNode("add", [prev, ...rest]);
}

/** Names for a pullback's intermediates: z{l}_{i}, x{l}_{i}, J{l}_{ij} and g{l}_{ij} (upper triangle). */
export function layerNames(steps: PullbackSteps): Listing {
  const ex = steps.network;
  const definitions: Definition[] = [];
  const names = new Map<Expr, string>();
  const define = (name: string, expr: Expr, group: string, shown = expr) => {
    if (!nameable(expr) || names.has(expr)) return;
    names.set(expr, name);
    definitions.push({ name, expr: shown, group });
  };
  let previous: readonly Expr[] | null = null;
  for (const le of ex.layers) {
    const l = le.layer.index;
    const group = `layer ${l} (${layerLabel(le.layer)})`;
    le.z?.forEach((z, i) => {
      define(`z${l}_${i + 1}`, z, group);
    });
    const before = previous;
    le.x.forEach((x, i) => {
      define(`x${l}_${i + 1}`, x, group, before ? residualForm(x, before[i], names) : x);
    });
    previous = le.x;
    le.slope?.forEach((sl, i) => {
      define(`s${l}_${i + 1}`, sl, group);
    }); // σ'(z): keeps Jacobians short
    le.J.forEach((row, i) => {
      row.forEach((e, j) => {
        define(`J${l}_${i + 1}${j + 1}`, e, group);
      });
    });
  }
  // g at layer l is pulled back from g at layer l+1: define from the output down, so each uses only names before it.
  // k = 0, g at the requested layer, is the result itself.
  for (let k = steps.metrics.length - 1; k >= 1; k--) {
    const l = steps.layers[k];
    steps.metrics[k].forEach((row, i) => {
      row.forEach((e, j) => {
        if (j >= i) define(`g${l}_${i + 1}${j + 1}`, e, `metric at layer ${l}`);
      });
    });
  }
  return { definitions, result: steps.metrics[0], names };
}
