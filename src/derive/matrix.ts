// The derivation of a metric pulled back along a wide network, at the matrix level: its steps are the
// closed form of symbolic/matrix-form.ts (z_l = W_l x_{l−1} + b_l, J_l = diag(σ′(z_l)) W_l, g_{l−1} = J_lᵀ g_l J_l,
// the weights as named matrices), and its witnesses evaluate the matrix engine at random points against routes
// that share none of its derivative code: finite differences of values, and forward mode (numeric/forward.ts).
// Chosen by form.ts where the output format cannot hold the components (or their DAG would pass SYMBOLIC_LIMIT).
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { LAYER_KINDS } from "../core/layers/index.js";
import { rng } from "../core/random.js";
import {
  fixed as formula,
  fromTex,
  ident,
  list,
  type MathNode,
  num as n_,
  prose,
  seq,
  statements,
  sym,
  userText,
} from "../core/notation.js";
import { quantity, quantityOfPhrase, restriction } from "../core/quantities.js";
import type { Layer, Manifold, Metric, Network, Request } from "../semantics/model.js";
import { writtenParams } from "../semantics/networks.js";
import { type Expr, num } from "../symbolic/expr.js";
import { fromMath } from "../symbolic/mathjs.js";
import { componentName } from "../numeric/geometry.js";
import { latexSymbol } from "../symbolic/notation.js";
import { geometryStep } from "./geometry.js";
import { metricAt, jacobianAt } from "../numeric/engine/geometry.js";
import { prepareNetwork, propagate } from "../numeric/engine/network.js";
import { enginePullback, pointQuantity } from "../numeric/route.js";
import { symmetricEigen } from "../numeric/linalg.js";
import { layerJacobian } from "../numeric/forward.js";
import { type MatrixDefinition, type MatrixParameter, metricMatrixForm } from "../symbolic/matrix-form.js";
import { label, matrixSide, type Section, type Step, vectorSide, type WitnessOptions, type WitnessResult } from "./model.js";
import { chartStep, FOLD_MIN, kindTitle, layerRuns, type Run, runSteps } from "./network.js";
import { fdGeometry, fdJacobian, oracleMetric, pointOf, selfCheckedRoute } from "./routes.js";
import { entryName, type Route, type Sampler, samplerFor, stepSeed, via, witness } from "./witness.js";

/** The finite-difference routes' own accuracy (extrapolated 5-point stencils: truncation ~ε⁶, round-off ~1e-12). */
const FD_TOLERANCE = 1e-7;
/**
 * The 5-point stencil at ε = 1e-3 and ε/2, Richardson-extrapolated: (16 D(ε/2) − D(ε)) / 15 cancels the ε⁴ term, so
 * wide layers with large weights (derivatives growing like |W|⁵) stay well inside FD_TOLERANCE.
 */
function richardson(f: (x: number[]) => number[], x: number[]): number[][] {
  const a = fdJacobian(f, x, 1e-3),
    b = fdJacobian(f, x, 5e-4);
  return a.map((row, i) => row.map((v, j) => (16 * b[i][j] - v) / 15));
}

/** Random directions v per layer along which J_l v is compared: a full J_l by differences costs 4·width passes. */
const DIRECTIONS = 2;
/** Points for the witnesses whose routes cost a width-sized Jacobian per point (layer Jacobians, forward mode). */
const COSTLY_POINTS = 3;

/**
 * Points for a network's witnesses: the chart's coordinates, and the symbols of symbolic weights (an identity must
 * hold for all of them), as the scalar derivation samples them.
 */
export function networkSampler(net: Network, chart: Manifold, fixed: ReadonlyMap<string, number>): Sampler {
  return samplerFor(chart, symbolicWeights(net), fixed);
}

/** The entries of a network's symbolic weights (none when they are numbers). */
export const symbolicWeights = (net: Network): Expr[] =>
  net.layers.flatMap((l) => [l.W, l.b, l.h, l.eps].flatMap((p) => (p && !p.values ? p.entries.map(fromMath) : [])));

/** A matrix definition's name as LaTeX: W1 → W_{1}; the metric's own name stays user text. */
const nameTex = (name: string) => name.replace(/^([A-Za-z]+)(\d+)$/, "$1_{$2}");
const defMath = (d: MatrixDefinition): MathNode => seq(formula(nameTex(d.name), d.name), formula("=", "="), formula(d.latex, d.expr));

