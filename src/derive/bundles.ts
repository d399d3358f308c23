// The network as a sequence of group actions: for each declared action, the laws it must obey
// (identity, composition in the right order, the metric as the composed action, invariance,
// group membership, and for residual layers the product of their Jacobians → the variational equation's J(T)), each
// witnessed.
import { LAYER_KINDS } from "../core/layers/index.js";
import type { Action, Bundle, Group, Layer, Manifold, Metric, Network } from "../semantics/model.js";
import {
  actTwice,
  FIBRE_ACTIONS,
  type FibreAction,
  identity,
  type Mat,
  matmul,
  notInGroup,
  pairing,
  randomFibre,
  transpose,
} from "../numeric/actions.js";
import { forwardFromState, forwardMetric, forwardNetwork } from "../numeric/forward.js";
import { blockOf, continuousFlow, discreteFlow, expectedOrder, fittedOrder, ORDER_TOLERANCE } from "../numeric/flow.js";
import type { Expr } from "../symbolic/expr.js";
import { mappingExprs } from "../symbolic/metric.js";
import { fixedOf, fixed as formula, fromTex, sym } from "../core/notation.js";
import { label, type Step, type WitnessOptions, type WitnessResult } from "./model.js";
import { pointOf } from "./routes.js";
import { exprRoute, type Route, type Sampler, samplerFor, type Via, via, witness } from "./witness.js";

const FIBRE_TEX = {
  frames: "e \\mapsto e\\,A",
  vectors: "v \\mapsto A\\,v",
  covectors: "\\omega \\mapsto A^{-\\mathsf{T}} \\omega",
  metrics: "g \\mapsto A^{\\mathsf{T}} g\\, A",
} as const;

/** Entries of random fibre elements are sampled like parameters: names the sampler fills in. */
const fibreSymbols = (n: number, tag: string) => Array.from({ length: n * n }, (_, i) => `__${tag}${i}`);
const fibreFrom = (env: ReadonlyMap<string, number>, names: string[], fibre: keyof typeof FIBRE_ACTIONS, n: number): Mat => {
  let k = 0;
  return randomFibre(fibre, n, () => (env.get(names[k++ % names.length])! + 1) / 2);
};

/** A witness written id and description first, the two routes last (they are long). */
function stepWitness(id: string, against: string | Via, sampler: Sampler, opts: WitnessOptions, lhs: Route, rhs: Route): WitnessResult {
  return witness(lhs, rhs, sampler, opts, id, typeof against === "string" ? via("both sides", against) : against);
}

/** Why the laws of an action hold whatever the Jacobians: they are laws of matrices, true of every element of GL(n). */
const GROUP_LAW = "a law of every group action, true of any invertible matrices";

/** What every step of one declared action's derivation reads. */
interface ActionContext {
  action: Action;
  bundle: Bundle;
  /** What the group acts on: the frames of a principal bundle or an associated bundle's fibre. */
  fibre: keyof typeof FIBRE_ACTIONS;
  fa: FibreAction;
  chart: Manifold;
  /** How many states each acting layer reads (its block Jacobian acts on R^{reads·d}). */
  reads: number;
  /** The dimension acted on: reads · d. */
  n: number;
  net: Network | null;
  /** The acting layers (for a map, [1]). */
  layers: number[];
  /** The k-th acting layer's (block) Jacobian at the point of `env`. */
  A: (env: ReadonlyMap<string, number>, k: number) => Mat;
  /** The sampled names of the random fibre elements' entries: a first and a second element. */
  fib: string[];
  fib2: string[];
  sampler: Sampler;
  opts: WitnessOptions;
  id: (s: string) => string;
  /** The acting layers or map, for titles. */
  who: string;
  groupTex: string;
}

export function actionSteps(action: Action, index: number, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const c = actionContext(action, index, fixed, opts);
  const { net, bundle } = c;
  const group = action.group ?? (bundle.kind === "principal" ? bundle.group : bundle.principal.group);
  return [
    definitionStep(c),
    identityStep(c),
    ...(c.layers.length > 1 ? [compositionStep(c)] : []),
    ...(net && c.fibre === "metrics" ? [composedMetricStep(c, net)] : []),
    c.fibre === "covectors" ? pairingStep(c) : lengthStep(c),
    membershipStep(c, group),
    ...(net && c.layers.some((l) => isStep(net.layers[l - 1])) ? [lieStep(c, net)] : []),
  ];
}

