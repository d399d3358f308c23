// Geodesics of a metric: ẍ^a = −Γ^a_bc ẋ^b ẋ^c as a first-order system, integrated with
// Dormand–Prince. Boundary-value problems (Riemannian metrics): minimise the discrete curve energy from
// the straight line (L-BFGS; shooting alone diverges for far-apart points), then polish the initial
// velocity by shooting with a damped Newton method so the answer solves the ODE to tolerance.
// Indefinite metrics have no energy minimum: they are solved by shooting from the straight line.
// A solve is a task (a generator) that yields its requests for values at points (Ask) instead of evaluating them:
// one solve answers them as they come (run), many solves in lockstep answer all their pending requests of a kind
// with one call of the backend (runAll), which on the matrix engine is one block pass through the network.
import { rounded } from "../core/numbers.js";
import type { Metric } from "../semantics/model.js";
import { EvaluationError } from "./evaluate.js";
import { DEGENERATE } from "./geometry.js";
import { classifyMetric, solveN } from "./linalg.js";
import { type GeodesicBackend, geodesicBackend, type Route } from "./route.js";
import { dopri5Task, IntegrationError, type Solution } from "./ode.js";

export interface GeodesicPath {
  /** Samples (t, x, v) along t ∈ [0, 1]. */
  samples: { t: number; x: number[]; v: number[] }[];
  from: number[];
  to: number[];
  /** The initial velocity: for a boundary-value problem, log_from(to). */
  velocity: number[];
  /** ∫ √(g(ẋ, ẋ)) dt: the length as the metric sees it; for an indefinite metric the interval ∫ √|g(ẋ, ẋ)| dt. */
  length: number;
  /** Whether g is definite (positive, or negative: length ∫ √(−g(ẋ, ẋ)) dt) at the start; when not, `length` is an interval. */
  definite: boolean;
  /** For an indefinite metric, the sign of g(ẋ, ẋ) along the path (see `curveType`); null for a definite metric. */
  type: CurveType | null;
  /** |to − from| in the chart: the straight-line (Euclidean) distance. */
  chartDistance: number;
  /** Newton iterations used (0 for an initial-value problem). */
  iterations: number;
  /** L-BFGS iterations spent minimising the discrete curve energy before shooting (0 when not used). */
  energyIterations: number;
  steps: number;
}

export interface GeodesicOptions {
  rtol?: number;
  atol?: number;
  samples?: number;
  maxIterations?: number;
  tolerance?: number;
  maxSteps?: number;
  /** Segments of the discrete curve whose energy is minimised before shooting (default 32). */
  segments?: number;
  /** Relative energy decrease at which the minimisation stops (default 1e-10): the polish by shooting does the rest. */
  energyTolerance?: number;
  /** Intervals of the composite Simpson rule for the length (default 400; even). */
  lengthNodes?: number;
  /** Update the shooting Jacobian by Broyden's rule between central-difference recomputations (2n integrations each). */
  broyden?: boolean;
  /** "energy" (default): minimise the curve energy, then shoot; "shooting": Newton shooting from the straight line only. */
  method?: "energy" | "shooting";
  /** The shooting Jacobian by forward differences (n integrations) instead of central ones (2n). */
  forwardDifferences?: boolean;
  /** Integrator tolerances for a first Newton stage that brings the miss to 1e-5 before polishing at rtol/atol. */
  coarse?: { rtol: number; atol: number };
}

/**
 * The kind of a curve for an indefinite metric: spacelike where g(ẋ, ẋ) > 0, timelike where < 0 (the mostly-plus
 * convention, signature (n−1, 1); for signature (1, n−1) with n > 2 the signs swap), null where it vanishes
 * relative to |g||ẋ|²; mixed when it changes along the path.
 */
export type CurveType = "spacelike" | "timelike" | "null" | "mixed";

/**
 * What a solve asks for at `x.length / n` points, written into the request's own arrays: Γ(v, v) at (x, v)
 * (acceleration); g, det g and ∂_a g(d, d) at x with directions d (energy); g and det g (metric).
 */
export type Ask =
  | { kind: "acceleration"; x: Float64Array; v: Float64Array; acc: Float64Array; g: Float64Array; det: Float64Array }
  | { kind: "energy"; x: Float64Array; d: Float64Array; dE: Float64Array; g: Float64Array; det: Float64Array }
  | { kind: "metric"; x: Float64Array; g: Float64Array; det: Float64Array };

/** A solve, or a part of one, that yields its requests and returns T. */
type Task<T> = Generator<Ask, T, void>;

