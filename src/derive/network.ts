// The derivation of a metric pulled back along a network: layer maps, their Euler-step reading,
// layer Jacobians, the recursion g_l = J_{l+1}ᵀ g_{l+1} J_{l+1}, and the unrolled closed form.
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import {
  app,
  eq,
  fixed as formula,
  fixedOf,
  frac,
  fromTex,
  ident,
  list,
  type MathNode,
  num as n_,
  op,
  prose,
  ref,
  seq,
  slash,
  statements,
  sym,
  userText,
} from "../core/notation.js";
import { scaleOf } from "../core/layers/affine.js";
import { LAYER_KINDS } from "../core/layers/index.js";
import { byActivation, type Layer, type Manifold, type Metric, type Network } from "../semantics/model.js";
import { earlierStates, forwardMetric, forwardNetwork, layerJacobian } from "../numeric/forward.js";
import { congruenceN } from "../numeric/linalg.js";
import { add, div, type Expr, mul, num } from "../symbolic/expr.js";
import { EXPLICIT_LIMIT, layerNames } from "../symbolic/listing.js";
import { networkPullback, type PullbackSteps } from "../symbolic/metric.js";
import { activate, EXPR_ALGEBRA, type LayerExprs, type NetworkExprs, paramExprs } from "../symbolic/network.js";
import { treeSize } from "../symbolic/print.js";
import { smallFraction } from "../symbolic/matrix-form.js";
import { type Equation, label, matrixSide, type Step, vectorSide, type WitnessOptions, type WitnessResult } from "./model.js";
import { fdPullback, last, oracleMetric, pointOf } from "./routes.js";
import { entryName, exprRoute, type Route, samplerFor, type Via, via, witness } from "./witness.js";

/** The layer's definition evaluated again by the numeric forward pass: a consistency check of the code. */
const REEVALUATED = via("forward pass", "a forward pass evaluated on its own");
/** How the closed form's finite-difference route chooses its step (routes.ts fdJacobianScaled). */
const FD_STEP_TEXT =
  "finite differences (5-point stencils, the step chosen per coordinate by halving from 0.05·max(1, |x|), Richardson-extrapolated)";
/** Why a layer's Euler reading holds whatever the values: it is the layer's definition rearranged. */
const EULER_IDENTITY = "the layer's definition rearranged";

const ACT_TEX = byActivation((a) => REGISTRY[a].tex);
const SLOPE_TEX = byActivation((a) => REGISTRY[a].slopeTex);

/** Runs of at least this many consecutive layers from one `repeat` line are folded into one step per kind. */
export const FOLD_MIN = 3;

/** A run of layers a…b folded into one step per kind (a = b: a layer of its own). */
export interface Run {
  a: number;
  b: number;
}

/** Consecutive layers (index > from) written by the same `repeat` line, of one kind, activation and width, not starting the network. */
export function layerRuns(net: Network, from: number): Run[] {
  const runs: Run[] = [];
  for (const layer of net.layers.slice(from)) {
    const prev = runs.length ? net.layers[runs[runs.length - 1].b - 1] : undefined;
    const same =
      prev &&
      prev.span.offset === layer.span.offset &&
      prev.kind === layer.kind &&
      prev.activation === layer.activation &&
      prev.inWidth === layer.inWidth &&
      prev.outWidth === layer.outWidth &&
      layer.index - 1 >= LAYER_KINDS[layer.kind].reads;
    if (same) runs[runs.length - 1].b = layer.index;
    else runs.push({ a: layer.index, b: layer.index });
  }
  // short runs are written out layer by layer
  return runs.flatMap((r) =>
    r.b - r.a + 1 >= FOLD_MIN ? [r] : Array.from({ length: r.b - r.a + 1 }, (_, k) => ({ a: r.a + k, b: r.a + k })),
  );
}

/** The id (without the metric prefix) of the step that shows `what` for layer l, folded or not. */
export function layerStepId(runs: Run[], what: "layer" | "euler" | "jacobian", l: number): string {
  const r = runs.find((r) => r.a <= l && l <= r.b)!;
  return r.a === r.b ? `${what}${l}` : `${what}s${r.a}-${r.b}`;
}

