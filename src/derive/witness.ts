// Numeric witnesses: evaluate two routes to the same quantity at seeded random points and
// compare them. Points where either route is not finite are skipped (and counted); a witness
// that cannot find enough points fails rather than passing vacuously, naming the first value it could not use.
import type { Manifold } from "../semantics/model.js";
import { compile } from "../numeric/codegen.js";
import { rng } from "../core/random.js";
import { type Expr, freeSymbols } from "../symbolic/expr.js";
import type { Matrix } from "../symbolic/tensor.js";
import type { RouteKind, WitnessDomain, WitnessOptions, WitnessResult } from "./model.js";

/** A witness's route: its kind and the sentence describing it. */
export interface Via {
  route: RouteKind;
  text: string;
}
export const via = (route: RouteKind, text: string): Via => ({ route, text });

/** Components of a row-major matrix with `cols` columns, named [i][j] from 1. */
export const entryName = (cols: number) => (k: number) => `[${Math.floor(k / cols) + 1}][${(k % cols) + 1}]`;

/** Point → values; both routes of a witness return the same number of components. */
export type Route = (env: ReadonlyMap<string, number>) => number[];

export interface Sampler {
  /** Coordinates sampled in [lo, hi], or in their own intervals where the chart declares a domain. */
  coords: { names: string[]; lo: number; hi: number; ranges?: readonly [number, number][] };
  /** Free parameters (symbolic weights, constants without values) sampled too: an identity must hold for all of them. */
  params: string[];
  /** Fixed values (constants with values). */
  fixed: ReadonlyMap<string, number>;
  /**
   * Values the routes draw at random besides the spec's symbols (entries of random fibre elements), uniform in
   * [-1, 1] like parameters; their names are internal, so documents say `what` they are and never name them.
   */
  auxiliary?: { names: string[]; what: string };
}

/** The sampled values a document may name: the coordinates and the spec's own parameters, never auxiliary ones. */
const named = (sampler: Sampler) => {
  const aux = new Set(sampler.auxiliary?.names ?? []);
  return (name: string) => !aux.has(name);
};

