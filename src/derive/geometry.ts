// Derivation steps for the geometric quantities a spec asks to see: each written out (when
// small) and witnessed against finite differences of the metric's values.
import { rounded } from "../core/numbers.js";
import { quantity, quantityOfPhrase, trivialIn } from "../core/quantities.js";
import type { Metric, Request } from "../semantics/model.js";
import { componentName, type GeometryQuantity, symbolicQuantity } from "../numeric/geometry.js";
import { geodesicBVP, geodesicIVP } from "../numeric/geodesic.js";
import { EvaluationError } from "../numeric/evaluate.js";
import type { Mat } from "../numeric/linalg.js";
import { metricComponents } from "../symbolic/metric.js";
import { latexSymbol } from "../symbolic/notation.js";
import { printable } from "../symbolic/print.js";
import { simplifyAll } from "../symbolic/simplify/index.js";
import { indicesOf } from "../symbolic/tensor.js";
import { fixedOf, fixed as formula, fromTex } from "../core/notation.js";
import { label, scalarSide, type Step, type WitnessOptions, type WitnessResult } from "./model.js";
import { fdGeometry, pointOf, selfCheckedRoute } from "./routes.js";
import { exprRoute, notIntegrated, type Route, samplerFor, via, witness } from "./witness.js";

const symbolTex = (q: GeometryQuantity, coords: string[], idx: number[]) => quantity(q).symbol.tex(idx.map((i) => latexSymbol(coords[i])));

export function geometryStep(
  metric: Metric,
  req: Extract<Request, { kind: "show" }>,
  index: number,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  /** The metric's values for the geodesic's speed check (forward mode when absent; the engine's for wide networks). */
  gAt?: (x: number[]) => Mat,
): Step | null {
  if (req.quantity === "geodesic") return geodesicStep(metric, req, index, fixed, gAt);
  const q = quantityOfPhrase(req.quantity);
  if (!q) return null;
  const entry = quantity(q);
  const sq = symbolicQuantity(metric, q);
  const coords = metric.manifold.coords;
  // the metric's own symbols too: the finite-difference route evaluates g, whose parameters may cancel from the quantity
  // (Gödel's Ricci tensor, u ⊗ u / a², has no a in Ric_tt = 1)
  const sampler = samplerFor(metric.manifold, [...sq.entries, ...metricComponents(metric).flat()], fixed);
  const derivatives = entry.derivatives;
  const tolerance = Math.max(opts.tolerance, derivatives === 2 ? 1e-5 : derivatives === 1 ? 1e-7 : 0);
  const oracleAt =
    (stepScale: number): Route =>
    (env) => {
      const x = pointOf(metric.manifold, env);
      return entry.oracle(fdGeometry(metric, env, stepScale), x);
    };
  const oracle = derivatives ? selfCheckedRoute(oracleAt, tolerance / 10) : oracleAt(1);
  const w = witness(
    exprRoute(sq.entries, coords),
    oracle,
    sampler,
    { ...opts, tolerance },
    `${metric.name}:${q}${index}`,
    derivatives
      ? via("finite differences", `finite differences of the metric's values (${derivatives === 2 ? "second" : "first"} derivatives)`)
      : via("forward pass", "numeric linear algebra on the metric's values"),
    (k) => componentName(sq.shape, k),
  );
  const built = sq.entries
    .map((_, k) => k)
    .filter((k) => {
      const e = sq.entries[k];
      if (e.op === "num" && e.value === 0 && sq.shape.length > 0) return false;
      return entry.independent(indicesOf(sq.shape, k));
    });
  // printed simplified; components proved identically zero are dropped, and what proved it recorded
  const simplified = simplifyAll(built.map((k) => sq.entries[k]));
  const shown = new Map(built.map((k, i) => [k, simplified[i].expr]));
  const zeros = new Map<string, string[]>();
  built.forEach((k, i) => {
    const proof = simplified[i].proof;
    if (!simplified[i].zero || !proof || sq.shape.length === 0) return;
    zeros.set(proof, [...(zeros.get(proof) ?? []), `${q}${componentName(sq.shape, k)}`]);
  });
  const ks = built.filter((_, i) => !(simplified[i].zero && sq.shape.length > 0));
  const allPrintable = ks.every((k) => printable(shown.get(k)!));
  const step: Step = {
    id: `${metric.name}:${q}${index}`,
    title: `${entry.title} of ${metric.name}`,
    justification: "definition",
    role: "witnessed",
    span: req.span,
    why: fromTex(
      entry.why +
        (allPrintable
          ? ks.length === 0
            ? trivialIn(q, coords.length)
              ? ` All components vanish, as in every chart of dimension below ${entry.trivialBelow}.`
              : " All components vanish."
            : ""
          : ` The closed form is a shared expression graph too large to print as a formula (${ks.length} components); it ` +
            `is evaluated, and checked, numerically.`),
    ),
    witness: w,
  };
  if (zeros.size) {
    step.zeros = [...zeros].map(([proof, components]) => ({ components, proof }));
    step.why.push(...fromTex(` ${step.zeros.map((z) => `${z.components.join(", ")}: ${z.proof}.`).join(" ")}`));
  }
  if (allPrintable && ks.length)
    step.equation = {
      rows: ks.map((k) => ({
        lhs: label(formula(symbolTex(q, coords, indicesOf(sq.shape, k)), `${q}${componentName(sq.shape, k)}`)),
        rhs: scalarSide(shown.get(k)!),
      })),
    };
  if (allPrintable && ks.length === 0)
    step.statement = fixedOf({
      // abstract indices a, b, c, d: every component is 0
      tex: `${symbolTex(q, ["a", "b", "c", "d"], [0, 1, 2, 3].slice(0, sq.shape.length))} = 0 \\text{ for all indices}`,
      text: "all components are 0",
    });
  return step;
}