/** How far back a generic layer's formulas may reach: x_{l−1} … x_{l−GENERIC_REACH} (order-K layers read K states). */
const GENERIC_REACH = 9;
/** Layer a's formulas written for a generic layer l (a run a…b folds them): index a − k → l − k for k ≤ GENERIC_REACH. */
function generic(d: MatrixDefinition, a: number): MathNode {
  const idx = (k: number) => (k === a ? "l" : k < a && a - k <= GENERIC_REACH ? `l-${a - k}` : String(k));
  const tex = (s: string) => s.replace(/_\{(\d+)\}/g, (_, k) => `_{${idx(Number(k))}}`);
  const text = (s: string) =>
    s.replace(/\b([xzWKbJgPh])(\d+)\b/g, (_, c, k) => (idx(Number(k)) === "l" ? `${c}_l` : `${c}_{${idx(Number(k))}}`));
  return seq(formula(tex(nameTex(d.name)), text(d.name)), formula("=", "="), formula(tex(d.latex), text(d.expr)));
}

const shapeTex = (s: number[]) => s.join(" \\times ");
/** A plain phrase as TeX text, its × and → as math ("3×3 kernel, 4→1 channels"), which \text cannot set in pdflatex. */
const textTex = (s: string) => `\\text{${s.replace(/×/g, "}\\times\\text{").replace(/→/g, "}\\to\\text{")}}`;
const paramMath = (p: MatrixParameter): MathNode =>
  p.shape.length === 0
    ? formula(`${nameTex(p.name)} = ${p.value ?? "?"}`, `${p.name} = ${p.value ?? "?"}`)
    : p.operator
      ? formula(
          `${nameTex(p.name)} \\in \\mathbb{R}^{${shapeTex(p.shape)}}\\ (${textTex(p.operator)})`,
          `${p.name} in R^${p.shape.join("x")} (${p.operator})`,
        )
      : formula(`${nameTex(p.name)} \\in \\mathbb{R}^{${shapeTex(p.shape)}}`, `${p.name} in R^${p.shape.join("x")}`);

/** What every step of one metric's matrix-level derivation reads. */
interface MatrixContext {
  metric: Metric;
  net: Network;
  from: number;
  L: number;
  chart: Manifold;
  sampler: Sampler;
  opts: WitnessOptions;
  id: (s: string) => string;
  /** Layer l's definitions in the matrix form (z_l, x_l, J_l, …). */
  defsOf: (l: number) => MatrixDefinition[];
  /** Layer l's named parameters (W_l, b_l, its step size). */
  paramsOf: (l: number) => MatrixParameter[];
  /** The total Jacobian's definitions (layers that read two states) and the metrics', output first. */
  metricDefs: MatrixDefinition[];
  /** No total Jacobian: the recursion goes one layer Jacobian at a time. */
  firstOrder: boolean;
  /** The network with the point's parameters, for the engine. */
  prepared: (env: ReadonlyMap<string, number>) => ReturnType<typeof prepareNetwork>;
  /** x_k (k ≥ from) at the point of `env`, by the engine's value pass. */
  stateAt: (env: ReadonlyMap<string, number>, k: number) => Float64Array;
}

export function matrixNetworkSteps(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const c = matrixContext(metric, fixed, opts);
  return [
    chartStep(
      c.id("chart"),
      c.net,
      c.chart,
      c.from,
      seq(sym("x", { sub: n_(c.from) }), formula("=", "="), list(c.chart.coords.map(ident), true)),
    ),
    parametersStep(c),
    ...matrixLayerSteps(c),
    matrixOutputStep(c),
    recursionStep(c),
    matrixClosedFormStep(c),
  ];
}

function matrixContext(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): MatrixContext {
  const e = enginePullback(metric)!;
  const net: Network = e.net,
    from = e.from;
  const form = metricMatrixForm(metric);
  const chart = net.layerSpaces[from];
  const sampler = networkSampler(net, chart, fixed);
  const prepared = (env: ReadonlyMap<string, number>) => prepareNetwork(net, env);
  const byGroup = new Map<string, MatrixDefinition[]>();
  for (const d of form.definitions) byGroup.set(d.group, [...(byGroup.get(d.group) ?? []), d]);
  const groupOf = (l: number) => [...byGroup.keys()].find((g) => g.startsWith(`layer ${l} (`))!;
  return {
    metric,
    net,
    from,
    L: net.layers.length,
    chart,
    sampler,
    opts,
    id: (s: string) => `${metric.name}:${s}`,
    defsOf: (l) => byGroup.get(groupOf(l))!,
    paramsOf: (l) =>
      form.parameters.filter((p) => [`W${l}`, `K${l}`, `b${l}`, `h${l}`].includes(p.name) || (p.name === "h" && net.layers[l - 1].h)),
    metricDefs: [...(byGroup.get("total Jacobian") ?? []), ...(byGroup.get("metric") ?? [])],
    firstOrder: !byGroup.has("total Jacobian"),
    prepared,
    stateAt: (env, k) => {
      const x = pointOf(chart, env);
      return k === from ? Float64Array.from(x) : propagate(prepared(env), x, 0, { from, to: k }).out.slice();
    },
  };
}