/** The id (without the metric prefix) of the step that shows g^(l): the output metric, a pullback, or a folded run of them. */
function pullbackStepId(runs: Run[], from: number, firstOrder: boolean, L: number, l: number): string {
  if (l === L) return "output-metric";
  const r = firstOrder && l > from && runs.find((r) => r.a < r.b && r.a <= l + 1 && l + 1 <= r.b);
  return r ? `pullbacks${r.b - 1}-${Math.max(r.a - 1, from + 1)}` : `pullback${l}`;
}

/**
 * One step standing for the same step at every layer of a run: witnessed at every layer (all points counted, the
 * largest error kept, the first failure named with its layer).
 */
export function fold(group: Step[], head: Omit<Step, "witness">): Step {
  const ws = group.map((s) => s.witness).filter((w) => w !== null);
  if (!ws.length) return { ...head, witness: null };
  const worst = ws.reduce((a, w) => (w.maxError > a.maxError || Number.isNaN(w.maxError) ? w : a));
  const failedAt = group.findIndex((s) => s.witness && !s.witness.passed);
  const failed = failedAt >= 0 ? group[failedAt] : undefined;
  const first = ws[0];
  return {
    ...head,
    witness: {
      ...first,
      points: ws.reduce((a, w) => a + w.points, 0),
      tolerance: Math.max(...ws.map((w) => w.tolerance)),
      maxError: worst.maxError,
      passed: !failed,
      failure: failed?.witness?.failure && { ...failed.witness.failure, component: `${failed.title}: ${failed.witness.failure.component}` },
      domain: { ...first.domain!, seed: undefined, instances: `at each of the ${group.length} layers, each with its own step seed` },
    },
  };
}

/**
 * The steps of each run in order: a lone layer keeps its own; a folded run gets one step per position, `heads(r)[k]`
 * standing for the k-th step of every layer in it (undefined: a step the run's kind does not have).
 */
export function runSteps(
  runs: Run[],
  perLayer: ReadonlyMap<number, (Step | undefined)[]>,
  heads: (r: Run) => (Omit<Step, "witness"> | undefined)[],
): Step[] {
  return runs.flatMap((r) => {
    const group = Array.from({ length: r.b - r.a + 1 }, (_, k) => perLayer.get(r.a + k)!);
    if (r.a === r.b) return group[0].filter((s) => s !== undefined);
    return heads(r).flatMap((head, k) =>
      head
        ? [
            fold(
              group.map((g) => g[k]!),
              head,
            ),
          ]
        : [],
    );
  });
}

/** The first step of a metric's network derivation: the chart of layer `from` (the input chart, or a hidden layer's). */
export function chartStep(id: string, net: Network, chart: Manifold, from: number, statement: MathNode): Step {
  const coordList = list(chart.coords.map(ident));
  return {
    id,
    title: `Coordinates of layer ${from}`,
    justification: "definition",
    why:
      from === 0
        ? prose("The input chart of ", userText(net.name), " is ", userText(chart.name), ", with coordinates ", coordList, ".")
        : prose(`We pull back to layer ${from}, whose coordinates are `, coordList, "."),
    statement,
    witness: null,
  };
}

/** A metric already derived along the same network and output metric, from a layer at or below this one's. */
export interface Earlier {
  metric: string;
  from: number;
}

/** What every step of one metric's derivation along a network reads. */
interface NetworkContext {
  metric: Metric;
  net: Network;
  /** The output metric pulled back. */
  of: Metric;
  from: number;
  L: number;
  pb: PullbackSteps;
  ex: NetworkExprs;
  /** The layers' intermediates (z_l, s_l, …): printed by name where they are not defined. */
  names: ReadonlyMap<Expr, string>;
  chart: Manifold;
  vars: string[];
  runs: Run[];
  /** Every layer reads only the state before it: the pullback goes one Jacobian at a time. */
  firstOrder: boolean;
  /** The metric whose section already derives the layers and pullbacks (this one refers to them). */
  reused?: Earlier;
  /** The layered form: the hidden layers' pullbacks are stated, their components not written out. */
  layered: boolean;
  opts: WitnessOptions;
  id: (s: string) => string;
  /** The witness of step `sid`; `cols`: components named [i][j] in a matrix of that many columns. */
  witness: (a: Route, b: Route, sid: string, against: string | Via, cols?: number) => WitnessResult;
  /** The oracle's layer states, from layer `from`'s coordinates. */
  states: (env: ReadonlyMap<string, number>) => LayerState[];
}
type LayerState = ReturnType<typeof forwardNetwork>[number];