/** The arrays of an Ask beside x: its inputs (v, d) and outputs (acc, dE, g, det), each `per` entries a point. */
const PARTS: Record<Ask["kind"], readonly { key: "v" | "d" | "acc" | "dE" | "g" | "det"; per: "n" | "nn" | 1; input: boolean }[]> = {
  acceleration: [
    { key: "v", per: "n", input: true },
    { key: "acc", per: "n", input: false },
    { key: "g", per: "nn", input: false },
    { key: "det", per: 1, input: false },
  ],
  energy: [
    { key: "d", per: "n", input: true },
    { key: "dE", per: "n", input: false },
    { key: "g", per: "nn", input: false },
    { key: "det", per: 1, input: false },
  ],
  metric: [
    { key: "g", per: "nn", input: false },
    { key: "det", per: 1, input: false },
  ],
};

class GeodesicSystem {
  private readonly ev: GeodesicBackend;
  readonly n: number;
  readonly route: Route;
  constructor(
    readonly spec: Metric,
    env: ReadonlyMap<string, number>,
  ) {
    this.n = spec.manifold.coords.length;
    this.ev = geodesicBackend(spec, env);
    this.route = this.ev.route;
  }
  /** Answers requests: all those of one kind with one call of the backend, on their points stacked. */
  answer(asks: readonly Ask[]): void {
    for (const kind of ["acceleration", "energy", "metric"] as const) {
      const mine = asks.filter((a) => a.kind === kind);
      if (mine.length === 0) continue;
      const one = mine.length === 1 ? mine[0] : this.stack(mine);
      if (one.kind === "acceleration") this.ev.accelerations(one.x, one.v, one.acc, one);
      else if (one.kind === "energy") this.ev.energyTerms(one.x, one.d, one.dE, one);
      else this.ev.metrics(one.x, one);
      if (one !== mine[0]) this.unstack(one, mine);
    }
  }
  /** One request of the same kind for the points of all of `asks`, their inputs copied in. */
  private stack(asks: readonly Ask[]): Ask {
    const n = this.n,
      kind = asks[0].kind;
    const count = asks.reduce((s, a) => s + a.x.length / n, 0);
    const size = (per: "n" | "nn" | 1) => count * (per === "n" ? n : per === "nn" ? n * n : 1);
    const out: Record<string, Float64Array> = { x: new Float64Array(size("n")) };
    for (const { key, per } of PARTS[kind]) out[key] = new Float64Array(size(per));
    let at = 0;
    for (const a of asks) {
      const k = a.x.length / n;
      out.x.set(a.x, at * n);
      for (const { key, per, input } of PARTS[kind])
        if (input) out[key].set((a as unknown as Record<string, Float64Array>)[key], at * (per === "n" ? n : per === "nn" ? n * n : 1));
      at += k;
    }
    return { kind, ...out } as unknown as Ask;
  }
  /** The stacked answers back into each request's arrays. */
  private unstack(all: Ask, asks: readonly Ask[]): void {
    const n = this.n;
    let at = 0;
    for (const a of asks) {
      const k = a.x.length / n;
      for (const { key, per, input } of PARTS[a.kind]) {
        if (input) continue;
        const w = per === "n" ? n : per === "nn" ? n * n : 1;
        const from = (all as unknown as Record<string, Float64Array>)[key];
        (a as unknown as Record<string, Float64Array>)[key].set(from.subarray(at * w, (at + k) * w));
      }
      at += k;
    }
  }
  /** g at x, flat, and det g. */
  metricAt(x: ArrayLike<number>): { g: Float64Array; det: number } {
    return this.ev.metric(x);
  }
  degenerate(x: ArrayLike<number>): string | null {
    const { g, det } = this.metricAt(x);
    return this.degenerateAt(x, g, det);
  }
  degenerateAt(x: ArrayLike<number>, g: Float64Array, det: number): string | null {
    const scale = Math.max(...Array.from(g).map(Math.abs)) ** this.n;
    if (!Number.isFinite(det) || Math.abs(det) <= DEGENERATE * Math.max(scale, 1e-300)) {
      return `the metric '${this.spec.name}' is degenerate at (${Array.from(x)
        .map((v) => rounded(v, 8))
        .join(", ")}): det g = ${det}`;
    }
    return null;
  }
  /** g's signature at x, [n₊, n₋, n₀], by the one metric classification (linalg.ts's classifyMetric and its tolerance). */
  signature(x: ArrayLike<number>): [number, number, number] {
    const { g } = this.metricAt(x);
    const n = this.n;
    return classifyMetric(Array.from({ length: n }, (_, a) => Array.from(g.subarray(a * n, a * n + n)))).signature;
  }
  /** Γ at x into out (n³, Γ^a_bc at (a·n + b)·n + c). */
  christoffelAt(x: Float64Array, out: Float64Array): void {
    this.ev.christoffel(x, out);
  }
}

/** A request at `count` points of this kind, its arrays zero. */
function ask<K extends Ask["kind"]>(kind: K, n: number, count: number): Extract<Ask, { kind: K }> {
  const a: Record<string, unknown> = { kind, x: new Float64Array(count * n) };
  for (const { key, per } of PARTS[kind]) a[key] = new Float64Array(count * (per === "n" ? n : per === "nn" ? n * n : 1));
  return a as Extract<Ask, { kind: K }>;
}