function actionContext(action: Action, index: number, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): ActionContext {
  const map = action.of;
  const bundle = action.on;
  const fibre = bundle.kind === "principal" ? "frames" : bundle.fibre;
  const chart = map.source;
  // a k-th order layer (reading k states) acts on the state (x_{l−1}, …, x_{l−k}) ∈ R^{k·d} by its block Jacobian
  const reads = map.kind === "network" ? LAYER_KINDS[(map as Network).layers[action.fromLayer - 1].kind].reads : 1,
    n = reads * chart.dim;
  const net = map.kind === "network" ? (map as Network) : null;
  const layers = net ? Array.from({ length: action.toLayer - action.fromLayer + 1 }, (_, i) => action.fromLayer + i) : [1];
  // Jacobians of the acting layers as closed forms in the input chart (the path under test)
  const jac: Expr[][][] = net ? layers.map((l) => mappingExprs(net).network!.layers[l - 1].J) : [mappingExprs(map).jacobian];
  const jacRoutes = jac.map((J) => exprRoute(J.flat(), chart.coords));
  const A = (env: ReadonlyMap<string, number>, k: number): Mat => {
    const f = jacRoutes[k](env);
    if (reads === 1) return Array.from({ length: n }, (_, i) => f.slice(i * n, (i + 1) * n));
    return stateJacobian(net!.layers[layers[k] - 1], f, chart.dim);
  };
  const fib = fibreSymbols(n, `f${index}`),
    fib2 = fibreSymbols(n, `v${index}`);
  const base = samplerFor(chart, jac.flat(2), fixed);
  return {
    action,
    bundle,
    fibre,
    fa: FIBRE_ACTIONS[fibre],
    chart,
    reads,
    n,
    net,
    layers,
    A,
    fib,
    fib2,
    sampler: { ...base, auxiliary: { names: [...fib, ...fib2], what: "random fibre elements" } },
    opts,
    id: (s: string) => `action${index + 1}:${s}`,
    who: net ? `layers ${action.fromLayer}–${action.toLayer} of ${map.name}` : map.name,
    groupTex: action.group ? `${action.group.name === "GLplus" ? "GL^{+}" : action.group.name}(${action.group.n})` : `GL(${n})`,
  };
}

const flat = (m: Mat) => m.flat();
/** The first random fibre element of the kind acted on at the point of `env`. */
const fibreAt = (c: ActionContext, env: ReadonlyMap<string, number>) => fibreFrom(env, c.fib, c.fibre, c.n);
/** f(A_k, a, b) for each acting layer k, with random fibre elements a, b of the kinds given (the same at every layer). */
const perLayer = (
  c: ActionContext,
  env: ReadonlyMap<string, number>,
  kinds: [keyof typeof FIBRE_ACTIONS, keyof typeof FIBRE_ACTIONS],
  f: (Ak: Mat, a: Mat, b: Mat) => number,
) => c.layers.map((_, k) => f(c.A(env, k), fibreFrom(env, c.fib, kinds[0], c.n), fibreFrom(env, c.fib2, kinds[1], c.n)));

/** The action: each acting layer's (block) Jacobian as an element of the group, and how it acts on the fibre. */
function definitionStep(c: ActionContext): Step {
  const { reads, chart, fibre, bundle, groupTex } = c;
  const direction = c.fa.pushes ? ", following the network" : ", in the pullback direction (from the output towards the input)";
  return {
    id: c.id("definition"),
    title: `Action of ${c.who} on ${bundle.name}`,
    justification: "definition",
    why: fromTex(
      (reads === 1
        ? "Each layer's Jacobian $A = J_l$"
        : `Each layer reads ${reads} states, so it is a map of the state $s_{l-1} = (x_{l-1}, \\ldots, x_{l-${reads}})$ ` +
          `(dimension $${reads} \\times ${chart.dim}$); its block Jacobian $A = S_l = \\partial s_l / \\partial s_{l-1}$ ` +
          `(first block row $\\partial x_l / \\partial x_{l-1-i}$, then the shift $x_{l-i} \\mapsto x_{l-i}$)`) +
        ` is an element of $${groupTex}$ acting on the ` +
        `${fibre === "frames" ? `frames of the principal bundle ${bundle.name}` : `${fibre} of the associated bundle ${bundle.name}`} ` +
        `by $${FIBRE_TEX[fibre]}$${direction}.`,
    ),
    statement: fixedOf({ tex: `\\rho(A)\\colon\\; ${FIBRE_TEX[fibre]}, \\qquad A = J^{(l)} \\in ${groupTex}`, text: `A acts by ${fibre}` }),
    witness: null,
  };
}

