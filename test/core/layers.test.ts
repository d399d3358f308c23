// Every layer kind of core/layers/, checked by looping over the table: a new kind is covered as soon
// as it is listed. Its generic map is instantiated three ways (numbers, dual-free finite differences,
// DAG nodes) and its hand-written derivatives are checked against finite differences of its own map.
import { describe, expect, it } from "vitest";
import type { Algebra } from "../../src/core/algebra.js";
import { type Geometry, LAYER_KINDS, type LayerInput, type LayerKind, type LayerKindDef, type Taps } from "../../src/core/layers/index.js";
import { denseOperator } from "../../src/core/layers/shape.js";
import { composeJets, jetLayout, scaleJets } from "../../src/numeric/engine/jets.js";
import { evaluate, numericFunction, sym, type Expr } from "../../src/symbolic/expr.js";
import { activate, EXPR_ALGEBRA } from "../../src/symbolic/network.js";
import { diagnostics, model, rng } from "../helpers.js";

const NUM: Algebra<number> = {
  num: (c) => c,
  add: (...xs) => xs.reduce((a, b) => a + b, 0),
  mul: (...xs) => xs.reduce((a, b) => a * b, 1),
  sub: (a, b) => a - b,
  neg: (a) => -a,
  div: (a, b) => a / b,
  pow: (a, k) => a ** k,
  fn: (name, a) => numericFunction(name)(a),
};
const tanhPair = (z: number): [number, number] => {
  const t = Math.tanh(z);
  return [t, 1 - t * t];
};

interface Case {
  name: LayerKind;
  def: LayerKindDef;
  n: number;
  m: number;
  W: number[][];
  b: number[];
  h: number;
  xs: number[][];
  /** A shaped kind that is no affine map (max pooling): its operator's entries, which the map reads. */
  taps?: Taps;
}

/** Random parameters and states for a kind: `available` previous states (its start when fewer than it reads). */
function makeCase(name: LayerKind, available: number, seed: number): Case {
  const def = LAYER_KINDS[name],
    r = rng(seed),
    u = () => 2 * r() - 1;
  const m = 3,
    n = def.width === "chosen" ? 4 : m;
  const W = Array.from({ length: n }, () => Array.from({ length: m }, u)),
    b = Array.from({ length: n }, u);
  const xs = Array.from({ length: available }, () => Array.from({ length: m }, u));
  if (def.shaped && def.engine) {
    // a 1-D state of 3 entries through windows of 2 (stride 1): 2 outputs, W the windows' membership as semantics writes
    const geometry: Geometry = {
      input: [1, 3],
      output: [1, 2],
      options: { kernel: [1, 2], stride: [1, 1], padding: [0, 0] },
      kernel: null,
    };
    const taps = def.shaped.taps(geometry);
    const M = denseOperator(taps, 2, m, null);
    const rows = [Array.from(M.slice(0, m)), Array.from(M.slice(m))];
    return { name, def, n: 2, m, W: rows, b: [0, 0], h: 0.5, xs, taps };
  }
  return { name, def, n, m, W, b, h: 0.3 + 0.4 * r(), xs };
}
const has = (def: LayerKindDef, p: "W" | "b" | "h" | "eps") => def.params.some((s) => s.name === p);
/** ε of the kinds that have one: large enough that a route which dropped it would fail. */
const EPS = 0.05;
function input(c: Case, xs = c.xs, W = c.W, b = c.b): LayerInput<number> {
  return {
    xs,
    W: has(c.def, "W") ? W : undefined,
    b: has(c.def, "b") ? b : undefined,
    h: has(c.def, "h") ? c.h : undefined,
    eps: has(c.def, "eps") ? EPS : undefined,
    act: tanhPair,
    taps: c.taps,
  };
}
const mapOf = (c: Case, xs = c.xs, W = c.W, b = c.b) => c.def.forward(NUM, input(c, xs, W, b)).x;
/** ∂f/∂v_j by the central difference, ε = 1e-6 (error ~1e-11 for these smooth maps). */
function fd(f: (v: number[]) => number[], v: number[], j: number): number[] {
  const e = 1e-6,
    p = [...v],
    q = [...v];
  p[j] += e;
  q[j] -= e;
  const a = f(p),
    bb = f(q);
  return a.map((x, i) => (x - bb[i]) / (2 * e));
}
const cases = (Object.keys(LAYER_KINDS) as LayerKind[]).flatMap((name) => {
  const reads = LAYER_KINDS[name].reads;
  return Array.from({ length: reads }, (_, k) => k + 1).flatMap((available) =>
    [1, 2].map((seed) => makeCase(name, available, 10 * seed + available)),
  );
});
const label = (c: Case) => `${c.name} (${c.xs.length} of ${c.def.reads} states)`;

