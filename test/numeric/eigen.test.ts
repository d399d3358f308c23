// Eigenvalues of symmetric matrices by Householder tridiagonalisation + implicit QL (the route classifyMetric
// takes for wide metrics): hand cases, and random matrices Q diag(λ) Qᵀ with a known spectrum up to 300 × 300.
import { describe, expect, it } from "vitest";
import { classifyMetric, metricRank, metricRankAt, symmetricEigen, symmetricEigenvalues } from "../../src/numeric/linalg.js";
import { rng, uniform } from "../helpers.js";

/** Q diag(λ) Qᵀ with Q a product of `reflections` random Householder reflections I − 2vvᵀ. */
function withSpectrum(lambda: number[], seed: number, reflections = 6): number[][] {
  const n = lambda.length,
    r = rng(seed);
  const A = lambda.map((l, i) => lambda.map((_, j) => (i === j ? l : 0)));
  for (let k = 0; k < reflections; k++) {
    const v = Array.from({ length: n }, () => uniform(r, -1, 1));
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i] /= norm;
    // A ← H A H with H = I − 2vvᵀ: A − 2v(vᵀA) − 2(Av)vᵀ + 4(vᵀAv)vvᵀ
    const Av = A.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    const vAv = v.reduce((s, x, i) => s + x * Av[i], 0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i][j] += -2 * v[i] * Av[j] - 2 * Av[i] * v[j] + 4 * vAv * v[i] * v[j];
  }
  return A;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe("symmetricEigenvalues", () => {
  it("hand cases: 1×1, a diagonal, [[2,1],[1,2]] (1 and 3), the path graph's Laplacian (2 − 2cos(kπ/n))", () => {
    expect(symmetricEigenvalues([[-4]])).toEqual([-4]);
    expect(
      symmetricEigenvalues([
        [3, 0, 0],
        [0, -1, 0],
        [0, 0, 2],
      ]),
    ).toEqual([-1, 2, 3]);
    const two = symmetricEigenvalues([
      [2, 1],
      [1, 2],
    ]);
    expect(two[0]).toBeCloseTo(1, 14);
    expect(two[1]).toBeCloseTo(3, 14);
    // the Dirichlet path Laplacian tridiag(−1, 2, −1) of size n: 2 − 2cos(kπ/(n+1)), k = 1 … n
    const n = 50;
    const L = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 2 : Math.abs(i - j) === 1 ? -1 : 0)));
    const exact = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    symmetricEigenvalues(L).forEach((l, k) => {
      expect(Math.abs(l - exact[k])).toBeLessThan(1e-13);
    });
  });

  it("random matrices with a known spectrum, including repeated and zero eigenvalues, up to 300 × 300", () => {
    for (const [n, seed] of [
      [5, 1],
      [17, 2],
      [80, 3],
      [300, 4],
    ]) {
      const r = rng(seed);
      const lambda = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? 1.5 : uniform(r, -10, 10)));
      const got = symmetricEigenvalues(withSpectrum(lambda, seed + 10));
      const want = sorted(lambda);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-11 * 10 * n);
    }
  });

  it("agrees with cyclic Jacobi, and classifyMetric counts the signature of a 200 × 200 metric with a known spectrum", () => {
    const r = rng(9);
    const lambda = Array.from({ length: 30 }, () => uniform(r, -3, 3));
    const A = withSpectrum(lambda, 5);
    const j = symmetricEigen(A).values,
      h = symmetricEigenvalues(A);
    for (let i = 0; i < 30; i++) expect(Math.abs(j[i] - h[i])).toBeLessThan(1e-12);
    // 120 positive, 60 negative, 20 zero (relative to the largest: 1e-14 of it is below the tolerance)
    const spec = Array.from({ length: 200 }, (_, i) => (i < 120 ? 1 + i / 10 : i < 180 ? -0.5 - i / 100 : 1e-14 * (i - 190)));
    const c = classifyMetric(withSpectrum(spec, 7));
    expect(c.signature).toEqual([120, 60, 20]);
    expect(c.type).toBe("degenerate");
  });

  it("classifies a metric of tiny entries as its scaled copy: Jacobi stops relative to the diagonal, not at 1e-30", () => {
    // rank 1: 1e-16·[[1, 1], [1, 1]] has eigenvalues 0 and 2e-16 (an absolute stop reported its diagonal: rank 2)
    expect(
      classifyMetric([
        [1e-16, 1e-16],
        [1e-16, 1e-16],
      ]).rank,
    ).toBe(1);
    expect(
      metricRank([
        [1e-16, 1e-16],
        [1e-16, 1e-16],
      ]),
    ).toBe(1);
    // a random rank-5 JᵀJ of width 8 at scales 1e-14 … 1e6: the same eigenvalues relative to the scale, rank 5 either way
    const r = rng(13);
    const J = Array.from({ length: 5 }, () => Array.from({ length: 8 }, () => uniform(r, -1, 1)));
    const g = J[0].map((_, i) => J[0].map((_, j) => J.reduce((s, row) => s + row[i] * row[j], 0)));
    const unit = symmetricEigen(g).values;
    for (const scale of [1e-14, 1e-8, 1, 1e6]) {
      const gs = g.map((row) => row.map((x) => x * scale));
      symmetricEigen(gs).values.forEach((v, i) => {
        expect(Math.abs(v / scale - unit[i])).toBeLessThan(1e-12 * unit[7]);
      });
      expect([classifyMetric(gs).rank, metricRank(gs)]).toEqual([5, 5]);
    }
  });
});

describe("metricRankAt: metricRank of a metric stored flat", () => {
  it("gives metricRank's number on full, degenerate, badly scaled and non-finite metrics of every size in turn", () => {
    const r = rng(29);
    const cases: number[][][] = [];
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + (trial % 6),
        rank = trial % (n + 1);
      // JᵀJ of a rank-`rank` J, then rows and columns scaled by up to 10^±6 (past 10⁴: the equilibrated route)
      const J = Array.from({ length: rank }, () => Array.from({ length: n }, () => uniform(r, -1, 1)));
      const scale = Array.from({ length: n }, () => 10 ** (trial % 3 === 0 ? uniform(r, -6, 6) : 0));
      cases.push(
        Array.from({ length: n }, (_, i) =>
          Array.from({ length: n }, (_, j) => J.reduce((s, row) => s + row[i] * row[j], 0) * scale[i] * scale[j]),
        ),
      );
    }
    cases.push(
      [[0]],
      [[NaN]],
      [
        [1, 1],
        [1, 1 + 1e-15],
      ],
      [
        [-1, 0],
        [0, 1],
      ],
    );
    const ranks = new Set<number>();
    for (const g of cases) {
      const n = g.length,
        flat = new Float64Array(3 + n * n);
      flat.set(g.flat(), 3); // at an offset, after another matrix's numbers
      flat.fill(7, 0, 3);
      expect([n, metricRankAt(flat, 3, n)]).toEqual([n, metricRank(g)]);
      ranks.add(metricRank(g));
    }
    expect([...ranks].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // an overflowed entry: both refuse alike
    const inf = [
      [1, Infinity],
      [Infinity, 1],
    ];
    expect(() => metricRank(inf)).toThrow("no convergence");
    expect(() => metricRankAt(new Float64Array(inf.flat()), 0, 2)).toThrow("no convergence");
  });
});