/** Runs one task, answering each request as it comes. */
function run<T>(sys: GeodesicSystem, task: Task<T>): T {
  for (let r = task.next(); ; r = task.next()) {
    if (r.done) return r.value;
    sys.answer([r.value]);
  }
}

/**
 * Runs tasks in lockstep, at most `width` at a time (the next starts as one ends): each round answers every running
 * task's request with one backend call per kind. A task's EvaluationError is its result; any other error is thrown.
 */
function runAll<T>(sys: GeodesicSystem, tasks: readonly (() => Task<T>)[], width: number): (T | EvaluationError)[] {
  const results: (T | EvaluationError)[] = new Array(tasks.length);
  const running: { k: number; task: Task<T>; ask: Ask }[] = [];
  let next = 0;
  /** Steps task k on; keeps it running while it asks, records its result when it ends. */
  const step = (k: number, task: Task<T>): void => {
    let r: IteratorResult<Ask, T>;
    try {
      r = task.next();
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
      results[k] = e;
      return;
    }
    if (r.done) results[k] = r.value;
    else running.push({ k, task, ask: r.value });
  };
  const fill = () => {
    while (running.length < width && next < tasks.length) {
      const k = next++;
      step(k, tasks[k]());
    }
  };
  fill();
  while (running.length) {
    sys.answer(running.map((r) => r.ask));
    const round = running.splice(0);
    for (const { k, task } of round) step(k, task);
    fill();
  }
  return results;
}

/**
 * The geodesic from x0 with velocity v0 for t ∈ [0, 1]; x0 is checked for degeneracy unless `checked` (a
 * boundary-value solve checks its end points once, before its many integrations).
 */
function* integrate(sys: GeodesicSystem, x0: number[], v0: number[], opts: GeodesicOptions, checked = false): Task<Solution> {
  const n = sys.n;
  if (!checked) {
    const bad = sys.degenerate(x0);
    if (bad) throw new EvaluationError(bad);
  }
  const a = ask("acceleration", n, 1);
  // the integrator's degeneracy guard asks for g at the point of the last stage, where the acceleration was just evaluated
  const guard = (_t: number, y: Float64Array) => {
    const x = y.subarray(0, n);
    return x.every((xi, i) => xi === a.x[i]) ? sys.degenerateAt(x, a.g, a.det[0]) : sys.degenerate(x);
  };
  try {
    return yield* dopri5Task<Ask>(
      function* (_t, y, out) {
        a.x.set(y.subarray(0, n));
        a.v.set(y.subarray(n));
        yield a;
        for (let i = 0; i < n; i++) {
          out[i] = y[n + i];
          out[n + i] = -a.acc[i];
        }
      },
      0,
      [...x0, ...v0],
      1,
      { rtol: opts.rtol ?? 1e-11, atol: opts.atol ?? 1e-13, maxSteps: opts.maxSteps, guard },
    );
  } catch (e) {
    if (e instanceof IntegrationError)
      throw new EvaluationError(`geodesic from (${x0.join(", ")}) with velocity (${v0.join(", ")}): ${e.message}`);
    throw e;
  }
}

/** The interval's kind from the signs of g(ẋ, ẋ) along a path (relative tolerance 1e-9 of |g||ẋ|²), g at each y in gs. */
function curveType(n: number, ys: Float64Array[], gs: Float64Array, sig: [number, number, number]): CurveType {
  let pos = 0,
    neg = 0,
    nul = 0;
  ys.forEach((y, k) => {
    const v = y.subarray(n),
      g = gs.subarray(k * n * n, (k + 1) * n * n);
    let s = 0,
      scale = 0;
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        s += g[a * n + b] * v[a] * v[b];
        scale += Math.abs(g[a * n + b] * v[a] * v[b]);
      }
    if (Math.abs(s) <= 1e-9 * scale || scale === 0) nul++;
    else if (s > 0) pos++;
    else neg++;
  });
  const swapped = sig[0] === 1 && sig[1] === n - 1 && n > 2; // (+,−,−,…): timelike is positive
  if (nul === ys.length) return "null";
  if (pos === ys.length) return swapped ? "timelike" : "spacelike";
  if (neg === ys.length) return swapped ? "spacelike" : "timelike";
  return "mixed";
}

