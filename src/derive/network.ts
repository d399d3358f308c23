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
import { byActivation, type Manifold, type Metric, type Network } from "../semantics/model.js";
import { earlierStates, forwardMetric, forwardNetwork, layerJacobian } from "../numeric/forward.js";
import { congruenceN } from "../numeric/linalg.js";
import { add, div, type Expr, mul, num } from "../symbolic/expr.js";
import { EXPLICIT_LIMIT, layerNames } from "../symbolic/listing.js";
import { networkPullback } from "../symbolic/metric.js";
import { activate, EXPR_ALGEBRA, paramExprs } from "../symbolic/network.js";
import { treeSize } from "../symbolic/print.js";
import { type Equation, label, matrixSide, type Step, vectorSide, type WitnessOptions } from "./model.js";
import { fdPullback, last, oracleMetric, pointOf } from "./routes.js";
import { exprRoute, type Route, samplerFor, type Via, via, witness } from "./witness.js";

/** The layer's definition evaluated again by the numeric forward pass: a consistency check of the code. */
const REEVALUATED = via("forward pass", "a forward pass evaluated on its own");

const ACT_TEX = byActivation((a) => REGISTRY[a].tex);
const SLOPE_TEX = byActivation((a) => REGISTRY[a].slopeTex);

/** Runs of at least this many consecutive layers from one `repeat` line are folded into one step per kind. */
export const FOLD_MIN = 3;

