// Derivations of metrics that are not pulled back along networks: declared components, the
// Euclidean metric, and pullbacks along coordinate maps, embeddings and composites.
import type { Manifold, Mapping, Metric } from "../semantics/model.js";
import { forwardMapping, forwardMetric } from "../numeric/forward.js";
import { identity, type Matrix } from "../symbolic/tensor.js";
import { composeWith, type MappingExprs, mappingExprs, metricComponents } from "../symbolic/metric.js";
import { fixed as formula, fromTex, ident, list, type MathNode, op, type Part, prose, seq, sym, userText } from "../core/notation.js";
import { label, matrixSide, type Step, type WitnessOptions } from "./model.js";
import { fdJacobian, oracleMetric, pointOf } from "./routes.js";
import { entryName, exprRoute, type Sampler, samplerFor, type Via, via, witness } from "./witness.js";

/** What every step of one metric's derivation reads. */
interface MapContext {
  metric: Metric;
  /** Its components in the chart's coordinates. */
  g: Matrix;
  chart: Manifold;
  vars: string[];
  n: number;
  sampler: Sampler;
  opts: WitnessOptions;
  id: (s: string) => string;
  gName: MathNode;
}

/** A pullback along a map that is not a network: the map, its closed forms and the metric on its target. */
interface Along {
  along: Exclude<Mapping, { kind: "network" }>;
  of: Metric;
  F: MappingExprs;
}

export function mapSteps(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const def = metric.def;
  const g = metricComponents(metric);
  const chart = metric.manifold;
  const c: MapContext = {
    metric,
    g,
    chart,
    vars: chart.coords,
    n: chart.dim,
    sampler: samplerFor(chart, g.flat(), fixed),
    opts,
    id: (s: string) => `${metric.name}:${s}`,
    gName: ident(metric.name),
  };
  if (def.kind === "euclidean") return [euclideanStep(c)];
  if (def.kind === "components") return [componentsStep(c)];
  const along = def.along as Exclude<Mapping, { kind: "network" }>;
  const a: Along = { along, of: def.of, F: mappingExprs(along) };
  const steps = [mapStep(c, a), mapJacobianStep(c, a)];
  const G = composeWith(metricComponents(def.of), along.target, a.F.components);
  if (def.of.def.kind !== "euclidean") steps.push(targetMetricStep(c, a, G));
  steps.push(pulledBackStep(c, a));
  if (along.kind === "compose") steps.push(functorialityStep(c, a, along));
  return steps;
}

const coordList = (cs: string[]) => list(cs.map(ident));

/** The metric's components against the oracle's (forward mode through every pullback). */
const metricWitness = (c: MapContext, sid: string, by: Via) =>
  witness(exprRoute(c.g.flat(), c.vars), oracleMetric(c.metric), c.sampler, c.opts, c.id(sid), by, entryName(c.n));

/** g_ab = δ_ab. */
function euclideanStep(c: MapContext): Step {
  return {
    id: c.id("definition"),
    title: `The Euclidean metric ${c.metric.name}`,
    justification: "definition",
    why: prose(c.gName, " is the Euclidean metric on ", userText(c.chart.name), ": ", formula("g_{ab} = \\delta_{ab}", "g_ab = δ_ab"), "."),
    equation: { rows: [{ lhs: label(c.gName), rhs: matrixSide(identity(c.n)) }] },
    witness: null,
  };
}

/** Components declared in the spec, re-evaluated on their own. */
function componentsStep(c: MapContext): Step {
  return {
    id: c.id("definition"),
    title: `The metric ${c.metric.name}`,
    justification: "definition",
    why: prose(c.gName, " is given by its components in the coordinates ", coordList(c.vars), " of ", userText(c.chart.name), "."),
    equation: { rows: [{ lhs: label(c.gName), rhs: matrixSide(c.g) }] },
    witness: metricWitness(c, "definition", via("forward pass", "the declared components evaluated on their own")),
  };
}

/** The map's components as functions of the coordinates, re-evaluated by the forward pass. */
function mapStep(c: MapContext, { along, F }: Along): Step {
  const what: Part[] =
    along.kind === "embedding"
      ? prose("the embedding of ", userText(along.source.name), " in ", userText(along.target.name))
      : along.kind === "compose"
        ? prose("the composite ", userText(along.name), " = ", userText(along.first.name), " then ", userText(along.second.name))
        : prose("the map ", userText(along.name));
  return {
    id: c.id("map"),
    title: `The map ${along.name}`,
    justification: "definition",
    why: prose(
      c.gName,
      " is pulled back along ",
      ...what,
      ": ",
      coordList(along.target.coords),
      " as functions of ",
      coordList(c.vars),
      ".",
    ),
    equation: {
      rows: along.target.coords.map((x, i) => ({ lhs: label(ident(x)), rhs: { kind: "scalar" as const, expr: F.components[i] } })),
    },
    witness: witness(
      exprRoute(F.components, c.vars),
      (env) => forwardMapping(along, pointOf(c.chart, env), env).x,
      c.sampler,
      c.opts,
      c.id("map"),
      via("forward pass", "the map evaluated on its own"),
    ),
  };
}

