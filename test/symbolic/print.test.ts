// The shared printer: one walk, three dialects. Text and LaTeX are pinned by the golden outputs; the JavaScript
// dialect must evaluate to what the expression evaluates to, whatever the nesting of signs, powers and quotients.
import { describe, expect, it } from "vitest";
import { type FunctionDef, JS_RUNTIME, REGISTRY } from "../../src/core/functions.js";
import { add, div, evaluate, type Expr, fn, FUNCTIONS, mul, neg, num, pow, sqrt, sub, sym } from "../../src/symbolic/expr.js";
import { JAVASCRIPT, latex, print, printIn } from "../../src/symbolic/print.js";

const x = sym("x"),
  y = sym("y");
const jsValue = (e: Expr, env: Record<string, number>) =>
  new Function(...Object.keys(JS_RUNTIME), "x", "y", `return ${printIn(JAVASCRIPT, e)};`)(
    ...Object.values(JS_RUNTIME),
    env.x,
    env.y,
  ) as number;

describe("printer dialects", () => {
  const cases: Expr[] = [
    neg(pow(x, num(2))), // -x^2: JS must not write `-x ** 2`
    div(num(-3), mul(x, add(y, num(2)))),
    pow(sub(x, y), num(-2.5)),
    sub(mul(num(0.1), fn("tanh", neg(x))), sqrt(add(num(1), pow(y, num(2))))),
    pow(fn("sin", add(x, y)), num(3)),
    div(fn("sigmoid", num(-3)), fn("softplus", sub(x, num(1)))), // a negative literal inside a template
    mul(num(1e-7), pow(x, y)),
  ];
  it("JavaScript evaluates to the expression's value", () => {
    const env = { x: 0.7, y: -0.4 };
    for (const e of cases) expect(jsValue(e, env)).toBeCloseTo(evaluate([e], env)[0], 13);
  });
  it("every registry function prints in all three dialects, with a compound argument", () => {
    const env = { x: 0.3, y: 0.2 };
    for (const f of FUNCTIONS) {
      const e = mul(num(2), fn(f, sub(x, y)));
      expect(jsValue(e, env)).toBeCloseTo(evaluate([e], env)[0], 13);
      if ((REGISTRY[f] as FunctionDef).identity) {
        expect(e).toBe(mul(num(2), sub(x, y))); // folded by the DAG: nothing to spell
        continue;
      }
      expect(print(e)).toBe(`2*${f}(x - y)`);
      expect(latex(e)).toMatch(/^2 \\, .+\\left\(x - y\\right\)$/);
    }
  });
  it("text and LaTeX keep their own conventions for the same walk", () => {
    const e = div(mul(num(-2), pow(fn("sin", x), num(2))), mul(y, add(x, num(1))));
    expect(print(e)).toBe("-2*sin(x)^2/(y*(1 + x))");
    expect(latex(e)).toBe("-\\frac{2 \\, \\sin^{2}(x)}{y \\, \\left(1 + x\\right)}");
  });
});