function* pathOf(
  sys: GeodesicSystem,
  sol: Solution,
  from: number[],
  velocity: number[],
  opts: GeodesicOptions,
  iterations: number,
  energyIterations = 0,
): Task<GeodesicPath> {
  const n = sys.n,
    m = Math.max(2, opts.samples ?? 101);
  const samples = Array.from({ length: m }, (_, i) => {
    const t = i / (m - 1);
    const y = i === m - 1 ? sol.y[sol.y.length - 1] : sol.at(t);
    return { t, x: Array.from(y.subarray(0, n)), v: Array.from(y.subarray(n)) };
  });
  const sig = sys.signature(from);
  // negative definite is definite too: every curve has g(ẋ, ẋ) < 0, neither timelike nor spacelike
  const definite = sig[0] === n || sig[1] === n;
  // length (or interval) by composite Simpson on a fine grid of the dense output
  const K = 2 * Math.ceil((opts.lengthNodes ?? 400) / 2);
  const ys = Array.from({ length: K + 1 }, (_, i) => sol.at(i / K));
  const nodes = ask("metric", n, K + 1);
  for (const [i, y] of ys.entries()) nodes.x.set(y.subarray(0, n), i * n);
  yield nodes; // g at every node at once
  let length = 0;
  ys.forEach((y, i) => {
    const w = i === 0 || i === K ? 1 : i % 2 ? 4 : 2;
    const g = nodes.g.subarray(i * n * n, (i + 1) * n * n),
      v = y.subarray(n);
    let s2 = 0;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) s2 += g[a * n + b] * v[a] * v[b];
    length += w * Math.sqrt(definite ? Math.max(0, sig[0] === n ? s2 : -s2) : Math.abs(s2));
  });
  length /= 3 * K;
  const to = samples[m - 1].x;
  return {
    samples,
    from,
    to,
    velocity,
    length,
    definite,
    type: definite ? null : curveType(n, ys, nodes.g, sig),
    chartDistance: Math.hypot(...to.map((v, i) => v - from[i])),
    iterations,
    energyIterations,
    steps: sol.steps,
  };
}

/** The geodesic from x0 with initial velocity v0, for t ∈ [0, 1]. */
export function geodesicIVP(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  x0: number[],
  v0: number[],
  opts: GeodesicOptions = {},
): GeodesicPath {
  return geodesicSolver(metric, env).ivp(x0, v0, opts);
}

/** The geodesic from x0 to x1 (t ∈ [0, 1]): its initial velocity v0 = log_x0(x1), path and length. */
export function geodesicBVP(
  metric: Metric,
  env: ReadonlyMap<string, number>,
  x0: number[],
  x1: number[],
  opts: GeodesicOptions = {},
): GeodesicPath {
  return geodesicSolver(metric, env).bvp(x0, x1, opts);
}

export interface GeodesicSolver {
  /** exp: the geodesic from x0 with initial velocity v0. */
  ivp(x0: number[], v0: number[], opts?: GeodesicOptions): GeodesicPath;
  /** The geodesic from x0 to x1; its `velocity` is log_x0(x1). */
  bvp(x0: number[], x1: number[], opts?: GeodesicOptions): GeodesicPath;
  /**
   * bvp for each pair, the solves in lockstep so that their evaluations share block passes through the network: the
   * same paths as bvp one at a time; a pair's EvaluationError is its entry. At most `lockstep` solves (default 32) run
   * at once, the next starting as one ends.
   */
  bvps(pairs: readonly [number[], number[]][], opts?: GeodesicOptions, lockstep?: number): (GeodesicPath | EvaluationError)[];
}

/** One compiled system for many solves (a distance matrix compiles its evaluators once). */
export function geodesicSolver(metric: Metric, env: ReadonlyMap<string, number>): GeodesicSolver {
  const sys = new GeodesicSystem(metric, env);
  const defaults = sys.route === "matrix" ? MATRIX_DEFAULTS : {};
  return {
    ivp: (x0, v0, opts = {}) => {
      const o = { ...defaults, ...opts };
      return run(
        sys,
        (function* () {
          return yield* pathOf(sys, yield* integrate(sys, x0, v0, o), x0, v0, o, 0);
        })(),
      );
    },
    bvp: (x0, x1, opts = {}) => run(sys, solveBVP(sys, x0, x1, { ...defaults, ...opts })),
    bvps: (pairs, opts = {}, lockstep = LOCKSTEP) => {
      const o = { ...defaults, ...opts };
      return runAll(
        sys,
        pairs.map(
          ([x0, x1]) =>
            () =>
              solveBVP(sys, x0, x1, o),
        ),
        lockstep,
      );
    },
  };
}

/**
 * Solves in lockstep at most (bvps): on the decoder a block of 32 points' jets runs the W·X kernel at full rate, where
 * one point's 4 columns leave it waiting on memory; more pairs in flight only lengthen the tail of a batch.
 */
const LOCKSTEP = 32;