export function networkSteps(
  metric: Metric,
  net: Network,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  earlier?: Earlier,
  layered = false,
): Step[] {
  const c = networkContext(metric, net, fixed, opts, earlier, layered);
  const steps = [
    chartStep(
      c.id("chart"),
      net,
      c.chart,
      c.from,
      eq(sym("x", { sup: sym("a", { sub: n_(c.from) }) }), list(c.chart.coords.map(ident), true)),
    ),
    // a metric whose layers another section derives refers to them
    ...(c.reused ? [] : [...layerSteps(c), outputMetricStep(c)]),
    ...pullbackSteps(c),
    closedFormStep(c),
  ];
  const explicit = layered ? undefined : explicitStep(c);
  return explicit ? [...steps, explicit] : steps;
}

function networkContext(
  metric: Metric,
  net: Network,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  earlier: Earlier | undefined,
  layered: boolean,
): NetworkContext {
  const def = metric.def;
  if (def.kind !== "pullback") throw new Error("internal error: not a pullback");
  const from = def.layer;
  const pb = networkPullback(net, def.of, from);
  const ex = pb.network;
  const { names } = layerNames(pb);
  const chart = net.layerSpaces[from];
  const sampler = samplerFor(chart, [...pb.metrics[0].flat(), ...ex.layers.flatMap((l) => l.x)], fixed);
  const id = (s: string) => `${metric.name}:${s}`;
  return {
    metric,
    net,
    of: def.of,
    from,
    L: net.layers.length,
    pb,
    ex,
    names,
    chart,
    vars: chart.coords,
    runs: layerRuns(net, from),
    firstOrder: pb.layers.length === ex.layers.length + 1,
    reused: earlier && earlier.from <= from ? earlier : undefined,
    layered,
    opts,
    id,
    witness: (a, b, sid, against, cols) => witness(a, b, sampler, opts, id(sid), against, cols ? entryName(cols) : undefined),
    states: (env) => forwardNetwork(net, pointOf(chart, env), env, from),
  };
}

/** The layers' steps (map, Euler reading, Jacobian), a run of repeated layers folded into one step of each. */
function layerSteps(c: NetworkContext): Step[] {
  const perLayer = new Map(c.ex.layers.map((le) => [le.layer.index, [layerStep(c, le), eulerStep(c, le), jacobianStep(c, le)]]));
  return runSteps(c.runs, perLayer, (r) => foldedLayerHeads(c, r));
}

/** `Dense tanh`, `Residual tanh`, `Softmax`: a layer's kind and, where the kind has one, its activation. */
export function kindTitle(layer: Layer): string {
  const labels = LAYER_KINDS[layer.kind].labels;
  return `${labels.title}${labels.activation ? ` ${layer.activation}` : ""}`;
}

/** The Euler-step reading of a layer whose kind discretises an ODE by a recurrence (none for other kinds). */
const eulerReading = (layer: Layer) => {
  const def = LAYER_KINDS[layer.kind];
  return def.recurrence ? def.derivation.euler : undefined;
};

