// The network as a sequence of group actions: for each declared action, the laws it must obey
// (identity, composition in the right order, the metric as the composed action, invariance,
// group membership, and A ≈ exp(hσ'(z)W) to O(h²) for residual layers), each witnessed.
import { LAYER_KINDS } from "../core/layers/index.js";
import type { Action, Group, Layer, Metric, Network } from "../semantics/model.js";
import {
  actTwice,
  addM,
  expm,
  FIBRE_ACTIONS,
  frobenius,
  identity,
  type Mat,
  matmul,
  notInGroup,
  pairing,
  randomFibre,
} from "../numeric/actions.js";
import { forwardMetric, forwardNetwork, paramValues } from "../numeric/forward.js";
import { fittedOrder } from "../numeric/flow.js";
import type { Expr } from "../symbolic/expr.js";
import { mappingExprs } from "../symbolic/metric.js";
import { fixedOf, fixed as formula, fromTex, sym } from "../core/notation.js";
import { label, type Step, type WitnessOptions, type WitnessResult } from "./model.js";
import { pointOf } from "./routes.js";
import { exprRoute, type Route, type Sampler, samplerFor, witness } from "./witness.js";

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
function stepWitness(id: string, against: string, sampler: Sampler, opts: WitnessOptions, lhs: Route, rhs: Route): WitnessResult {
  return witness(lhs, rhs, sampler, opts, id, against);
}

