// A network's flow limit as plain data: how its ODE block converges as depth grows, and whether its steps are
// diffeomorphisms.
import type { LayerKind } from "../core/layers/index.js";
import type { Manifold, Network } from "../semantics/model.js";
import { type DiffeoReport, diffeomorphismReport } from "../numeric/diffeo.js";
import { type Convergence, convergence, type Interpolation, odeBlock, orderMismatches } from "../numeric/flow.js";
import { DEFAULT_DEPTHS } from "../derive/flow.js";

export interface FlowResult extends Omit<Convergence, "block"> {
  network: string;
  /** The network layers (1-based, inclusive) that discretise the ODE. */
  layers: [number, number];
  kind: LayerKind;
  interpolation: Interpolation;
  T: number;
  point: number[];
  /** Why the errors do not fall at the scheme's order (empty when they do, within ORDER_TOLERANCE). */
  mismatches: string[];
}

/**
 * The chart a network's flow starts on: the input of its ODE block (the layers `flowConvergence` compares).
 * Throws EvaluationError for a network without residual or second-order layers.
 */
export function flowChart(net: Network, env: ReadonlyMap<string, number>): Manifold {
  return net.layerSpaces[odeBlock(net, env).first - 1];
}

/**
 * How a residual (or second-order) network converges to the ODE flow it discretises, as depth N grows.
 * @example
 * const c = flowConvergence(net, valuesOf(model), { depths: [8, 16, 32] });
 * c.stateOrder; // ≈ 1 for forward Euler
 */
export function flowConvergence(
  net: Network,
  env: ReadonlyMap<string, number>,
  options: { depths?: number[]; interpolation?: Interpolation; point?: number[] } = {},
): FlowResult {
  const block = odeBlock(net, env);
  const chart = net.layerSpaces[block.first - 1];
  const interpolation = options.interpolation ?? "linear";
  const point = options.point ?? chart.coords.map((_, i) => (i % 2 ? -0.7 : 0.3));
  const full = convergence(block, interpolation, point, options.depths ?? DEFAULT_DEPTHS);
  const { block: _, ...c } = full;
  return { network: net.name, layers: [block.first, block.last], kind: block.kind, T: block.T, ...c, mismatches: orderMismatches(full) };
}

/**
 * Whether a network x_0 ↦ x_L is a diffeomorphism of a box onto its image: det ∂x_L/∂x_0 sampled on a lattice and
 * refined near sign changes, injectivity (layer certificates, or the image of the boundary in the plane), and C¹
 * activations (a kink makes it a homeomorphism at best); per layer, det J_l and the residual certificates.
 * @example
 * diffeomorphism(net, valuesOf(model), [[-1.5, 1.5], [-1.5, 1.5]]).diffeomorphism; // true or false
 */
export function diffeomorphism(net: Network, env: ReadonlyMap<string, number>, domain: [number, number][]): DiffeoReport {
  return diffeomorphismReport(net, env, domain);
}
