// The derivation of a metric pulled back along a network: layer maps, their Euler-step reading,
// layer Jacobians, the recursion g_l = J_{l+1}ᵀ g_{l+1} J_{l+1}, and the unrolled closed form.
import { REGISTRY } from "../core/functions.js";
import { byActivation, type Layer, type Metric, type Network } from "../semantics/model.js";
import { forwardMetric, forwardNetwork, layerJacobian } from "../numeric/forward.js";
import { congruenceN } from "../numeric/linalg.js";
import { add, div, type Expr, mul, MINUS_ONE, num, pow, sub, TWO } from "../symbolic/expr.js";
import { EXPLICIT_LIMIT, layerNames } from "../symbolic/listing.js";
import { networkPullback } from "../symbolic/metric.js";
import { activate, paramExprs } from "../symbolic/network.js";
import { latexSymbol as latexName } from "../symbolic/notation.js";
import { treeSize } from "../symbolic/print.js";
import { type Equation, label, matrixSide, type Step, vectorSide, type WitnessOptions } from "./model.js";
import { fdPullback, last, oracleMetric, pointOf } from "./routes.js";
import { exprRoute, type Route, samplerFor, witness } from "./witness.js";

const ACT_TEX = byActivation((a) => (a === "linear" ? "\\mathrm{id}" : REGISTRY[a].tex));
const SLOPE_TEX = byActivation((a) => (a === "linear" ? "1" : REGISTRY[a].slopeTex));

