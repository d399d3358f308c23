// Small dense numeric linear algebra on number[][]: enough for metrics of modest dimension.

export type Mat = number[][];

export const matMulN = (a: Mat, b: Mat): Mat => a.map((row) => b[0].map((_, j) => row.reduce((s, aik, k) => s + aik * b[k][j], 0)));
export const transposeN = (a: Mat): Mat => a[0].map((_, j) => a.map((row) => row[j]));
export const identityN = (n: number): Mat => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
/** Aᵀ G A. */
export const congruenceN = (a: Mat, g: Mat): Mat => matMulN(transposeN(a), matMulN(g, a));

/** Eigenvalues (ascending) and unit eigenvectors (columns) of a symmetric matrix, by cyclic Jacobi. */
export function symmetricEigen(a: Mat): { values: number[]; vectors: Mat } {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v = identityN(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i][j] * m[i][j];
    // relative to the diagonal: an absolute floor would stop at once on a metric of tiny entries (J ~ 1e-8 where tanh
    // saturates) and report its diagonal, a wrong rank (0 ≤ 0 still stops on the zero matrix)
    if (off <= 1e-30 * m.reduce((s, r, i) => s + r[i] * r[i], 0)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (m[p][q] === 0) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k][p],
            mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p][k],
            mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p],
            vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[i][i] - m[j][j]);
  return { values: idx.map((i) => m[i][i]), vectors: v.map((row) => idx.map((i) => row[i])) };
}

/** Below this dimension cyclic Jacobi (classifyMetric's original route) is kept; above, Householder + QL. */
const JACOBI_MAX = 64;

/**
 * Eigenvalues (ascending) of a symmetric matrix (only its lower triangle is read): Householder reduction to
 * tridiagonal form, then the implicit QL method with Wilkinson shifts (tred2/tqli of Numerical Recipes §11.2–11.3,
 * without eigenvectors). About 4n³/3 flops, iterative (no recursion), on one Float64Array: a 1024 × 1024 metric
 * takes seconds where cyclic Jacobi would take minutes.
 */
export function symmetricEigenvalues(m: Mat): number[] {
  const n = m.length;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) a[i * n + k] = m[i][k];
  return Array.from(eigenvaluesInPlace(a, n, new Float64Array(n), new Float64Array(n))).sort((x, y) => x - y);
}

/** symmetricEigenvalues on the lower triangle of `a` (n × n, row-major; overwritten), into d (unsorted); e: scratch. */
function eigenvaluesInPlace(a: Float64Array, n: number, d: Float64Array, e: Float64Array): Float64Array {
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1,
      ri = i * n;
    let scale = 0;
    for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]);
    if (l === 0 || scale === 0) {
      e[i] = a[ri + l];
      continue;
    }
    let h = 0;
    for (let k = 0; k <= l; k++) {
      a[ri + k] /= scale;
      h += a[ri + k] * a[ri + k];
    }
    let f = a[ri + l];
    let g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    e[i] = scale * g;
    h -= f * g;
    a[ri + l] = f - g;
    f = 0;
    for (let j = 0; j <= l; j++) {
      g = 0;
      for (let k = 0; k <= j; k++) g += a[j * n + k] * a[ri + k];
      for (let k = j + 1; k <= l; k++) g += a[k * n + j] * a[ri + k];
      e[j] = g / h;
      f += e[j] * a[ri + j];
    }
    const hh = f / (h + h);
    for (let j = 0; j <= l; j++) {
      f = a[ri + j];
      e[j] = g = e[j] - hh * f;
      for (let k = 0; k <= j; k++) a[j * n + k] -= f * e[k] + g * a[ri + k];
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // implicit QL on the tridiagonal (d, e): e[i] couples d[i] and d[i + 1]
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter === 100) throw new Error(`symmetric eigenvalues: no convergence at ${l} of ${n}`);
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1,
        c = 1,
        p = 0,
        i = m - 1,
        deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i],
          b = c * e[i];
        e[i + 1] = r = Math.hypot(f, g);
        if (r === 0) {
          // underflow: the matrix splits here; restart this eigenvalue
          d[i + 1] -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
}