/**
 * Defaults where each Γ costs a pass of jets through a wide network (0.3–0.5 ms for the decoder): the energy
 * only has to bring the curve into Newton's basin (to 1e-4 of its decrease), Newton runs first on integrations at
 * rtol 1e-6 (10–28 steps) with a Jacobian by forward differences, and Broyden updates carry that Jacobian into
 * the polish at rtol 1e-8 (24–70 steps on the decoder, against 38–111 at 1e-9 and 94–280 at 1e-11), which puts the
 * end point within 1e-7 (1 + |x1|) of the target (the length to about 1e-7, relative);
 * 16 segments suffice for a starting curve that shooting polishes, and 64 Simpson intervals for a length whose
 * integrand (the speed) is constant along a geodesic. A solve on the decoder is about 250 full-Γ passes for the
 * energy and 500–1,500 passes for Γ(v, v) alone (geodesicAccelerationAt): 5–7 integrations, of which the polish's 2
 * are the dearest. Starting curves that miss by less did not pay: halving the energy tolerance or Richardson
 * extrapolation of the 8- and 16-segment velocities left the first miss at 1e-2 on long pairs (the O(h²) error of
 * the discrete curve), and the chord energy Σ|f(x_{k+1}) − f(x_k)|² missed by 10× more (chords cut the decoder's
 * curved image short).
 */
const MATRIX_DEFAULTS: GeodesicOptions = {
  segments: 16,
  energyTolerance: 1e-4,
  broyden: true,
  forwardDifferences: true,
  coarse: { rtol: 1e-6, atol: 1e-8 },
  rtol: 1e-8,
  atol: 1e-10,
  lengthNodes: 64,
};

function* solveBVP(sys: GeodesicSystem, x0: number[], x1: number[], opts: GeodesicOptions): Task<GeodesicPath> {
  const n = sys.n;
  const what = `geodesic from (${x0.join(", ")}) to (${x1.join(", ")})`;
  const bad = sys.degenerate(x0) ?? sys.degenerate(x1);
  if (bad) throw new EvaluationError(`${what}: ${bad}`);
  const straight = x1.map((x, i) => x - x0[i]);
  if (straight.every((d) => d === 0)) return yield* pathOf(sys, yield* integrate(sys, x0, straight, opts, true), x0, straight, opts, 0);
  const sig = sys.signature(x0);
  if (sig[0] !== n || opts.method === "shooting") {
    // indefinite: the energy is unbounded below, so shoot from the straight line
    const r = yield* shoot(sys, x0, x1, straight, opts, what);
    if ("path" in r) return r.path;
    throw new EvaluationError(r.failure);
  }
  // Riemannian: minimise the discrete energy from the straight line, then from bent curves if the metric
  // degenerates on (or the polish fails from) that one; each start's outcome goes into the report.
  const N = Math.max(4, opts.segments ?? 32);
  const failures: string[] = [];
  let degenerateEverywhere = true;
  const N0 = Math.min(8, N),
    cap = 0.05 * Math.hypot(...straight);
  let first = true;
  for (const start of startCurves(x0, x1, N0)) {
    const min = yield* minimiseCoarseToFine(sys, start.curve, N0, N, cap, opts.energyTolerance ?? 1e-10);
    if ("degenerate" in min) {
      failures.push(`from ${start.name}, ${min.degenerate}`);
      continue;
    }
    degenerateEverywhere = false;
    // a polish from a good guess needs few steps; a runaway trajectory should fail fast, not after 200000 steps
    const r = yield* shoot(sys, x0, x1, initialVelocity(sys, min.curve, N), { maxSteps: 20000, ...opts }, what, min.iterations);
    if ("path" in r) return r.path;
    failures.push(`from ${start.name}, energy minimised in ${min.iterations} steps, then ${r.failure.slice(what.length + 2)}`);
    if (first) {
      // when the energy runs off to where g nearly vanishes (a saturated network: the infimum is not attained) or
      // the polish fails, a geodesic near the straight line may still exist: shoot from the line's velocity too
      const r = yield* shoot(sys, x0, x1, straight, { maxSteps: 20000, ...opts }, what);
      if ("path" in r) return r.path;
      if (!r.failure.includes("degenerate at")) degenerateEverywhere = false;
      failures.push(`from the straight line's velocity, ${r.failure.slice(what.length + 2)}`);
    }
    first = false;
  }
  throw new EvaluationError(
    degenerateEverywhere
      ? `${what}: metric '${sys.spec.name}' degenerates on every path tried (${failures.length}): ${failures.join("; ")}`
      : `${what} not found; the paths tried: ${failures.join("; ")}`,
  );
}

