import { describe, expect, it } from "vitest";
import { diff } from "../../src/symbolic/diff.js";
import {
  add,
  dagSize,
  div,
  evaluate,
  type Expr,
  fn,
  FUNCTIONS,
  mul,
  num,
  ONE,
  pow,
  sqrt,
  sub,
  substitute,
  sym,
  TWO,
  ZERO,
} from "../../src/symbolic/expr.js";
import { fromMath, toMath } from "../../src/symbolic/mathjs.js";
import { print } from "../../src/symbolic/print.js";
import { parse as mathParse } from "mathjs";
import { rng, uniform } from "../helpers.js";

const x = sym("x"),
  y = sym("y"),
  r = sym("r"),
  th = sym("theta");

describe("hash-consed canonical forms", () => {
  it("shares structurally equal nodes", () => {
    expect(sym("x")).toBe(x);
    expect(add(x, y)).toBe(add(y, x));
    expect(mul(num(2), x, num(3))).toBe(mul(num(6), x));
    expect(fn("tanh", add(x, ONE))).toBe(fn("tanh", add(ONE, x)));
  });

  it("keys nodes by value, name and operands exactly: nearby numbers stay apart, NaN is one node", () => {
    expect(num(0.1 + 0.2)).not.toBe(num(0.3));
    expect(num(0.1 + 0.2)).toBe(num(0.30000000000000004));
    expect(num(Number.NaN)).toBe(num(0 / 0));
    expect(num(Number.POSITIVE_INFINITY)).not.toBe(num(Number.NEGATIVE_INFINITY));
    expect(num(-0)).toBe(ZERO);
    expect(sym("ab")).not.toBe(sym("ba"));
    expect(fn("sin", x)).not.toBe(fn("cos", x));
    // the same operands in another order are another node (pow is not commutative); ids give creation order
    const p = pow(x, y),
      q = pow(y, x);
    expect(p).not.toBe(q);
    expect(pow(x, y)).toBe(p);
    expect(q.id).toBeGreaterThan(p.id);
    // many distinct nodes stay distinct and each is found again (collision chains)
    const made = Array.from({ length: 5000 }, (_, k) => add(x, num(k + 0.5)));
    expect(new Set(made).size).toBe(5000);
    for (let k = 0; k < made.length; k++) expect(add(num(k + 0.5), x)).toBe(made[k]);
  });

  it("finds every node again after the table and the per-node marks have grown", () => {
    // 200k new nodes: past the open-addressing table's first rehash (at 131k) and the marks' first size (65k ids)
    const made = Array.from({ length: 100_000 }, (_, k) => add(y, num(-k - 0.25)));
    for (let k = 0; k < made.length; k += 7) expect(add(num(-k - 0.25), y)).toBe(made[k]);
    expect(new Set(made).size).toBe(100_000);
    // a walk over all of them meets y once and each number and sum once
    expect(dagSize(made)).toBe(1 + 2 * 100_000);
  });

  it("applies the light simplification rules", () => {
    expect(sub(x, x)).toBe(ZERO);
    expect(add(x, x)).toBe(mul(TWO, x));
    expect(mul(x, x)).toBe(pow(x, TWO));
    expect(mul(x, pow(x, num(-1)))).toBe(ONE);
    expect(pow(mul(TWO, x), TWO)).toBe(mul(num(4), pow(x, TWO)));
    expect(add(num(2), num(3), mul(ZERO, x))).toBe(num(5));
    expect(fn("tanh", ZERO)).toBe(ZERO);
    expect(pow(pow(x, num(3)), TWO)).toBe(pow(x, num(6)));
  });

  it("uses sin² + cos² = 1, with any common cofactor", () => {
    const s2 = pow(fn("sin", th), TWO),
      c2 = pow(fn("cos", th), TWO);
    expect(add(s2, c2)).toBe(ONE);
    expect(add(mul(num(3), r, r, s2), mul(num(3), pow(r, TWO), c2))).toBe(mul(num(3), pow(r, TWO)));
    expect(add(mul(s2, pow(fn("sin", x), TWO)), mul(s2, pow(fn("cos", x), TWO)), c2)).toBe(ONE);
    // different coefficients: left alone (still correct, just not shorter)
    const e = add(mul(TWO, s2), c2);
    expect(evaluate([e], { theta: 0.7 })[0]).toBeCloseTo(1 + Math.sin(0.7) ** 2, 14);
  });

  it("keeps deep sums shared instead of flattening them", () => {
    let v: Expr = x;
    const sizes: number[] = [];
    for (let l = 1; l <= 400; l++) {
      v = add(v, mul(num(0.1), fn("tanh", add(mul(num(0.5), v), num(l / 1000)))));
      if (l === 200 || l === 400) sizes.push(dagSize([v]));
    }
    expect(sizes[1] / sizes[0]).toBeLessThan(2.1);
  });
});