/** Ascending eigenvalues of a symmetric matrix: cyclic Jacobi up to JACOBI_MAX, Householder + QL beyond. */
export const eigenvaluesOf = (g: Mat): number[] => (g.length <= JACOBI_MAX ? symmetricEigen(g).values : symmetricEigenvalues(g));

/** Relative tolerance of the metric classification: an eigenvalue λ counts as zero when |λ| ≤ SIGNATURE_TOL · max|λ|. */
export const SIGNATURE_TOL = 1e-10;

export type MetricType = "Riemannian" | "negative definite" | "Lorentzian" | "indefinite" | "degenerate";

/** A symmetric matrix's signature (n₊ positive, n₋ negative, n₀ zero eigenvalues), rank n₊ + n₋, and what metric it makes. */
export interface MetricClass {
  signature: [number, number, number];
  rank: number;
  type: MetricType;
}

/**
 * Eigenvalues of D^-1/2 g D^-1/2, D the rows' largest |g_ab| (1 for a zero row), when those scales differ by more than
 * 10⁴ (else null: g's own eigenvalues serve). By Sylvester's law of inertia this congruence keeps the signature, and it
 * judges zero per coordinate's own scale: diag(1e200, 1e-200) and diag(e^25, e^-25) are Riemannian of rank 2, while
 * [[1, 1], [1, 1 + 1e-15]] stays degenerate (its scaled eigenvalues are 2 and 5e-16).
 */
function equilibratedEigenvalues(g: Mat): number[] | null {
  const r = g.map((row) => row.reduce((s, x) => Math.max(s, Math.abs(x)), 0) || 1);
  if (!r.every(Number.isFinite)) return null;
  const hi = Math.max(...r),
    lo = Math.min(...r);
  if (hi <= 1e4 * lo) return null;
  const d = r.map(Math.sqrt);
  return eigenvaluesOf(g.map((row, a) => row.map((x, b) => x / d[a] / d[b])));
}

/**
 * The one classification of a metric at a point, used wherever a rank, signature or type is reported or checked.
 * Zero eigenvalues are those with |λ| ≤ max(SIGNATURE_TOL · max|λ|, zeroFloor): `zeroFloor` is the size below which
 * the factors that built g cannot tell an eigenvalue from 0 (roundoff.ts's metricZeroFloor for a pullback: a
 * Jacobian that cancels to 1e-16 from terms of size 1 gives g ≈ 1e-32·I, which is 0, not a tiny Riemannian metric);
 * without it g's own size is the scale (a metric given by components is its own factor). All eigenvalues negative is
 * negative definite; Lorentzian means one eigenvalue of one sign and the rest (at least one) of the other, none zero;
 * other non-degenerate ones with both signs are indefinite.
 */
export function classifyMetric(g: Mat, eigenvalues: number[] = eigenvaluesOf(g), zeroFloor = 0): MetricClass {
  if (zeroFloor === 0) eigenvalues = equilibratedEigenvalues(g) ?? eigenvalues;
  const max = eigenvalues.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
  const cut = Math.max(SIGNATURE_TOL * max, zeroFloor);
  const plus = max > 0 ? eigenvalues.filter((x) => x > cut).length : 0,
    minus = max > 0 ? eigenvalues.filter((x) => x < -cut).length : 0;
  const zero = eigenvalues.length - plus - minus;
  const type: MetricType =
    zero > 0
      ? "degenerate"
      : minus === 0
        ? "Riemannian"
        : plus === 0
          ? "negative definite"
          : Math.min(plus, minus) === 1
            ? "Lorentzian"
            : "indefinite";
  return { signature: [plus, minus, zero], rank: plus + minus, type };
}

/**
 * The rank of a metric at a point, as `eval` reports it per point: eigenvalues only (Householder + QL, about a tenth of
 * cyclic Jacobi's time with its eigenvectors at n = 8), then classifyMetric's cut. Both eigenvalue routes are accurate
 * relative to the largest eigenvalue, so they classify alike except within round-off of the cut.
 */
export const metricRank = (g: Mat): number => classifyMetric(g, symmetricEigenvalues(g)).rank;

/** metricRankAt's scratch, grown to the largest n seen. */
let rankScratch = { a: new Float64Array(0), d: new Float64Array(0), e: new Float64Array(0) };