/** The straight line, then curves bent by a parabola 4t(1−t)·(±|Δx|/2)·e along directions e orthogonal to it. */
function* startCurves(x0: number[], x1: number[], N: number): Generator<{ name: string; curve: Float64Array }> {
  const n = x0.length;
  const d = x1.map((x, i) => x - x0[i]);
  const len = Math.hypot(...d);
  const line = (bend: number[]) => {
    const c = new Float64Array((N + 1) * n);
    for (let k = 0; k <= N; k++) {
      const t = k / N;
      for (let a = 0; a < n; a++) c[k * n + a] = x0[a] + t * d[a] + 4 * t * (1 - t) * bend[a];
    }
    return c;
  };
  yield { name: "the straight line", curve: line(new Array(n).fill(0)) };
  // Gram–Schmidt on the chart axes against the line's direction: n − 1 orthonormal bending directions
  const basis: number[][] = [d.map((x) => x / len)];
  for (let axis = 0; axis < n && basis.length < n; axis++) {
    const e = d.map((_, a) => (a === axis ? 1 : 0));
    for (const b of basis) {
      const p = b.reduce((s, bi, i) => s + bi * e[i], 0);
      for (let i = 0; i < n; i++) e[i] -= p * b[i];
    }
    const en = Math.hypot(...e);
    if (en < 1e-6) continue;
    basis.push(e.map((x) => x / en));
    for (const s of [0.5, -0.5])
      yield {
        name: `a curve bent ${s > 0 ? "one way" : "the other way"} along direction ${basis.length - 1}`,
        curve: line(basis.at(-1)!.map((x) => s * len * x)),
      };
  }
}

/**
 * E(x) = N Σ_k g(m_k)(d_k, d_k), m_k = (x_k + x_{k+1})/2, d_k = x_{k+1} − x_k, and its gradient in the interior points
 * from ∂_a g(d_k, d_k) at the midpoints, all asked for at once. A message where g degenerates or E is not finite.
 */
function* energy(sys: GeodesicSystem, x: Float64Array, N: number, grad: Float64Array): Task<number | string> {
  const n = sys.n;
  const at = ask("energy", n, N);
  for (let k = 0; k < N; k++)
    for (let a = 0; a < n; a++) {
      at.x[k * n + a] = 0.5 * (x[k * n + a] + x[(k + 1) * n + a]);
      at.d[k * n + a] = x[(k + 1) * n + a] - x[k * n + a];
    }
  yield at; // g and ∂g(d, d) at every midpoint at once
  const gd = new Float64Array(n);
  grad.fill(0);
  let E = 0;
  for (let k = 0; k < N; k++) {
    const g = at.g.subarray(k * n * n, (k + 1) * n * n),
      d = at.d.subarray(k * n, (k + 1) * n);
    const bad = sys.degenerateAt(at.x.subarray(k * n, (k + 1) * n), g, at.det[k]);
    if (bad) return bad;
    let e = 0;
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let b = 0; b < n; b++) s += g[a * n + b] * d[b];
      gd[a] = s;
      e += s * d[a];
    }
    E += N * e;
    for (let a = 0; a < n; a++) {
      const dg = at.dE[k * n + a]; // ∂_a g(d, d)
      // x_k and x_{k+1} each move m by half and d by ∓1
      const gk = N * (0.5 * dg - 2 * gd[a]),
        gk1 = N * (0.5 * dg + 2 * gd[a]);
      if (k > 0) grad[k * n + a] += gk;
      if (k + 1 < N) grad[(k + 1) * n + a] += gk1;
    }
  }
  if (!Number.isFinite(E)) return `the curve energy is not finite (${E})`;
  return E;
}

