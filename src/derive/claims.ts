// Claims: what a spec asks to check (`check A equals B`, properties, rank), and the properties
// every metric must have. Each becomes a step whose witness can fail.
import { QUANTITY_TABLE } from "../core/quantities.js";
import type { Manifold, Metric, Request, TensorExpr } from "../semantics/model.js";
import { classifyMetric, classText, type MetricClass, symmetricEigen } from "../numeric/linalg.js";
import { add, mul, MINUS_ONE } from "../symbolic/expr.js";
import { fromMath } from "../symbolic/mathjs.js";
import { symbolicQuantity } from "../numeric/geometry.js";
import { mappingExprs, metricComponents } from "../symbolic/metric.js";
import { fixed as formula, fromTex, ident, indexed, type MathNode, num, op, type Part, prose, seq, sym } from "../core/notation.js";
import { latexSymbol } from "../symbolic/notation.js";
import { type Matrix, matMul, transpose } from "../symbolic/tensor.js";
import { label, matrixSide, scalarSide, type Side, type Step, vectorSide, type WitnessOptions, type WitnessResult } from "./model.js";
import { tensorValue, usesEngine } from "./values.js";
import { bothSides, entryName, exprRoute, type Route, type Sampler, samplerFor, type Via, via, witness } from "./witness.js";
import { diffeomorphismReport } from "../numeric/diffeo.js";

/** A tensor expression as a matrix of DAG nodes (vectors as one column, scalars as 1×1). */
export function tensorMatrix(t: TensorExpr): Matrix {
  switch (t.kind) {
    case "metric":
      return metricComponents(t.metric);
    case "jacobian":
      return mappingExprs(t.map).jacobian;
    case "literal": {
      const e = t.entries.map(fromMath);
      if (t.shape.length === 0) return [[e[0]]];
      if (t.shape.length === 1) return e.map((x) => [x]);
      return Array.from({ length: t.shape[0] }, (_, i) => e.slice(i * t.shape[1], (i + 1) * t.shape[1]));
    }
    case "transpose":
      return transpose(tensorMatrix(t.arg));
    case "geometry": {
      const q = symbolicQuantity(t.metric, t.quantity);
      if (t.shape.length === 0) return [[q.entries[0]]];
      const n = t.shape[0];
      return Array.from({ length: n }, (_, i) => q.entries.slice(i * n, (i + 1) * n));
    }
    case "scale": {
      const f = fromMath(t.factor);
      return tensorMatrix(t.arg).map((r) => r.map((x) => mul(f, x)));
    }
    case "binary": {
      const a = tensorMatrix(t.left),
        b = tensorMatrix(t.right);
      if (t.op === "*") return matMul(a, b);
      return a.map((r, i) => r.map((x, j) => (t.op === "+" ? add(x, b[i][j]) : add(x, mul(MINUS_ONE, b[i][j])))));
    }
  }
}

/** How a claim's side reads in text: g, J(f)^T * J(f), [[…]]. */
/** How a claim's side reads: text as the spec writes it (g, J(f)^T * J(f)) and math (null for literal components). */
export function tensorText(t: TensorExpr): { text: string; math: MathNode | null } {
  switch (t.kind) {
    case "metric":
      return { text: t.metric.name, math: ident(t.metric.name) };
    case "jacobian":
      return { text: `jacobian(${t.map.name})`, math: sym("J", { sub: ident(t.map.name) }) };
    case "literal":
      return { text: "the given components", math: null };
    case "geometry": {
      // the quantities' claim symbols are TeX templates (core/quantities.ts); names are identifiers, so latexSymbol is safe here
      const text = `${t.quantity}(${t.metric.name})`;
      return { text, math: formula(QUANTITY_TABLE[t.quantity].claim.tex(latexSymbol(t.metric.name)), text) };
    }
    case "transpose": {
      const a = tensorText(t.arg);
      return { text: `${a.text}^T`, math: a.math && indexed(a.math, { transpose: true }) };
    }
    case "scale": {
      const a = tensorText(t.arg);
      return { text: `c*${a.text}`, math: a.math };
    }
    case "binary": {
      const a = tensorText(t.left),
        b = tensorText(t.right);
      const math = a.math && b.math ? (t.op === "*" ? seq(a.math, b.math) : seq(a.math, op(t.op), b.math)) : null;
      return { text: `${a.text} ${t.op} ${b.text}`, math };
    }
  }
}

function sideOf(t: TensorExpr, m: Matrix): Side {
  const named = tensorText(t);
  if (t.kind !== "literal" && named.math && (m.flat().length > 1 || t.kind === "geometry")) return label(named.math);
  if (t.shape.length === 0) return scalarSide(m[0][0]);
  if (t.shape.length === 1) return vectorSide(m.map((r) => r[0]));
  return matrixSide(m);
}