/** Layer l's map: z_l, x_l and s_l = σ′(z_l) as closed forms, re-evaluated by the forward pass. */
function layerStep(c: NetworkContext, le: LayerExprs): Step {
  const layer = le.layer,
    l = layer.index;
  const def = LAYER_KINDS[layer.kind],
    act = ACT_TEX[layer.activation];
  const opens = layer.index < def.reads; // it starts the network: the kind's starting step
  const rows: Equation["rows"] = [];
  if (le.z) rows.push({ lhs: label(sym("z", { layer: l })), rhs: vectorSide(le.z), names: withoutLayer(c.names, le.z) });
  rows.push({ lhs: label(sym("x", { layer: l })), rhs: vectorSide(le.x) });
  if (le.slope && !(REGISTRY[layer.activation] as FunctionDef).identity)
    rows.push({
      lhs: label(eq(sym("s", { layer: l }), app(formula("\\sigma'", "σ'"), sym("z", { layer: l })))),
      rhs: vectorSide(le.slope),
    });
  return {
    id: c.id(`layer${l}`),
    title: `Layer ${l} (${kindTitle(layer)})`,
    justification: "definition",
    why: fromTex(def.derivation.why(l, act, opens)),
    general: layerGeneral(layer, act),
    equation: { rows, names: withoutLayer(c.names, [...le.x, ...(le.slope ?? [])]) }, // defined here: printed in full
    witness: c.witness(exprRoute(le.x, c.vars), (env) => c.states(env)[l - c.from].x, `layer${l}`, REEVALUATED),
  };
}

/** Layer l as an Euler step: (x_l − Σ_k c_k x_{l−1−k}) / s(h) = σ(z), the difference quotient of the kind's ODE. */
function eulerStep(c: NetworkContext, le: LayerExprs): Step | undefined {
  const layer = le.layer,
    l = layer.index;
  const euler = eulerReading(layer);
  if (!euler) return undefined;
  const def = LAYER_KINDS[layer.kind],
    act = ACT_TEX[layer.activation];
  const available = Math.min(def.reads, l - c.from);
  const prevs = Array.from({ length: available }, (_, k) => (l - 1 - k === c.from ? c.ex.x0 : c.ex.layers[l - 2 - k - c.from].x));
  const r = def.recurrence!(available),
    s = scaleOf(EXPR_ALGEBRA, r, paramExprs(layer.h!)[0])!;
  const lhs = le.x.map((x, i) => div(add(x, ...r.coeffs.map((c, k) => (c === -1 ? prevs[k][i] : mul(num(-c), prevs[k][i])))), s));
  const sigma = le.z!.map((z) => activate(layer.activation, z)[0]);
  const [qTex, qText] = euler.quotient(l, available < def.reads);
  return {
    id: c.id(`euler${l}`),
    title: euler.title(l),
    justification: "Euler step",
    why: fromTex(euler.why(act)),
    uses: [c.id(`layer${l}`)],
    identity: EULER_IDENTITY,
    general: formula(euler.general(l, act)),
    equation: { rows: [{ lhs: label(formula(qTex, qText)), rhs: vectorSide(sigma) }], names: c.names },
    witness: c.witness(exprRoute(lhs, c.vars), exprRoute(sigma, c.vars), `euler${l}`, via("both sides", "both sides evaluated")),
  };
}

/** J_l = ∂x_l/∂x_{l−1} in closed form, against forward-mode derivatives of the layer map. */
function jacobianStep(c: NetworkContext, le: LayerExprs): Step {
  const layer = le.layer,
    l = layer.index;
  const def = LAYER_KINDS[layer.kind];
  const opens = layer.index < def.reads;
  return {
    id: c.id(`jacobian${l}`),
    title: `Jacobian of layer ${l}`,
    justification: "chain rule",
    why: fromTex(def.derivation.jacobianWhy(l, SLOPE_TEX[layer.activation], opens)),
    uses: [c.id(`layer${l}`)],
    general: formula(def.derivation.jacobianGeneral(l, opens)),
    equation: { rows: [{ lhs: label(sym("J", { layer: l })), rhs: matrixSide(le.J) }], names: withoutEntries(c.names, le.J) },
    witness: c.witness(
      exprRoute(le.J.flat(), c.vars),
      (env) => {
        const s = c.states(env);
        const k = l - c.from;
        return layerJacobian(layer, s[k - 1].x, earlierStates(s, k - 1), env).flat();
      },
      `jacobian${l}`,
      via("forward mode", "forward-mode derivatives of the layer map"),
      le.J[0].length,
    ),
  };
}