describe("layer kinds: the table", () => {
  it("lists each kind under its own keyword", () => {
    for (const [name, def] of Object.entries(LAYER_KINDS)) expect(def.keyword).toBe(name);
  });
  it("gives each kind with an ODE limit a recurrence, the Euler-step texts and a step h", () => {
    for (const def of Object.values(LAYER_KINDS)) {
      if (!def.ode) continue;
      expect(def.recurrence && def.derivation.euler && has(def, "h"), def.keyword).toBeTruthy();
    }
  });
});

describe.each(cases)("layer kind $name", (c) => {
  it(`${label(c)}: Jacobians of the generic map match central differences`, () => {
    const Js = c.def.jacobians(NUM, input(c), c.def.forward(NUM, input(c)));
    expect(Js.length).toBe(c.xs.length);
    Js.forEach((J, k) => {
      for (let j = 0; j < c.m; j++) {
        const col = fd(
          (v) =>
            mapOf(
              c,
              c.xs.map((x, kk) => (kk === k ? v : x)),
            ),
          c.xs[k],
          j,
        );
        col.forEach((d, i) => {
          expect(Math.abs(J[i][j] - d), `∂x_l/∂x_{l-${k + 1}} [${i}][${j}]`).toBeLessThan(1e-8);
        });
      }
    });
  });

  it(`${label(c)}: the numeric evaluation is the generic map, and reverse mode matches finite differences of a loss`, () => {
    const r = rng(7),
      g = Array.from({ length: c.n }, () => 2 * r() - 1);
    const loss = (x: number[]) => x.reduce((s, v, i) => s + g[i] * v, 0);
    const numeric = { xs: c.xs, W: c.W.flat(), b: c.b, h: c.h, eps: EPS, inWidth: c.m, outWidth: c.n, act: tanhPair, taps: c.taps };
    const cache = c.def.evaluate(numeric);
    cache.x.forEach((v, i) => {
      expect(v).toBeCloseTo(mapOf(c)[i], 14);
    });
    const gx = c.xs.map((x) => x.map(() => 0)),
      gW = new Float64Array(c.n * c.m),
      gb = new Float64Array(c.n);
    c.def.vjp(numeric, cache, g, { gx, gW, gb });
    c.xs.forEach((x, k) => {
      for (let j = 0; j < c.m; j++) {
        const d = fd(
          (v) => [
            loss(
              mapOf(
                c,
                c.xs.map((xx, kk) => (kk === k ? v : xx)),
              ),
            ),
          ],
          x,
          j,
        )[0];
        expect(Math.abs(gx[k][j] - d), `∂L/∂x_{l-${k + 1}}[${j}]`).toBeLessThan(1e-8);
      }
    });
    if (has(c.def, "W")) {
      const flat = c.W.flat();
      for (let t = 0; t < flat.length; t++) {
        const d = fd(
          (v) => [
            loss(
              mapOf(
                c,
                c.xs,
                c.W.map((_, i) => v.slice(i * c.m, (i + 1) * c.m)),
              ),
            ),
          ],
          flat,
          t,
        )[0];
        expect(Math.abs(gW[t] - d), `∂L/∂W[${t}]`).toBeLessThan(1e-8);
      }
    }
    if (has(c.def, "b")) {
      for (let i = 0; i < c.n; i++)
        expect(Math.abs(gb[i] - fd((v) => [loss(mapOf(c, c.xs, c.W, v))], c.b, i)[0]), `∂L/∂b[${i}]`).toBeLessThan(1e-8);
    }
  });

  it(`${label(c)}: the DAG instantiation evaluates to the numeric one`, () => {
    const symbols = (p: string, v: number[]) => v.map((_, i) => sym(`${p}_${i + 1}`));
    const xs = c.xs.map((x, k) => symbols(`x${k}`, x));
    const W = c.W.map((row, i) => symbols(`W${i + 1}`, row));
    const sin: LayerInput<Expr> = {
      xs,
      W: has(c.def, "W") ? W : undefined,
      b: has(c.def, "b") ? symbols("b", c.b) : undefined,
      h: has(c.def, "h") ? sym("h") : undefined,
      eps: has(c.def, "eps") ? sym("eps") : undefined,
      act: (z) => activate("tanh", z),
      taps: c.taps,
    };
    const out = c.def.forward(EXPR_ALGEBRA, sin);
    const Js = c.def.jacobians(EXPR_ALGEBRA, sin, out);
    const env: Record<string, number> = { h: c.h, eps: EPS };
    c.xs.forEach((x, k) => {
      x.forEach((v, i) => {
        env[`x${k}_${i + 1}`] = v;
      });
    });
    c.W.forEach((row, i) => {
      row.forEach((v, j) => {
        env[`W${i + 1}_${j + 1}`] = v;
      });
    });
    c.b.forEach((v, i) => {
      env[`b_${i + 1}`] = v;
    });
    const numeric = c.def.forward(NUM, input(c));
    const numJ = c.def.jacobians(NUM, input(c), numeric);
    evaluate(out.x, env).forEach((v, i) => {
      expect(v).toBeCloseTo(numeric.x[i], 13);
    });
    Js.forEach((J, k) => {
      evaluate(J.flat(), env).forEach((v, t) => {
        expect(v).toBeCloseTo(numJ[k].flat()[t], 13);
      });
    });
  });
});