describe("differentiation", () => {
  const r0 = rng(7);
  for (const f of FUNCTIONS) {
    if (f === "heaviside" || f === "sign") continue;
    it(`d/dx ${f}(x^2 y + 0.3x) agrees with central differences`, () => {
      const inner = add(mul(pow(x, TWO), y), mul(num(0.3), x)); // in (0.1, 2.1): scaled into atanh's domain (−1, 1)
      const e = fn(f, f === "atanh" ? mul(num(0.4), inner) : inner);
      const [d] = diff([e], "x");
      for (let k = 0; k < 5; k++) {
        const env = { x: uniform(r0, 0.2, 1.2), y: uniform(r0, 0.2, 1.2) };
        const eps = 1e-5;
        const fd = (evaluate([e], { ...env, x: env.x + eps })[0] - evaluate([e], { ...env, x: env.x - eps })[0]) / (2 * eps);
        expect(evaluate([d], env)[0]).toBeCloseTo(fd, 6);
      }
    });
  }

  it("writes tanh' as 1 − tanh², sharing tanh", () => {
    const t = fn("tanh", x);
    expect(diff([t], "x")[0]).toBe(sub(ONE, pow(t, TWO)));
  });

  it("differentiates powers, quotients and square roots", () => {
    const e = div(sqrt(add(pow(x, TWO), pow(y, TWO))), add(ONE, pow(x, y)));
    const [dx, dy] = [diff([e], "x")[0], diff([e], "y")[0]];
    const env = { x: 0.7, y: 1.3 },
      eps = 1e-6;
    const at = (dxv: number, dyv: number) => evaluate([e], { x: env.x + dxv, y: env.y + dyv })[0];
    expect(evaluate([dx], env)[0]).toBeCloseTo((at(eps, 0) - at(-eps, 0)) / (2 * eps), 7);
    expect(evaluate([dy], env)[0]).toBeCloseTo((at(0, eps) - at(0, -eps)) / (2 * eps), 7);
  });

  it("keeps derivatives of deep compositions linear in size", () => {
    const chain = (n: number) => {
      let v: Expr = x;
      for (let i = 0; i < n; i++) v = fn("tanh", add(mul(num(1.1), v), mul(num(0.2), y), num(i / n)));
      return v;
    };
    const s100 = dagSize(diff([chain(100)], "x")),
      s200 = dagSize(diff([chain(200)], "x"));
    expect(s200 / s100).toBeLessThan(2.1);
  });
});

describe("substitution and conversion", () => {
  it("substitutes simultaneously", () => {
    const [e] = substitute(
      [sub(x, mul(TWO, y))],
      new Map([
        ["x", y],
        ["y", x],
      ]),
    );
    expect(e).toBe(sub(y, mul(TWO, x)));
  });

  it("round-trips through mathjs", () => {
    const text = "sin(x)^2 * sqrt(y) / (1 + exp(-x*y)) - 3 * tanh(x - y)";
    const e = fromMath(mathParse(text));
    const back = fromMath(toMath(e));
    expect(back).toBe(e);
    const env = { x: 0.4, y: 1.7 };
    expect(evaluate([e], env)[0]).toBeCloseTo(mathParse(text).evaluate(env), 14);
  });

  it("prints readably", () => {
    expect(print(pow(r, TWO))).toBe("r^2");
    expect(print(pow(y, num(-2)))).toBe("1/y^2");
    expect(print(mul(num(-1), r, fn("sin", th)))).toBe("-r*sin(theta)");
    expect(print(sub(ONE, pow(fn("tanh", x), TWO)))).toBe("1 - tanh(x)^2");
    expect(print(mul(num(2), add(x, y)))).toBe("2*(x + y)");
    expect(print(pow(add(x, y), mul(num(-1), y)))).toBe("(x + y)^(-y)");
  });
});