export function networkSteps(metric: Metric, net: Network, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
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
  const cw = (a: Route, b: Route, sid: string, against: string, n?: number, m?: number) =>
    witness(a, b, sampler, opts, id(sid), against, n && m ? (k) => `[${Math.floor(k / m) + 1}][${(k % m) + 1}]` : undefined);
  // the oracle's layer states, from layer `from`'s coordinates
  const states = (env: ReadonlyMap<string, number>) => forwardNetwork(net, pointOf(chart, env), env, from);
  const vars = chart.coords;

  steps.push({
    id: id("chart"), title: `Coordinates of layer ${from}`, justification: "definition",
    why: from === 0 ? `The input chart of ${net.name} is ${chart.name}, with coordinates $${chart.coords.map((c) => latexName(c)).join(", ")}$.` : `We pull back to layer ${from}, whose coordinates are $${chart.coords.map((c) => latexName(c)).join(", ")}$.`,
    statement: { tex: `x^{a_{${from}}} = (${chart.coords.map((c) => latexName(c)).join(", ")})`, text: `x^(a_${from}) = (${chart.coords.join(", ")})` },
    witness: null,
  });

  for (const le of ex.layers) {
    const layer = le.layer, l = layer.index;
    const kind = layer.kind === "softmax" ? "softmax" : `${layer.kind.replace("_", "-")} ${layer.activation}`;
    // the layer map
    const rows: Equation["rows"] = [];
    if (le.z) rows.push({ lhs: label(`z^{(${l})}`, `z${l}`), rhs: vectorSide(le.z), names: withoutLayer(names, le.z) });
    rows.push({ lhs: label(`x^{(${l})}`, `x${l}`), rhs: vectorSide(le.x) });
    if (le.slope && layer.activation !== "linear") rows.push({ lhs: label(`s^{(${l})} = \\sigma'(z^{(${l})})`, `s${l}`), rhs: vectorSide(le.slope) });
    const layerNamesHere = withoutLayer(names, [...le.x, ...(le.slope ?? [])]); // defined here: printed in full
    steps.push({
      id: id(`layer${l}`), title: `Layer ${l} (${kind})`, justification: "definition",
      why: layerWhy(layer),
      general: layerGeneral(layer),
      equation: { rows, names: layerNamesHere },
      witness: cw(exprRoute(le.x, vars), (env) => states(env)[l - from].x, `layer${l}`, "a forward pass evaluated on its own"),
    });
    if (layer.kind === "residual" || layer.kind === "second_order") {
      const h = paramExprs(layer.h!)[0];
      const prev = l - 1 === from ? ex.x0 : ex.layers[l - 2 - from].x;
      const start = layer.kind === "second_order" && l - 2 < from; // the Taylor step from rest
      const prev2 = start ? prev : l - 2 === from ? ex.x0 : ex.layers[l - 3 - from]?.x ?? prev;
      const lhs = layer.kind === "residual"
        ? le.x.map((x, i) => div(sub(x, prev[i]), h))
        : start
          ? le.x.map((x, i) => div(sub(x, prev[i]), mul(num(0.5), pow(h, TWO))))
          : le.x.map((x, i) => div(add(x, mul(MINUS_ONE, TWO, prev[i]), prev2[i]), pow(h, TWO)));
      const sigma = le.z!.map((z) => activate(layer.activation, z)[0]);
      steps.push({
        id: id(`euler${l}`), title: layer.kind === "residual" ? `Layer ${l} is a forward-Euler step` : `Layer ${l} is a central-difference step`,
        justification: "Euler step",
        why: layer.kind === "residual"
          ? `With $t_l = t_{l-1} + h$, the residual update is $x_l = x_{l-1} + h\\, f(x_{l-1}, t_{l-1})$ with $f(x, t) = ${ACT_TEX[layer.activation]}(W(t)\\, x + b(t))$: one explicit Euler step, of size $h$, of the ODE $\\dot x = ${ACT_TEX[layer.activation]}(W(t)\\, x + b(t))$.`
          : `The update $x_l = 2x_{l-1} - x_{l-2} + h^2 f(x_{l-1})$ is the central-difference step of the second-order ODE $\\ddot x = ${ACT_TEX[layer.activation]}(W(t)\\, x + b(t))$.`,
        general: layer.kind === "residual"
          ? `\\frac{x^{a_{${l}}} - x^{a_{${l - 1}}}}{h} = ${ACT_TEX[layer.activation]}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} x^{b_{${l - 1}}} + b^{a_{${l}}}\\big) \\;\\longrightarrow\\; \\frac{dx^a}{dt} = ${ACT_TEX[layer.activation]}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`
          : `\\frac{x^{a_{${l}}} - 2x^{a_{${l - 1}}} + x^{a_{${l - 2}}}}{h^2} = ${ACT_TEX[layer.activation]}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} x^{b_{${l - 1}}} + b^{a_{${l}}}\\big) \\;\\longrightarrow\\; \\frac{d^2x^a}{dt^2} = ${ACT_TEX[layer.activation]}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`,
        equation: {
          rows: [{
            lhs: layer.kind === "residual"
              ? label(`\\frac{x^{(${l})} - x^{(${l - 1})}}{h}`, `(x${l} - x${l - 1})/h`)
              : start
                ? label(`\\frac{x^{(${l})} - x^{(${l - 1})}}{h^2/2}`, `(x${l} - x${l - 1})/(h^2/2)`)
                : label(`\\frac{x^{(${l})} - 2x^{(${l - 1})} + x^{(${l - 2})}}{h^2}`, `(x${l} - 2 x${l - 1} + x${l - 2})/h^2`),
            rhs: vectorSide(sigma),
          }],
          names,
        },
        witness: cw(exprRoute(lhs, vars), exprRoute(sigma, vars), `euler${l}`, "both sides evaluated"),
      });
    }
    const n = le.J.length, m = le.J[0].length;
    steps.push({
      id: id(`jacobian${l}`), title: `Jacobian of layer ${l}`, justification: "chain rule",
      why: jacobianWhy(layer),
      general: jacobianGeneral(layer),
      equation: { rows: [{ lhs: label(`J^{(${l})}`, `J${l}`), rhs: matrixSide(le.J) }], names: withoutEntries(names, le.J) },
      witness: cw(exprRoute(le.J.flat(), vars), (env) => {
        const s = states(env);
        const k = l - from;
        return layerJacobian(layer, s[k - 1].x, k >= 2 ? s[k - 2].x : null, env).flat();
      }, `jacobian${l}`, "forward-mode derivatives of the layer map", n, m),
    });
  }

  const L = net.layers.length, dim = net.target.dim;
  const gL = last(pb.metrics);
  steps.push({
    id: id("output-metric"), title: `Metric on the output (layer ${L})`, justification: "definition",
    why: def.of.def.kind === "euclidean" ? "The output coordinates carry the Euclidean metric $\\delta$: the last layer is where the classes are separated linearly." : `The output carries the metric $${latexName(def.of.name)}$, read at the output coordinates.`,
    equation: { rows: [{ lhs: label(`g^{(${L})}`, `g${L}`), rhs: matrixSide(gL) }], names: withoutEntries(names, gL) },
    witness: cw(exprRoute(gL.flat(), vars), (env) => forwardMetric(def.of, last(states(env)).x, env).flat(), "output-metric", "the output metric at the forward pass's output", dim, dim),
  });

  const firstOrder = pb.layers.length === ex.layers.length + 1;
  for (let k = pb.metrics.length - 2; k >= 0; k--) {
    const l = pb.layers[k], g = pb.metrics[k];
    const isResult = k === 0;
    const n = g.length;
    steps.push({
      id: id(`pullback${l}`), title: isResult ? `Metric at layer ${l}: ${metric.name}` : `Pullback to layer ${l}`, justification: "pullback recursion",
      why: firstOrder
        ? `Pull $g^{(${l + 1})}$ back through layer ${l + 1}: $g^{(${l})} = J^{(${l + 1})\\mathsf{T}} g^{(${l + 1})} J^{(${l + 1})}$, the backward recursion that gives "backpropagating the coordinates" its name.`
        : `A second-order layer depends on two earlier layers, so the pullback uses the total Jacobian $P = \\partial x^{(${L})} / \\partial x^{(${l})}$, accumulated forwards by $P_l = A_l P_{l-1} - P_{l-2}$: $g^{(${l})} = P^{\\mathsf{T}} g^{(${L})} P$.`,
      general: firstOrder
        ? `g_{a_{${l}} b_{${l}}} = \\frac{\\partial x^{a_{${l + 1}}}}{\\partial x^{a_{${l}}}} \\frac{\\partial x^{b_{${l + 1}}}}{\\partial x^{b_{${l}}}}\\, g_{a_{${l + 1}} b_{${l + 1}}}`
        : `g_{a_{${l}} b_{${l}}} = \\frac{\\partial x^{a_{${L}}}}{\\partial x^{a_{${l}}}} \\frac{\\partial x^{b_{${L}}}}{\\partial x^{b_{${l}}}}\\, g_{a_{${L}} b_{${L}}}`,
      equation: { rows: [{ lhs: label(isResult ? latexName(metric.name) : `g^{(${l})}`, isResult ? metric.name : `g${l}`), rhs: matrixSide(g) }], names: withoutEntries(names, g) },
      witness: cw(exprRoute(g.flat(), vars), (env) => {
        const s = states(env);
        const inner = forwardNetwork(net, s[l - from].x, env, l);
        const top = last(inner);
        return congruenceN(top.J, forwardMetric(def.of, top.x, env)).flat();
      }, `pullback${l}`, "forward-mode Jacobian of the remaining layers", n, n),
    });
  }

  const g0 = pb.metrics[0];
  const n0 = g0.length;
  steps.push({
    id: id("closed-form"), title: "Unrolled closed form", justification: "chain rule",
    why: `Unrolling the recursion: $${latexName(metric.name)} = J^{\\mathsf{T}} g^{(${L})} J$ with $J = \\partial x^{(${L})}/\\partial x^{(${from})} = J^{(${L})} \\cdots J^{(${from + 1})}$, the Jacobian of the whole network. Checked against finite differences of the network's values, which use no derivative code at all.`,
    general: `g_{a_{${from}} b_{${from}}} = \\frac{\\partial x^{a_{${L}}}}{\\partial x^{a_{${from}}}} \\frac{\\partial x^{b_{${L}}}}{\\partial x^{b_{${from}}}}\\, g_{a_{${L}} b_{${L}}}, \\qquad \\frac{\\partial x^{a_{${L}}}}{\\partial x^{a_{${from}}}} = \\frac{\\partial x^{a_{${L}}}}{\\partial x^{a_{${L - 1}}}} \\cdots \\frac{\\partial x^{a_{${from + 1}}}}{\\partial x^{a_{${from}}}}`,
    witness: cw(exprRoute(g0.flat(), vars), fdPullback(net, def.of, chart, from), "closed-form", "finite differences (5-point stencil, eps = 1e-3)", n0, n0),
  });
  // relax the tolerance for the finite-difference route: its truncation error is ~1e-10
  const last_ = last(steps);
  if (last_.witness) last_.witness = rescore(last_.witness, Math.max(opts.tolerance, 1e-7));

  if (g0.flat().every((e) => treeSize(e, EXPLICIT_LIMIT) <= EXPLICIT_LIMIT)) {
    steps.push({
      id: id("explicit"), title: `Explicit components of ${metric.name}`, justification: "substitution",
      why: "Substituting every intermediate gives the components as explicit functions of the coordinates.",
      equation: { rows: [{ lhs: label(latexName(metric.name), metric.name), rhs: matrixSide(g0) }] },
      witness: cw(exprRoute(g0.flat(), vars), oracleMetric(metric), "explicit", "forward mode", n0, n0),
    });
  }
  return steps;
}

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