/** A run of layers a…b folded into one step per kind (a = b: a layer of its own). */
interface Run {
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

export function networkSteps(
  metric: Metric,
  net: Network,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  earlier?: Earlier,
): Step[] {
  const def = metric.def;
  if (def.kind !== "pullback") throw new Error("internal error: not a pullback");
  const from = def.layer;
  const pb = networkPullback(net, def.of, from);
  const ex = pb.network;
  const { names } = layerNames(pb);
  const chart = net.layerSpaces[from];
  const allExprs: Expr[] = [...pb.metrics[0].flat(), ...ex.layers.flatMap((l) => l.x)];
  const sampler = samplerFor(chart, allExprs, fixed);
  const steps: Step[] = [];
  const id = (s: string) => `${metric.name}:${s}`;
  const cw = (a: Route, b: Route, sid: string, against: string | Via, n?: number, m?: number) =>
    witness(a, b, sampler, opts, id(sid), against, n && m ? (k) => `[${Math.floor(k / m) + 1}][${(k % m) + 1}]` : undefined);
  // the oracle's layer states, from layer `from`'s coordinates
  const states = (env: ReadonlyMap<string, number>) => forwardNetwork(net, pointOf(chart, env), env, from);
  const vars = chart.coords;

  steps.push(
    chartStep(id("chart"), net, chart, from, eq(sym("x", { sup: sym("a", { sub: n_(from) }) }), list(chart.coords.map(ident), true))),
  );

  const runs = layerRuns(net, from);
  const reuse = earlier && earlier.from <= from;
  // per layer: its steps by kind, folded below when the layer is part of a run
  const perLayer = new Map<number, { layer: Step; euler?: Step; jacobian: Step }>();
  for (const le of reuse ? [] : ex.layers) {
    const layer = le.layer,
      l = layer.index;
    const def = LAYER_KINDS[layer.kind],
      act = ACT_TEX[layer.activation];
    const kind = `${def.labels.title}${def.labels.activation ? ` ${layer.activation}` : ""}`;
    const opens = layer.index < def.reads; // it starts the network: the kind's starting step
    // the layer map
    const rows: Equation["rows"] = [];
    if (le.z) rows.push({ lhs: label(sym("z", { layer: l })), rhs: vectorSide(le.z), names: withoutLayer(names, le.z) });
    rows.push({ lhs: label(sym("x", { layer: l })), rhs: vectorSide(le.x) });
    if (le.slope && !(REGISTRY[layer.activation] as FunctionDef).identity)
      rows.push({
        lhs: label(eq(sym("s", { layer: l }), app(formula("\\sigma'", "σ'"), sym("z", { layer: l })))),
        rhs: vectorSide(le.slope),
      });
    const layerNamesHere = withoutLayer(names, [...le.x, ...(le.slope ?? [])]); // defined here: printed in full
    const here: Partial<{ layer: Step; euler: Step; jacobian: Step }> = {};
    here.layer = {
      id: id(`layer${l}`),
      title: `Layer ${l} (${kind})`,
      justification: "definition",
      why: fromTex(def.derivation.why(l, act, opens)),
      general: formula(def.derivation.general(l, act)),
      equation: { rows, names: layerNamesHere },
      witness: cw(exprRoute(le.x, vars), (env) => states(env)[l - from].x, `layer${l}`, REEVALUATED),
    };
    const euler = def.derivation.euler;
    if (euler && def.recurrence) {
      // (x_l − Σ_k c_k x_{l−1−k}) / s(h) = σ(z): the difference quotient of the ODE the kind discretises
      const available = Math.min(def.reads, l - from);
      const prevs = Array.from({ length: available }, (_, k) => (l - 1 - k === from ? ex.x0 : ex.layers[l - 2 - k - from].x));
      const r = def.recurrence(available),
        s = scaleOf(EXPR_ALGEBRA, r, paramExprs(layer.h!)[0])!;
      const lhs = le.x.map((x, i) => div(add(x, ...r.coeffs.map((c, k) => (c === -1 ? prevs[k][i] : mul(num(-c), prevs[k][i])))), s));
      const sigma = le.z!.map((z) => activate(layer.activation, z)[0]);
      const [qTex, qText] = euler.quotient(l, available < def.reads);
      here.euler = {
        id: id(`euler${l}`),
        title: euler.title(l),
        justification: "Euler step",
        why: fromTex(euler.why(act)),
        uses: [id(`layer${l}`)],
        general: formula(euler.general(l, act)),
        equation: { rows: [{ lhs: label(formula(qTex, qText)), rhs: vectorSide(sigma) }], names },
        witness: cw(exprRoute(lhs, vars), exprRoute(sigma, vars), `euler${l}`, via("both sides", "both sides evaluated")),
      };
    }
    const n = le.J.length,
      m = le.J[0].length;
    here.jacobian = {
      id: id(`jacobian${l}`),
      title: `Jacobian of layer ${l}`,
      justification: "chain rule",
      why: fromTex(def.derivation.jacobianWhy(l, SLOPE_TEX[layer.activation], opens)),
      uses: [id(`layer${l}`)],
      general: formula(def.derivation.jacobianGeneral(l, opens)),
      equation: { rows: [{ lhs: label(sym("J", { layer: l })), rhs: matrixSide(le.J) }], names: withoutEntries(names, le.J) },
      witness: cw(
        exprRoute(le.J.flat(), vars),
        (env) => {
          const s = states(env);
          const k = l - from;
          return layerJacobian(layer, s[k - 1].x, earlierStates(s, k - 1), env).flat();
        },
        `jacobian${l}`,
        via("forward mode", "forward-mode derivatives of the layer map"),
        n,
        m,
      ),
    };
    perLayer.set(l, here as { layer: Step; euler?: Step; jacobian: Step });
  }
  for (const r of reuse ? [] : runs) {
    const group = Array.from({ length: r.b - r.a + 1 }, (_, k) => perLayer.get(r.a + k)!);
    if (r.a === r.b) {
      steps.push(...[group[0].layer, group[0].euler, group[0].jacobian].filter((s) => s !== undefined));
      continue;
    }
    const layer = net.layers[r.a - 1],
      def = LAYER_KINDS[layer.kind],
      act = ACT_TEX[layer.activation];
    const kind = `${def.labels.title}${def.labels.activation ? ` ${layer.activation}` : ""}`;
    const range = `${r.a}–${r.b}`;
    const every = prose(
      " This holds for every layer ",
      eq(sym("l"), list([n_(r.a), op("cdots"), n_(r.b)])),
      ` of the repeat block, each with its own weights; their components are not written out.`,
    );
    const forL = fixedOf({ tex: `l = ${r.a}, \\dots, ${r.b}`, text: `l = ${r.a}…${r.b}` });
    steps.push(
      fold(
        group.map((g) => g.layer),
        {
          id: id(`layers${r.a}-${r.b}`),
          title: `Layers ${range} (${kind})`,
          justification: "definition",
          why: [...fromTex(def.derivation.why(r.a, act, false)), ...every],
          statement: forL,
        },
      ),
    );
    if (group[0].euler)
      steps.push(
        fold(
          group.map((g) => g.euler!),
          {
            id: id(`eulers${r.a}-${r.b}`),
            title: def.derivation.euler!.title(r.a).replace(/^Layer \d+ is an? (.*)$/, `Layers ${range} are $1s`),
            justification: "Euler step",
            why: [...fromTex(def.derivation.euler!.why(act)), ...every],
            uses: [id(`layers${r.a}-${r.b}`)],
            statement: forL,
          },
        ),
      );
    steps.push(
      fold(
        group.map((g) => g.jacobian),
        {
          id: id(`jacobians${r.a}-${r.b}`),
          title: `Jacobians of layers ${range}`,
          justification: "chain rule",
          why: [...fromTex(def.derivation.jacobianWhy(r.a, SLOPE_TEX[layer.activation], false)), ...every],
          uses: [id(`layers${r.a}-${r.b}`)],
          statement: forL,
        },
      ),
    );
  }

  const L = net.layers.length,
    dim = net.target.dim;
  const gL = last(pb.metrics);
  if (!reuse)
    steps.push({
      id: id("output-metric"),
      title: `Metric on the output (layer ${L})`,
      justification: "definition",
      why:
        def.of.def.kind === "euclidean"
          ? prose(
              "The output coordinates carry the Euclidean metric ",
              sym("delta"),
              ": the last layer is where the classes are separated linearly.",
            )
          : prose("The output carries the metric ", ident(def.of.name), ", read at the output coordinates."),
      equation: { rows: [{ lhs: label(sym("g", { layer: L })), rhs: matrixSide(gL) }], names: withoutEntries(names, gL) },
      witness: cw(
        exprRoute(gL.flat(), vars),
        (env) => forwardMetric(def.of, last(states(env)).x, env).flat(),
        "output-metric",
        via("forward pass", "the output metric at the forward pass's output"),
        dim,
        dim,
      ),
    });

  const firstOrder = pb.layers.length === ex.layers.length + 1;
  // the id of the step that shows g^(l) (the output metric, a pullback, or a folded run of pullbacks)
  const pullbackId = (l: number) => pullbackStepId(runs, from, firstOrder, L, l);
  const pullbacks = new Map<number, Step>();
  for (let k = reuse ? 0 : pb.metrics.length - 2; k >= 0; k--) {
    const l = pb.layers[k],
      g = pb.metrics[k];
    const isResult = k === 0;
    const n = g.length;
    pullbacks.set(l, {
      id: id(`pullback${l}`),
      title: isResult ? `Metric at layer ${l}: ${metric.name}` : `Pullback to layer ${l}`,
      justification: "pullback recursion",
      why: reuse
        ? prose(
            `Layers ${from + 1}–${L}, their Jacobians and the pullback of the output metric down to `,
            sym("g", { layer: l }),
            " are derived in ",
            ref(`${earlier.metric}:${layerStepId(runs, "layer", from + 1)}`, `the section on ${earlier.metric}`),
            `; ${metric.name} is `,
            sym("g", { layer: l }),
            ".",
          )
        : firstOrder
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
              "A second-order layer depends on two earlier layers, so the pullback uses the total Jacobian ",
              eq(sym("P"), slash(partialX("", L), partialX("", l), true)),
              ", accumulated forwards by ",
              formula("P_l = A_l P_{l-1} - P_{l-2}"),
              ": ",
              eq(sym("g", { layer: l }), seq(sym("P", { transpose: true }), sym("g", { layer: L }), sym("P"))),
              ".",
            ),
      uses: reuse
        ? [`${earlier.metric}:${pullbackStepId(layerRuns(net, earlier.from), earlier.from, firstOrder, L, l)}`]
        : firstOrder
          ? [id(layerStepId(runs, "jacobian", l + 1)), id(pullbackId(l + 1))]
          : [id("output-metric")],
      general: pullbackGeneral(l, firstOrder ? l + 1 : L),
      equation: {
        rows: [{ lhs: label(isResult ? ident(metric.name) : sym("g", { layer: l })), rhs: matrixSide(g) }],
        names: withoutEntries(names, g),
      },
      witness: cw(
        exprRoute(g.flat(), vars),
        (env) => {
          const s = states(env);
          const inner = forwardNetwork(net, s[l - from].x, env, l);
          const top = last(inner);
          return congruenceN(top.J, forwardMetric(def.of, top.x, env)).flat();
        },
        `pullback${l}`,
        via("forward mode", "forward-mode Jacobian of the remaining layers"),
        n,
        n,
      ),
    });
  }
  // emitted top down; the pullbacks through a folded run of layers become one step
  for (let l = L - 1; l >= from; l--) {
    const step = pullbacks.get(l);
    if (!step) continue;
    const fid = pullbackId(l);
    if (fid === `pullback${l}`) {
      steps.push(step);
      continue;
    }
    if (steps.some((s) => s.id === id(fid))) continue;
    const [top, bottom] = fid.slice("pullbacks".length).split("-").map(Number);
    const group = Array.from({ length: top - bottom + 1 }, (_, k) => pullbacks.get(top - k)!);
    steps.push(
      fold(group, {
        id: id(fid),
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
        uses: [id(layerStepId(runs, "jacobian", bottom + 1)), id(pullbackId(top + 1))],
        general: pullbackGeneral("l-1", "l"),
      }),
    );
  }

