// Small dense matrices of expressions, with the operations the geometry needs.
import { add, div, type Expr, mul, MINUS_ONE, num, ONE, ZERO } from "./expr.js";

export type Matrix = Expr[][];
export type Vector = Expr[];

export const identity = (n: number): Matrix =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? ONE : ZERO)));
export const transpose = (a: Matrix): Matrix => (a.length === 0 ? [] : a[0].map((_, j) => a.map((row) => row[j])));
export const shape = (a: Matrix): [number, number] => [a.length, a[0]?.length ?? 0];

export function matMul(a: Matrix, b: Matrix): Matrix {
  const [n, k] = shape(a),
    m = b[0]?.length ?? 0;
  if (b.length !== k) throw new Error(`internal error: cannot multiply ${n}×${k} by ${b.length}×${m}`);
  return a.map((row) => Array.from({ length: m }, (_, j) => add(...row.map((aik, t) => mul(aik, b[t][j])))));
}

export const matVec = (a: Matrix, v: Vector): Vector => a.map((row) => add(...row.map((aij, j) => mul(aij, v[j]))));
export const matAdd = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((x, j) => add(x, b[i][j])));
export const matSub = (a: Matrix, b: Matrix): Matrix => a.map((row, i) => row.map((x, j) => add(x, mul(MINUS_ONE, b[i][j]))));
export const scale = (s: Expr, a: Matrix): Matrix => a.map((row) => row.map((x) => mul(s, x)));
export const trace = (a: Matrix): Expr => add(...a.map((row, i) => row[i]));
export const symmetrize = (a: Matrix): Matrix => a.map((row, i) => row.map((x, j) => mul(num(0.5), add(x, a[j][i]))));

/**
 * Aᵀ G A for symmetric G: only the upper triangle is built and mirrored, so the result is
 * exactly symmetric and costs half. This is one step of the pullback recursion.
 */
export function congruence(a: Matrix, g: Matrix): Matrix {
  const [m, n] = shape(a);
  const ga = matMul(g, a); // m×n
  const out: Matrix = Array.from({ length: n }, () => new Array<Expr>(n));
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const terms: Expr[] = [];
      for (let k = 0; k < m; k++) terms.push(mul(a[k][i], ga[k][j]));
      out[i][j] = out[j][i] = add(...terms);
    }
  }
  return out;
}

/** Determinant by cofactor expansion over column subsets (memoized minors: O(n·2ⁿ)). */
export function det(a: Matrix): Expr {
  const n = a.length;
  if (n === 0) return ONE;
  const memo = new Map<number, Expr>();
  // det of the minor on rows n-k..n-1 and the k columns in `mask`
  const minor = (mask: number, k: number): Expr => {
    if (k === 0) return ONE;
    const hit = memo.get(mask);
    if (hit) return hit;
    const row = n - k;
    const terms: Expr[] = [];
    let sign = 1;
    for (let c = 0; c < n; c++) {
      if (!(mask & (1 << c))) continue;
      if (a[row][c] !== ZERO) terms.push(mul(num(sign), a[row][c], minor(mask & ~(1 << c), k - 1)));
      sign = -sign;
    }
    const r = add(...terms);
    memo.set(mask, r);
    return r;
  };
  return minor((1 << n) - 1, n);
}

/** Inverse by the adjugate: entries are cofactors divided by the determinant. */
export function inverse(a: Matrix): { inv: Matrix; det: Expr } {
  const n = a.length;
  const d = det(a);
  const cof = (i: number, j: number): Expr => {
    const m = a.filter((_, r) => r !== i).map((row) => row.filter((_, c) => c !== j));
    return mul(num((i + j) % 2 === 0 ? 1 : -1), det(m));
  };
  const inv: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => div(cof(j, i), d)));
  return { inv, det: d };
}

/** The multi-index of the k-th entry of a row-major tensor of this shape. */
export function indicesOf(shape: readonly number[], k: number): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1, r = k; d >= 0; d--) {
    idx.unshift(r % shape[d]);
    r = Math.floor(r / shape[d]);
  }
  return idx;
}
