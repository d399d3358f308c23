import { describe, expect, it } from "vitest";
import { compile } from "../../src/numeric/codegen.js";
import { add, div, evaluate, type Expr, fn, mul, num, pow, sqrt, sub, sym } from "../../src/symbolic/expr.js";
import { rng, uniform } from "../helpers.js";

/** A random DAG over x, y, a parameter c, reusing earlier nodes (so sharing is exercised). */
function randomDag(seed: number, size: number): Expr[] {
  const r = rng(seed);
  const pool: Expr[] = [sym("x"), sym("y"), sym("c"), num(0.5), num(-1.25)];
  const pick = () => pool[Math.floor(r() * pool.length)];
  for (let i = 0; i < size; i++) {
    const a = pick(),
      b = pick();
    const k = Math.floor(r() * 9);
    const e = [
      () => add(a, b),
      () => mul(a, b),
      () => sub(a, b),
      () => fn("tanh", a),
      () => fn("sin", add(a, b)),
      () => div(a, add(num(2), mul(b, b))),
      () => sqrt(add(num(1), mul(a, a))),
      () => pow(a, num(3)),
      () => fn("sigmoid", a),
    ][k]();
    pool.push(e);
  }
  return pool.slice(-6);
}

describe("code generation", () => {
  for (const chunkChars of [30_000, 60]) {
    it(`matches the interpreter on random DAGs (chunks of ${chunkChars} characters)`, () => {
      for (let seed = 1; seed <= 20; seed++) {
        const outs = randomDag(seed, 60);
        const f = compile(outs, ["x", "y"], { chunkChars });
        expect(f.params).toEqual(outs.some((o) => o) ? f.params : []);
        const r = rng(seed * 31);
        for (let k = 0; k < 5; k++) {
          const env = { x: uniform(r, -1, 1), y: uniform(r, -1, 1), c: uniform(r, -1, 1) };
          const want = evaluate(outs, env);
          const got = f.at(
            [env.x, env.y],
            f.params.map((p) => env[p as "c"]),
          );
          want.forEach((w, i) => {
            expect(got[i]).toBeCloseTo(w, 12);
          });
        }
      }
    });
  }

  it("evaluates a batch of points in one call", () => {
    const e = add(mul(sym("x"), sym("x")), fn("tanh", sym("y")));
    const f = compile([e, sym("x")], ["x", "y"]);
    const pts = Float64Array.from([0.1, 0.2, -0.3, 0.4, 1.5, -2]);
    const out = new Float64Array(6);
    f.run(pts, new Float64Array(0), out, 3);
    for (let k = 0; k < 3; k++) {
      expect(out[2 * k]).toBeCloseTo(pts[2 * k] ** 2 + Math.tanh(pts[2 * k + 1]), 15);
      expect(out[2 * k + 1]).toBe(pts[2 * k]);
    }
  });

  it("spells pi as Math.PI and takes any other name, even an Object property's, as a parameter", () => {
    const f = compile([mul(sym("toString"), sym("pi")), add(sym("constructor"), pow(sym("x"), num(2)))], ["x"]);
    expect(f.params).toEqual(["toString", "constructor"]);
    expect(Array.from(f.at([3], [2, 5]))).toEqual([2 * Math.PI, 14]);
  });

  it("emits one statement per distinct node", () => {
    const t = fn("tanh", sym("x"));
    const f = compile([mul(t, t), add(t, num(1))], ["x"]);
    expect(f.statements).toBe(3); // tanh(x), tanh(x)^2, tanh(x) + 1
  });
});
