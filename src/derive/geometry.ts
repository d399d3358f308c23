// Derivation steps for the geometric quantities a spec asks to see: each written out (when
// small) and witnessed against finite differences of the metric's values.
import type { Metric, Request } from "../semantics/model.js";
import { detN, inverseN } from "../numeric/linalg.js";
import { componentName, type GeometryQuantity, symbolicQuantity } from "../numeric/geometry.js";
import { geodesicBVP, geodesicIVP } from "../numeric/geodesic.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { latexSymbol } from "../symbolic/notation.js";
import { treeSize } from "../symbolic/print.js";
import { label, scalarSide, type Step, type WitnessOptions, type WitnessResult } from "./model.js";
import { fdGeometry, pointOf, selfCheckedRoute } from "./routes.js";
import { exprRoute, type Route, samplerFor, witness } from "./witness.js";

const FROM_REQUEST: Record<string, GeometryQuantity> = {
  volume: "volume", determinant: "determinant", inverse: "inverse", christoffel: "christoffel", riemann: "riemann",
  ricci: "ricci", "scalar curvature": "scalar", "gaussian curvature": "gaussian",
};

const TITLES: Record<GeometryQuantity, string> = {
  volume: "Volume element", determinant: "Determinant", inverse: "Inverse metric", christoffel: "Christoffel symbols",
  riemann: "Riemann tensor", ricci: "Ricci tensor", scalar: "Scalar curvature", gaussian: "Gaussian curvature",
};

const WHY: Record<GeometryQuantity, string> = {
  volume: "$\\sqrt{\\det g}$: how much the map magnifies volume at each point (the paper's magnification factor).",
  determinant: "$\\det g$.",
  inverse: "$g^{ab}$, with $g^{ab} g_{bc} = \\delta^a_c$ (adjugate over determinant).",
  christoffel: "$\\Gamma^a{}_{bc} = \\tfrac12 g^{ad} (\\partial_b g_{dc} + \\partial_c g_{db} - \\partial_d g_{bc})$, differentiated on the shared expression graph.",
  riemann: "$R^a{}_{bcd} = \\partial_c \\Gamma^a{}_{db} - \\partial_d \\Gamma^a{}_{cb} + \\Gamma^a{}_{ce} \\Gamma^e{}_{db} - \\Gamma^a{}_{de} \\Gamma^e{}_{cb}$.",
  ricci: "$R_{bd} = R^a{}_{bad}$.",
  scalar: "$R = g^{bd} R_{bd}$.",
  gaussian: "For a surface, $K = R_{1212} / \\det g$ (half the scalar curvature).",
};

function symbolTex(q: GeometryQuantity, coords: string[], idx: number[]): string {
  const c = idx.map((i) => latexSymbol(coords[i])).join(" ");
  switch (q) {
    case "christoffel": return `\\Gamma^{${latexSymbol(coords[idx[0]])}}{}_{${idx.slice(1).map((i) => latexSymbol(coords[i])).join(" ")}}`;
    case "riemann": return `R^{${latexSymbol(coords[idx[0]])}}{}_{${idx.slice(1).map((i) => latexSymbol(coords[i])).join(" ")}}`;
    case "inverse": return `g^{${c}}`;
    case "ricci": return `R_{${c}}`;
    case "volume": return "\\sqrt{\\det g}";
    case "determinant": return "\\det g";
    case "scalar": return "R";
    case "gaussian": return "K";
  }
}

const PRINT_LIMIT = 300;

