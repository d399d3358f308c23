// Claims on wide networks' metrics and Jacobians (`check g equals jacobian(dec)^T * jacobian(dec)`, `check g is
// positive definite`): both sides evaluated numerically at the points — the matrix engine for metrics and Jacobians of
// networks whose symbolic form would pass SYMBOLIC_LIMIT, forward mode for other maps — instead of on the DAG.
import { fixed as formula, fromTex, indexed, num, op, prose, seq, sym } from "../core/notation.js";
import { quantity } from "../core/quantities.js";
import type { Manifold, Request, TensorExpr } from "../semantics/model.js";
import { classifyMetric } from "../numeric/linalg.js";
import { estimateMappingSize, estimateSymbolicSize, SYMBOLIC_LIMIT } from "../symbolic/size.js";
import { eigenCheck, headingSide, propertyWitness, tensorText } from "./claims.js";
import { symbolicWeights } from "./matrix.js";
import { label, type Step, type WitnessOptions } from "./model.js";
import { networksOf, tensorValue } from "./values.js";
import { entryName, type Route, samplerFor, via, witness } from "./witness.js";

/** Whether a tensor expression reads a metric or Jacobian too large for the DAG (so the claim is evaluated numerically). */
export function wideTensor(t: TensorExpr): boolean {
  switch (t.kind) {
    case "metric":
      return estimateSymbolicSize(t.metric, 0) > SYMBOLIC_LIMIT;
    case "geometry":
      return estimateSymbolicSize(t.metric, quantity(t.quantity).derivatives) > SYMBOLIC_LIMIT;
    case "jacobian":
      return estimateMappingSize(t.map) > SYMBOLIC_LIMIT;
    case "literal":
      return false;
    case "transpose":
    case "scale":
      return wideTensor(t.arg);
    case "binary":
      return wideTensor(t.left) || wideTensor(t.right);
  }
}

const samplerOf = (chart: Manifold | null, ts: TensorExpr[], fixed: ReadonlyMap<string, number>) =>
  chart
    ? samplerFor(chart, [...new Set(ts.flatMap(networksOf))].flatMap(symbolicWeights), fixed)
    : { coords: { names: [], lo: -1, hi: 1 }, params: [], fixed };

const EVALUATED = via("both sides", "both sides evaluated numerically (the matrix engine for wide networks)");

/** A claim on wide tensors, witnessed numerically; null for the claims claims.ts handles (or that read no wide tensor). */
export function matrixClaimStep(
  req: Request,
  index: number,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  source = "",
): Step | null {
  const id = `claim${index + 1}`;
  const quoted = source
    .slice(req.span.offset, req.span.end)
    .replace(/^check\s+/, "")
    .replace(/\s+/g, " ");
  if (req.kind === "check_equals") {
    if (!wideTensor(req.left) && !wideTensor(req.right)) return null;
    const chart = req.left.chart ?? req.right.chart;
    const vars = chart?.coords ?? [];
    const base = samplerOf(chart, [req.left, req.right], fixed);
    const at = req.at;
    const sampler = at
      ? { ...base, coords: { names: vars, lo: 0, hi: 0 }, fixed: new Map([...fixed, ...vars.map((c, i) => [c, at[i]] as const)]) }
      : base;
    const cols = req.left.shape.length === 2 ? req.left.shape[1] : 1;
    const side =
      (t: TensorExpr): Route =>
      (env) =>
        tensorValue(t, chart, env).flat();
    const text = (t: TensorExpr) => tensorText(t).math;
    const lm = text(req.left),
      rm = text(req.right);
    return {
      id,
      title: `Claim: ${quoted || `${tensorText(req.left).text} equals ${tensorText(req.right).text}`}`,
      heading: prose("Claim: ", headingSide(req.left), " equals ", headingSide(req.right), at ? ` at (${at.join(", ")})` : ""),
      justification: "claim",
      span: req.span,
      why: prose(
        at ? `Asked in the spec, at (${at.join(", ")}).` : "Asked in the spec; compared at random points.",
        " Its sides are too large to write as components: both are evaluated numerically.",
      ),
      ...(lm && rm ? { equation: { rows: [{ lhs: label(lm), rhs: label(rm) }] } } : {}),
      witness: witness(side(req.left), side(req.right), sampler, at ? { ...opts, points: 1 } : opts, id, EVALUATED, entryName(cols)),
    };
  }
  if (req.kind !== "check_property" && req.kind !== "check_rank") return null;
  if (!wideTensor(req.subject)) return null;
  const chart = req.subject.chart;
  const sampler = samplerOf(chart, [req.subject], fixed);
  const n = req.subject.shape[0] ?? 1;
  const route: Route = (env) => tensorValue(req.subject, chart, env).flat();
  const tex = tensorText(req.subject).math ?? sym("M");
  const byEigen = via("eigenvalues", "eigenvalues at sampled points (the matrix engine for wide networks)");
  const base = { id, title: `Claim: ${quoted}`, justification: "claim" as const, span: req.span };
  if (req.kind === "check_rank") {
    const rank = req.rank;
    return {
      ...base,
      heading: prose("Claim: ", headingSide(req.subject), ` has rank ${rank}`),
      why: fromTex("Asked in the spec: the numerical rank at sampled points."),
      statement: seq(formula("\\operatorname{rank}", "rank"), tex, op("="), num(rank)),
      witness: propertyWitness(
        route,
        n,
        sampler,
        opts,
        id,
        (m) => {
          const r = classifyMetric(m).rank;
          return r === rank ? null : `rank is ${r}`;
        },
        byEigen,
      ),
    };
  }
  if (req.property === "symmetric") {
    const transposed: Route = (env) => {
      const m = tensorValue(req.subject, chart, env);
      return m[0].flatMap((_, j) => m.map((r) => r[j]));
    };
    return {
      ...base,
      heading: prose("Claim: ", headingSide(req.subject), " is symmetric"),
      why: fromTex("Asked in the spec."),
      equation: { rows: [{ lhs: label(tex), rhs: label(indexed(tex, { transpose: true })) }] },
      witness: witness(route, transposed, sampler, opts, id, via("both sides", "the transpose, evaluated numerically"), entryName(n)),
    };
  }
  const kind = req.property === "positive definite" ? "definite" : "semidefinite";
  return {
    ...base,
    heading: prose("Claim: ", headingSide(req.subject), ` is ${req.property}`),
    why: fromTex("Asked in the spec: every eigenvalue at the sampled points."),
    statement: seq(tex, op(kind === "definite" ? "succ" : "succeq"), num(0)),
    witness: propertyWitness(route, n, sampler, opts, id, eigenCheck(kind, 1e-12), byEigen),
  };
}