/** The folded steps of a run a…b: its layers' maps, their Euler reading, their Jacobians, for a generic layer l. */
function foldedLayerHeads(c: NetworkContext, r: Run): (Omit<Step, "witness"> | undefined)[] {
  const layer = c.net.layers[r.a - 1],
    def = LAYER_KINDS[layer.kind],
    act = ACT_TEX[layer.activation],
    euler = eulerReading(layer);
  const range = `${r.a}–${r.b}`;
  const every = prose(
    " This holds for every layer ",
    eq(sym("l"), list([n_(r.a), op("cdots"), n_(r.b)])),
    ` of the repeat block, each with its own weights; their components are not written out.`,
  );
  const forL = fixedOf({ tex: `l = ${r.a}, \\dots, ${r.b}`, text: `l = ${r.a}…${r.b}` });
  return [
    {
      id: c.id(`layers${r.a}-${r.b}`),
      title: `Layers ${range} (${kindTitle(layer)})`,
      justification: "definition",
      why: [...fromTex(def.derivation.why(r.a, act, false)), ...every],
      statement: forL,
    },
    euler && {
      id: c.id(`eulers${r.a}-${r.b}`),
      title: euler.title(r.a).replace(/^Layer \d+ is an? (.*)$/, `Layers ${range} are $1s`),
      justification: "Euler step",
      why: [...fromTex(euler.why(act)), ...every],
      uses: [c.id(`layers${r.a}-${r.b}`)],
      identity: EULER_IDENTITY,
      statement: forL,
    },
    {
      id: c.id(`jacobians${r.a}-${r.b}`),
      title: `Jacobians of layers ${range}`,
      justification: "chain rule",
      why: [...fromTex(def.derivation.jacobianWhy(r.a, SLOPE_TEX[layer.activation], false)), ...every],
      uses: [c.id(`layers${r.a}-${r.b}`)],
      statement: forL,
    },
  ];
}

/** g^(L): the metric on the output coordinates, re-evaluated at the forward pass's output. */
function outputMetricStep(c: NetworkContext): Step {
  const gL = last(c.pb.metrics),
    dim = c.net.target.dim;
  return {
    id: c.id("output-metric"),
    title: `Metric on the output (layer ${c.L})`,
    justification: "definition",
    why:
      c.of.def.kind === "euclidean"
        ? prose(
            "The output coordinates carry the Euclidean metric ",
            sym("delta"),
            ": the last layer is where the classes are separated linearly.",
          )
        : prose("The output carries the metric ", ident(c.of.name), ", read at the output coordinates."),
    equation: { rows: [{ lhs: label(sym("g", { layer: c.L })), rhs: matrixSide(gL) }], names: withoutEntries(c.names, gL) },
    witness: c.witness(
      exprRoute(gL.flat(), c.vars),
      (env) => forwardMetric(c.of, last(c.states(env)).x, env).flat(),
      "output-metric",
      via("forward pass", "the output metric at the forward pass's output"),
      dim,
    ),
  };
}

/** The id of the step that shows g^(l) (the output metric, a pullback, or a folded run of pullbacks). */
const pullbackId = (c: NetworkContext, l: number) => pullbackStepId(c.runs, c.from, c.firstOrder, c.L, l);

/** g^(l) for each layer l below the output, top down; the pullbacks through a folded run of layers become one step. */
function pullbackSteps(c: NetworkContext): Step[] {
  const pullbacks = new Map<number, Step>();
  for (let k = c.reused ? 0 : c.pb.metrics.length - 2; k >= 0; k--) pullbacks.set(c.pb.layers[k], pullbackStep(c, k));
  const steps: Step[] = [];
  for (let l = c.L - 1; l >= c.from; l--) {
    const step = pullbacks.get(l);
    if (!step) continue;
    const fid = pullbackId(c, l);
    if (fid === `pullback${l}`) steps.push(step);
    else if (!steps.some((s) => s.id === c.id(fid))) steps.push(foldedPullbackStep(c, fid, pullbacks));
  }
  return steps;
}

