// The time a derivation's checks take, estimated before any step is built: every layer of a network pullback has its
// own steps, and each is witnessed at `points` points by a pass from the chart to that layer, so a network of L layers
// costs about points · L²/2 layer evaluations (matrix form) plus a fixed amount per layer and point (scalar and layered
// forms, whose witnesses carry dual numbers and finite-difference stencils). A derivation estimated beyond
// DERIVATION_LIMIT is refused up front, as symbolic sizes are (symbolic/size.ts), with what to do instead.
import { EXIT, RgnnError } from "../core/errors.js";
import type { Metric, Network } from "../semantics/model.js";
import type { DerivationForm } from "./form.js";

/** A derivation whose checks could not finish in reasonable time: the message says what to do instead. */
export class DerivationCostError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/**
 * Beyond this many estimated layer evaluations a derivation is refused. Measured (user CPU, 2 cores at load 14,
 * residual tanh layers of width 2, 8 points, src/numeric/forward.ts's per-tensor parameter scope): a unit costs about
 * 10 µs — in matrix form `repeat 2000` with weights from a file 66 s (7.2·10⁶ units), 2,000 inline layers at one point
 * 25 s, width 16 × 100 layers 1.7 s; 300 and 600 layers with symbolic weights 21 s and 76 s (7.8·10⁶); in layered form
 * 25/50/100 symbolic layers 2.1/5.4/10.5 s. 8·10⁶ units are about 80 s there (half that on an idle machine); 2,000
 * layers with symbolic weights are 8.6·10⁷.
 */
export const DERIVATION_LIMIT = 8e6;

/** A layer's cost relative to a width-2 one: its weights (in · out), with a floor for the per-layer overhead. */
const layerWeight = (inWidth: number, outWidth: number) => 1 + (inWidth * outWidth) / 20;
/** A pass with symbolic weights evaluates every parameter expression of the network again (measured: 12–13 times). */
const SYMBOLIC_FACTOR = 12;
/** Scalar and layered forms: a layer's own steps, per point, besides the pass to it. */
const PER_LAYER = 1000;
/** The matrix form's per-layer Jacobian witnesses take at most this many points (derive/matrix.ts COSTLY_POINTS). */
const MATRIX_POINTS = 3;

/** Estimated layer evaluations of the checks of one metric's network steps, at `points` points. */
export function derivationCost(net: Network, from: number, form: DerivationForm, points: number): number {
  const layers = net.layers.slice(from);
  const symbolic = layers.some((l) => [l.W, l.b, l.h, l.eps].some((p) => p && !p.values));
  const factor = symbolic ? SYMBOLIC_FACTOR : 1;
  let prefix = 0,
    total = 0;
  for (const l of layers) {
    const w = layerWeight(l.inWidth, l.outWidth);
    prefix += w;
    total += factor * prefix + (form === "matrix" ? 0 : PER_LAYER * w);
  }
  return (form === "matrix" ? Math.min(points, MATRIX_POINTS) : points) * total;
}

const sci = (k: number) => {
  const e = Math.floor(Math.log10(k));
  return `${Number((k / 10 ** e).toPrecision(2))}·10^${e}`;
};

/** Refuse the derivation of a metric pulled back along a network whose checks are estimated beyond DERIVATION_LIMIT. */
export function assertDerivationFeasible(metric: Metric, form: DerivationForm, points: number, file: string): void {
  const d = metric.def;
  if (d.kind !== "pullback" || d.along.kind !== "network") return;
  const cost = derivationCost(d.along, d.layer, form, points);
  if (cost <= DERIVATION_LIMIT) return;
  const layers = d.along.layers.length - d.layer;
  const symbolic = d.along.layers.some((l) => [l.W, l.b, l.h, l.eps].some((p) => p && !p.values));
  throw new DerivationCostError(
    `the derivation of '${metric.name}' checks each of the ${layers} layers of '${d.along.name}' at its own points: about ` +
      `${sci(cost)} layer evaluations (the limit is ${sci(DERIVATION_LIMIT)}, about a minute); print its closed form ` +
      `with 'rgnn metric ${file} --form matrix', ${
        symbolic
          ? "give its weights numbers (a weights file: symbolic weights are evaluated anew at every point, about 12 times the cost)"
          : `evaluate it at points with 'rgnn metric ${file} --at …' (the matrix engine)`
      }, or derive a shallower network`,
  );
}
