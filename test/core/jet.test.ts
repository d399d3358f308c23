// Jets: f', f'', f''' of every registry function from its one derivative rule, held to finite differences, and every
// hand-written fast path (FunctionDef.derivatives) held to them; the jet arithmetic itself against known series.
import { describe, expect, it } from "vitest";
import { FUNCTIONS, REAL } from "../../src/core/functions.js";
import { derivativesOf, jetAlgebra, jetDerivatives } from "../../src/core/jet.js";
import { ACTIVATION_DERIVATIVES } from "../../src/numeric/engine/activations.js";
import { ACTIVATIONS } from "../../src/semantics/model.js";
import { evaluate, sym } from "../../src/symbolic/expr.js";
import { DAG } from "../../src/symbolic/expr.js";
import { close, def, fd, samples } from "./function-samples.js";

describe.each(FUNCTIONS.map((f) => [f]))("%s", (f) => {
  const d = def(f);
  it("the jets' f' is the rule's, and f'', f''' agree with differences of f', f''", () => {
    const d1 = (x: number) => d.derivative(REAL, x, d.value(x)),
      d2 = (x: number) => jetDerivatives(f, x)[1];
    for (const x of samples(f)) {
      const [f1, f2, f3] = jetDerivatives(f, x);
      expect(close(f1, d1(x), 1e-14), `${f}'(${x}) = ${f1}, the rule gives ${d1(x)}`).toBe(true);
      expect(close(f2, fd(d1, x), 1e-8), `${f}''(${x}) = ${f2}, differences ${fd(d1, x)}`).toBe(true);
      expect(close(f3, fd(d2, x), 1e-8), `${f}'''(${x}) = ${f3}, differences ${fd(d2, x)}`).toBe(true);
    }
  });
  it("the engine's derivatives (its fast path where it has one) are the jets'", () => {
    const out = new Float64Array(12);
    for (const x of samples(f)) {
      derivativesOf(f)(x, d.value(x), out, 1, 3);
      const jet = jetDerivatives(f, x);
      for (let k = 0; k < 3; k++)
        expect(close(out[1 + 3 * (k + 1)], jet[k], 1e-12), `${f}^(${k + 1})(${x}) = ${out[1 + 3 * (k + 1)]}, jets ${jet[k]}`).toBe(true);
    }
  });
});

describe("jet arithmetic", () => {
  const J = jetAlgebra(REAL, 3);
  const x = (x0: number) => [x0, 1, 0, 0];
  it("products, quotients and powers are the Taylor series of the functions they make", () => {
    // (x² + 1)/(x − 3) at 1: value −1, and its derivatives by hand: f' = (x² − 6x − 1)/(x − 3)², …
    const q = J.div(J.add(J.pow(x(1), 2), J.num(1)), J.sub(x(1), J.num(3)));
    expect(q[0]).toBeCloseTo(-1, 15);
    expect(q[1]).toBeCloseTo(-6 / 4, 14); // (1 − 6 − 1)/4
    expect(2 * q[2]).toBeCloseTo(20 / -8, 14); // f'' = 20/(x − 3)³
    expect(6 * q[3]).toBeCloseTo(-60 / 16, 13); // f''' = −60/(x − 3)⁴
    // a fractional power by its recurrence, a negative one through the quotient
    const r = J.pow(x(4), 0.5);
    expect([r[0], r[1], 2 * r[2], 6 * r[3]]).toEqual([2, 0.25, -1 / 32, 3 / 256]);
    const inv = J.pow(x(2), -2);
    expect([inv[0], inv[1], 2 * inv[2], 6 * inv[3]].map((v) => +v.toPrecision(15))).toEqual([0.25, -0.25, 0.375, -0.75]);
    // integer powers hold at 0, where the recurrence would divide by a₀
    expect(J.pow(x(0), 3)).toEqual([0, 0, 0, 1]);
  });
  it("composes: sin(exp(x)) agrees with differences of its jet's lower coefficients", () => {
    const g = (t: number) => J.fn("sin", J.fn("exp", x(t)));
    for (const t of [-0.7, 0.2, 1.1]) {
      expect(g(t)[1]).toBeCloseTo(Math.cos(Math.exp(t)) * Math.exp(t), 14);
      expect(2 * g(t)[2]).toBeCloseTo(
        fd((s) => g(s)[1], t),
        8,
      );
      expect(6 * g(t)[3]).toBeCloseTo(
        fd((s) => 2 * g(s)[2], t),
        8,
      );
    }
  });
  it("works over any algebra: over DAG nodes it builds tanh''' as a closed form", () => {
    const t3 = jetAlgebra(DAG, 3).fn("tanh", [sym("u"), DAG.num(1), DAG.num(0), DAG.num(0)])[3];
    for (const u of [-0.8, 0.3, 1.4]) {
      const th = Math.tanh(u);
      expect(6 * evaluate([t3], { u })[0]).toBeCloseTo(-2 * (1 - th * th) * (1 - 3 * th * th), 13);
    }
  });
});

describe("the engine's activation table", () => {
  it("writes σ and the registry's derivatives for every activation, the identity's included", () => {
    const out = new Float64Array(4);
    for (const a of ACTIVATIONS) {
      ACTIVATION_DERIVATIVES[a](0.45, out, 0, 1);
      expect(out[0]).toBe(def(a).value(0.45));
      expect([...out.slice(1)]).toEqual(jetDerivatives(a, 0.45).map((v, k) => (close(out[k + 1], v, 1e-12) ? out[k + 1] : v)));
    }
    ACTIVATION_DERIVATIVES.linear(0.45, out, 0, 1);
    expect([...out]).toEqual([0.45, 1, 0, 0]);
  });
});