/** L-BFGS (memory 8) with a backtracking Armijo line search on the interior points; the end points stay fixed. */
function* minimiseEnergy(
  sys: GeodesicSystem,
  start: { curve: Float64Array },
  N: number,
  cap: number,
  tol: number,
): Task<{ curve: Float64Array; iterations: number } | { degenerate: string }> {
  const x = Float64Array.from(start.curve);
  const size = x.length;
  let grad = new Float64Array(size);
  const first = yield* energy(sys, x, N, grad);
  if (typeof first === "string") return { degenerate: `the curve itself passes where ${first.replace(/^the /, "")}` };
  let E = first;
  const mem: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += a[i] * b[i];
    return s;
  };
  const E0 = E;
  let it = 0;
  for (; it < 400; it++) {
    // two-loop recursion for the search direction
    const q = Float64Array.from(grad);
    const alpha: number[] = [];
    for (let i = mem.length - 1; i >= 0; i--) {
      const a = mem[i].rho * dot(mem[i].s, q);
      alpha[i] = a;
      for (let j = 0; j < size; j++) q[j] -= a * mem[i].y[j];
    }
    const gamma = mem.length
      ? dot(mem.at(-1)!.s, mem.at(-1)!.y) / dot(mem.at(-1)!.y, mem.at(-1)!.y)
      : 1 / Math.max(1, Math.sqrt(dot(grad, grad)));
    for (let j = 0; j < size; j++) q[j] *= gamma;
    for (let i = 0; i < mem.length; i++) {
      const b = mem[i].rho * dot(mem[i].y, q);
      for (let j = 0; j < size; j++) q[j] += mem[i].s[j] * (alpha[i] - b);
    }
    let slope = -dot(grad, q);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      mem.length = 0;
      q.set(grad);
      slope = -dot(grad, grad);
    }
    // a step moves no point by more than `cap`: the energy of a coarse curve can otherwise be cut short by
    // jumping across a region where g nearly vanishes, which the curve itself never visits
    let qmax = 0;
    for (let j = 0; j < size; j++) qmax = Math.max(qmax, Math.abs(q[j]));
    let step = Math.min(1, cap / qmax),
      accepted = false;
    const xTry = new Float64Array(size),
      gTry = new Float64Array(size);
    for (let ls = 0; ls < 40; ls++, step /= 2) {
      for (let j = 0; j < size; j++) xTry[j] = x[j] - step * q[j];
      const ETry = yield* energy(sys, xTry, N, gTry);
      if (typeof ETry === "number" && ETry <= E + 1e-4 * step * slope) {
        const s = new Float64Array(size),
          y = new Float64Array(size);
        for (let j = 0; j < size; j++) {
          s[j] = xTry[j] - x[j];
          y[j] = gTry[j] - grad[j];
        }
        const sy = dot(s, y);
        if (sy > 1e-300) {
          mem.push({ s, y, rho: 1 / sy });
          if (mem.length > 8) mem.shift();
        }
        const decrease = E - ETry;
        x.set(xTry);
        grad = Float64Array.from(gTry);
        E = ETry;
        accepted = true;
        if (decrease <= tol * E0) return { curve: x, iterations: it + 1 };
        break;
      }
    }
    if (!accepted) break; // no decrease possible: the minimum to round-off (or a wall where g degenerates)
  }
  return { curve: x, iterations: it };
}

/** Minimise on N₀ segments, then double (interpolating the midpoints) up to N: long curves converge in few steps. */
function* minimiseCoarseToFine(
  sys: GeodesicSystem,
  curve: Float64Array,
  N0: number,
  N: number,
  cap: number,
  tol: number,
): Task<{ curve: Float64Array; iterations: number } | { degenerate: string }> {
  const n = sys.n;
  let iterations = 0;
  for (let M = N0; ; M = Math.min(2 * M, N)) {
    const r = yield* minimiseEnergy(sys, { curve }, M, cap, tol);
    if ("degenerate" in r)
      return M === N0
        ? r
        : { degenerate: `minimising its energy led to where ${r.degenerate.replace(/^the curve itself passes where /, "")}` };
    iterations += r.iterations;
    if (M === N) return { curve: r.curve, iterations };
    const M2 = Math.min(2 * M, N);
    const fine = new Float64Array((M2 + 1) * n);
    for (let k = 0; k <= M2; k++) {
      const t = (k / M2) * M,
        i = Math.min(Math.floor(t), M - 1),
        f = t - i;
      for (let a = 0; a < n; a++) fine[k * n + a] = (1 - f) * r.curve[i * n + a] + f * r.curve[(i + 1) * n + a];
    }
    curve = fine;
  }
}

/** The discrete curve's initial velocity, corrected to second order: v ≈ (x₁ − x₀)/h + (h/2) Γ(x₀)(v, v). */
function initialVelocity(sys: GeodesicSystem, curve: Float64Array, N: number): number[] {
  const n = sys.n,
    h = 1 / N;
  const v = Array.from({ length: n }, (_, a) => (curve[n + a] - curve[a]) / h);
  const G = new Float64Array(n * n * n);
  sys.christoffelAt(curve.subarray(0, n), G);
  const out = [...v];
  for (let a = 0; a < n; a++) {
    let acc = 0;
    for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) acc += G[(a * n + b) * n + c] * v[b] * v[c];
    if (Number.isFinite(acc)) out[a] += (h / 2) * acc;
  }
  // the correction is only trusted while it stays a correction (Γ blows up near a degenerate metric)
  return Math.hypot(...out.map((x, a) => x - v[a])) <= 0.5 * Math.hypot(...v) ? out : v;
}

/**
 * Shooting from the guess v: with `opts.coarse` (the matrix route), Newton first runs on cheap integrations at the
 * coarse tolerances until the miss is within 1e-5 of the scale, and hands its velocity and Jacobian to the polish at
 * the full tolerances, which then needs one or two integrations instead of 2n + 2.
 */
function* shoot(
  sys: GeodesicSystem,
  x0: number[],
  x1: number[],
  guess: number[],
  opts: GeodesicOptions,
  what: string,
  energyIterations = 0,
): Task<{ path: GeodesicPath } | { failure: string }> {
  let v = guess,
    J: number[][] | null = null,
    coarse = 0;
  if (opts.coarse) {
    const scale = 1 + Math.hypot(...x1);
    const c = yield* newton(sys, x0, x1, v, { ...opts, ...opts.coarse, tolerance: 1e-5 * scale, maxIterations: 8 }, what, null);
    if ("v" in c) ({ v, J, iterations: coarse } = c);
  }
  const r = yield* newton(sys, x0, x1, v, opts, what, J);
  if ("failure" in r) return r;
  return { path: yield* pathOf(sys, r.sol, x0, r.v, opts, coarse + r.iterations, energyIterations) };
}