function chartOf(t: TensorExpr): Manifold | null {
  return t.chart;
}

/**
 * A property witness: a predicate on the matrix at every sampled point. The matrix is compared with itself, so
 * points where it is not finite are skipped and counted like any witness's (never passed as vacuously true).
 */
export function propertyWitness(
  route: Route,
  n: number,
  sampler: ReturnType<typeof samplerFor>,
  opts: WitnessOptions,
  id: string,
  predicate: (m: number[][]) => string | null,
  against: string | Via,
): WitnessResult {
  let failure: WitnessResult["failure"];
  let last: number[] = [];
  const probe: Route = (env) => {
    const flat = route(env);
    last = flat;
    if (!flat.every(Number.isFinite)) return [...flat, 0];
    const bad = predicate(Array.from({ length: n }, (_, i) => flat.slice(i * n, (i + 1) * n)));
    if (bad && !failure)
      failure = {
        point: Object.fromEntries([...env].filter(([k]) => !sampler.fixed.has(k))),
        component: "",
        lhs: NaN,
        rhs: NaN,
        reason: bad,
      };
    return [...flat, 0];
  };
  const name = (k: number) => (k < n * n ? entryName(n)(k) : "");
  const w = witness(probe, () => [...last, 0], sampler, { ...opts, tolerance: 0 }, id, against, name);
  if (!w.passed) return { ...w, tolerance: opts.tolerance };
  return failure ? { ...w, passed: false, failure } : { ...w, maxError: 0, tolerance: opts.tolerance, failure: w.failure };
}

export const eigenCheck = (kind: "definite" | "semidefinite", tol: number) => (m: number[][]) => {
  const { values } = symmetricEigen(m);
  const scale = Math.max(1, ...values.map(Math.abs));
  const low = values[0];
  if (kind === "definite" && !(low > tol * scale)) return `smallest eigenvalue ${low} is not positive`;
  if (kind === "semidefinite" && !(low >= -tol * scale)) return `smallest eigenvalue ${low} is negative`;
  return null;
};

/** A side of a claim in a heading: its formula, or its words when it has none (literal components). */
export const headingSide = (t: TensorExpr): Part => {
  const x = tensorText(t);
  return x.math ? { kind: "math", math: x.math } : { kind: "text", text: x.text };
};

/** `check NET is a diffeomorphism on BOX`: the network map's det of one sign, injective, C¹ (numeric/diffeo.ts). */
function diffeomorphismStep(
  req: Extract<Request, { kind: "check_diffeomorphism" }>,
  id: string,
  quoted: string,
  fixed: ReadonlyMap<string, number>,
): Step {
  const r = diffeomorphismReport(req.network, fixed, req.domain);
  const coords = req.network.source.coords;
  const box = req.domain.map(([a, b]) => `[${a}, ${b}]`);
  const f = r.firstFold;
  const proved = r.layers.filter((l) => l.sufficient?.certified).map((l) => l.layer);
  return {
    id,
    title: `Claim: ${quoted}`,
    justification: "claim",
    span: req.span,
    why: fromTex(
      "Asked in the spec: $\\det \\partial x_L/\\partial x_0$ of one sign and nonzero at a lattice of the box (refined near sign " +
        "changes; zero judged against the round-off of its terms), the map injective (every layer certified, or the image of the " +
        "box's boundary a simple closed curve in the plane), and every activation $C^1$." +
        (proved.length
          ? ` Layers ${proved.join(", ")} are invertible on all of $\\mathbb{R}^n$: $c\\,\\sup|\\sigma'|\\,\\|W\\|_2 < 1$ or ` +
            "$\\det(I + cDW) > 0$ at every corner of $D \\in [\\inf\\sigma', \\sup\\sigma']^n$."
          : ""),
    ),
    statement: formula(
      `\\det \\frac{\\partial x_L}{\\partial x_0} \\neq 0 \\text{ of one sign on } ${box.join(" \\times ")}`,
      `det ∂x_L/∂x_0 ≠ 0, of one sign, on ${box.join(" × ")}; injective; C¹`,
    ),
    witness: {
      points: r.lattice + r.refined,
      tolerance: 0,
      maxError: 0,
      passed: r.diffeomorphism,
      against: `det ∂x_L/∂x_0 at ${r.lattice + r.refined} sampled points of the box`,
      failure: r.diffeomorphism
        ? undefined
        : {
            point: f ? Object.fromEntries(coords.map((c, i) => [c, f.point[i]])) : {},
            component: f ? "det ∂x_L/∂x_0" : "",
            lhs: f?.det ?? Number.NaN,
            rhs: 0,
            reason: r.reason,
          },
    },
  };
}