/** J = ∂F/∂x in closed form, against finite differences of the map's values. */
function mapJacobianStep(c: MapContext, { along, F }: Along): Step {
  return {
    id: c.id("jacobian"),
    title: `Jacobian of ${along.name}`,
    justification: "chain rule",
    why:
      along.kind === "compose"
        ? fromTex("Chain rule for the composite: $J = J_k\\big(f(x)\\big)\\, J_f(x)$.")
        : fromTex("Differentiating each component: $J^a{}_b = \\partial F^a / \\partial x^b$."),
    uses: [c.id("map")],
    general: formula("J^{a}{}_{b} = \\frac{\\partial F^{a}}{\\partial x^{b}}", "J^a_b = ∂F^a/∂x^b"),
    equation: { rows: [{ lhs: label(sym("J")), rhs: matrixSide(F.jacobian) }] },
    witness: witness(
      exprRoute(F.jacobian.flat(), c.vars),
      (env) => fdJacobian((x) => forwardMapping(along, x, env).x, pointOf(c.chart, env)).flat(),
      c.sampler,
      { ...c.opts, tolerance: Math.max(c.opts.tolerance, 1e-7) },
      c.id("jacobian"),
      via("finite differences", "finite differences (5-point stencil, eps = 1e-3)"),
      entryName(c.n),
    ),
  };
}

/** G∘F: the target metric's components at the image point (`G`), against forward mode. */
function targetMetricStep(c: MapContext, { along, of }: Along, G: Matrix): Step {
  return {
    id: c.id("target-metric"),
    title: `${of.name} at the image point`,
    justification: "substitution",
    why: prose("The components of ", ident(of.name), " with ", coordList(along.target.coords), " replaced by the map's components."),
    uses: [c.id("map")],
    equation: { rows: [{ lhs: label(seq(ident(of.name), op("circ"), sym("F"))), rhs: matrixSide(G) }] },
    witness: witness(
      exprRoute(G.flat(), c.vars),
      (env) => forwardMetric(of, forwardMapping(along, pointOf(c.chart, env), env).x, env).flat(),
      c.sampler,
      c.opts,
      c.id("target-metric"),
      via("forward mode", "forward mode"),
      entryName(along.target.dim),
    ),
  };
}

/** g = Jᵀ (G∘F) J, simplified, against forward-mode Jacobians. */
function pulledBackStep(c: MapContext, { of }: Along): Step {
  return {
    id: c.id("pullback"),
    title: `The pulled-back metric ${c.metric.name}`,
    justification: "simplification",
    why: fromTex(
      "$g_{ab} = J^c{}_a J^d{}_b\\, G_{cd}(F(x)) = (J^{\\mathsf{T}} G J)_{ab}$, simplified (like terms collected, " +
        "$\\sin^2 + \\cos^2 = 1$).",
    ),
    uses: of.def.kind !== "euclidean" ? [c.id("jacobian"), c.id("target-metric")] : [c.id("jacobian")],
    general: formula(
      "g_{ab} = \\frac{\\partial F^{c}}{\\partial x^{a}} \\frac{\\partial F^{d}}{\\partial x^{b}}\\, G_{cd}\\big(F(x)\\big)",
      "g_ab = ∂F^c/∂x^a ∂F^d/∂x^b G_cd(F(x))",
    ),
    equation: { rows: [{ lhs: label(c.gName), rhs: matrixSide(c.g) }] },
    witness: metricWitness(c, "pullback", via("forward mode", "forward-mode Jacobians")),
  };
}

/** (k ∘ f)* G = f* (k* G): the composite's pullback against the pullback in two steps. */
function functorialityStep(c: MapContext, { of }: Along, along: Extract<Mapping, { kind: "compose" }>): Step {
  const inner: Metric = {
    name: `${along.second.name}^*${of.name}`,
    manifold: along.first.target,
    def: { kind: "pullback", of, along: along.second, layer: 0 },
    span: c.metric.span,
  };
  const twoSteps: Metric = {
    name: c.metric.name,
    manifold: c.chart,
    def: { kind: "pullback", of: inner, along: along.first, layer: 0 },
    span: c.metric.span,
  };
  const g2 = metricComponents(twoSteps);
  return {
    id: c.id("functoriality"),
    title: "Pulling back in two steps gives the same metric",
    justification: "functoriality",
    why: fromTex("$(k \\circ f)^* G = f^* (k^* G)$: the pullback is functorial."),
    uses: [c.id("pullback")],
    equation: { rows: [{ lhs: label(seq(formula("(k \\circ f)^{*}", "(k o f)*"), ident(of.name))), rhs: matrixSide(g2) }] },
    witness: witness(
      exprRoute(c.g.flat(), c.vars),
      oracleMetric(twoSteps),
      c.sampler,
      c.opts,
      c.id("functoriality"),
      via("forward mode", "the two-step pullback by forward mode"),
      entryName(c.g.length),
    ),
  };
}