/** g^(l) = J_{l+1}ᵀ g^(l+1) J_{l+1} (or through the total Jacobian P), against forward mode through the layers above l. */
function pullbackStep(c: NetworkContext, k: number): Step {
  const l = c.pb.layers[k],
    g = c.pb.metrics[k];
  const isResult = k === 0;
  return {
    id: c.id(`pullback${l}`),
    title: isResult ? `Metric at layer ${l}: ${c.metric.name}` : `Pullback to layer ${l}`,
    justification: "pullback recursion",
    why: pullbackWhy(c, l),
    uses: c.reused
      ? [`${c.reused.metric}:${pullbackStepId(layerRuns(c.net, c.reused.from), c.reused.from, c.firstOrder, c.L, l)}`]
      : c.firstOrder
        ? [c.id(layerStepId(c.runs, "jacobian", l + 1)), c.id(pullbackId(c, l + 1))]
        : [c.id("output-metric")],
    general: pullbackGeneral(l, c.firstOrder ? l + 1 : c.L),
    // the layered form states a hidden layer's pullback as a matrix product: its components are w² terms each
    ...(c.layered && !isResult
      ? {
          statement: eq(
            sym("g", { layer: l }),
            c.firstOrder
              ? seq(sym("J", { layer: l + 1, transpose: true }), sym("g", { layer: l + 1 }), sym("J", { layer: l + 1 }))
              : seq(sym("P", { transpose: true }), sym("g", { layer: c.L }), sym("P")),
          ),
        }
      : {
          equation: {
            rows: [{ lhs: label(isResult ? ident(c.metric.name) : sym("g", { layer: l })), rhs: matrixSide(g) }],
            names: withoutEntries(c.names, g),
          },
        }),
    witness: c.witness(
      exprRoute(g.flat(), c.vars),
      (env) => {
        const s = c.states(env);
        const inner = forwardNetwork(c.net, s[l - c.from].x, env, l);
        const top = last(inner);
        return congruenceN(top.J, forwardMetric(c.of, top.x, env)).flat();
      },
      `pullback${l}`,
      via("forward mode", "forward-mode Jacobian of the remaining layers"),
      g.length,
    ),
  };
}

/** Why g^(l) holds: derived in the earlier metric's section, one Jacobian back, or through the total Jacobian P. */
function pullbackWhy(c: NetworkContext, l: number) {
  const L = c.L;
  if (c.reused)
    return prose(
      `Layers ${c.from + 1}–${L}, their Jacobians and the pullback of the output metric down to `,
      sym("g", { layer: l }),
      " are derived in ",
      ref(`${c.reused.metric}:${layerStepId(c.runs, "layer", c.from + 1)}`, `the section on ${c.reused.metric}`),
      `; ${c.metric.name} is `,
      sym("g", { layer: l }),
      ".",
    );
  return c.firstOrder
    ? prose(
        "Pull ",
        sym("g", { layer: l + 1 }),
        ` back through layer ${l + 1}: `,
        eq(
          sym("g", { layer: l }),
          seq(sym("J", { layer: l + 1, transpose: true }), sym("g", { layer: l + 1 }), sym("J", { layer: l + 1 })),
        ),
        ", the backward recursion that gives \u201cbackpropagating the coordinates\u201d its name.",
      )
    : prose(
        "A layer that reads earlier states than the one before it makes the pullback go through the total Jacobian ",
        eq(sym("P"), slash(partialX("", L), partialX("", l), true)),
        ", accumulated forwards by ",
        totalJacobianRecursion(c.net),
        ": ",
        eq(sym("g", { layer: l }), seq(sym("P", { transpose: true }), sym("g", { layer: L }), sym("P"))),
        ".",
      );
}

/**
 * P_l = J_l P_{l−1} + Σ_k c_k P_{l−1−k} for the deepest-reading layer's full recurrence (J_l = ∂x_l/∂x_{l−1}: its
 * c_0 I is inside): P_l = J_l P_{l−1} − P_{l−2} for second order, J_l P_{l−1} − 3P_{l−2} + P_{l−3} for third.
 */
