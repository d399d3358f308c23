import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { quantity, type QuantityName } from "../../src/core/quantities.js";
import { add, div, type Expr, evaluate, type Fn, fn, mul, num, pow, sub, sym, ZERO } from "../../src/symbolic/expr.js";
import { diff } from "../../src/symbolic/diff.js";
import { DAG, geometry } from "../../src/symbolic/geometry.js";
import { metricComponents } from "../../src/symbolic/metric.js";
import { print } from "../../src/symbolic/print.js";
import { qFromNumber } from "../../src/symbolic/simplify/rational.js";
import { RULE_PROOF, recognizeZeros, simplify, simplifyAll, zeroProofText } from "../../src/symbolic/simplify/index.js";
import { cli, model, rng, uniform } from "../helpers.js";

const example = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");
const quantityOf = (name: string, q: QuantityName) => {
  const m = example(name).metrics.get("g")!;
  return quantity(q).define(DAG, geometry(metricComponents(m), m.manifold.coords).quantities);
};
const shown = (e: Expr) => print(simplify(e).expr);
const [r, rs, x, y, t, a] = ["r", "rs", "x", "y", "t", "a"].map(sym);

describe("rationals from doubles", () => {
  it("reads a double as the simplest fraction that rounds to it, else its exact dyadic value", () => {
    expect(qFromNumber(0.5)).toEqual({ n: 1n, d: 2n });
    expect(qFromNumber(0.1)).toEqual({ n: 1n, d: 10n });
    expect(qFromNumber(-1 / 3)).toEqual({ n: -1n, d: 3n });
    expect(qFromNumber(2 ** -40)).toEqual({ n: 1n, d: 2n ** 40n });
    expect(qFromNumber(Math.PI)).not.toBeNull(); // some fraction equal to the double π
    const p = qFromNumber(Math.PI)!;
    expect(Number(p.n) / Number(p.d)).toBe(Math.PI);
    expect(qFromNumber(Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe("canonical forms", () => {
  it("cancels a sum through nested negations: 1 − rs/r − (1 − rs/r) = 0, by rule", () => {
    const u = sub(num(1), div(rs, r));
    expect(print(sub(u, u))).toBe("1 - rs/r - (1 - rs/r)"); // the constructors leave it
    expect(simplify(sub(u, u))).toEqual({ expr: ZERO, zero: true, proof: RULE_PROOF });
    expect(simplify(add(u, u)).zero).toBe(false);
    expect(print(simplify(add(u, u), { prefer: "canonical" }).expr)).toBe("2*(r - rs)/r");
  });

  it("cancels polynomial factors: (x² − y²)/(x − y) = x + y, and keeps exact coefficients", () => {
    expect(shown(div(sub(pow(x, num(2)), pow(y, num(2))), sub(x, y)))).toBe("x + y");
    expect(shown(add(div(x, num(3)), div(x, num(6))))).toBe("x/2");
    expect(shown(div(num(1), mul(num(2), add(x, mul(num(-1), y)))))).toBe("1/(2*(x - y))");
  });

  it("folds sin² + cos² under a rotation: the rotated polar chart gives 1 and r²", () => {
    const [th, c, s] = [sym("theta"), fn("cos", a), fn("sin", a)];
    const u = sub(mul(c, fn("cos", th)), mul(s, fn("sin", th)));
    const v = add(mul(s, fn("cos", th)), mul(c, fn("sin", th)));
    expect(shown(add(pow(u, num(2)), pow(v, num(2))))).toBe("1");
    expect(shown(add(pow(mul(r, u), num(2)), pow(mul(r, v), num(2))))).toBe("r^2");
  });

  it("expands sines and cosines of sums and multiples: sin(x + y) − sin x cos y − cos x sin y = 0, sin 2x = 2 sin x cos x", () => {
    const e = sub(fn("sin", add(x, y)), add(mul(fn("sin", x), fn("cos", y)), mul(fn("cos", x), fn("sin", y))));
    expect(simplify(e)).toEqual({ expr: ZERO, zero: true, proof: RULE_PROOF });
    expect(simplify(sub(fn("sin", mul(num(2), x)), mul(num(2), fn("sin", x), fn("cos", x)))).zero).toBe(true);
  });

  it("falls back to the expression as built when the budget runs out, never changing it", () => {
    const big = pow(add(x, y, t, num(1)), num(40)); // 12341 terms expanded
    const [s] = simplifyAll([sub(big, num(1))], { totalBudget: 1000 });
    expect(s.zero).toBe(false);
    expect(s.expr).toBe(sub(big, num(1)));
  });
});

describe("zero recognition", () => {
  it("finds a zero that needs the Pythagorean identity inside a tanh kernel's argument, and says how", () => {
    const z = sub(fn("tanh", add(pow(fn("sin", x), num(2)), pow(fn("cos", x), num(2)))), fn("tanh", num(1)));
    // sin² + cos² folds at construction already; build one that does not: tanh(1 − cos² x) vs tanh(sin² x)
    const w = sub(fn("tanh", sub(num(1), pow(fn("cos", x), num(2)))), fn("tanh", pow(fn("sin", x), num(2))));
    expect(recognizeZeros([w, z]).zero).toEqual([false, true]); // independent kernels: tanh(1 − cos²) ≠ tanh(sin²) there
    expect(simplify(w).zero).toBe(true); // the canonical form writes both arguments the same
  });

  it("never calls a nonzero expression zero (tiny differences, high degree, products of kernels)", () => {
    const cases = [
      sub(pow(add(x, num(1)), num(30)), pow(x, num(30))),
      sub(mul(fn("sin", x), fn("sin", x)), mul(num(1 - 2 ** -52), pow(fn("sin", x), num(2)))),
      sub(mul(fn("exp", x), fn("exp", y)), fn("exp", mul(x, y))), // exp(x + y) against exp(xy)
    ];
    expect(recognizeZeros(cases).zero).toEqual([false, false, false]);
    expect(cases.map((c) => simplify(c).zero)).toEqual([false, false, false]);
  });

  it("Schwarzschild's and Kerr's Ricci tensors are identically zero, every component", () => {
    for (const name of ["schwarzschild", "kerr"]) {
      const ric = quantityOf(name, "ricci");
      const s = simplifyAll(ric);
      expect(s.every((c) => c.zero)).toBe(true);
      expect(ric.some((e) => e !== ZERO)).toBe(true); // not built as 0: the simplifier proved it
    }
    // Schwarzschild's cancel in the canonical form; Kerr's are beyond its small proof budget, so the random points decide
    const sch = quantityOf("schwarzschild", "ricci").filter((e) => e !== ZERO);
    expect(new Set(simplifyAll(sch).map((s) => s.proof))).toEqual(new Set([RULE_PROOF]));
    const kerr = quantityOf("kerr", "ricci").filter((e) => e !== ZERO);
    expect(new Set(simplifyAll(kerr).map((s) => s.proof))).toEqual(new Set([zeroProofText(4)]));
    expect(new Set(simplifyAll(kerr, { totalBudget: 0 }).map((s) => s.proof))).toEqual(new Set([zeroProofText(4)]));
  });

  it("textbook forms: sphere K = 1/R², H² K = −1, polar Γ^r_θθ = −r", () => {
    expect(shown(quantityOf("sphere", "gaussian")[0])).toBe("1/R^2");
    expect(shown(quantityOf("h2", "gaussian")[0])).toBe("-1");
  });
});

/** A random expression over x, y, t, up to `depth` levels, of sums, products, quotients, powers and functions. */
function randomExpr(rand: () => number, depth: number): Expr {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  if (depth === 0 || rand() < 0.2) return rand() < 0.3 ? num(pick([-2, -1, 0.5, 1, 2, 3, 1 / 3])) : pick([x, y, t]);
  const sub1 = () => randomExpr(rand, depth - 1);
  switch (pick(["add", "sub", "mul", "div", "pow", "fn"])) {
    case "add":
      return add(sub1(), sub1(), sub1());
    case "sub":
      return sub(sub1(), sub1());
    case "mul":
      return mul(sub1(), sub1());
    case "div":
      return div(sub1(), add(num(3), mul(sub1(), sub1()), pow(sub1(), num(2))));
    case "pow":
      return pow(sub1(), num(pick([2, 3, -1, -2])));
    default:
      return fn(pick<Fn>(["sin", "cos", "tanh", "exp"]), sub1());
  }
}

describe("property: simplification never changes a value", () => {
  it("random expressions agree with their simplified forms at random points", () => {
    const rand = rng(7);
    let compared = 0,
      changed = 0;
    for (let i = 0; i < 300; i++) {
      const e = randomExpr(rand, 3);
      const s = simplify(e, { prefer: "canonical", componentBudget: 20_000 });
      if (s.expr !== e) changed++;
      for (let k = 0; k < 3; k++) {
        const env = { x: uniform(rand, -2, 2), y: uniform(rand, -2, 2), t: uniform(rand, -2, 2) };
        const [u] = evaluate([e], env),
          [v] = evaluate([s.expr], env);
        if (!Number.isFinite(u) || Math.abs(u) > 1e8) continue;
        expect(Math.abs(u - v)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(u)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(600);
    expect(changed).toBeGreaterThan(150); // the property is about forms that differ
  });
});

describe("printed forms", () => {
  it("rgnn geometry prints Kerr's Ricci tensor as 0 and the rotated polar metric as diag(1, r²)", async () => {
    const ric = await cli(["geometry", "examples/kerr.rgnn", "--quantity", "ricci"]);
    expect(ric.out).toContain("all components are 0");
    const g = await cli(["metric", "examples/polar-rotated.rgnn"]);
    expect(g.out).toContain("g = [ 1  0   ]\n    [ 0  r^2 ]");
    const sch = await cli(["geometry", "examples/schwarzschild.rgnn", "--quantity", "christoffel", "--format", "latex"]);
    expect(sch.out).toContain("\\Gamma^{t}{}_{t r} &= \\frac{\\mathrm{rs}}{2 \\, \\left(r - \\mathrm{rs}\\right) \\, r}");
  });

  it("--set writes values into printed formulas; the layered form names each x_l through x_{l−1}", async () => {
    const sch = await cli(["geometry", "examples/schwarzschild.rgnn", "--quantity", "christoffel", "--set", "rs=2"]);
    expect(sch.out).toContain("Gamma^r_t,t = (r - 2)/r^3");
    const res = await cli(["metric", "examples/symbolic-resnet.rgnn", "--form", "layers", "--set", "h=0.5"]);
    expect(res.out).toContain("x1_1 = x + 0.5*tanh(z1_1)");
    expect(res.out).toContain("x2_1 = x1_1 + 0.5*tanh(z2_1)");
    expect(res.out).not.toMatch(/\bh\b/);
  });
});

describe("exponentials: exp(a)^k = exp(ka), exp(a)·exp(b) = exp(a + b)", () => {
  const exp = (u: Expr) => fn("exp", u);
  it("the constructors build one node for equal exponentials", () => {
    expect(pow(exp(x), num(2))).toBe(exp(mul(num(2), x)));
    expect(mul(exp(x), exp(x))).toBe(exp(mul(num(2), x)));
    expect(mul(exp(x), exp(y))).toBe(exp(add(x, y)));
    expect(mul(num(3), exp(x), y, exp(mul(num(-1), y)))).toBe(mul(num(3), y, exp(sub(x, y))));
    expect(div(exp(mul(num(2), x)), exp(x))).toBe(exp(x));
    expect(pow(exp(x), num(-1))).toBe(exp(mul(num(-1), x)));
    expect(mul(exp(x), exp(mul(num(-1), x)))).toBe(num(1));
    expect(pow(exp(x), y)).toBe(exp(mul(x, y)));
    expect(sub(pow(exp(x), num(2)), exp(mul(num(2), x)))).toBe(ZERO);
    expect(sub(exp(add(x, y)), mul(exp(x), exp(y)))).toBe(ZERO);
    // and only those: exp(x)·exp(y) is not exp(xy), 2·exp(x) is not exp(2x)
    expect(mul(exp(x), exp(y))).not.toBe(exp(mul(x, y)));
    expect(mul(num(2), exp(x))).not.toBe(exp(mul(num(2), x)));
  });

  it("the canonical form cancels what only expanding shows: (exp(x) + 1)² − exp(2x) − 2exp(x) − 1 = 0", () => {
    const e = sub(pow(add(exp(x), num(1)), num(2)), add(exp(mul(num(2), x)), mul(num(2), exp(x)), num(1)));
    expect(e).not.toBe(ZERO);
    expect(simplify(e)).toEqual({ expr: ZERO, zero: true, proof: RULE_PROOF });
    // exp((x + 1)² − 1) = exp(x²)·exp(x)²
    const f = sub(exp(sub(pow(add(x, num(1)), num(2)), num(1))), mul(exp(pow(x, num(2))), pow(exp(x), num(2))));
    expect(simplify(f).zero).toBe(true);
    expect(simplify(sub(exp(pow(add(x, num(1)), num(2))), exp(pow(x, num(2))))).zero).toBe(false);
  });

  it("values and derivatives are unchanged (finite differences)", () => {
    const e = div(mul(pow(exp(x), num(3)), exp(mul(x, y)), sub(exp(y), num(1))), add(num(2), pow(exp(y), num(2))));
    const naive = (X: number, Y: number) => (Math.exp(X) ** 3 * Math.exp(X * Y) * (Math.exp(Y) - 1)) / (2 + Math.exp(Y) ** 2);
    const [dx, dy] = [diff([e], "x")[0], diff([e], "y")[0]];
    const next = rng(7);
    for (let i = 0; i < 6; i++) {
      const [X, Y] = [uniform(next, -1, 1), uniform(next, -1, 1)],
        env = { x: X, y: Y },
        eps = 1e-5;
      expect(evaluate([e], env)[0]).toBeCloseTo(naive(X, Y), 12);
      expect(evaluate([dx], env)[0]).toBeCloseTo((naive(X + eps, Y) - naive(X - eps, Y)) / (2 * eps), 7);
      expect(evaluate([dy], env)[0]).toBeCloseTo((naive(X, Y + eps) - naive(X, Y - eps)) / (2 * eps), 7);
    }
  });

  it("Gödel's metric: Γ^y_xy and Ric_xx are the zero node; R = −1/a², Kretschmann 3/a⁴", () => {
    // g = a²[−(dt + eˣdy)² + dx² + e²ˣdy²/2 + dz²]: before, Γ^y_xy printed as (exp(x)^2 - exp(2*x))/(…)
    // (flattened: Γ^a_bc at 16a + 4b + c, Ric_bd at 4b + d; t, x, y, z = 0 … 3)
    const gamma = quantityOf("godel", "christoffel"),
      ric = quantityOf("godel", "ricci");
    expect(gamma[16 * 2 + 4 * 1 + 2]).toBe(ZERO);
    expect(ric[4 * 1 + 1]).toBe(ZERO);
    expect(ric.map(shown)).toEqual(["1", "0", "exp(x)", "0", "0", "0", "0", "0", "exp(x)", "0", "exp(2*x)", ...Array(5).fill("0")]);
    expect(shown(quantityOf("godel", "scalar")[0])).toBe("-1/a^2");
    expect(shown(quantityOf("godel", "kretschmann")[0])).toBe("3/a^4");
  });
});