/** Seed for one step: the run's seed mixed with the step's id, so steps do not share points. */
export function stepSeed(seed: number, id: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function samplerFor(chart: Manifold, exprs: readonly Expr[], fixed: ReadonlyMap<string, number>): Sampler {
  const params = freeSymbols(exprs).filter((s) => !chart.coords.includes(s) && !fixed.has(s) && s !== "pi");
  return { coords: { names: chart.coords, lo: -1, hi: 1, ...(chart.domain ? { ranges: chart.domain } : {}) }, params, fixed };
}

/** Where a sampler's points come from, for the documents. */
export function domainOf(sampler: Sampler, seed: number): WitnessDomain {
  const free = sampler.coords.names.map((c, i) => [c, i] as const).filter(([c]) => !sampler.fixed.has(c));
  const box = free.map(([c]) => c);
  const ranges = sampler.coords.ranges;
  if (!box.length && sampler.coords.names.length)
    return { kind: "point", at: Object.fromEntries(sampler.coords.names.map((c) => [c, sampler.fixed.get(c)!])) };
  return {
    kind: "random",
    seed,
    box: { coords: box, lo: sampler.coords.lo, hi: sampler.coords.hi, ...(ranges ? { ranges: free.map(([, i]) => ranges[i]) } : {}) },
    ...(sampler.params.length ? { params: [...sampler.params] } : {}),
    ...(sampler.auxiliary ? { also: sampler.auxiliary.what } : {}),
  };
}

/** The witness of a step whose integrator could not run (an EvaluationError): failed, saying why. */
export const notIntegrated = (against: string, reason: string): WitnessResult => ({
  points: 0,
  tolerance: 0,
  maxError: NaN,
  passed: false,
  against,
  route: "integrator",
  domain: { kind: "samples" },
  failure: { point: {}, component: "", lhs: NaN, rhs: NaN, reason },
});

/** A route that evaluates DAG expressions by generated code. */
export function exprRoute(exprs: readonly Expr[], variables: readonly string[]): Route {
  const f = compile(exprs, variables);
  return (env) => {
    const point = variables.map((v) => env.get(v)!);
    const params = f.params.map((p) => env.get(p) ?? (p === "pi" ? Math.PI : NaN));
    return Array.from(f.at(point, params));
  };
}

export function witness(
  lhs: Route,
  rhs: Route,
  sampler: Sampler,
  opts: WitnessOptions,
  id: string,
  by: string | Via,
  componentName: (k: number) => string = (k) => `[${k + 1}]`,
): WitnessResult {
  const seed = stepSeed(opts.seed, id);
  const r = rng(seed);
  const { text: against, route } = typeof by === "string" ? { text: by, route: undefined } : by;
  const described = { against, ...(route ? { route } : {}), domain: domainOf(sampler, seed) };
  let points = 0,
    maxError = 0,
    attempts = 0;
  let worst: WitnessResult["failure"];
  // Why the first unusable point was unusable: its coordinates and the first non-finite value (or the error).
  let unusable: { point: Record<string, number>; why: string } | undefined;
  const shown = named(sampler);
  const sampled = (env: ReadonlyMap<string, number>) =>
    Object.fromEntries([...env].filter(([name]) => shown(name) && (!sampler.fixed.has(name) || sampler.coords.names.includes(name))));
  while (points < opts.points && attempts < opts.points * 20) {
    attempts++;
    const env = new Map(sampler.fixed);
    // a coordinate given a value (a claim `at` a point) keeps it
    sampler.coords.names.forEach((c, i) => {
      const [lo, hi] = sampler.coords.ranges?.[i] ?? [sampler.coords.lo, sampler.coords.hi];
      if (!sampler.fixed.has(c)) env.set(c, lo + (hi - lo) * r());
    });
    for (const p of sampler.params) env.set(p, p === "h" || /^h\d*$/.test(p) ? 0.05 + 0.95 * r() : 2 * r() - 1);
    for (const p of sampler.auxiliary?.names ?? []) env.set(p, 2 * r() - 1);
    let a: number[], b: number[];
    try {
      a = lhs(env);
      b = rhs(env);
    } catch (e) {
      unusable ??= { point: sampled(env), why: `evaluation failed: ${e instanceof Error ? e.message : String(e)}` };
      continue;
    }
    if (![...a, ...b].every(Number.isFinite)) {
      if (!unusable) {
        const k = a.findIndex((x) => !Number.isFinite(x)),
          at = k >= 0 ? k : b.findIndex((x) => !Number.isFinite(x));
        // name the side only when the other one is finite there
        const side = Number.isFinite(a[at]) ? "right " : Number.isFinite(b[at]) ? "left " : "";
        unusable = { point: sampled(env), why: `the first non-finite value: ${side}${componentName(at)} = ${(k >= 0 ? a : b)[at]}` };
      }
      continue;
    }
    points++;
    for (let k = 0; k < a.length; k++) {
      const err = Math.abs(a[k] - b[k]) / (1 + Math.max(Math.abs(a[k]), Math.abs(b[k])));
      if (err > maxError) {
        maxError = err;
        worst = {
          point: sampled(env),
          component: componentName(k),
          lhs: a[k],
          rhs: b[k],
        };
      }
    }
  }
  if (points < opts.points) {
    return {
      points,
      tolerance: opts.tolerance,
      maxError,
      passed: false,
      ...described,
      failure: {
        point: unusable?.point ?? {},
        component: "",
        lhs: NaN,
        rhs: NaN,
        reason:
          `only ${points} of ${opts.points} sampled points gave finite values on both sides (${attempts} tried)` +
          (unusable ? `; ${unusable.why}` : ""),
      },
    };
  }
  const passed = maxError <= opts.tolerance;
  return { points, tolerance: opts.tolerance, maxError, passed, ...described, failure: passed ? undefined : worst };
}

/**
 * Two matrices of closed forms compared entry by entry, each evaluated by generated code. Where every entry is one DAG
 * node on both sides (hash-consing makes equal expressions one node) the check cannot fail: it is marked
 * `sameExpression`, an identity.
 */
export function bothSides(
  a: Matrix,
  b: Matrix,
  variables: readonly string[],
  sampler: Sampler,
  opts: WitnessOptions,
  id: string,
  text: string,
): WitnessResult {
  const w = witness(
    exprRoute(a.flat(), variables),
    exprRoute(b.flat(), variables),
    sampler,
    opts,
    id,
    via("both sides", text),
    entryName(a[0].length),
  );
  return a.every((row, i) => row.every((e, j) => e === b[i][j])) ? { ...w, sameExpression: true } : w;
}