function layerWhy(layer: Layer): string {
  const s = ACT_TEX[layer.activation];
  switch (layer.kind) {
    case "dense": return `A dense layer is a static coordinate change: $x_l = \\sigma(W_l x_{l-1} + b_l)$ with $\\sigma = ${s}$.`;
    case "residual": return `A residual layer moves each point by a small step: $x_l = x_{l-1} + h\\, \\sigma(W_l x_{l-1} + b_l)$ with $\\sigma = ${s}$.`;
    case "second_order": return layer.index === 1
      ? `A second-order layer uses two earlier layers, $x_l = 2x_{l-1} - x_{l-2} + h^2 \\sigma(W_l x_{l-1} + b_l)$; as the first layer it starts at rest ($\\dot x(0) = 0$) with the Taylor step $x_1 = x_0 + \\tfrac12 h^2 \\sigma(W_1 x_0 + b_1)$, which keeps the scheme second order. Here $\\sigma = ${s}$.`
      : `A second-order layer also uses the layer before: $x_l = 2x_{l-1} - x_{l-2} + h^2 \\sigma(W_l x_{l-1} + b_l)$ with $\\sigma = ${s}$.`;
    case "softmax": return "The softmax layer maps scores to probabilities, $p_i = e^{x_i} / \\sum_j e^{x_j}$, written here as $1 / \\sum_j e^{x_j - x_i}$, which cannot overflow.";
  }
}

