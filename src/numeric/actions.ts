// Layers as group actions. A layer whose Jacobian A = J_l is invertible is an element of GL(n);
// it acts on frames (e ↦ e A, a right action), on vector components (v ↦ A v), on covector
// components (ω ↦ A⁻ᵀ ω) and on the metric fibre in the pullback direction (g ↦ Aᵀ g A).
import type { Fibre, Group } from "../semantics/model.js";
import { detN, identityN, inverseN, type Mat, matMulN, transposeN } from "./linalg.js";

export type { Mat };
export { identityN as identity, matMulN as matmul, transposeN as transpose };
const matmul = matMulN,
  transpose = transposeN,
  identity = identityN;
export const addM = (A: Mat, B: Mat, s = 1): Mat => A.map((r, i) => r.map((a, j) => a + s * B[i][j]));
export const frobenius = (A: Mat) => Math.sqrt(A.flat().reduce((s, a) => s + a * a, 0));
const apply = (A: Mat, v: number[]) => A.map((r) => r.reduce((s, a, j) => s + a * v[j], 0));

export const inverse = inverseN;
export const det = detN;

/**
 * A fibre, and how a layer's Jacobian A acts on it. `pushes`: the action follows the network
 * (layer l, then l+1: vectors, covectors); otherwise it runs against it, as a pullback does
 * (layer l+1 first: metrics, frames). Either way two layers compose to the product A_{l+1} A_l.
 */
export interface FibreAction {
  fibre: Fibre | "frames";
  pushes: boolean;
  act(A: Mat, f: Mat): Mat;
}

export const FIBRE_ACTIONS: Record<Fibre | "frames", FibreAction> = {
  frames: { fibre: "frames", pushes: false, act: (A, e) => matmul(e, A) },
  vectors: { fibre: "vectors", pushes: true, act: (A, v) => matmul(A, v) },
  covectors: { fibre: "covectors", pushes: true, act: (A, w) => matmul(transpose(inverse(A)!), w) },
  metrics: { fibre: "metrics", pushes: false, act: (A, g) => matmul(transpose(A), matmul(g, A)) },
};

/** Acting by layer l's Jacobian and then by layer l+1's, in the fibre's own order. */
export function actTwice(fa: FibreAction, Al: Mat, Anext: Mat, f: Mat): Mat {
  return fa.pushes ? fa.act(Anext, fa.act(Al, f)) : fa.act(Al, fa.act(Anext, f));
}

/** A random fibre element: invertible frame, vector, covector, or symmetric positive-definite metric. */
export function randomFibre(fibre: Fibre | "frames", n: number, r: () => number): Mat {
  const M = Array.from({ length: n }, () => Array.from({ length: n }, () => 2 * r() - 1));
  switch (fibre) {
    case "frames":
      return addM(M, identity(n), 2);
    case "vectors":
    case "covectors":
      return M[0].map((x) => [x]);
    case "metrics":
      return addM(matmul(transpose(M), M), identity(n));
  }
}

/** Why A is not in the group (or null): membership tests with a relative tolerance. */
export function notInGroup(A: Mat, group: Group, tol = 1e-9): string | null {
  const n = A.length;
  const d = det(A);
  if (!Number.isFinite(d) || Math.abs(d) <= 1e-12 * Math.max(1, frobenius(A)) ** n) return `it is singular (det = ${d.toPrecision(3)})`;
  if (group.name === "GLplus" && d <= 0) return `its determinant ${d.toPrecision(6)} is not positive`;
  if (group.name === "O" || group.name === "SO") {
    const defect = frobenius(addM(matmul(transpose(A), A), identity(n), -1));
    if (defect > tol) return `it is not orthogonal: ‖AᵀA − I‖ = ${defect.toPrecision(3)}`;
    if (group.name === "SO" && d <= 0) return `its determinant is ${d.toPrecision(6)}, not 1`;
  }
  return null;
}

/** g(v, w) for a metric and two vectors (columns). */
export const pairing = (g: Mat, v: Mat, w: Mat) =>
  apply(
    g,
    w.map((r) => r[0]),
  ).reduce((s, x, i) => s + x * v[i][0], 0);