/**
 * metricRank of the n × n metric stored flat (row-major) in g from `at` on: the same number, without an array per
 * point (`eval --points` asks it of every row). Rows whose scales differ by more than 10⁴ (classifyMetric's
 * equilibrated eigenvalues) go through metricRank itself.
 */
export function metricRankAt(g: Float64Array, at: number, n: number): number {
  let hi = -Infinity,
    lo = Infinity;
  for (let a = 0; a < n; a++) {
    let s = 0;
    for (let b = 0; b < n; b++) s = Math.max(s, Math.abs(g[at + a * n + b]));
    const r = s || 1;
    hi = Math.max(hi, r);
    lo = Math.min(lo, r);
  }
  if (Number.isFinite(hi) && hi > 1e4 * lo)
    return metricRank(Array.from({ length: n }, (_, a) => Array.from(g.subarray(at + a * n, at + (a + 1) * n))));
  if (rankScratch.d.length < n) rankScratch = { a: new Float64Array(n * n), d: new Float64Array(n), e: new Float64Array(n) };
  const { a, d, e } = rankScratch;
  for (let i = 0; i < n; i++) for (let k = 0; k <= i; k++) a[i * n + k] = g[at + i * n + k];
  eigenvaluesInPlace(a, n, d, e);
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(d[i]));
  if (!(max > 0)) return 0;
  const cut = SIGNATURE_TOL * max;
  let rank = 0;
  for (let i = 0; i < n; i++) if (d[i] > cut || d[i] < -cut) rank++;
  return rank;
}

/** How a classification reads: "signature (3,1,0), Lorentzian". */
export const classText = (c: MetricClass) => `signature (${c.signature.join(",")}), ${c.type}`;

/** Gaussian elimination with partial pivoting on [A | B]; null when A is singular (relative to its size). */
function eliminate(A: Mat, B: Mat): { X: Mat; det: number } | null {
  const n = A.length,
    m = B[0]?.length ?? 0;
  const M = A.map((r, i) => [...r, ...B[i]]);
  // a loop, not Math.max(...): a 1024 × 1024 metric's million entries overflow the stack as arguments
  let scale = 1e-300;
  for (const row of A) for (const x of row) scale = Math.max(scale, Math.abs(x));
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (!(Math.abs(M[p][c]) > 1e-13 * scale)) return null;
    if (p !== c) {
      [M[p], M[c]] = [M[c], M[p]];
      det = -det;
    }
    const piv = M[c][c];
    det *= piv;
    for (let k = c; k < n + m; k++) M[c][k] /= piv;
    for (let r = 0; r < n; r++)
      if (r !== c && M[r][c] !== 0) {
        const f = M[r][c];
        for (let k = c; k < n + m; k++) M[r][k] -= f * M[c][k];
      }
  }
  return { X: M.map((r) => r.slice(n)), det };
}

/** det A (0 when A is numerically singular). */
export function detN(a: Mat): number {
  return a.length === 0
    ? 1
    : (eliminate(
        a,
        a.map(() => []),
      )?.det ?? 0);
}

/**
 * det A by elimination with partial pivoting and no singularity cut: the determinant reported as a value (metric --at,
 * the library's metricAt), which is 1.11e-15 for [[1, 1], [1, 1 + 1e-15]] and 1 for diag(1e200, 1e-200), not 0.
 */
export function determinantOf(a: Mat): number {
  const M = a.map((r) => [...r]),
    n = M.length;
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (M[p][c] === 0) return 0;
    if (p !== c) {
      [M[p], M[c]] = [M[c], M[p]];
      det = -det;
    }
    det *= M[c][c];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      if (f !== 0) for (let k = c; k < n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return det;
}

/** A⁻¹, or null when A is singular. */
export function inverseN(a: Mat): Mat | null {
  return eliminate(a, identityN(a.length))?.X ?? null;
}

/** The solution of A x = b, or null when A is singular. */
export function solveN(a: Mat, b: number[]): number[] | null {
  return (
    eliminate(
      a,
      b.map((v) => [v]),
    )?.X.map((r) => r[0]) ?? null
  );
}
