// Network evaluation, geometry at points, geodesics, flow convergence and verification as plain data.
import type { LayerKind } from "../core/layers/index.js";
import type { Mapping, Metric, Model, Network } from "../semantics/model.js";
import { metricRank } from "../numeric/linalg.js";
import type { GeometryQuantity } from "../numeric/geometry.js";
import { pointMapping, pointQuantity } from "../numeric/route.js";
import { type GeodesicPath, geodesicBVP, geodesicIVP } from "../numeric/geodesic.js";
import { inRequestGraph } from "../symbolic/expr.js";
import { type Convergence, convergence, type Interpolation, odeBlock } from "../numeric/flow.js";
import { DEFAULT_DEPTHS } from "../derive/flow.js";
import { derive } from "../derive/index.js";
import {
  allSteps,
  type Derivation,
  type Justification,
  roleOf,
  type StepRole,
  stepCounts,
  type WitnessOptions,
  type WitnessResult,
} from "../derive/model.js";

export interface MappingValue {
  point: number[];
  output: number[];
  /** ∂output_i/∂x_j */
  jacobian: number[][];
  /** Jᵀ J: the Euclidean metric of the output pulled back to the input. */
  metric: number[][];
  rank: number;
}

/**
 * A network's (or map's) output, Jacobian and pulled-back Euclidean metric at each point.
 * @example
 * const [r] = evaluateAt(pickMapping(model), [[0.3, -0.7]], valuesOf(model));
 * r.output; r.jacobian; r.metric; r.rank;
 */
export function evaluateAt(mapping: Mapping, points: number[][], env: ReadonlyMap<string, number>): MappingValue[] {
  return inRequestGraph(mapping, () => {
    const ev = pointMapping(mapping, env);
    return ev.many(points).map((r, k) => ({ point: points[k], ...r, rank: metricRank(r.metric) }));
  });
}

export interface QuantityValue {
  point: number[];
  /** [] for a scalar, [n, n] for g^ab and R_ab, [n, n, n] for Γ^a_bc, [n, n, n, n] for R^a_bcd. */
  shape: number[];
  /** Components in row-major order of `shape`. */
  values: number[];
}

/**
 * A geometric quantity of a metric (volume, determinant, inverse, christoffel, riemann, ricci, scalar, gaussian)
 * at each point.
 * @example
 * const [k] = geometryAt(pickMetric(model), "gaussian", [[1, 2]], valuesOf(model, { R: 2 }));
 * k.values[0]; // 1/R² = 0.25 on a sphere of radius 2
 */
export function geometryAt(
  metric: Metric,
  quantity: GeometryQuantity,
  points: number[][],
  env: ReadonlyMap<string, number>,
): QuantityValue[] {
  return inRequestGraph(metric, () => {
    const ev = pointQuantity(metric, quantity, env);
    return points.map((point) => ({ point, shape: ev.shape, values: Array.from(ev.at(point)) }));
  });
}

/**
 * A geodesic from `from`: to the point `to` (shooting), or with initial velocity `velocity` for t ∈ [0, 1].
 * @example
 * const path = geodesic(pickMetric(model), valuesOf(model), [-1, 1], { to: [1, 1], samples: 11 });
 * path.length; path.chartDistance; path.samples;
 */
export function geodesic(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  from: number[],
  end: { to: number[]; velocity?: undefined; samples?: number } | { velocity: number[]; to?: undefined; samples?: number },
): GeodesicPath {
  return inRequestGraph(metric, () =>
    end.to
      ? geodesicBVP(metric, env, from, end.to, { samples: end.samples })
      : geodesicIVP(metric, env, from, end.velocity!, { samples: end.samples }),
  );
}

export interface FlowResult extends Omit<Convergence, "block"> {
  network: string;
  /** The network layers (1-based, inclusive) that discretise the ODE. */
  layers: [number, number];
  kind: LayerKind;
  interpolation: Interpolation;
  T: number;
  point: number[];
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
  const { block: _, ...c } = convergence(block, interpolation, point, options.depths ?? DEFAULT_DEPTHS);
  return { network: net.name, layers: [block.first, block.last], kind: block.kind, T: block.T, ...c };
}

/**
 * The checked, step-by-step derivation of everything a spec asks for (the data behind `rgnn derive`).
 * @example
 * const d = derivation(model, { points: 8, seed: 1, tolerance: 1e-9 });
 * d.sections.map((s) => s.title);
 */
export function derivation(model: Model, options: Partial<WitnessOptions> = {}): Derivation {
  return inRequestGraph(model, () => derive(model, options));
}

export interface VerifyResult {
  file: string;
  options: WitnessOptions;
  passed: boolean;
  /** Definitions (re-evaluated: a check of the code) counted apart from the steps witnessed by independent routes. */
  counts: ReturnType<typeof stepCounts>;
  checks: ({ id: string; title: string; justification: Justification; role: StepRole; line?: number } & WitnessResult)[];
}

/**
 * The verification summary of a derivation already made.
 * @example
 * verifyResult(derivation(model)).passed;
 */
export function verifyResult(d: Derivation): VerifyResult {
  const steps = allSteps(d).filter((s) => s.witness);
  return {
    file: d.file,
    options: d.options,
    passed: steps.every((s) => s.witness!.passed),
    counts: stepCounts(d),
    checks: steps.map((s) => ({
      id: s.id,
      title: s.title,
      justification: s.justification,
      role: roleOf(s),
      line: s.span?.line,
      ...s.witness!,
    })),
  };
}

/**
 * Every derivation step and claim of a spec checked numerically at random points.
 * @example
 * const v = verify(model);
 * if (!v.passed) console.log(v.checks.filter((c) => !c.passed));
 */
export function verify(model: Model, options: Partial<WitnessOptions> = {}): VerifyResult {
  return verifyResult(derivation(model, options));
}