/**
 * Numbers up to which a network's parameter values are printed in an appendix (four significant digits): a 2→8→8→2
 * MLP has 114; the 2→32→32→2 MLP's 1218 would be pages of numbers, so the text says where they are instead.
 */
export const PARAMETER_TABLE_LIMIT = 300;

/** The numeric parameters a matrix-level derivation names, and how many numbers they hold. */
function numericParameters(net: Network, from: number) {
  const params = net.layers.slice(from).flatMap((l) =>
    writtenParams(l)
      .filter((p) => p.values)
      .map((p) => ({ layer: l, p })),
  );
  return { params, count: params.reduce((s, { p }) => s + p.values!.length, 0) };
}

/** The parameters by name and shape, and where their values are: the appendix when few, else the weights file. */
function parametersStep(c: MatrixContext): Step {
  // per layer its own parameters' shapes (W_l, b_l, h_l); a step size shared by all layers is listed once, at the end
  const shared = new Map<string, MatrixParameter>();
  const perLayer = c.net.layers.slice(c.from).map((layer) => {
    const own = c.paramsOf(layer.index).filter((p) => {
      if (/\d$/.test(p.name)) return true;
      shared.set(p.name, p);
      return false;
    });
    return { l: layer.index, own, shape: JSON.stringify(own.map((p) => [p.name.replace(/\d+$/, ""), p.shape])) };
  });
  // a run of at least FOLD_MIN layers with parameters of the same shapes is written once for a generic layer l
  const lines: MathNode[] = [];
  for (let i = 0; i < perLayer.length; ) {
    let j = i + 1;
    while (j < perLayer.length && perLayer[j].shape === perLayer[i].shape) j++;
    const run = perLayer.slice(i, j);
    if (run.length >= FOLD_MIN && run[0].own.length) {
      const generic = (p: MatrixParameter): MathNode =>
        formula(
          `${p.name.replace(/\d+$/, "")}_l \\in \\mathbb{R}^{${p.shape.length ? shapeTex(p.shape) : "1"}}`,
          `${p.name.replace(/\d+$/, "")}_l in R^${p.shape.join("x") || "1"}`,
        );
      lines.push(
        seq(
          list(run[0].own.map(generic)),
          formula(`\\quad (l = ${run[0].l}, \\dots, ${run[run.length - 1].l})`, ` (l = ${run[0].l} … ${run[run.length - 1].l})`),
        ),
      );
    } else lines.push(...run.flatMap((r) => r.own.map(paramMath)));
    i = j;
  }
  lines.push(...[...shared.values()].map(paramMath));
  const { count } = numericParameters(c.net, c.from);
  const where =
    count === 0
      ? prose(" Their entries are the spec's symbols, kept as symbols.")
      : count <= PARAMETER_TABLE_LIMIT
        ? prose(` Their ${count} values are listed in the appendix.`)
        : c.net.weightsFile
          ? prose(` Their ${count} values are not printed: they are read from `, userText(c.net.weightsFile), ".")
          : prose(` Their ${count} values are not printed: they are given in the spec.`);
  return {
    id: c.id("parameters"),
    title: "Parameters",
    justification: "definition",
    why: [...prose(`The network ${c.net.name} is written with its weights as named matrices, never expanded entry by entry.`), ...where],
    statement: statements(...lines),
    witness: null,
  };
}

/** Four significant digits: an appendix table, not the values the checks use. */
const rounded = (v: number) => num(Number(v.toPrecision(4)));