function totalJacobianRecursion(net: Network): MathNode {
  const deepest = net.layers.reduce((a, l) => (LAYER_KINDS[l.kind].reads > LAYER_KINDS[a.kind].reads ? l : a));
  const def = LAYER_KINDS[deepest.kind];
  const coeffs = def.recurrence?.(def.reads).coeffs.slice(1) ?? [];
  const terms = coeffs
    .map((c, k) => (c === 0 ? "" : `${c < 0 ? " - " : " + "}${Math.abs(c) === 1 ? "" : Math.abs(c)}P_{l-${k + 2}}`))
    .join("");
  const text = terms.replace(/_\{l-(\d)\}/g, "_(l-$1)");
  return formula(`P_l = J_l P_{l-1}${terms}`, `P_l = J_l P_(l-1)${text}`);
}

/** The general statement of layer l in index notation; a start layer (fewer states before it than the kind reads)
 *  is written with the recurrence it actually takes, never with states of layers −1, −2. */
function layerGeneral(layer: Layer, act: string): MathNode {
  const def = LAYER_KINDS[layer.kind],
    l = layer.index;
  if (!def.recurrence || l >= def.reads) return formula(def.derivation.general(l, act));
  const r = def.recurrence(l);
  const x = (k: number) => `x^{a_{${k}}}`;
  const terms = r.coeffs
    .map((c, k) => (c === 0 ? "" : `${c < 0 ? " - " : k ? " + " : ""}${Math.abs(c) === 1 ? "" : Math.abs(c)}${x(l - 1 - k)}`))
    .join("");
  const s = r.scale;
  const q = s && smallFraction(s.factor);
  const factor = !s || s.factor === 1 ? "" : q ? `\\tfrac{${q[0]}}{${q[1]}} ` : `${s.factor} `;
  const scale = s ? `${factor}h${s.power === 1 ? "" : `^${s.power}`} ` : "";
  const z = `W^{a_{${l}}}{}_{a_{${l - 1}}} ${x(l - 1)} + b^{a_{${l}}}`;
  return formula(`${x(l)} = ${terms} + ${scale}${act}\\big(${z}\\big)`);
}

/** The pullbacks through a folded run of layers (`fid`: pullbacks<top>-<bottom>) as one step for a generic layer l. */
function foldedPullbackStep(c: NetworkContext, fid: string, pullbacks: ReadonlyMap<number, Step>): Step {
  const [top, bottom] = fid.slice("pullbacks".length).split("-").map(Number);
  const group = Array.from({ length: top - bottom + 1 }, (_, k) => pullbacks.get(top - k)!);
  return fold(group, {
    id: c.id(fid),
    title: `Pullbacks to layers ${top}–${bottom}`,
    justification: "pullback recursion",
    why: prose(
      "Pull back one layer at a time, ",
      eq(
        sym("g", { layer: sym("l-1") }),
        seq(sym("J", { layer: sym("l"), transpose: true }), sym("g", { layer: sym("l") }), sym("J", { layer: sym("l") })),
      ),
      ", the backward recursion that gives \u201cbackpropagating the coordinates\u201d its name, for ",
      eq(sym("l"), list([n_(top + 1), op("cdots"), n_(bottom + 1)])),
      "; the components are not written out.",
    ),
    uses: [c.id(layerStepId(c.runs, "jacobian", bottom + 1)), c.id(pullbackId(c, top + 1))],
    general: pullbackGeneral("l-1", "l"),
  });
}

/**
 * g = J^(from+1)ᵀ ⋯ J^(L)ᵀ g^(L) J^(L) ⋯ J^(from+1) (every factor written when there are few), against finite
 * differences of the network's values.
 */