/** Whether a tensor expression's numeric value (values.ts) is reached without the DAG: not for geometric quantities. */
const dagFree = (t: TensorExpr): boolean =>
  t.kind === "geometry"
    ? false
    : t.kind === "transpose" || t.kind === "scale"
      ? dagFree(t.arg)
      : t.kind === "binary"
        ? dagFree(t.left) && dagFree(t.right)
        : true;

/**
 * `check A equals B`: each side's closed form against the other side evaluated numerically without the DAG (forward
 * mode on the model's expressions, the matrix engine for networks' metrics and Jacobians, dual numbers on literals) —
 * an independent route wherever one side can be evaluated so. Two sides that both need the DAG (geometric quantities)
 * are compared closed form against closed form.
 */
function equalsWitness(
  left: TensorExpr,
  right: TensorExpr,
  a: Matrix,
  b: Matrix,
  vars: readonly string[],
  sampler: Sampler,
  opts: WitnessOptions,
  id: string,
): WitnessResult {
  const chart = chartOf(left) ?? chartOf(right);
  const value = (t: TensorExpr) => (env: ReadonlyMap<string, number>) => tensorValue(t, chart, env).flat();
  // the left column holds the left side, the right column the right side: a failure's "left"/"right" are the spec's
  const crosses = [
    ...(dagFree(right) ? [{ left: exprRoute(a.flat(), vars), right: value(right), name: "" }] : []),
    ...(dagFree(left) ? [{ left: value(left), right: exprRoute(b.flat(), vars), name: " (left evaluated, right closed form)" }] : []),
  ];
  if (!crosses.length) return bothSides(a, b, vars, sampler, opts, id, "both sides' closed forms evaluated");
  const size = a.length * a[0].length,
    entry = entryName(a[0].length);
  const engine = usesEngine(left) || usesEngine(right);
  const by = engine ? "the matrix engine" : "forward mode";
  const text = `each side's closed form against the other side evaluated numerically without it (${by})`;
  return witness(
    (env) => crosses.flatMap((x) => x.left(env)),
    (env) => crosses.flatMap((x) => x.right(env)),
    sampler,
    opts,
    id,
    via(engine ? "engine" : "forward mode", text),
    (k) => `${entry(k % size)}${crosses[Math.floor(k / size)].name}`,
  );
}

/** `source` is the spec's text: a claim's title quotes what the spec says, its heading typesets the formulas. */
export function claimStep(req: Request, index: number, fixed: ReadonlyMap<string, number>, opts: WitnessOptions, source = ""): Step | null {
  const id = `claim${index + 1}`;
  const quoted = source
    .slice(req.span.offset, req.span.end)
    .replace(/^check\s+/, "")
    .replace(/\s+/g, " ");
  if (req.kind === "check_diffeomorphism") return diffeomorphismStep(req, id, quoted, fixed);
  if (req.kind === "check_equals") {
    const a = tensorMatrix(req.left),
      b = tensorMatrix(req.right);
    const chart = chartOf(req.left) ?? chartOf(req.right);
    const vars = chart?.coords ?? [];
    const base = chart ? samplerFor(chart, [...a.flat(), ...b.flat()], fixed) : { coords: { names: [], lo: -1, hi: 1 }, params: [], fixed };
    const at = req.at;
    const sampler = at
      ? { ...base, coords: { names: vars, lo: 0, hi: 0 }, fixed: new Map([...fixed, ...vars.map((c, i) => [c, at[i]] as const)]) }
      : base;
    const lt = tensorText(req.left),
      rt = tensorText(req.right);
    const options = at ? { ...opts, points: 1 } : opts;
    return {
      id,
      title: `Claim: ${quoted || `${lt.text} equals ${rt.text}`}`,
      heading: prose("Claim: ", headingSide(req.left), " equals ", headingSide(req.right), at ? ` at (${at.join(", ")})` : ""),
      justification: "claim",
      span: req.span,
      why: prose(at ? `Asked in the spec, at (${at.join(", ")}).` : "Asked in the spec; compared at random points."),
      equation: { rows: [{ lhs: sideOf(req.left, a), rhs: sideOf(req.right, b) }] },
      witness: equalsWitness(req.left, req.right, a, b, vars, sampler, options, id),
    };
  }
  if (req.kind === "check_property" || req.kind === "check_rank") {
    const m = tensorMatrix(req.subject);
    const chart = req.subject.chart;
    const vars = chart?.coords ?? [];
    const sampler = chart ? samplerFor(chart, m.flat(), fixed) : { coords: { names: [], lo: -1, hi: 1 }, params: [], fixed };
    const t = tensorText(req.subject);
    const n = m.length;
    const tex = t.math ?? sym("M");
    if (req.kind === "check_rank") {
      return {
        id,
        title: `Claim: ${quoted}`,
        heading: prose("Claim: ", headingSide(req.subject), ` has rank ${req.rank}`),
        justification: "claim",
        span: req.span,
        why: fromTex("Asked in the spec: the numerical rank at sampled points."),
        statement: seq(formula("\\operatorname{rank}", "rank"), tex, op("="), num(req.rank)),
        witness: propertyWitness(
          exprRoute(m.flat(), vars),
          n,
          sampler,
          opts,
          id,
          (mm) => {
            const r = classifyMetric(mm).rank;
            return r === req.rank ? null : `rank is ${r}`;
          },
          via("eigenvalues", "eigenvalues at sampled points"),
        ),
      };
    }
    if (req.property === "symmetric") {
      const mt = transpose(m);
      return {
        id,
        title: `Claim: ${quoted}`,
        heading: prose("Claim: ", headingSide(req.subject), " is symmetric"),
        justification: "claim",
        span: req.span,
        why: fromTex("Asked in the spec."),
        equation: { rows: [{ lhs: label(tex), rhs: label(indexed(tex, { transpose: true })) }] },
        witness: bothSides(m, mt, vars, sampler, opts, id, "the transpose"),
      };
    }
    const kind = req.property === "positive definite" ? "definite" : "semidefinite";
    return {
      id,
      title: `Claim: ${quoted}`,
      heading: prose("Claim: ", headingSide(req.subject), ` is ${req.property}`),
      justification: "claim",
      span: req.span,
      why: fromTex("Asked in the spec: every eigenvalue at the sampled points."),
      statement: seq(tex, op(kind === "definite" ? "succ" : "succeq"), num(0)),
      witness: propertyWitness(
        exprRoute(m.flat(), vars),
        n,
        sampler,
        opts,
        id,
        eigenCheck(kind, 1e-12),
        via("eigenvalues", "eigenvalues at sampled points"),
      ),
    };
  }
  return null;
}

