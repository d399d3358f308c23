// Network evaluation, geometry at points, geodesics, flow convergence and verification as plain data.
import type { LayerKind } from "../core/layers/index.js";
import type { Manifold, Mapping, Metric, Model, Network } from "../semantics/model.js";
import { metricRank } from "../numeric/linalg.js";
import { valueEnv } from "../numeric/evaluate.js";
import { type DiffeoReport, diffeomorphismReport } from "../numeric/diffeo.js";
import { geodesicSolver } from "../numeric/geodesic.js";
import { mappingExprs } from "../symbolic/metric.js";
import { print } from "../symbolic/print.js";
import { claimStep } from "../derive/claims.js";
import { eachPoint, pointMapping } from "../numeric/route.js";
import { type GeodesicPath, geodesicBVP, geodesicIVP } from "../numeric/geodesic.js";
import { type Convergence, convergence, type Interpolation, odeBlock, orderMismatches } from "../numeric/flow.js";
import { DEFAULT_DEPTHS } from "../derive/flow.js";
import { derive } from "../derive/index.js";
import {
  allSteps,
  DEFAULT_WITNESS,
  type Derivation,
  type Justification,
  roleOf,
  type Step,
  type StepRole,
  stepCounts,
  type WitnessOptions,
  type WitnessResult,
} from "../derive/model.js";
import { LookupError } from "./errors.js";

/** Geometry at points lives with the quantities' listing (api/geometry.ts); re-exported for existing importers. */
export { geometryAt, type QuantityValue } from "./geometry.js";

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
  const ev = pointMapping(mapping, env);
  return ev.many(points).map((r, k) => ({ point: points[k], ...r, rank: metricRank(r.metric) }));
}

export interface MappingEvaluator {
  /** The points' values one at a time, evaluated a chunk at a time as they are asked for; throws EvaluationError
   *  at the first point that cannot be evaluated, after yielding the points before it. */
  each(points: number[][]): Generator<MappingValue>;
}

/**
 * `evaluateAt` for streaming and for many calls: the mapping is compiled once (the matrix engine where the
 * symbolic route would be large), and `each` yields rows as they are evaluated, so a million need not be held
 * at once (`rgnn eval --points`).
 * @example
 * const ev = mappingEvaluator(pickMapping(model), valuesOf(model));
 * for (const r of ev.each(points)) console.log(r.output);
 */
export function mappingEvaluator(mapping: Mapping, env: ReadonlyMap<string, number>): MappingEvaluator {
  const ev = pointMapping(mapping, env);
  return {
    *each(points) {
      let k = 0;
      for (const r of eachPoint(ev, points)) yield { point: points[k++], ...r, rank: metricRank(r.metric) };
    },
  };
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
  return end.to
    ? geodesicBVP(metric, env, from, end.to, { samples: end.samples })
    : geodesicIVP(metric, env, from, end.velocity!, { samples: end.samples });
}

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
 * Whether every layer of a network is a diffeomorphism on a box of its input: det J_l sampled on a lattice and
 * refined near sign changes, and the bound c·sup|σ′|·‖W‖₂ < 1 that proves a residual step invertible on all of Rⁿ.
 * @example
 * diffeomorphism(net, valuesOf(model), [[-1.5, 1.5], [-1.5, 1.5]]).diffeomorphism; // true or false
 */
export function diffeomorphism(net: Network, env: ReadonlyMap<string, number>, domain: [number, number][]): DiffeoReport {
  return diffeomorphismReport(net, env, domain);
}

/**
 * The geodesic distance between two points, as a function that compiles the metric's evaluators once for
 * many pairs (`rgnn distances`). Throws EvaluationError when the metric cannot be compiled or a shot fails.
 * @example
 * const d = geodesicDistance(pickMetric(model), valuesOf(model));
 * d([-1, 1], [1, 1]);
 */
export function geodesicDistance(metric: Metric, env: ReadonlyMap<string, number>): (from: number[], to: number[]) => number {
  const solver = geodesicSolver(metric, env);
  return (from, to) => solver.bvp(from, to, { samples: 2 }).length;
}

export interface SymbolicMapping {
  name: string;
  /** The output coordinates as text. */
  components: string[];
  /** ∂output_i/∂x_j as text. */
  jacobian: string[][];
}

/**
 * A map's (or network's) output and Jacobian in closed form.
 * @example
 * mappingSymbolic(pickMapping(model)).jacobian[0][0];
 */
export function mappingSymbolic(mapping: Mapping): SymbolicMapping {
  const F = mappingExprs(mapping);
  return {
    name: mapping.name,
    components: F.components.map((e) => print(e)),
    jacobian: F.jacobian.map((row) => row.map((e) => print(e))),
  };
}

/**
 * The spec's `check` request number `index` (of `model.requests`), witnessed at random points as `rgnn verify`
 * checks a claim: the step with its `witness` (passed, worst point, both values).
 * @example
 * const s = claimCheck(model, 0); s.witness?.passed;
 */
export function claimCheck(model: Model, index: number, options: Partial<WitnessOptions> = {}): Step {
  const r = model.requests[index];
  const step = r && r.kind !== "show" ? claimStep(r, index, valueEnv(model), { ...DEFAULT_WITNESS, ...options }, model.source) : null;
  if (!step) throw new LookupError(`request ${index} of ${model.file} is not a check`);
  return step;
}

/**
 * The checked, step-by-step derivation of everything a spec asks for (the data behind `rgnn derive`).
 * @example
 * const d = derivation(model, { points: 8, seed: 1, tolerance: 1e-9 });
 * d.sections.map((s) => s.title);
 */
export function derivation(model: Model, options: Partial<WitnessOptions> = {}): Derivation {
  return derive(model, options);
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
  return verifyResult(derive(model, options));
}