export function actionSteps(action: Action, index: number, fixed: ReadonlyMap<string, number>, opts: WitnessOptions): Step[] {
  const map = action.of;
  const bundle = action.on;
  const fibre = bundle.kind === "principal" ? "frames" : bundle.fibre;
  const fa = FIBRE_ACTIONS[fibre];
  const chart = map.source,
    n = chart.dim;
  const net = map.kind === "network" ? (map as Network) : null;
  const layers = net ? Array.from({ length: action.toLayer - action.fromLayer + 1 }, (_, i) => action.fromLayer + i) : [1];
  // Jacobians of the acting layers as closed forms in the input chart (the path under test)
  const jac: Expr[][][] = net ? layers.map((l) => mappingExprs(net).network!.layers[l - 1].J) : [mappingExprs(map).jacobian];
  const jacRoutes = jac.map((J) => exprRoute(J.flat(), chart.coords));
  const A = (env: ReadonlyMap<string, number>, k: number): Mat => {
    const f = jacRoutes[k](env);
    return Array.from({ length: n }, (_, i) => f.slice(i * n, (i + 1) * n));
  };
  const fib = fibreSymbols(n, `f${index}`),
    fib2 = fibreSymbols(n, `v${index}`);
  const base = samplerFor(chart, jac.flat(2), fixed);
  const sampler: Sampler = { ...base, params: [...base.params, ...fib, ...fib2] };
  const id = (s: string) => `action${index + 1}:${s}`;
  const who = net ? `layers ${action.fromLayer}–${action.toLayer} of ${map.name}` : map.name;
  const flat = (m: Mat) => m.flat();
  const steps: Step[] = [];
  const groupTex = action.group ? `${action.group.name === "GLplus" ? "GL^{+}" : action.group.name}(${action.group.n})` : `GL(${n})`;

  steps.push({
    id: id("definition"),
    title: `Action of ${who} on ${bundle.name}`,
    justification: "definition",
    why: fromTex(
      `Each layer's Jacobian $A = J_l$ is an element of $${groupTex}$ acting on the ` +
        `${fibre === "frames" ? `frames of the principal bundle ${bundle.name}` : `${fibre} of the associated bundle ${bundle.name}`} by $${FIBRE_TEX[fibre]}$${fa.pushes ? ", following the network" : ", in the pullback direction (from the output towards the input)"}.`,
    ),
    statement: fixedOf({ tex: `\\rho(A)\\colon\\; ${FIBRE_TEX[fibre]}, \\qquad A = J^{(l)} \\in ${groupTex}`, text: `A acts by ${fibre}` }),
    witness: null,
  });
  steps.push({
    id: id("identity"),
    title: "The identity acts trivially",
    justification: "lemma",
    why: fromTex(`$\\rho(I)\\, f = f$ for every fibre element $f$.`),
    statement: fixedOf({ tex: `\\rho(I)\\, f = f`, text: "rho(I) f = f" }),
    witness: stepWitness(
      id("identity"),
      "random fibre elements",
      sampler,
      opts,
      (env) => flat(fa.act(identity(n), fibreFrom(env, fib, fibre, n))),
      (env) => flat(fibreFrom(env, fib, fibre, n)),
    ),
  });
  if (layers.length > 1) {
    steps.push({
      id: id("composition"),
      title: "Acting layer by layer equals acting by the product",
      justification: "lemma",
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
        id("composition"),
        "random fibre elements, every consecutive pair of layers",
        sampler,
        opts,
        (env) => layers.slice(0, -1).flatMap((_, k) => flat(actTwice(fa, A(env, k), A(env, k + 1), fibreFrom(env, fib, fibre, n)))),
        (env) => layers.slice(0, -1).flatMap((_, k) => flat(fa.act(matmul(A(env, k + 1), A(env, k)), fibreFrom(env, fib, fibre, n)))),
      ),
    });
  }
  if (net && fibre === "metrics") {
    const L = net.layers.length;
    const euclid: Metric = { name: "euclidean", manifold: net.target, def: { kind: "euclidean" }, span: action.span };
    steps.push({
      id: id("metric"),
      title: "The pulled-back metric is the composed action on the output metric",
      justification: "lemma",
      why: fromTex(
        `Starting from $g^{(${action.toLayer})}$ and acting by $J^{(${action.toLayer})}$, …, $J^{(${action.fromLayer})}$ ` +
          `in turn gives the metric at layer ${action.fromLayer - 1}: the recursion $g_{l-1} = J_l^{\\mathsf{T}} g_l J_l$ ` +
          `read as group actions.`,
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
        id("metric"),
        "forward-mode Jacobians of the same layers",
        sampler,
        opts,
        (env) => {
          const states = forwardNetwork(net, pointOf(chart, env), env);
          let g: Mat =
            action.toLayer === L ? identity(net.target.dim) : congruenceTo(net, states[action.toLayer].x, env, action.toLayer, euclid);
          for (let k = layers.length - 1; k >= 0; k--) g = fa.act(A(env, k), g);
          return flat(g);
        },
        (env) => {
          const states = forwardNetwork(net, pointOf(chart, env), env);
          return flat(congruenceTo(net, states[action.fromLayer - 1].x, env, action.fromLayer - 1, euclid));
        },
      ),
    });
  }
  steps.push(
    fibre === "covectors"
      ? {
          id: id("invariance"),
          title: "Pairings are invariant",
          justification: "lemma",
          why: fromTex("A covector and a vector transformed together keep their pairing: $(A^{-\\mathsf{T}}\\omega)(A v) = \\omega(v)$."),
          statement: fixedOf({ tex: "(A^{-\\mathsf{T}}\\omega)(A\\,v) = \\omega(v)", text: "pairing invariant" }),
          witness: stepWitness(
            id("invariance"),
            "random covectors and vectors",
            sampler,
            opts,
            (env) =>
              layers.map((_, k) => {
                const Ak = A(env, k),
                  w = fibreFrom(env, fib, "covectors", n),
                  v = fibreFrom(env, fib2, "vectors", n);
                return dot(fa.act(Ak, w), matmul(Ak, v));
              }),
            (env) => layers.map(() => dot(fibreFrom(env, fib, "covectors", n), fibreFrom(env, fib2, "vectors", n))),
          ),
        }
      : {
          id: id("invariance"),
          title: "Lengths and angles are invariant",
          justification: "lemma",
          why: fromTex(
            "Vector components and the metric transformed together leave $g(v, w)$ unchanged: $(A^{\\mathsf{T}} g A)(v, w) = g(Av, Aw)$.",
          ),
          statement: fixedOf({ tex: "(A^{\\mathsf{T}} g\\, A)(v, w) = g(A v, A w)", text: "g(v, w) invariant" }),
          witness: stepWitness(
            id("invariance"),
            "random metrics and vectors",
            sampler,
            opts,
            (env) =>
              layers.map((_, k) => {
                const Ak = A(env, k),
                  g = fibreFrom(env, fib, "metrics", n),
                  v = fibreFrom(env, fib2, "vectors", n);
                return pairing(FIBRE_ACTIONS.metrics.act(Ak, g), v, v);
              }),
            (env) =>
              layers.map((_, k) => {
                const Ak = A(env, k),
                  g = fibreFrom(env, fib, "metrics", n),
                  v = fibreFrom(env, fib2, "vectors", n);
                const Av = matmul(Ak, v);
                return pairing(g, Av, Av);
              }),
          ),
        },
  );
  const group = action.group ?? (bundle.kind === "principal" ? bundle.group : bundle.principal.group);
  steps.push(membershipStep(id("membership"), who, group, layers, A, sampler, opts));
  if (net && layers.some((l) => isStep(net.layers[l - 1]))) steps.push(lieStep(id("lie"), net, layers, A, sampler, opts));
  return steps;
}