  const g0 = pb.metrics[0];
  const n0 = g0.length;
  // g = J^(from+1)ᵀ ⋯ J^(L)ᵀ g^(L) J^(L) ⋯ J^(from+1), every factor written when there are few
  const Js = Array.from({ length: L - from }, (_, k) => from + 1 + k);
  const shown = Js.length <= 4 ? Js : [Js[0], Js[1], 0, L];
  const factor = (l: number, transpose: boolean) => (l ? sym("J", { layer: l, transpose }) : op("cdots"));
  const product = firstOrder
    ? seq(...shown.map((l) => factor(l, true)), sym("g", { layer: L }), ...[...shown].reverse().map((l) => factor(l, false)))
    : seq(sym("P", { transpose: true }), sym("g", { layer: L }), sym("P"));
  const home = reuse ? `${earlier.metric}:` : id("");
  const jacobianIds = [...new Set(Js.map((l) => home + layerStepId(reuse ? layerRuns(net, earlier.from) : runs, "jacobian", l)))];
  steps.push({
    id: id("closed-form"),
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
    uses: [id(`pullback${from}`), ...(firstOrder ? jacobianIds : [])],
    general: statements(pullbackGeneral(from, L), eq(dxdx("a", L, from), seq(dxdx("a", L, L - 1), op("cdots"), dxdx("a", from + 1, from)))),
    witness: cw(
      exprRoute(g0.flat(), vars),
      fdPullback(net, def.of, chart, from),
      "closed-form",
      via("finite differences", "finite differences (5-point stencil, eps = 1e-3)"),
      n0,
      n0,
    ),
  });
  // relax the tolerance for the finite-difference route: its truncation error is ~1e-10
  const last_ = last(steps);
  if (last_.witness) last_.witness = rescore(last_.witness, Math.max(opts.tolerance, 1e-7));

  if (g0.flat().every((e) => treeSize(e, EXPLICIT_LIMIT) <= EXPLICIT_LIMIT)) {
    steps.push({
      id: id("explicit"),
      title: `Explicit components of ${metric.name}`,
      justification: "substitution",
      why: prose("Substituting every intermediate gives the components as explicit functions of the coordinates."),
      uses: [id("closed-form")],
      equation: { rows: [{ lhs: label(ident(metric.name)), rhs: matrixSide(g0) }] },
      witness: cw(exprRoute(g0.flat(), vars), oracleMetric(metric), "explicit", via("forward mode", "forward mode"), n0, n0),
    });
  }
  return steps;
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