describe("layer kinds: the overflow-free and the max-shifted forms agree", () => {
  it.each(cases)("$name", (c) => {
    const a = c.def.forward(NUM, input(c)).x,
      b = c.def.forward(NUM, { ...input(c), numberOf: (t) => t }).x;
    a.forEach((v, i) => {
      expect(v).toBeCloseTo(b[i], 14);
    });
  });
});

describe("layer kinds: parameters are what semantics enforces", () => {
  const head = "manifold I (a, b)\nnetwork n : I { dense 2 tanh  ";
  // shaped kinds are written with a kernel and options, not W: test/core/layers/shaped.test.ts
  it.each(Object.values(LAYER_KINDS).filter((def) => !def.shaped))("$keyword", (def) => {
    const width = def.width === "chosen" ? 3 : 2;
    const layer = `${def.keyword}${def.width === "chosen" ? " 3" : ""}${def.labels.activation ? " tanh" : ""}`;
    const net = model(`${head}${layer} }`).mappings.get("n");
    if (net?.kind !== "network") throw new Error("no network");
    const l2 = net.layers[1];
    expect(l2.outWidth).toBe(width);
    for (const p of ["W", "b", "h"] as const) {
      const spec = def.params.find((s) => s.name === p);
      expect(l2[p]?.shape, p).toEqual(spec?.shape.map((axis) => (axis === "out" ? width : 2)));
    }
    // a parameter of the wrong shape is rejected, one of another kind too
    for (const spec of def.params) {
      const wrong = spec.shape.length === 0 ? "[1, 2]" : spec.shape.length === 1 ? "[1, 2, 3, 4, 5]" : "[[1, 2, 3, 4, 5]]";
      const ds = diagnostics(`${head}${layer} with ${spec.name} = ${wrong} }`);
      expect(ds.map((d) => d.message).join("\n")).toContain(`${spec.described} of layer 2`);
    }
    if (def.params.length > 0 && !has(def, "h")) {
      expect(diagnostics(`${head}${layer} with h = 0.5 }`)[0].message).toContain("has no parameter 'h'");
    }
  });
});