function closedFormStep(c: NetworkContext): Step {
  const { metric, from, L } = c;
  const g0 = c.pb.metrics[0];
  const Js = Array.from({ length: L - from }, (_, k) => from + 1 + k);
  const shown = Js.length <= 4 ? Js : [Js[0], Js[1], 0, L];
  const factor = (l: number, transpose: boolean) => (l ? sym("J", { layer: l, transpose }) : op("cdots"));
  const product = c.firstOrder
    ? seq(...shown.map((l) => factor(l, true)), sym("g", { layer: L }), ...[...shown].reverse().map((l) => factor(l, false)))
    : seq(sym("P", { transpose: true }), sym("g", { layer: L }), sym("P"));
  const home = c.reused ? `${c.reused.metric}:` : c.id("");
  const runs = c.reused ? layerRuns(c.net, c.reused.from) : c.runs;
  const jacobianIds = [...new Set(Js.map((l) => home + layerStepId(runs, "jacobian", l)))];
  const fd = c.witness(
    exprRoute(g0.flat(), c.vars),
    fdPullback(c.net, c.of, c.chart, from),
    "closed-form",
    via("finite differences", FD_STEP_TEXT),
    g0.length,
  );
  return {
    id: c.id("closed-form"),
    title: "Unrolled closed form",
    justification: "chain rule",
    equation: { rows: [{ lhs: label(ident(metric.name)), rhs: label(product) }] },
    why: prose(
      "Unrolling the recursion: ",
      eq(ident(metric.name), seq(sym("J", { transpose: true }), sym("g", { layer: L }), sym("J"))),
      " with ",
      eq(sym("J"), slash(partialX("", L), partialX("", from)), seq(sym("J", { layer: L }), op("cdots"), sym("J", { layer: from + 1 }))),
      ", the Jacobian of the whole network. Checked against finite differences of the network's values, which use no " +
        "derivative code at all.",
    ),
    uses: [c.id(`pullback${from}`), ...(c.firstOrder ? jacobianIds : [])],
    general: statements(pullbackGeneral(from, L), eq(dxdx("a", L, from), seq(dxdx("a", L, L - 1), op("cdots"), dxdx("a", from + 1, from)))),
    // judged at the finite-difference route's own accuracy: its truncation error is ~1e-10
    witness: rescore(fd, Math.max(c.opts.tolerance, 1e-7)),
  };
}

/** The metric's components as explicit functions of the coordinates, when they are small enough to print. */
function explicitStep(c: NetworkContext): Step | undefined {
  const g0 = c.pb.metrics[0];
  if (!g0.flat().every((e) => treeSize(e, EXPLICIT_LIMIT) <= EXPLICIT_LIMIT)) return undefined;
  return {
    id: c.id("explicit"),
    title: `Explicit components of ${c.metric.name}`,
    justification: "substitution",
    why: prose("Substituting every intermediate gives the components as explicit functions of the coordinates."),
    uses: [c.id("closed-form")],
    equation: { rows: [{ lhs: label(ident(c.metric.name)), rhs: matrixSide(g0) }] },
    witness: c.witness(exprRoute(g0.flat(), c.vars), oracleMetric(c.metric), "explicit", via("forward mode", "forward mode"), g0.length),
  };
}

/** ∂x^{i_l}: the differential of layer l's coordinate with index letter i ("" for the whole state x^{(l)}). */
const partialX = (i: string, l: number | string): MathNode =>
  seq(sym("partial"), i ? sym("x", { sup: sym(i, { sub: n_(l) }) }) : sym("x", { layer: typeof l === "string" ? sym(l) : l }));
const dxdx = (i: string, top: number | string, bottom: number | string) => frac(partialX(i, top), partialX(i, bottom));
/** g_{a_l b_l} = ∂x^{a_t}/∂x^{a_l} ∂x^{b_t}/∂x^{b_l} g_{a_t b_t}: the pullback from layer t to layer l in index notation. */
const pullbackGeneral = (l: number | string, t: number | string): MathNode => {
  const ab = (k: number | string) => seq(sym("a", { sub: n_(k) }), sym("b", { sub: n_(k) }));
  return eq(sym("g", { sub: ab(l) }), seq(dxdx("a", t, l), dxdx("b", t, l), op("thin"), sym("g", { sub: ab(t) })));
};

/** Re-judge a witness against another tolerance (the finite-difference route's own accuracy). */
function rescore(w: NonNullable<Step["witness"]>, tolerance: number): NonNullable<Step["witness"]> {
  const passed = w.points > 0 && w.maxError <= tolerance && !w.failure?.reason;
  return { ...w, tolerance, passed, failure: passed ? undefined : w.failure };
}

function withoutLayer(names: ReadonlyMap<Expr, string>, xs: Expr[]): Map<Expr, string> {
  const m = new Map(names);
  for (const x of xs) m.delete(x);
  return m;
}
const withoutEntries = (names: ReadonlyMap<Expr, string>, m: Expr[][]) => withoutLayer(names, m.flat());
