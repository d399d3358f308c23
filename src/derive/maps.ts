// Derivations of metrics that are not pulled back along networks: declared components, the
// Euclidean metric, and pullbacks along coordinate maps, embeddings and composites.
import type { Mapping, Metric } from "../semantics/model.js";
import { forwardMapping, forwardMetric } from "../numeric/forward.js";
import { identity } from "../symbolic/tensor.js";
import { composeWith, mappingExprs, metricComponents } from "../symbolic/metric.js";
import { fixed as formula, fromTex, ident, list, op, type Part, prose, seq, sym, userText } from "../core/notation.js";
import { label, matrixSide, type Step, type WitnessOptions } from "./model.js";
import { fdJacobian, oracleMetric, pointOf } from "./routes.js";
import { exprRoute, samplerFor, via, witness } from "./witness.js";

const entryName = (m: number) => (k: number) => `[${Math.floor(k / m) + 1}][${(k % m) + 1}]`;

export function mapSteps(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const def = metric.def;
  const g = metricComponents(metric);
  const chart = metric.manifold,
    vars = chart.coords,
    n = chart.dim;
  const sampler = samplerFor(chart, g.flat(), fixed);
  const id = (s: string) => `${metric.name}:${s}`;
  const gName = ident(metric.name);
  const coordList = (cs: string[]) => list(cs.map(ident));
  if (def.kind === "euclidean") {
    return [
      {
        id: id("definition"),
        title: `The Euclidean metric ${metric.name}`,
        justification: "definition",
        why: prose(gName, " is the Euclidean metric on ", userText(chart.name), ": ", formula("g_{ab} = \\delta_{ab}", "g_ab = δ_ab"), "."),
        equation: { rows: [{ lhs: label(gName), rhs: matrixSide(identity(n)) }] },
        witness: null,
      },
    ];
  }
  if (def.kind === "components") {
    return [
      {
        id: id("definition"),
        title: `The metric ${metric.name}`,
        justification: "definition",
        why: prose(gName, " is given by its components in the coordinates ", coordList(vars), " of ", userText(chart.name), "."),
        equation: { rows: [{ lhs: label(gName), rhs: matrixSide(g) }] },
        witness: witness(
          exprRoute(g.flat(), vars),
          oracleMetric(metric),
          sampler,
          opts,
          id("definition"),
          via("forward pass", "the declared components evaluated on their own"),
          entryName(n),
        ),
      },
    ];
  }
  const along = def.along as Exclude<Mapping, { kind: "network" }>;
  const F = mappingExprs(along);
  const m = along.target.dim;
  const steps: Step[] = [];
  const what: Part[] =
    along.kind === "embedding"
      ? prose("the embedding of ", userText(along.source.name), " in ", userText(along.target.name))
      : along.kind === "compose"
        ? prose("the composite ", userText(along.name), " = ", userText(along.first.name), " then ", userText(along.second.name))
        : prose("the map ", userText(along.name));
  steps.push({
    id: id("map"),
    title: `The map ${along.name}`,
    justification: "definition",
    why: prose(gName, " is pulled back along ", ...what, ": ", coordList(along.target.coords), " as functions of ", coordList(vars), "."),
    equation: {
      rows: along.target.coords.map((c, i) => ({ lhs: label(ident(c)), rhs: { kind: "scalar" as const, expr: F.components[i] } })),
    },
    witness: witness(
      exprRoute(F.components, vars),
      (env) => forwardMapping(along, pointOf(chart, env), env).x,
      sampler,
      opts,
      id("map"),
      via("forward pass", "the map evaluated on its own"),
    ),
  });
  steps.push({
    id: id("jacobian"),
    title: `Jacobian of ${along.name}`,
    justification: "chain rule",
    why:
      along.kind === "compose"
        ? fromTex("Chain rule for the composite: $J = J_k\\big(f(x)\\big)\\, J_f(x)$.")
        : fromTex("Differentiating each component: $J^a{}_b = \\partial F^a / \\partial x^b$."),
    uses: [id("map")],
    general: formula("J^{a}{}_{b} = \\frac{\\partial F^{a}}{\\partial x^{b}}", "J^a_b = ∂F^a/∂x^b"),
    equation: { rows: [{ lhs: label(sym("J")), rhs: matrixSide(F.jacobian) }] },
    witness: witness(
      exprRoute(F.jacobian.flat(), vars),
      (env) => fdJacobian((x) => forwardMapping(along, x, env).x, pointOf(chart, env)).flat(),
      sampler,
      { ...opts, tolerance: Math.max(opts.tolerance, 1e-7) },
      id("jacobian"),
      via("finite differences", "finite differences (5-point stencil, eps = 1e-3)"),
      entryName(n),
    ),
  });
  const G = composeWith(metricComponents(def.of), along.target, F.components);
  if (def.of.def.kind !== "euclidean") {
    steps.push({
      id: id("target-metric"),
      title: `${def.of.name} at the image point`,
      justification: "substitution",
      why: prose("The components of ", ident(def.of.name), " with ", coordList(along.target.coords), " replaced by the map's components."),
      uses: [id("map")],
      equation: { rows: [{ lhs: label(seq(ident(def.of.name), op("circ"), sym("F"))), rhs: matrixSide(G) }] },
      witness: witness(
        exprRoute(G.flat(), vars),
        (env) => forwardMetric(def.of, forwardMapping(along, pointOf(chart, env), env).x, env).flat(),
        sampler,
        opts,
        id("target-metric"),
        via("forward mode", "forward mode"),
        entryName(m),
      ),
    });
  }
  steps.push({
    id: id("pullback"),
    title: `The pulled-back metric ${metric.name}`,
    justification: "simplification",
    why: fromTex(
      "$g_{ab} = J^c{}_a J^d{}_b\\, G_{cd}(F(x)) = (J^{\\mathsf{T}} G J)_{ab}$, simplified (like terms collected, " +
        "$\\sin^2 + \\cos^2 = 1$).",
    ),
    uses: def.of.def.kind !== "euclidean" ? [id("jacobian"), id("target-metric")] : [id("jacobian")],
    general: formula(
      "g_{ab} = \\frac{\\partial F^{c}}{\\partial x^{a}} \\frac{\\partial F^{d}}{\\partial x^{b}}\\, G_{cd}\\big(F(x)\\big)",
      "g_ab = ∂F^c/∂x^a ∂F^d/∂x^b G_cd(F(x))",
    ),
    equation: { rows: [{ lhs: label(gName), rhs: matrixSide(g) }] },
    witness: witness(
      exprRoute(g.flat(), vars),
      oracleMetric(metric),
      sampler,
      opts,
      id("pullback"),
      via("forward mode", "forward-mode Jacobians"),
      entryName(n),
    ),
  });
  if (along.kind === "compose") {
    const inner: Metric = {
      name: `${along.second.name}^*${def.of.name}`,
      manifold: along.first.target,
      def: { kind: "pullback", of: def.of, along: along.second, layer: 0 },
      span: metric.span,
    };
    const twoSteps: Metric = {
      name: metric.name,
      manifold: chart,
      def: { kind: "pullback", of: inner, along: along.first, layer: 0 },
      span: metric.span,
    };
    const g2 = metricComponents(twoSteps);
    steps.push({
      id: id("functoriality"),
      title: "Pulling back in two steps gives the same metric",
      justification: "functoriality",
      why: fromTex("$(k \\circ f)^* G = f^* (k^* G)$: the pullback is functorial."),
      uses: [id("pullback")],
      equation: { rows: [{ lhs: label(seq(formula("(k \\circ f)^{*}", "(k o f)*"), ident(def.of.name))), rhs: matrixSide(g2) }] },
      witness: witness(
        exprRoute(g.flat(), vars),
        exprRoute(g2.flat(), vars),
        sampler,
        opts,
        id("functoriality"),
        via("both sides", "the two-step pullback"),
        entryName(n),
      ),
    });
  }
  return steps;
}
