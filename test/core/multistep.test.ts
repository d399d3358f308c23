// The accurate one-activation scheme of order k (`multistep k`): its coefficients solve the order conditions exactly,
// it is zero-stable for k ≤ 6 and not for k = 7, and its networks converge to the k-th order flow with order ≈ k.
import { describe, expect, it } from "vitest";
import { LAYER_KINDS } from "../../src/core/layers/index.js";
import {
  characteristic,
  divideByRootOne,
  type Fraction,
  multistepCoefficients,
  schurStable,
  zeroStable,
} from "../../src/core/layers/multistep.js";
import { convergence, odeBlock } from "../../src/numeric/flow.js";
import type { Network } from "../../src/semantics/model.js";
import { model, onlyError } from "../helpers.js";

const str = (f: Fraction) => (f.d === 1n ? `${f.n}` : `${f.n}/${f.d}`);

/** The moduli of the roots of a real polynomial (highest power first), by Durand–Kerner in complex floats. */
function rootModuli(p: readonly number[]): number[] {
  const n = p.length - 1,
    c = p.map((v) => v / p[0]);
  let z = Array.from({ length: n }, (_, i) => [0.4 * Math.cos(0.9 + (2 * Math.PI * i) / n), 0.9 * Math.sin(0.9 + (2 * Math.PI * i) / n)]);
  const mul = ([a, b]: number[], [x, y]: number[]) => [a * x - b * y, a * y + b * x];
  const div = ([a, b]: number[], [x, y]: number[]) => [(a * x + b * y) / (x * x + y * y), (b * x - a * y) / (x * x + y * y)];
  for (let it = 0; it < 2000; it++)
    z = z.map((zi, i) => {
      let v = [1, 0];
      for (let j = 1; j <= n; j++) v = [mul(v, zi)[0] + c[j], mul(v, zi)[1]];
      let d = [1, 0];
      z.forEach((zj, j) => {
        if (j !== i) d = mul(d, [zi[0] - zj[0], zi[1] - zj[1]]);
      });
      const q = div(v, d);
      return [zi[0] - q[0], zi[1] - q[1]];
    });
  return z.map(([a, b]) => Math.hypot(a, b));
}

describe("multistep k: the one-activation scheme of order k", () => {
  it("k = 3 is the issue's step (25, −34, 22, −7, 1)/7 and 4/7", () => {
    const { a, c } = multistepCoefficients(3);
    expect(a.map(str)).toEqual(["25/7", "-34/7", "22/7", "-1", "1/7"]);
    expect(str(c)).toBe("4/7");
    expect(LAYER_KINDS.multistep_3.reads).toBe(5);
    expect(LAYER_KINDS.multistep_3.recurrence!(5).scale).toEqual({ factor: 4 / 7, power: 3 });
    expect(LAYER_KINDS.multistep_3.ode!.accuracy).toBe(3);
  });

  it.each([3, 4, 5, 6, 7])("k = %i: exact on every polynomial of degree < 2k, not on degree 2k", (k) => {
    const { a, c } = multistepCoefficients(k);
    // x(t) = t^p at t = 0 from x(−1 − i) and the k-th derivative at −1, in integers over the common denominator
    const D = [...a, c].reduce((s, v) => s * v.d, 1n);
    const defect = (p: number) => {
      let s = p === 0 ? -D : 0n;
      a.forEach((v, i) => {
        s += ((v.n * D) / v.d) * BigInt(-1 - i) ** BigInt(p);
      });
      if (p >= k) {
        let falling = 1n;
        for (let i = 0; i < k; i++) falling *= BigInt(p - i);
        s += ((c.n * D) / c.d) * falling * (-1n) ** BigInt(p - k);
      }
      return s;
    };
    for (let p = 0; p < 2 * k; p++) expect(defect(p), `t^${p}`).toBe(0n);
    expect(defect(2 * k)).not.toBe(0n);
  });

  it("zero-stable for k ≤ 6 (ρ = (ζ − 1)^k q, q's roots inside the circle), unstable for k = 7", () => {
    const moduli: number[] = [];
    for (const k of [2, 3, 4, 5, 6, 7, 8]) {
      const { a } = multistepCoefficients(k);
      let q: Fraction[] | null = characteristic(a);
      for (let i = 0; i < k; i++) q = divideByRootOne(q!);
      expect(divideByRootOne(q!), `1 is a root of multiplicity exactly ${k}`).toBeNull();
      const m = Math.max(...rootModuli(q!.map((v) => Number(v.n) / Number(v.d))));
      moduli.push(m);
      expect(schurStable(q!), `k = ${k}, max |root| ${m}`).toBe(m < 1);
      expect(zeroStable(k, a)).toBe(k <= 6);
    }
    // the largest parasitic root for k = 2 … 8: 0, 0.378, 0.634, 0.823, 0.972, 1.095, 1.198
    [0, 0.378, 0.634, 0.823, 0.972, 1.095, 1.198].forEach((m, i) => {
      expect(moduli[i]).toBeCloseTo(m, 3);
    });
    // the Schur–Cohn test itself: roots 0.5 and 0.9 inside, 1.1 outside
    const F = (n: bigint, d = 1n): Fraction => ({ n, d });
    expect(schurStable([F(1n), F(-14n, 10n), F(45n, 100n)])).toBe(true); // (ζ − 0.5)(ζ − 0.9)
    expect(schurStable([F(1n), F(-16n, 10n), F(55n, 100n)])).toBe(false); // (ζ − 0.5)(ζ − 1.1)
  });

  it("`multistep 7` is refused where it is written, saying why; multistep 1 and 2 are residual and second_order", () => {
    const e = onlyError("manifold I (x, y)\nnetwork n : I -> R^2 {\n  multistep 7 tanh with h = 0.1\n}\n");
    expect(e.message).toBe("no layer kind 'multistep 7'");
    expect([e.line, e.col]).toEqual([3, 13]);
    expect(e.notes.join(" ")).toMatch(/1 to 6 .*not zero-stable/);
    const kinds = (k: number) =>
      (
        [...model(`manifold I (x, y)\nnetwork n : I -> R^2 {\n  multistep ${k} tanh with h = 0.1\n}\n`).mappings.values()].find(
          (m) => m.kind === "network",
        ) as Network
      ).layers[0].kind;
    expect([1, 2, 3, 6].map(kinds)).toEqual(["residual", "second_order", "multistep_3", "multistep_6"]);
  });

  it.each([3, 4, 5, 6])("k = %i: the network converges to d^k x/dt^k = tanh(Wx + b) with order ≈ k (order k: ≈ 1)", (k) => {
    const spec = (word: string) =>
      `manifold I (x, y)\nnetwork n : I -> R^2 {\n  repeat 4 { ${word} ${k} tanh with h = 1, W = [[-0.8, -1.1], [0.9, -0.6]], ` +
      "b = [0.3, -0.2] }\n}\n";
    const block = (word: string) =>
      odeBlock([...model(spec(word)).mappings.values()].find((m) => m.kind === "network") as Network, new Map());
    // T = 4 and depths where truncation, not round-off (amplified ~N^k by the k-fold root at 1), sets the error
    const c = convergence(block("multistep"), "linear", [0.3, -0.7], [24, 32, 48, 64]);
    expect(c.expectedOrder).toBe(k);
    expect(c.stateOrder).toBeGreaterThan(k - 0.5);
    expect(c.stateOrder).toBeLessThan(k + 1);
    const b = convergence(block("order"), "linear", [0.3, -0.7], [24, 32, 48, 64]);
    expect(b.stateOrder).toBeLessThan(1.5);
  });
});