/** A predicate that holds while every matrix it sees has the signature of the first one. */
function sameSignature(): (m: number[][]) => string | null {
  let first: MetricClass | undefined;
  return (m) => {
    const c = classifyMetric(m);
    first ??= c;
    return c.signature.every((k, i) => k === first!.signature[i]) ? null : `${classText(c)} here, but ${classText(first)} elsewhere`;
  };
}

/**
 * Symmetry, and what the metric's kind guarantees: a pullback of a positive-definite metric is positive
 * semi-definite; a metric given by components may have any signature (Lorentzian ones included), but one signature
 * throughout the chart.
 */
export function metricPropertySteps(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const g = metricComponents(metric);
  const vars = metric.manifold.coords,
    n = g.length;
  const sampler = samplerFor(metric.manifold, g.flat(), fixed);
  const g_ = ident(metric.name);
  const exact = g.every((row, i) => row.every((e, j) => e === g[j][i]));
  return [
    {
      id: `${metric.name}:symmetric`,
      title: `${metric.name} is symmetric`,
      justification: "property",
      why: fromTex(exact ? "$g_{ab}$ and $g_{ba}$ are the same expression." : "$g_{ab} = g_{ba}$ at every sampled point."),
      equation: { rows: [{ lhs: label(indexed(g_, { sub: formula("ab") })), rhs: label(indexed(g_, { sub: formula("ba") })) }] },
      witness: bothSides(g, transpose(g), vars, sampler, opts, `${metric.name}:symmetric`, "the transpose"),
    },
    metric.def.kind === "components"
      ? {
          id: `${metric.name}:signature`,
          title: `${metric.name} has one signature throughout`,
          justification: "property",
          why: fromTex(
            "A metric given by its components may be indefinite, but its signature $(n_+, n_-, n_0)$ cannot change across the chart.",
          ),
          statement: seq(formula("\\operatorname{sign}", "signature of"), g_, formula("\\ \\text{constant}", "constant")),
          witness: propertyWitness(
            exprRoute(g.flat(), vars),
            n,
            sampler,
            opts,
            `${metric.name}:signature`,
            sameSignature(),
            via("eigenvalues", "eigenvalues at sampled points"),
          ),
        }
      : {
          id: `${metric.name}:psd`,
          title: `${metric.name} is positive semi-definite`,
          justification: "property",
          why:
            metric.def.kind === "pullback"
              ? fromTex(
                  "A pullback $J^{\\mathsf{T}} G J$ of a positive-definite $G$ has $v^{\\mathsf{T}} J^{\\mathsf{T}} G J v " +
                    "= (Jv)^{\\mathsf{T}} G\\, (Jv) \\ge 0$.",
                )
              : fromTex("Required of a metric."),
          statement: seq(g_, op("succeq"), num(0)),
          witness: propertyWitness(
            exprRoute(g.flat(), vars),
            n,
            sampler,
            opts,
            `${metric.name}:psd`,
            eigenCheck("semidefinite", 1e-12),
            via("eigenvalues", "eigenvalues at sampled points"),
          ),
        },
  ];
}