/** A requested geodesic: solved, with a witness that it has constant speed (as geodesics do) and hits its target. */
function geodesicStep(
  metric: Metric,
  req: Extract<Request, { kind: "show" }>,
  index: number,
  fixed: ReadonlyMap<string, number>,
  gAt?: (x: number[]) => Mat,
): Step {
  const id = `${metric.name}:geodesic${index}`;
  const fmt = (p: number[]) => `(${p.map((v) => rounded(v, 6)).join(", ")})`;
  const base: Step = {
    id,
    title: `Geodesic of ${metric.name} from ${fmt(req.from!)}${req.to ? ` to ${fmt(req.to)}` : ` with velocity ${fmt(req.velocity!)}`}`,
    justification: "definition",
    role: "witnessed",
    span: req.span,
    why: fromTex(
      `The geodesic equation $\\ddot x^a + \\Gamma^a{}_{bc}\\, \\dot x^b \\dot x^c = 0$, integrated by Dormand–Prince ` +
        `5(4)${
          req.to
            ? "; the initial velocity is found by minimising the discrete curve energy from the straight line, " +
              "then by shooting with Newton's method."
            : "."
        }`,
    ),
    witness: null,
  };
  try {
    const path = req.to ? geodesicBVP(metric, fixed, req.from!, req.to) : geodesicIVP(metric, fixed, req.from!, req.velocity!);
    const w: WitnessResult = {
      points: path.samples.length,
      tolerance: 1e-7,
      maxError: 0,
      passed: true,
      against: "constant speed along the path and the end point",
      route: "integrator",
      domain: { kind: "samples", instances: `the solver's ${path.samples.length} samples along the path` },
    };
    const G = fdGeometry(metric, fixed, 1, gAt);
    const sp = path.samples.map((s) => {
      const g = G.gAt(s.x);
      let v = 0;
      for (let a = 0; a < g.length; a++) for (let b = 0; b < g.length; b++) v += g[a][b] * s.v[a] * s.v[b];
      return Math.sqrt(Math.max(v, 0));
    });
    w.maxError = Math.max(...sp.map((s) => Math.abs(s - sp[0]) / (1 + sp[0])));
    if (req.to) w.maxError = Math.max(w.maxError, Math.hypot(...path.to.map((x, i) => x - req.to![i])) / (1 + Math.hypot(...req.to)));
    w.passed = w.maxError <= w.tolerance;
    if (!w.passed)
      w.failure = {
        point: {},
        component: "",
        lhs: NaN,
        rhs: NaN,
        reason: `the path's speed or end point is off by ${w.maxError.toExponential(2)}`,
      };
    return {
      ...base,
      why: [
        ...base.why,
        ...fromTex(
          ` Its length as ${metric.name} measures it is ${path.length.toPrecision(10)}; the straight line between its ` +
            `ends in the chart has length ${path.chartDistance.toPrecision(10)}.`,
        ),
      ],
      statement: fixedOf({
        tex:
          `L(\\gamma) = \\int_0^1 \\sqrt{g_{ab}\\, \\dot\\gamma^a \\dot\\gamma^b}\\, dt = ` +
          `${path.length.toPrecision(10)}, \\qquad \\lVert \\gamma(1) - \\gamma(0) \\rVert = ${path.chartDistance.toPrecision(10)}`,
        text: `length ${path.length}`,
      }),
      witness: w,
    };
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e;
    return {
      ...base,
      witness: notIntegrated("the geodesic solver", e.message),
    };
  }
}