describe("layer kinds: their own matrix-engine steps", () => {
  it("every kind is either a recurrence of σ(W x + b) or brings its own engine step, never both", () => {
    for (const def of Object.values(LAYER_KINDS)) expect(!def.recurrence !== !def.engine, def.keyword).toBe(true);
  });
  const own = (Object.keys(LAYER_KINDS) as LayerKind[]).filter((k) => LAYER_KINDS[k].engine);
  it.each(own)("%s: jets of the identity carry the map, its Jacobian and central differences of it; reverse mode is Aᵀ·J", (k) => {
    const c = makeCase(k, 1, 7),
      step = LAYER_KINDS[k].engine!,
      w = c.m,
      n = c.n === w ? w : c.n, // a shaped kind's (max pooling's) output width, the rows of its operator
      x = c.xs[0];
    const L = jetLayout(w, 2),
      J = { K: L.K, compose: (u: Float64Array, D: Float64Array, n: number) => composeJets(L, u, D, n) };
    const arithmetic = { ...J, scale: (u: Float64Array, v: Float64Array, n: number, out: Float64Array) => scaleJets(L, u, v, n, out) };
    const X = new Float64Array(L.K * w);
    for (let i = 0; i < w; i++) X[i] = x[i];
    for (let a = 0; a < w; a++) X[(1 + a) * w + a] = 1;
    const Y = new Float64Array(L.K * n);
    const start = new Int32Array(n + 1);
    if (c.taps) for (const row of c.taps.rows) start[row + 1]++;
    for (let i = 0; i < n; i++) start[i + 1] += start[i];
    const sparse = c.taps && { start, col: c.taps.cols }; // the taps are in row order
    const params = { W: Float64Array.from(c.W.flat()), b: Float64Array.from(c.b), eps: EPS, ...(sparse ? { sparse } : {}) };
    step.jets(arithmetic, X, w, Y, { block: new Float64Array(L.K * w), D: new Float64Array(4 * w), S: new Float64Array(4 * L.K) }, params);
    const value = mapOf(c),
      [jac] = c.def.jacobians(NUM, input(c), c.def.forward(NUM, input(c)));
    for (let i = 0; i < n; i++) {
      expect(Y[i]).toBeCloseTo(value[i], 14);
      for (let a = 0; a < w; a++) {
        expect(Y[(1 + a) * n + i]).toBeCloseTo(jac[i][a], 12);
        // ∂_a∂_b x_l by central differences of the Jacobian along b
        const column = (v: number[]) => c.def.jacobians(NUM, input(c, [v]), c.def.forward(NUM, input(c, [v])))[0].map((row) => row[a]);
        for (let b = 0; b < w; b++) expect(Y[L.pair[a * w + b] * n + i]).toBeCloseTo(fd(column, x, b)[i], 7);
      }
    }
    const m = 2,
      r = rng(3),
      A = Float64Array.from({ length: m * n }, () => 2 * r() - 1),
      B = new Float64Array(m * w).fill(0.5);
    step.pullback(value, A, B, m, n, params, x);
    for (let row = 0; row < m; row++)
      for (let j = 0; j < w; j++) {
        let s = 0.5;
        for (let i = 0; i < n; i++) s += A[row * n + i] * jac[i][j];
        expect(B[row * w + j]).toBeCloseTo(s, 13);
      }
  });
});