/** The appendix of a matrix-level derivation: the parameter values when few (PARAMETER_TABLE_LIMIT), else none. */
export function parameterAppendix(metric: Metric): Section | null {
  const e = enginePullback(metric);
  if (!e) return null;
  const { params, count } = numericParameters(e.net, e.from);
  if (count === 0 || count > PARAMETER_TABLE_LIMIT) return null;
  const rows = params.map(({ layer, p }) => {
    const v = p.values!,
      name =
        p === layer.W
          ? `W_{${layer.index}}`
          : p === layer.shaped?.K
            ? `K_{${layer.index}}`
            : p === layer.b || p === layer.shaped?.bias
              ? `b_{${layer.index}}`
              : "h";
    const lhs = label(formula(name, name.replace(/[_{}]/g, "")));
    if (p.shape.length >= 2) {
      // a matrix by its rows; a kernel [out, in, kH, kW] as its out·in·kH rows of kW entries
      const cols = p.shape[p.shape.length - 1];
      return {
        lhs,
        rhs: matrixSide(Array.from({ length: v.length / cols }, (_, i) => Array.from(v.subarray(i * cols, (i + 1) * cols), rounded))),
      };
    }
    return { lhs, rhs: p.shape.length === 1 ? vectorSide(Array.from(v, rounded)) : label(n_(Number(v[0].toPrecision(4)))) };
  });
  const unique = rows.filter((r, i) => rows.findIndex((q) => JSON.stringify(q.lhs) === JSON.stringify(r.lhs)) === i);
  return {
    title: `Appendix: the parameters of ${e.net.name}`,
    intro: prose("The values of the named matrices, to four significant digits (the checks use the full values)."),
    steps: [
      {
        id: `${metric.name}:parameter-values`,
        title: "Parameter values",
        justification: "definition",
        why: prose(
          `${count} numbers${e.net.weightsFile ? ", read from " : ""}`,
          ...(e.net.weightsFile ? [userText(e.net.weightsFile)] : []),
          ".",
        ),
        equation: { rows: unique },
        witness: null,
      },
    ],
  };
}

/** The witnesses whose routes cost a width-sized Jacobian per point take fewer points. */
const costlyOptions = (o: WitnessOptions): WitnessOptions => ({ ...o, points: Math.min(o.points, COSTLY_POINTS) });
/** A finite-difference route is judged at its own accuracy. */
const fdOptions = (o: WitnessOptions): WitnessOptions => ({ ...o, tolerance: Math.max(o.tolerance, FD_TOLERANCE) });

/** The layers' steps (map, Jacobian), a run of repeated layers folded into one step of each. */
function matrixLayerSteps(c: MatrixContext): Step[] {
  const perLayer = new Map(
    c.net.layers.slice(c.from).map((layer) => [layer.index, [matrixLayerStep(c, layer), matrixJacobianStep(c, layer)]]),
  );
  return runSteps(layerRuns(c.net, c.from), perLayer, (r) => foldedMatrixHeads(c, r));
}

/** Layer l's definitions with its weights as named matrices (J_l is the next step). */
function matrixLayerStep(c: MatrixContext, layer: Layer): Step {
  const l = layer.index,
    defs = c.defsOf(l);
  const params = c.paramsOf(l);
  return {
    id: c.id(`layer${l}`),
    title: `Layer ${l} (${kindTitle(layer)})`,
    justification: "definition",
    why: prose(
      `Layer ${l} maps ${layer.inWidth} coordinates to ${layer.outWidth}`,
      ...(params.length ? [", with ", ...params.flatMap((p, i) => [...(i ? [", "] : []), paramMath(p)])] : []),
      " (the weights are named matrices, not expanded).",
    ),
    statement: statements(...defs.filter((d) => d.name !== `J${l}`).map(defMath)),
    witness: null,
  };
}

/** J_l in matrix form, witnessed by J_l v against differences along a few directions v. */
function matrixJacobianStep(c: MatrixContext, layer: Layer): Step {
  const l = layer.index;
  const kind = LAYER_KINDS[layer.kind];
  return {
    id: c.id(`jacobian${l}`),
    title: `Jacobian of layer ${l}`,
    justification: "chain rule",
    why: !kind.recurrence
      ? prose(`The derivative of the ${kind.labels.text} map, in matrix form.`)
      : (REGISTRY[layer.activation] as FunctionDef).identity
        ? prose("The layer is affine, so its Jacobian is constant.")
        : prose(
            "The chain rule through the activation, applied entrywise: its derivative is a diagonal matrix, so ",
            formula(`J_{${l}}`, `J${l}`),
            " is never formed entry by entry.",
          ),
    uses: [c.id(`layer${l}`)],
    statement: defMath(c.defsOf(l).find((d) => d.name === `J${l}`)!),
    witness: layerJacobianWitness(c, l),
    // a layer that also reads x_{l−2} is no map of x_{l−1} alone: its J_l is checked through the recursion's P_l
    ...(kind.reads > 1 ? { role: "definition" as const } : {}),
  };
}