/** ρ(I) f = f, on random fibre elements. */
function identityStep(c: ActionContext): Step {
  return {
    id: c.id("identity"),
    title: "The identity acts trivially",
    justification: "lemma",
    identity: GROUP_LAW,
    why: fromTex(`$\\rho(I)\\, f = f$ for every fibre element $f$.`),
    statement: fixedOf({ tex: `\\rho(I)\\, f = f`, text: "rho(I) f = f" }),
    witness: stepWitness(
      c.id("identity"),
      "random fibre elements",
      c.sampler,
      c.opts,
      (env) => flat(c.fa.act(identity(c.n), fibreAt(c, env))),
      (env) => flat(fibreAt(c, env)),
    ),
  };
}

/** Acting by consecutive layers one after the other equals acting by their product, in the action's order. */
function compositionStep(c: ActionContext): Step {
  const { fa, layers, A } = c;
  return {
    id: c.id("composition"),
    title: "Acting layer by layer equals acting by the product",
    justification: "lemma",
    identity: GROUP_LAW,
    why: fromTex(
      fa.pushes
        ? "Layer $l$ acts first, then layer $l+1$: $\\rho(A_{l+1})\\,\\rho(A_l) = \\rho(A_{l+1} A_l)$, the Jacobian of " +
            "the two layers together."
        : "In the pullback direction layer $l+1$ acts first: $\\rho(A_l)\\,\\rho(A_{l+1}) = \\rho(A_{l+1} A_l)$ — a right action.",
    ),
    statement: fixedOf({
      tex: fa.pushes
        ? "\\rho(A_{l+1})\\,\\rho(A_l)\\, f = \\rho(A_{l+1} A_l)\\, f"
        : "\\rho(A_l)\\,\\rho(A_{l+1})\\, f = \\rho(A_{l+1} A_l)\\, f",
      text: "two steps = product",
    }),
    witness: stepWitness(
      c.id("composition"),
      "random fibre elements, every consecutive pair of layers",
      c.sampler,
      c.opts,
      (env) => layers.slice(0, -1).flatMap((_, k) => flat(actTwice(fa, A(env, k), A(env, k + 1), fibreAt(c, env)))),
      (env) => layers.slice(0, -1).flatMap((_, k) => flat(fa.act(matmul(A(env, k + 1), A(env, k)), fibreAt(c, env)))),
    ),
  };
}

