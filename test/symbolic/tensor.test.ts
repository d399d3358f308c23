import { describe, expect, it } from "vitest";
import { detN } from "../../src/numeric/linalg.js";
import { evaluate, fn, mul, num, sym } from "../../src/symbolic/expr.js";
import { congruence, det, type identity, inverse, matMul, symmetrize, trace, transpose } from "../../src/symbolic/tensor.js";
import { rng, uniform } from "../helpers.js";

const a = sym("a"),
  b = sym("b"),
  c = sym("c");
const A = [
  [a, mul(num(2), b), c],
  [fn("sin", a), b, num(1)],
  [num(0.5), mul(a, c), fn("exp", b)],
];
const env = { a: 0.7, b: -0.4, c: 1.3 };
const value = (m: ReturnType<typeof identity>) => m.map((row) => evaluate(row, env));

describe("symbolic tensors", () => {
  it("determinant agrees with numeric elimination", () => {
    expect(evaluate([det(A)], env)[0]).toBeCloseTo(detN(value(A)), 13);
  });

  it("inverse times the matrix is the identity", () => {
    const { inv } = inverse(A);
    const prod = value(matMul(inv, A));
    prod.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(i === j ? 1 : 0, 12);
      });
    });
  });

  it("trace, transpose, symmetrization", () => {
    expect(evaluate([trace(A)], env)[0]).toBeCloseTo(0.7 - 0.4 + Math.exp(-0.4), 14);
    expect(transpose(transpose(A))).toEqual(A);
    const S = symmetrize(A);
    const s = value(S);
    s.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBe(s[j][i]);
      });
    });
  });

  it("congruence Jᵀ G J is exactly symmetric and equals the two products", () => {
    const r = rng(5);
    const G = [
      [num(2), num(0.3), num(0)],
      [num(0.3), num(1), num(0.1)],
      [num(0), num(0.1), num(3)],
    ];
    const J = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => mul(num(uniform(r, -1, 1)), sym("a"))));
    const C = congruence(J, G);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(C[i][j]).toBe(C[j][i]);
    const ref = value(matMul(transpose(J), matMul(G, J)));
    value(C).forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(ref[i][j], 13);
      });
    });
  });
});