/**
 * Damped Newton on the initial velocity from the guess v; the end point's Jacobian by differences (central, or
 * forward with `opts.forwardDifferences`), recomputed every step or (broyden) only when the update fails.
 */
function* newton(
  sys: GeodesicSystem,
  x0: number[],
  x1: number[],
  guess: number[],
  opts: GeodesicOptions,
  what: string,
  J0: number[][] | null,
): Task<{ v: number[]; sol: Solution; J: number[][] | null; iterations: number } | { failure: string }> {
  const n = sys.n;
  const maxIt = opts.maxIterations ?? 40;
  const tol = opts.tolerance ?? Math.max(1e-10, 10 * (opts.rtol ?? 1e-11)) * (1 + Math.hypot(...x1));
  const end = function* (v: number[]): Task<{ sol: Solution; x: number[] }> {
    const s = yield* integrate(sys, x0, v, opts, true);
    return { sol: s, x: Array.from(s.y[s.y.length - 1].subarray(0, n)) };
  };
  // forward differences: the step balances truncation (∝ eps) against the integrator's error (∝ rtol / eps)
  const relStep = opts.forwardDifferences ? Math.max(1e-7, Math.sqrt(opts.rtol ?? 1e-11)) : 1e-6;
  let it = 0;
  let v = guess;
  try {
    let cur = yield* end(v);
    let res = cur.x.map((x, i) => x - x1[i]);
    let norm = Math.hypot(...res);
    let J: number[][] | null = J0 && opts.broyden ? J0.map((r) => [...r]) : null;
    for (it = 1; it <= maxIt; it++) {
      if (norm <= tol) return { v, sol: cur.sol, J, iterations: it - 1 };
      const fresh = !J || !opts.broyden;
      if (fresh) {
        J = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let j = 0; j < n; j++) {
          const eps = relStep * Math.max(1, Math.abs(v[j]));
          const plus = (yield* end(v.map((x, i) => (i === j ? x + eps : x)))).x;
          if (opts.forwardDifferences) for (let i = 0; i < n; i++) J[i][j] = (plus[i] - cur.x[i]) / eps;
          else {
            const minus = (yield* end(v.map((x, i) => (i === j ? x - eps : x)))).x;
            for (let i = 0; i < n; i++) J[i][j] = (plus[i] - minus[i]) / (2 * eps);
          }
        }
      }
      const Jk = J!;
      const step = solveN(
        Jk,
        res.map((r) => -r),
      );
      if (!step) {
        if (!fresh) {
          J = null;
          continue;
        }
        return { failure: `${what}: shooting hit a singular Jacobian (conjugate points?) after ${it - 1} Newton steps` };
      }
      // damped: halve the step until the miss shrinks
      let lambda = 1,
        accepted = false;
      while (lambda >= 1 / 64) {
        const vTry = v.map((x, i) => x + lambda * step[i]);
        try {
          const tryEnd = yield* end(vTry);
          const tryRes = tryEnd.x.map((x, i) => x - x1[i]);
          const tryNorm = Math.hypot(...tryRes);
          if (tryNorm < norm) {
            if (opts.broyden) {
              // J += (Δr − J Δv) Δvᵀ / (Δvᵀ Δv): the secant condition along the step just taken
              const dv = vTry.map((x, i) => x - v[i]),
                dd = dv.reduce((s, x) => s + x * x, 0);
              for (let i = 0; i < n; i++) {
                const miss = tryRes[i] - res[i] - Jk[i].reduce((s, x, j) => s + x * dv[j], 0);
                for (let j = 0; j < n; j++) Jk[i][j] += (miss * dv[j]) / dd;
              }
            }
            v = vTry;
            cur = tryEnd;
            res = tryRes;
            norm = tryNorm;
            accepted = true;
            break;
          }
        } catch (e) {
          if (!(e instanceof EvaluationError)) throw e;
        }
        lambda /= 2;
      }
      if (!accepted) {
        if (fresh) break;
        J = null;
      }
    }
    if (norm <= tol) return { v, sol: cur.sol, J, iterations: maxIt };
    return {
      failure:
        `${what}: shooting did not converge after ${Math.min(it, maxIt)} Newton steps: the closest geodesic found ` +
        `ends ${norm.toExponential(2)} away from the target`,
    };
  } catch (e) {
    if (e instanceof EvaluationError) return { failure: `${what}: shooting failed after ${it} Newton steps: ${e.message}` };
    throw e;
  }
}