/** Acting on the metric above the block by the layers' Jacobians gives the metric below it: the pullback recursion. */
function composedMetricStep(c: ActionContext, net: Network): Step {
  const { action, reads, chart, n, layers } = c;
  const L = net.layers.length;
  const euclid: Metric = { name: "euclidean", manifold: net.target, def: { kind: "euclidean" }, span: action.span };
  return {
    id: c.id("metric"),
    title: "The pulled-back metric is the composed action on the output metric",
    justification: "lemma",
    why: fromTex(
      reads === 1
        ? `Starting from $g^{(${action.toLayer})}$ and acting by $J^{(${action.toLayer})}$, …, $J^{(${action.fromLayer})}$ ` +
            `in turn gives the metric at layer ${action.fromLayer - 1}: the recursion $g_{l-1} = J_l^{\\mathsf{T}} g_l J_l$ ` +
            `read as group actions.`
        : `On the state space the output metric pulls back to $G_l = M_l^{\\mathsf{T}} M_l$, $M_l = \\partial x_L / ` +
            `\\partial s_l$ (degenerate: rank ${chart.dim} of ${n}). Acting on $G_{${action.toLayer}}$ by the block Jacobians ` +
            `$S^{(${action.toLayer})}$, …, $S^{(${action.fromLayer})}$ gives $G_{${action.fromLayer - 1}}$, the chain rule ` +
            `$M_{l-1} = M_l S_l$ read as group actions; the right side is forward mode from the state $s_{${action.fromLayer - 1}}$.`,
    ),
    equation: {
      rows: [
        {
          lhs: label(sym("g", { layer: action.fromLayer - 1 })),
          rhs: label(
            formula(
              `\\rho(J^{(${action.fromLayer})}) \\cdots \\rho(J^{(${action.toLayer})})\\; g^{(${action.toLayer})}`,
              "composed action",
            ),
          ),
        },
      ],
    },
    witness: stepWitness(
      c.id("metric"),
      via("forward mode", "forward-mode Jacobians of the same layers"),
      c.sampler,
      c.opts,
      (env) => {
        const states = forwardNetwork(net, pointOf(chart, env), env);
        let g: Mat =
          reads > 1
            ? stateMetric(net, states, action.toLayer, reads, env)
            : action.toLayer === L
              ? identity(net.target.dim)
              : congruenceTo(net, states[action.toLayer].x, env, action.toLayer, euclid);
        for (let k = layers.length - 1; k >= 0; k--) g = c.fa.act(c.A(env, k), g);
        return flat(g);
      },
      (env) => {
        const states = forwardNetwork(net, pointOf(chart, env), env);
        if (reads > 1) return flat(stateMetric(net, states, action.fromLayer - 1, reads, env));
        return flat(congruenceTo(net, states[action.fromLayer - 1].x, env, action.fromLayer - 1, euclid));
      },
    ),
  };
}

/** A covector and a vector transformed together keep their pairing. */
function pairingStep(c: ActionContext): Step {
  return {
    id: c.id("invariance"),
    title: "Pairings are invariant",
    justification: "lemma",
    identity: GROUP_LAW,
    why: fromTex("A covector and a vector transformed together keep their pairing: $(A^{-\\mathsf{T}}\\omega)(A v) = \\omega(v)$."),
    statement: fixedOf({ tex: "(A^{-\\mathsf{T}}\\omega)(A\\,v) = \\omega(v)", text: "pairing invariant" }),
    witness: stepWitness(
      c.id("invariance"),
      "random covectors and vectors",
      c.sampler,
      c.opts,
      (env) => perLayer(c, env, ["covectors", "vectors"], (Ak, w, v) => dot(c.fa.act(Ak, w), matmul(Ak, v))),
      (env) => c.layers.map(() => dot(fibreFrom(env, c.fib, "covectors", c.n), fibreFrom(env, c.fib2, "vectors", c.n))),
    ),
  };
}

/** A metric and vectors transformed together keep g(v, w). */
function lengthStep(c: ActionContext): Step {
  return {
    id: c.id("invariance"),
    title: "Lengths and angles are invariant",
    justification: "lemma",
    identity: GROUP_LAW,
    why: fromTex(
      "Vector components and the metric transformed together leave $g(v, w)$ unchanged: $(A^{\\mathsf{T}} g A)(v, w) = g(Av, Aw)$.",
    ),
    statement: fixedOf({ tex: "(A^{\\mathsf{T}} g\\, A)(v, w) = g(A v, A w)", text: "g(v, w) invariant" }),
    witness: stepWitness(
      c.id("invariance"),
      "random metrics and vectors",
      c.sampler,
      c.opts,
      (env) => perLayer(c, env, ["metrics", "vectors"], (Ak, g, v) => pairing(FIBRE_ACTIONS.metrics.act(Ak, g), v, v)),
      (env) =>
        perLayer(c, env, ["metrics", "vectors"], (Ak, g, v) => {
          const Av = matmul(Ak, v);
          return pairing(g, Av, Av);
        }),
    ),
  };
}

const dot = (a: Mat, b: Mat) => a.reduce((s, r, i) => s + r[0] * b[i][0], 0);

