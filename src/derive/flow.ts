// Steps for `show ode of NET` and `show flow of NET`: the ODE a residual (or second-order) block
// discretises, and how depth-N networks converge to its flow as h = T/N → 0.
import { rounded } from "../core/numbers.js";
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS } from "../core/layers/index.js";
import { byActivation, type Network } from "../semantics/model.js";
import { EvaluationError } from "../numeric/evaluate.js";
import {
  type Block,
  type Convergence,
  convergence,
  discreteFlow,
  type Interpolation,
  ORDER_TOLERANCE,
  odeBlock,
  orderMismatches,
} from "../numeric/flow.js";
import { forwardNetwork } from "../numeric/forward.js";
import { fixedOf, fromTex, prose, statements } from "../core/notation.js";
import type { Step, WitnessOptions, WitnessResult } from "./model.js";
import { pointOf } from "./routes.js";
import { notIntegrated, samplerFor, via, witness } from "./witness.js";

export const DEFAULT_DEPTHS = [4, 8, 16, 32, 64, 128, 256, 512, 1024];

// the identity's σ(W x + b) is written W x + b, as the layer maps' texts write it
const ACT_TEX = byActivation((a) => ((REGISTRY[a] as FunctionDef).identity ? "" : REGISTRY[a].tex));

export function odeTex(block: Block, interp: Interpolation): string {
  const acts = [...new Set(block.activations)];
  const s = acts.length === 1 ? ACT_TEX[acts[0]] : "\\sigma_t";
  const rhs = `${s}\\big(W(t)\\, x + b(t)\\big)`;
  const W = interp === "constant" ? "W(t) = W_l \\text{ on } [t_{l-1}, t_l)" : "W(t) \\text{ linear between } W(t_{l-1}) = W_l";
  return `${LAYER_KINDS[block.kind].ode!.tex(rhs)}, \\quad t \\in [0, ${fmt(block.T)}], \\qquad ${W}`;
}

const fmt = (x: number) => rounded(x, 6);
const sci = (x: number) => {
  if (x === 0) return "0";
  const [m, e] = x.toExponential(2).split("e");
  return `${m} \\cdot 10^{${Number(e)}}`;
};

export function convergenceTex(c: Convergence): string {
  const rows = c.rows
    .map(
      (r) =>
        `${r.depth} & ${fmt(r.h)} & ${sci(r.stateError)} & ${sci(r.metricError)} & ` +
        `${r.stateOrder === null ? "" : r.stateOrder.toFixed(2)} \\\\`,
    )
    .join("\n");
  return (
    `\\begin{array}{rrrrr}\nN & h & \\lVert x_N - x(T) \\rVert & \\lVert g_N - g \\rVert & \\text{order} \\\\ ` +
    `\\hline\n${rows}\n\\end{array}`
  );
}

export function flowSteps(
  net: Network,
  index: number,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
  interp: Interpolation = "linear",
  depths = DEFAULT_DEPTHS,
): Step[] {
  const id = (s: string) => `${net.name}:${s}${index}`;
  let block: Block;
  try {
    block = odeBlock(net, fixed);
  } catch (e) {
    if (e instanceof EvaluationError)
      return [{ id: id("ode"), title: `${net.name} has no ODE limit`, justification: "lemma", why: prose(e.message), witness: null }];
    throw e;
  }
  const kind = LAYER_KINDS[block.kind],
    what = kind.ode!.scheme;
  const chart = net.layerSpaces[block.first - 1];
  const steps: Step[] = [];
  // the block itself is the depth-L₀ member of the family: checked at random inputs to the block
  const sampler = samplerFor(chart, [], fixed);
  const L0 = block.W.length;
  const startsNetwork = block.first === 1;
  steps.push({
    id: id("ode"),
    title: `Layers ${block.first}–${block.last} of ${net.name} discretise an ODE`,
    justification: "Euler step",
    // the weight function is read off the layers' own weights, so rebuilding the depth-L₀ network gives them back
    identity: "the weight function interpolates the layers' own weights",
    why: fromTex(
      `The ${L0} ${kind.labels.title} layers are the ${what} scheme with steps $h_l$ for the ODE below, the weights read ` +
        `as a function of time ($t_l = h_1 + \\dots + h_l$, ` +
        `${interp === "constant" ? "piecewise constant" : "linearly interpolated"}). Rebuilding a network of depth ` +
        `${L0} from that weight function gives back the block ` +
        `exactly.${kind.reads > 1 && !startsNetwork ? " (The block is compared as a flow started at rest from its input.)" : ""}`,
    ),
    // the ODE and how W(t) is read from the layers: two statements, set on two lines where one is too narrow
    statement: statements(
      ...odeTex(block, interp)
        .split(", \\qquad ")
        .map((tex, i) => fixedOf({ tex, text: i ? "W(t)" : "the ODE" })),
    ),
    witness:
      kind.reads > 1 && !startsNetwork
        ? null
        : witness(
            (env) => Array.from(discreteFlow(block, interp, pointOf(chart, env), L0).x),
            (env) => forwardNetwork(net, pointOf(chart, env), env, block.first - 1)[L0].x,
            sampler,
            opts,
            id("ode"),
            via("forward pass", "the network's own layers"),
          ),
  });
  const point = chart.coords.map((_, i) => (i % 2 ? -0.7 : 0.3));
  let c: Convergence;
  try {
    c = convergence(block, interp, point, depths);
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e;
    steps.push({
      id: id("flow"),
      title: "Convergence to the flow",
      justification: "lemma",
      why: prose(e.message),
      witness: notIntegrated("the flow", e.message),
    });
    return steps;
  }
  const expected = c.expectedOrder;
  // the one order tolerance `rgnn flow` applies: a shortfall beyond ORDER_TOLERANCE fails, a higher order does not
  const shortfall = Math.max(0, expected - c.stateOrder, expected - c.metricOrder);
  const w: WitnessResult = {
    points: c.rows.length,
    tolerance: ORDER_TOLERANCE,
    maxError: shortfall,
    passed: orderMismatches(c).length === 0,
    against: `the fitted order against the expected ${expected}`,
    route: "integrator",
    domain: {
      kind: "point",
      at: Object.fromEntries(chart.coords.map((k, i) => [k, point[i]])),
      instances: `depths N = ${depths.join(", ")}`,
    },
  };
  if (!w.passed)
    w.failure = {
      point: Object.fromEntries(chart.coords.map((k, i) => [k, point[i]])),
      component: "order",
      lhs: Math.min(c.stateOrder, c.metricOrder),
      rhs: expected,
      reason: `fitted orders ${c.stateOrder.toFixed(3)} (state) and ${c.metricOrder.toFixed(3)} (metric), expected ${expected}`,
    };
  steps.push({
    id: id("flow"),
    title: `Depth-N networks converge to the flow with order ${expected}`,
    justification: "lemma",
    why: fromTex(
      `With $h = T/N$, the depth-$N$ network built from the same weight function is compared at $x(0) = ` +
        `(${point.join(", ")})$ with the flow at $T$ (Dormand–Prince, tolerance $10^{-12}$), and its pulled-back metric ` +
        `$g_N = J_N^{\\mathsf{T}} J_N$ with $g = J(T)^{\\mathsf{T}} J(T)$ from the variational equation $\\dot J = D ` +
        `f(x(t), t)\\, J$, $J(0) = I$. Fitted orders: ${c.stateOrder.toFixed(3)} (state), ${c.metricOrder.toFixed(3)} (metric).`,
    ),
    statement: fixedOf({ tex: convergenceTex(c), text: "convergence table" }),
    witness: w,
  });
  return steps;
}