const layerFdText =
  `finite differences of the layer map's values along ${DIRECTIONS} random unit directions v, i.e. the products Jv ` +
  "(5-point stencils at eps = 1e-3 and 5e-4, Richardson-extrapolated)";
/** J_l v against the 5-point difference quotient of the layer map along v, for a few seeded directions v. */
function layerJacobianWitness(c: MatrixContext, l: number): WitnessResult | null {
  const layer = c.net.layers[l - 1];
  // a layer that reads x_{l−2} is not a map of x_{l−1} alone: the recursion's and closed form's witnesses cover it
  if (LAYER_KINDS[layer.kind].reads > 1) return null;
  const sid = c.id(`jacobian${l}`);
  const r = rng(stepSeed(c.opts.seed, `${sid}/directions`));
  const m = layer.inWidth,
    n = layer.outWidth;
  const vs = Array.from({ length: DIRECTIONS }, () => {
    const v = Array.from({ length: m }, () => 2 * r() - 1);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const engine: Route = (env) => {
    const { J } = jacobianAt(c.prepared(env), c.stateAt(env, l - 1), { from: l - 1, to: l });
    return vs.flatMap((v) => Array.from({ length: n }, (_, i) => v.reduce((s, vj, j) => s + J[i * m + j] * vj, 0)));
  };
  const differences: Route = (env) => {
    const p = c.prepared(env),
      x = c.stateAt(env, l - 1);
    return vs.flatMap((v) => {
      const along = (t: number[]) =>
        Array.from(
          propagate(
            p,
            x.map((xi, j) => xi + t[0] * v[j]),
            0,
            { from: l - 1, to: l },
          ).out,
        );
      // the layer map along the line x + t v: its derivative at t = 0 is J_l v
      return richardson(along, [0]).map((row) => row[0]);
    });
  };
  // a piecewise kind (max pooling): a difference along v straddles the kink wherever two entries of a window tie, and
  // upsampling before it makes some tie at every point; its forward-mode map (the kind's generic map on dual numbers,
  // no code shared with the engine's step) picks the same branch
  if (LAYER_KINDS[layer.kind].kink) {
    const forward: Route = (env) => {
      const J = layerJacobian(layer, Array.from(c.stateAt(env, l - 1)), [], env);
      return vs.flatMap((v) => J.map((row) => row.reduce((s, a, j) => s + a * v[j], 0)));
    };
    const text = `forward-mode derivatives of the layer map (its generic map on dual numbers) along ${DIRECTIONS} random directions v`;
    return witness(engine, forward, c.sampler, costlyOptions(c.opts), sid, via("forward mode", text), (k) => {
      return `(J v${Math.floor(k / n) + 1})[${(k % n) + 1}]`;
    });
  }
  return witness(engine, differences, c.sampler, fdOptions(costlyOptions(c.opts)), sid, via("finite differences", layerFdText), (k) => {
    return `(J v${Math.floor(k / n) + 1})[${(k % n) + 1}]`;
  });
}

/** The folded steps of a run a…b: its layers' definitions and their Jacobians, written for a generic layer l. */
function foldedMatrixHeads(c: MatrixContext, r: Run): Omit<Step, "witness">[] {
  const layer = c.net.layers[r.a - 1],
    defs = c.defsOf(r.a),
    J = defs.find((d) => d.name === `J${r.a}`)!;
  const every = prose(` This holds for every layer l = ${r.a} … ${r.b} of the repeat block, each with its own weights.`);
  return [
    {
      id: c.id(`layers${r.a}-${r.b}`),
      title: `Layers ${r.a}–${r.b} (${kindTitle(layer)})`,
      justification: "definition",
      why: [...prose(`Each maps ${layer.inWidth} coordinates to ${layer.outWidth}.`), ...every],
      statement: statements(...defs.filter((d) => d !== J).map((d) => generic(d, r.a))),
    },
    {
      id: c.id(`jacobians${r.a}-${r.b}`),
      title: `Jacobians of layers ${r.a}–${r.b}`,
      justification: "chain rule",
      why: [...prose("The chain rule through the activation, applied entrywise."), ...every],
      uses: [c.id(`layers${r.a}-${r.b}`)],
      statement: generic(J, r.a),
      ...(LAYER_KINDS[layer.kind].reads > 1 ? { role: "definition" as const } : {}),
    },
  ];
}

/** g_L's definition: the last metric definition named for layer L (the metric itself when there is none). */
const outputDef = (c: MatrixContext) => c.metricDefs.find((d) => d.name === `g${c.L}`) ?? c.metricDefs[c.metricDefs.length - 1];
/** The engine's g at the point of `env`. */
const engineMetric =
  (c: MatrixContext): Route =>
  (env) =>
    Array.from(metricAt(c.prepared(env), pointOf(c.chart, env), { from: c.from }));

/** g_L, the Euclidean metric on the output. */
function matrixOutputStep(c: MatrixContext): Step {
  return {
    id: c.id("output-metric"),
    title: `The metric on layer ${c.L}`,
    justification: "definition",
    why: prose("The Euclidean metric on the output: the identity matrix."),
    statement: defMath(outputDef(c)),
    witness: null,
  };
}

/** g_{l−1} = J_lᵀ g_l J_l down to layer `from` (or through the total Jacobian P), the engine's g against forward mode. */
function recursionStep(c: MatrixContext): Step {
  const { L, from } = c;
  const output = outputDef(c);
  const recursion = c.metricDefs.filter((d) => d !== output);
  const recursionRows =
    c.firstOrder && recursion.length >= 3
      ? [
          seq(
            formula("g_{l-1} = J_l^{\\mathsf{T}} \\, g_l \\, J_l", "g_{l-1} = J_l^T*g_l*J_l"),
            formula(`\\quad (l = ${L}, \\dots, ${from + 1})`, ` (l = ${L} … ${from + 1})`),
          ),
          seq(ident(c.metric.name), formula(`= g_{${from}}`, `= g${from}`)),
        ]
      : foldedRows(recursion);
  return {
    id: c.id("recursion"),
    title: "Pullback recursion",
    justification: "pullback recursion",
    why: prose(
      "Pull the metric back one layer at a time, from the output down to layer ",
      String(from),
      c.firstOrder ? "." : "; where layers also read earlier states, the total Jacobian P is accumulated forwards instead.",
      " The matrix engine evaluates this recursion as products of layer Jacobians; compared here with forward-mode " +
        "dual numbers through the network, a separate implementation.",
    ),
    uses: [c.id("output-metric")],
    statement: statements(...recursionRows),
    witness: witness(
      engineMetric(c),
      oracleMetric(c.metric),
      c.sampler,
      costlyOptions(c.opts),
      c.id("recursion"),
      via("forward mode", "forward-mode derivatives"),
      entryName(c.chart.dim),
    ),
  };
}

/** The layer a definition P_l belongs to, or null for others. */
const totalJacobianLayer = (d: MatrixDefinition) => {
  const m = /^P(\d+)$/.exec(d.name);
  return m ? Number(m[1]) : null;
};

/**
 * The total Jacobian's rows P_l = J_l P_{l−1} + Σ c_k P_{l−1−k}, a run of at least FOLD_MIN consecutive layers that read
 * alike written once for a generic l; the start layers (which read fewer states) and other rows as they are.
 */
function foldedRows(defs: MatrixDefinition[]): MathNode[] {
  const key = (d: MatrixDefinition) => JSON.stringify(generic(d, totalJacobianLayer(d)!));
  const rows: MathNode[] = [];
  for (let i = 0; i < defs.length; ) {
    const a = totalJacobianLayer(defs[i]);
    let j = i + 1;
    if (a !== null) while (j < defs.length && totalJacobianLayer(defs[j]) === a + (j - i) && key(defs[j]) === key(defs[i])) j++;
    if (a !== null && j - i >= FOLD_MIN)
      rows.push(seq(generic(defs[i], a), formula(`\\quad (l = ${a}, \\dots, ${a + j - i - 1})`, ` (l = ${a} … ${a + j - i - 1})`)));
    else rows.push(...defs.slice(i, j).map(defMath));
    i = j;
  }
  return rows;
}

/** g = Jᵀ g_L J unrolled, the engine's g against JᵀJ with J by differences of its value pass (no derivative code). */
function matrixClosedFormStep(c: MatrixContext): Step {
  const { L, from } = c,
    n0 = c.chart.dim;
  const factors = (t: boolean) =>
    Array.from({ length: L - from }, (_, k) => from + 1 + k)
      .filter((l, k, all) => all.length <= 4 || k < 2 || l === L)
      .map((l) => `J_{${l}}${t ? "^{\\mathsf{T}}" : ""}`);
  const elided = L - from > 4;
  const prod = (t: boolean) => {
    const fs = factors(t);
    const tex = elided ? [...fs.slice(0, 2), "\\cdots", fs[2]] : fs;
    return t ? tex : [...tex].reverse();
  };
  // JᵀJ (the output metric is the identity) with J by differences of the engine's value pass: no derivative code
  const fdMetric: Route = (env) => {
    const p = c.prepared(env);
    const J = richardson((x) => Array.from(propagate(p, x, 0, { from }).out), pointOf(c.chart, env));
    return Array.from({ length: n0 * n0 }, (_, k) => J.reduce((s, row) => s + row[Math.floor(k / n0)] * row[k % n0], 0));
  };
  const closedTex = c.firstOrder
    ? `${prod(true).join(" \\, ")} \\, g_{${L}} \\, ${prod(false).join(" \\, ")}`
    : `P_{${L}}^{\\mathsf{T}} \\, g_{${L}} \\, P_{${L}}`;
  const closedText = c.firstOrder ? `J${from + 1}^T*…*J${L}^T*g${L}*J${L}*…*J${from + 1}` : `P${L}^T*g${L}*P${L}`;
  return {
    id: c.id("closed-form"),
    title: "Unrolled closed form",
    justification: "chain rule",
    why: prose(
      "Unrolling the recursion: the metric is ",
      formula("J^{\\mathsf{T}} g_L J", "J^T*g_L*J"),
      " with J the whole network's Jacobian. The engine's value is checked against finite differences of the network's values " +
        "(Richardson-extrapolated 5-point stencils), which use no derivative code at all.",
    ),
    uses: [c.id("recursion")],
    statement: seq(ident(c.metric.name), formula("=", "="), formula(closedTex, closedText)),
    witness: witness(
      engineMetric(c),
      fdMetric,
      c.sampler,
      fdOptions(c.opts),
      c.id("closed-form"),
      via(
        "finite differences",
        "finite differences of the whole forward pass (5-point stencils at eps = 1e-3 and 5e-4, Richardson-extrapolated)",
      ),
      entryName(n0),
    ),
  };
}

/** A pullback of the Euclidean metric is positive semi-definite: the engine's g at every sampled point. */
export function matrixPropertySteps(metric: Metric, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const e = enginePullback(metric)!;
  const chart = metric.manifold,
    n = chart.dim,
    sid = `${metric.name}:psd`;
  const sampler = networkSampler(e.net, chart, fixed);
  let failure: WitnessResult["failure"];
  // the predicate as a one-sided witness: 0 where it holds, 1 (with the reason kept) where it does not
  const holds: Route = (env) => {
    const g = metricAt(prepareNetwork(e.net, env), pointOf(chart, env), { from: e.from });
    if (!g.every(Number.isFinite)) return [NaN];
    const { values } = symmetricEigen(Array.from({ length: n }, (_, i) => Array.from(g.subarray(i * n, (i + 1) * n))));
    const bad = !(values[0] >= -1e-12 * Math.max(1, ...values.map(Math.abs)));
    if (bad && !failure)
      failure = {
        point: Object.fromEntries(chart.coords.map((c) => [c, env.get(c)!])),
        component: "",
        lhs: NaN,
        rhs: NaN,
        reason: "a negative eigenvalue",
      };
    return [bad ? 1 : 0];
  };
  const w = witness(
    holds,
    () => [0],
    sampler,
    { ...opts, tolerance: 0 },
    sid,
    via("eigenvalues", "eigenvalues of the engine's metric at sampled points"),
  );
  return [
    {
      id: sid,
      title: `${metric.name} is positive semi-definite`,
      justification: "property",
      why: prose(
        "A pullback ",
        formula("J^{\\mathsf{T}} J", "J^T*J"),
        " of the Euclidean metric has ",
        formula("v^{\\mathsf{T}} J^{\\mathsf{T}} J v = \\lVert J v \\rVert^2 \\ge 0", "v^T*J^T*J*v = |J*v|^2 >= 0"),
        ".",
      ),
      statement: seq(ident(metric.name), formula("\\succeq 0", "⪰ 0")),
      witness: failure ? { ...w, passed: false, failure, tolerance: opts.tolerance } : { ...w, tolerance: opts.tolerance },
    },
  ];
}

/** The derivative order a metric's requested quantities need (what the size estimate is taken at). */
export function requestedDerivatives(
  metric: Metric,
  requests: readonly { kind: string; quantity?: string; subject?: unknown }[],
): 0 | 1 | 2 {
  let derivatives: 0 | 1 | 2 = 0;
  for (const r of requests) {
    const s = r.subject as { kind?: string; metric?: Metric } | undefined;
    if (r.kind !== "show" || s?.kind !== "metric" || s.metric !== metric || !r.quantity) continue;
    const q = r.quantity === "geodesic" ? "christoffel" : quantityOfPhrase(r.quantity as Parameters<typeof quantityOfPhrase>[0]);
    if (q) derivatives = Math.max(derivatives, quantity(q).derivatives) as 0 | 1 | 2;
  }
  return derivatives;
}

/**
 * A quantity a spec asks to see of a wide metric: no components to print, so the step states what is evaluated and
 * witnesses the engine's value (from the network's second and third derivatives) against finite differences of the
 * metric's forward-mode values. Geodesics are solved as for any metric (geometry.ts, on the engine's backend).
 */
export function matrixGeometryStep(
  metric: Metric,
  req: Extract<Request, { kind: "show" }>,
  index: number,
  fixed: ReadonlyMap<string, number>,
  opts: WitnessOptions,
): Step | null {
  const e = enginePullback(metric)!;
  const chart = metric.manifold,
    n = chart.dim;
  const gAt = (env: ReadonlyMap<string, number>) => {
    const p = prepareNetwork(e.net, env);
    return (x: number[]) => {
      const g = metricAt(p, x, { from: e.from });
      return Array.from({ length: n }, (_, i) => Array.from(g.subarray(i * n, (i + 1) * n)));
    };
  };
  // the geodesic's speed along the path measured by the engine's g (forward mode costs a pass of duals per sample)
  if (req.quantity === "geodesic") return geometryStep(metric, req, index, fixed, opts, gAt(fixed));
  const q = quantityOfPhrase(req.quantity);
  if (!q) return null;
  const entry = quantity(q);
  const sid = `${metric.name}:${q}${index}`;
  const base: Step = {
    id: sid,
    title: `${entry.title} of ${metric.name}`,
    justification: "definition",
    role: "witnessed",
    span: req.span,
    why: fromTex(
      `${entry.why} Its components come from the matrix engine: the network's derivatives up to order ${entry.derivatives + 1} ` +
        "pushed through the layers, then contracted as for any metric; the check differences the metric's values instead.",
    ),
    witness: null,
  };
  const why = restriction(q, n, chart.name);
  if (why) return { ...base, why: [...base.why, ...prose(` Not evaluated: ${why}.`)] };
  const tolerance = Math.max(opts.tolerance, entry.derivatives === 2 ? 1e-5 : entry.derivatives === 1 ? 1e-7 : 0);
  const engine: Route = (env) => pointQuantity(metric, q, env).at(pointOf(chart, env));
  // derivatives: the engine's g (witnessed above) differenced, so no second or third derivative of the network enters;
  // det, volume, inverse: linear algebra on forward-mode values
  const oracleAt =
    (stepScale: number): Route =>
    (env) =>
      entry.oracle(
        entry.derivatives ? fdGeometry(metric, env, stepScale, gAt(env)) : fdGeometry(metric, env, stepScale),
        pointOf(chart, env),
      );
  const oracle = entry.derivatives ? selfCheckedRoute(oracleAt, tolerance / 10) : oracleAt(1);
  const w = witness(
    engine,
    oracle,
    networkSampler(e.net, chart, fixed),
    { ...opts, points: Math.min(opts.points, COSTLY_POINTS), tolerance },
    sid,
    entry.derivatives
      ? via(
          "finite differences",
          `finite differences of the engine's metric values (${entry.derivatives === 2 ? "second" : "first"} derivatives)`,
        )
      : via("forward mode", "numeric linear algebra on the metric's forward-mode values"),
    (k) => componentName(entry.shape(n), k),
  );
  return { ...base, statement: formula(entry.symbol.tex(chart.coords.map(latexSymbol)), entry.symbol.text(chart.coords)), witness: w };
}