/** The block Jacobian S = ∂(x_l, …, x_{l−k+1})/∂(x_{l−1}, …, x_{l−k}) of a layer reading k states: the first block
 *  row is ∂x_l/∂x_{l−1} (`J`, d × d row-major) and c_i I (the recurrence's coefficients), then the shift. */
function stateJacobian(layer: Layer, J: number[], d: number): Mat {
  const kind = LAYER_KINDS[layer.kind],
    k = kind.reads,
    coeffs = kind.recurrence!(k).coeffs;
  return Array.from({ length: k * d }, (_, r) =>
    Array.from({ length: k * d }, (_, c) => {
      const [bi, i, bj, j] = [Math.floor(r / d), r % d, Math.floor(c / d), c % d];
      if (bi === 0) return bj === 0 ? J[i * d + j] : i === j ? coeffs[bj] : 0;
      return bj === bi - 1 && i === j ? 1 : 0;
    }),
  );
}

/** The Euclidean output metric pulled back to the state s_j = (x_j, …, x_{j−k+1}): Mᵀ M with M = ∂x_L/∂s_j, by forward
 *  mode from the state (an independent route from the block Jacobians). */
function stateMetric(net: Network, states: { x: number[] }[], j: number, k: number, env: ReadonlyMap<string, number>): Mat {
  const history = Array.from({ length: k }, (_, i) => states[j - i].x);
  const M = forwardFromState(net, history, env, j).at(-1)!.J;
  return matmul(transpose(M), M);
}

function congruenceTo(net: Network, x: number[], env: ReadonlyMap<string, number>, from: number, outputMetric: Metric): Mat {
  const states = forwardNetwork(net, x, env, from);
  const top = states[states.length - 1];
  const G = forwardMetric(outputMetric, top.x, env);
  return matmul(
    top.J[0].map((_, j) => top.J.map((r) => r[j])),
    matmul(G, top.J),
  );
}

/** Every acting layer's Jacobian is an element of the group, at every sampled point. */
function membershipStep(c: ActionContext, group: Group): Step {
  const { who, layers, A, sampler, opts } = c,
    id = c.id("membership");
  let failure: WitnessResult["failure"];
  const probe: Route = (env) =>
    layers.map((l, k) => {
      const why = notInGroup(A(env, k), group);
      if (why && !failure)
        failure = {
          point: Object.fromEntries(
            [...env].filter(([name]) => !c.fib.includes(name) && !c.fib2.includes(name) && !sampler.fixed.has(name)),
          ),
          component: `layer ${l}`,
          lhs: NaN,
          rhs: NaN,
          reason: `the Jacobian of layer ${l} is not in ${group.name === "GLplus" ? "GL+" : group.name}(${group.n}): ${why}`,
        };
      return why ? 1 : 0;
    });
  const w = witness(probe, () => layers.map(() => 0), sampler, { ...opts, tolerance: 0 }, id, `the Jacobians at sampled points`);
  const name = `${group.name === "GLplus" ? "GL^{+}" : group.name}(${group.n})`;
  return {
    id,
    title: `The Jacobians of ${who} lie in ${group.name === "GLplus" ? "GL+" : group.name}(${group.n})`,
    justification: "property",
    why: fromTex(
      group.name === "O" || group.name === "SO"
        ? `An orthogonal action needs $A^{\\mathsf{T}} A = I$${group.name === "SO" ? " and $\\det A = 1$" : ""} at every point.`
        : group.name === "GLplus"
          ? "Orientation is kept: $\\det A > 0$ at every point."
          : "Only an invertible Jacobian is a group element.",
    ),
    statement: fixedOf({ tex: `J^{(l)}(x) \\in ${name}`, text: `J in ${name}` }),
    witness: failure ? { ...w, passed: false, failure } : { ...w, maxError: 0 },
  };
}

/** A first-order step x_l = x_{l−1} + h f (residual): its Jacobian is I + h X with X = σ'(z) W in gl(n). */
const isStep = (layer: Layer) => LAYER_KINDS[layer.kind].ode?.order === 1;