const dot = (a: Mat, b: Mat) => a.reduce((s, r, i) => s + r[0] * b[i][0], 0);

function congruenceTo(net: Network, x: number[], env: ReadonlyMap<string, number>, from: number, outputMetric: Metric): Mat {
  const states = forwardNetwork(net, x, env, from);
  const top = states[states.length - 1];
  const G = forwardMetric(outputMetric, top.x, env);
  return matmul(
    top.J[0].map((_, j) => top.J.map((r) => r[j])),
    matmul(G, top.J),
  );
}

function membershipStep(
  id: string,
  who: string,
  group: Group,
  layers: number[],
  A: (env: ReadonlyMap<string, number>, k: number) => Mat,
  sampler: Sampler,
  opts: WitnessOptions,
): Step {
  let failure: WitnessResult["failure"];
  const probe: Route = (env) =>
    layers.map((l, k) => {
      const why = notInGroup(A(env, k), group);
      if (why && !failure)
        failure = {
          point: Object.fromEntries([...env].filter(([name]) => !name.startsWith("__") && !sampler.fixed.has(name))),
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

/** A first-order step x_l = x_{l−1} + h f (residual): its Jacobian is I + h X with X in gl(n). */
const isStep = (layer: Layer) => LAYER_KINDS[layer.kind].ode?.order === 1;

function lieStep(
  id: string,
  net: Network,
  layers: number[],
  A: (env: ReadonlyMap<string, number>, k: number) => Mat,
  sampler: Sampler,
  opts: WitnessOptions,
): Step {
  // the generator X = σ'(z) W is (A − I)/h; ‖(I + sX) − exp(sX)‖ for s = h, h/2, h/4, h/8 falls like s²
  const orders: number[] = [];
  const route: Route = (env) =>
    layers.flatMap((l, k) => {
      const layer = net.layers[l - 1];
      if (!isStep(layer)) return [];
      const h = paramValues(layer.h!, env)[0];
      const Ak = A(env, k);
      const X = addM(Ak, identity(Ak.length), -1).map((r) => r.map((x) => x / h));
      const pts = [1, 0.5, 0.25, 0.125].map((f) => {
        const s = h * f;
        const Xs = X.map((r) => r.map((x) => x * s));
        return [s, frobenius(addM(addM(identity(X.length), Xs), expm(Xs), -1))] as [number, number];
      });
      const p = pts[0][1] < 1e-13 ? 2 : fittedOrder(pts);
      orders.push(p);
      return [p];
    });
  const residual = layers.filter((l) => isStep(net.layers[l - 1]));
  const w = witness(
    route,
    () => residual.map(() => 2),
    sampler,
    { ...opts, tolerance: 0.1 },
    id,
    "matrix exponentials at h, h/2, h/4, h/8 (absolute error in the order)",
  );
  return {
    id,
    title: "A residual layer is the identity plus a generator: A ≈ exp(hσ'(z)W)",
    justification: "lemma",
    why: fromTex(
      `A residual layer's Jacobian $A = I + h\\,\\sigma'(z) W$ is the identity plus $h$ times an element of the Lie ` +
        `algebra $\\mathfrak{gl}(n)$, so $A = \\exp(h\\, \\sigma'(z) W) + O(h^2)$; the observed order of $\\lVert A - ` +
        `\\exp(h X)\\rVert$ as $h$ shrinks is ` +
        `${orders.length ? (orders.reduce((a, b) => a + b, 0) / orders.length).toFixed(3) : "2"} (expected 2).`,
    ),
    statement: fixedOf({
      tex: "\\lVert (I + hX) - \\exp(hX) \\rVert = O(h^2), \\qquad X = \\sigma'(z)\\, W \\in \\mathfrak{gl}(n)",
      text: "A = exp(hX) + O(h^2)",
    }),
    witness: w,
  };
}