function layerGeneral(layer: Layer): string {
  const l = layer.index, s = ACT_TEX[layer.activation];
  const z = `W^{a_{${l}}}{}_{a_{${l - 1}}} x^{a_{${l - 1}}} + b^{a_{${l}}}`;
  switch (layer.kind) {
    case "dense": return `x^{a_{${l}}} = ${s}\\big(${z}\\big)`;
    case "residual": return `x^{a_{${l}}} = x^{a_{${l - 1}}} + h\\, ${s}\\big(${z}\\big)`;
    case "second_order": return `x^{a_{${l}}} = 2x^{a_{${l - 1}}} - x^{a_{${l - 2}}} + h^2 ${s}\\big(${z}\\big)`;
    case "softmax": return `x^{a_{${l}}} = \\frac{\\exp x^{a_{${l - 1}}}}{\\sum_{b} \\exp x^{b_{${l - 1}}}}`;
  }
}

function jacobianWhy(layer: Layer): string {
  switch (layer.kind) {
    case "dense": return `By the chain rule, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$ (no sum over $a_l$): row $a_l$ of $W$ scaled by $\\sigma'(z^{a_l})$, here $\\sigma'(z) = ${SLOPE_TEX[layer.activation]}$.`;
    case "residual": return "By the chain rule, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = \\delta^{a_l}_{b_{l-1}} + h\\, \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$: the identity plus $h$ times a dense layer's Jacobian.";
    case "second_order": return layer.index === 1
      ? "For the starting step, $\\partial x^{a_1} / \\partial x^{b_0} = \\delta^{a_1}_{b_0} + \\tfrac12 h^2 \\sigma'(z^{a_1})\\, W^{a_1}{}_{b_0}$."
      : "With $x_{l-2}$ held fixed, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = 2\\delta^{a_l}_{b_{l-1}} + h^2 \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$, and $\\partial x_l / \\partial x_{l-2} = -I$.";
    case "softmax": return "$\\partial p_i / \\partial x_j = p_i (\\delta_{ij} - p_j)$, so $J = \\operatorname{diag}(p) - p\\, p^{\\mathsf{T}}$.";
  }
}

function jacobianGeneral(layer: Layer): string {
  const l = layer.index;
  const d = `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}}`;
  const sp = `\\sigma'(z^{a_{${l}}})\\, W^{a_{${l}}}{}_{b_{${l - 1}}}`;
  switch (layer.kind) {
    case "dense": return `${d} = ${sp}`;
    case "residual": return `${d} = \\delta^{a_{${l}}}_{b_{${l - 1}}} + h\\, ${sp}`;
    case "second_order": return l === 1 ? `${d} = \\delta^{a_{1}}_{b_{0}} + \\tfrac12 h^2 ${sp}` : `${d} = 2\\delta^{a_{${l}}}_{b_{${l - 1}}} + h^2 ${sp}`;
    case "softmax": return `${d} = p^{a_{${l}}}\\big(\\delta^{a_{${l}}}_{b_{${l - 1}}} - p^{b_{${l}}}\\big)`;
  }
}