/** The longest run of consecutive first-order steps among the acting layers. */
function stepRun(net: Network, layers: number[]): number[] {
  let best: number[] = [],
    run: number[] = [];
  for (const l of layers) {
    run = isStep(net.layers[l - 1]) ? [...run, l] : []; // residual layers keep their width: a run has one
    if (run.length > best.length) best = run;
  }
  return best;
}

/** Refinements of the block compared with the variational equation: depths N, 2N, 4N, 8N. */
const REFINEMENTS = [1, 2, 4, 8];

/** The product of a residual run's Jacobians I + h X_l approaches the variational equation's J(T) with the scheme's order. */
function lieStep(c: ActionContext, net: Network): Step {
  const { layers, A, sampler, opts } = c,
    id = c.id("lie");
  // The block's layers are Euler steps of dx/dt = σ(W(t) x + b(t)); their Jacobians I + h X_l multiply to P_N, and
  // P_N → J(T), the solution of the variational equation dJ/dt = σ'(z(t)) W(t) J (a time-ordered exponential of the
  // generators). The witness: ‖P_N − J(T)‖ at the network's own depth N (its Jacobians, the path under test) and
  // at 2N, 4N, 8N (the block resampled from W(t), linearly) falls with the scheme's order.
  const run = stepRun(net, layers),
    first = run[0],
    offset = layers.indexOf(first);
  const expected = expectedOrder(net.layers[first - 1].kind, "linear");
  const orders: number[] = [];
  const route: Route = (env) => {
    const block = blockOf(
      net,
      env,
      run.map((l) => net.layers[l - 1]),
    );
    const x0 = forwardNetwork(net, pointOf(net.source, env), env)[first - 1].x;
    const exact = continuousFlow(block, "linear", x0).J;
    const n = x0.length,
      N = run.length;
    const own = run.reduce((P: Mat, _, k) => matmul(A(env, offset + k), P), identity(n)).flat();
    const err = (J: ArrayLike<number>) => Math.sqrt(Array.from(J).reduce((s, v, i) => s + (v - exact[i]) ** 2, 0));
    const pts = REFINEMENTS.map((f): [number, number] => [
      block.T / (f * N),
      f === 1 ? err(own) : err(discreteFlow(block, "linear", x0, f * N).J),
    ]);
    const p = pts.every(([, e]) => e < 1e-11) ? expected : fittedOrder(pts);
    orders.push(p);
    return [p];
  };
  const w = witness(
    route,
    () => [expected],
    sampler,
    { ...opts, tolerance: ORDER_TOLERANCE },
    id,
    via("integrator", "the variational equation by DP5; the block at depths N, 2N, 4N, 8N (absolute error in the order)"),
  );
  const mean = orders.length ? orders.reduce((a, b) => a + b, 0) / orders.length : expected;
  return {
    id,
    title: `The product of layers ${first}–${run[run.length - 1]}'s Jacobians approaches the flow's J(T)`,
    justification: "lemma",
    why: fromTex(
      `Each residual layer's Jacobian $A_l = I + h\\,X_l$ is the identity plus $h$ times a generator ` +
        `$X_l = \\sigma'(z_l) W_l$ in $\\mathfrak{gl}(n)$, so the product $A_N \\cdots A_1$ is a forward-Euler solution of ` +
        `the variational equation $\\dot J = X(t)\\, J$, $J(0) = I$, where $X(t) = \\sigma'(z(t))\\, W(t)$ along the flow ` +
        `of $\\dot x = \\sigma(W(t) x + b(t))$: it approaches $J(T)$ with order ${expected} as $h = T/N \\to 0$. ` +
        `Observed order of $\\lVert A_N \\cdots A_1 - J(T)\\rVert$ over depths $N$, $2N$, $4N$, $8N$ (the block resampled ` +
        `from its weight function): ${mean.toFixed(3)}.`,
    ),
    statement: fixedOf({
      tex: `\\lVert A_N \\cdots A_1 - J(T) \\rVert = O(h^{${expected}}), \\qquad \\dot J = \\sigma'(z(t))\\, W(t)\\, J,\\; J(0) = I`,
      text: `A_N ... A_1 = J(T) + O(h^${expected})`,
    }),
    witness: w,
  };
}