export function geometryStep(metric: Metric, req: Extract<Request, { kind: "show" }>, index: number, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step | null {
  if (req.quantity === "geodesic") return geodesicStep(metric, req, index, fixed);
  const q = FROM_REQUEST[req.quantity];
  if (!q) return null;
  const sq = symbolicQuantity(metric, q);
  const coords = metric.manifold.coords;
  const sampler = samplerFor(metric.manifold, sq.entries, fixed);
  const derivatives = q === "christoffel" ? 1 : ["riemann", "ricci", "scalar", "gaussian"].includes(q) ? 2 : 0;
  const tolerance = Math.max(opts.tolerance, derivatives === 2 ? 1e-5 : derivatives === 1 ? 1e-7 : 0);
  const oracleAt = (stepScale: number): Route => (env) => {
    const x = pointOf(metric.manifold, env), G = fdGeometry(metric, env, stepScale);
    switch (q) {
      case "volume": return [Math.sqrt(detN(G.gAt(x)))];
      case "determinant": return [detN(G.gAt(x))];
      case "inverse": return (inverseN(G.gAt(x)) ?? [[NaN]]).flat();
      case "christoffel": return G.christoffel(x).flat(2);
      case "riemann": return G.riemann(x).flat(3);
      case "ricci": return G.ricci(x).flat();
      case "scalar": return [G.scalar(x)];
      case "gaussian": return [G.scalar(x) / 2];
    }
  };
  const oracle = derivatives ? selfCheckedRoute(oracleAt, tolerance / 10) : oracleAt(1);
  const w = witness(exprRoute(sq.entries, coords), oracle, sampler, { ...opts, tolerance }, `${metric.name}:${q}${index}`,
    derivatives ? `finite differences of the metric's values (${derivatives === 2 ? "second" : "first"} derivatives)` : "the metric evaluated on its own",
    (k) => componentName(sq.shape, k));
  const ks = sq.entries.map((_, k) => k).filter((k) => {
    const e = sq.entries[k];
    if (e.op === "num" && e.value === 0 && sq.shape.length > 0) return false;
    const idx = indices(sq.shape, k);
    if (q === "christoffel") return idx[2] >= idx[1];
    if (q === "riemann") return idx[3] > idx[2];
    if (q === "inverse" || q === "ricci") return idx[1] >= idx[0];
    return true;
  });
  const printable = ks.every((k) => treeSize(sq.entries[k], PRINT_LIMIT) <= PRINT_LIMIT);
  const step: Step = {
    id: `${metric.name}:${q}${index}`, title: `${TITLES[q]} of ${metric.name}`, justification: "definition", span: req.span,
    why: WHY[q] + (printable ? (ks.length === 0 ? " All components vanish." : "") : ` The closed form is a shared expression graph too large to print as a formula (${ks.length} components); it is evaluated, and checked, numerically.`),
    witness: w,
  };
  if (printable && ks.length) step.equation = { rows: ks.map((k) => ({ lhs: label(symbolTex(q, coords, indices(sq.shape, k)), `${q}${componentName(sq.shape, k)}`), rhs: scalarSide(sq.entries[k]) })) };
  if (printable && ks.length === 0) step.statement = { tex: `${symbolTex(q, coords, [0, 0, 0, 0].slice(0, sq.shape.length))} = 0 \\text{ for all indices}`, text: "all components are 0" };
  return step;
}

function indices(shape: number[], k: number): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1, r = k; d >= 0; d--) { idx.unshift(r % shape[d]); r = Math.floor(r / shape[d]); }
  return idx;
}

/** A requested geodesic: solved, with a witness that it has constant speed (as geodesics do) and hits its target. */
function geodesicStep(metric: Metric, req: Extract<Request, { kind: "show" }>, index: number, fixed: ReadonlyMap<string, number>): Step {
  const id = `${metric.name}:geodesic${index}`;
  const fmt = (p: number[]) => `(${p.map((v) => Number(v.toPrecision(6))).join(", ")})`;
  const base: Step = { id, title: `Geodesic of ${metric.name} from ${fmt(req.from!)}${req.to ? ` to ${fmt(req.to)}` : ` with velocity ${fmt(req.velocity!)}`}`, justification: "definition", span: req.span,
    why: "The geodesic equation $\\ddot x^a + \\Gamma^a{}_{bc}\\, \\dot x^b \\dot x^c = 0$, integrated by Dormand–Prince 5(4)" + (req.to ? "; the initial velocity is found by shooting with Newton's method." : "."), witness: null };
  try {
    const path = req.to ? geodesicBVP(metric, fixed, req.from!, req.to) : geodesicIVP(metric, fixed, req.from!, req.velocity!);
    const w: WitnessResult = { points: path.samples.length, tolerance: 1e-7, maxError: 0, passed: true, against: "constant speed along the path and the end point" };
    const G = fdGeometry(metric, fixed);
    const sp = path.samples.map((s) => { const g = G.gAt(s.x); let v = 0; for (let a = 0; a < g.length; a++) for (let b = 0; b < g.length; b++) v += g[a][b] * s.v[a] * s.v[b]; return Math.sqrt(Math.max(v, 0)); });
    w.maxError = Math.max(...sp.map((s) => Math.abs(s - sp[0]) / (1 + sp[0])));
    if (req.to) w.maxError = Math.max(w.maxError, Math.hypot(...path.to.map((x, i) => x - req.to![i])) / (1 + Math.hypot(...req.to)));
    w.passed = w.maxError <= w.tolerance;
    if (!w.passed) w.failure = { point: {}, component: "", lhs: NaN, rhs: NaN, reason: `the path's speed or end point is off by ${w.maxError.toExponential(2)}` };
    return { ...base, why: base.why + ` Its length as ${metric.name} measures it is ${path.length.toPrecision(10)}; the straight line between its ends in the chart has length ${path.chartDistance.toPrecision(10)}.`,
      statement: { tex: `L(\\gamma) = \\int_0^1 \\sqrt{g_{ab}\\, \\dot\\gamma^a \\dot\\gamma^b}\\, dt = ${path.length.toPrecision(10)}, \\qquad \\lVert \\gamma(1) - \\gamma(0) \\rVert = ${path.chartDistance.toPrecision(10)}`, text: `length ${path.length}` },
      witness: w };
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e;
    return { ...base, witness: { points: 0, tolerance: 0, maxError: NaN, passed: false, against: "the geodesic solver", failure: { point: {}, component: "", lhs: NaN, rhs: NaN, reason: e.message } } };
  }
}
