// What follows from a metric, symbolically on the DAG: inverse, volume element, Christoffel
// symbols, Riemann, Ricci and scalar curvature, Gaussian curvature. Derivatives are memoized
// per node, so second derivatives of a deep pulled-back metric stay shared.
import { diff } from "./diff.js";
import { add, type Expr, mul, MINUS_ONE, num, pow, sqrt, ZERO } from "./expr.js";
import { inverse, type Matrix } from "./tensor.js";

export interface Geometry {
  coords: string[];
  g: Matrix;
  /** g^{ab} */
  inverse: Matrix;
  det: Expr;
  /** √det g: how much the map magnifies volume. */
  volume: Expr;
  /** ∂_c g_ab as dg[c][a][b] */
  dg: Matrix[];
  /** Γ^a_bc as christoffel[a][b][c] */
  christoffel: Expr[][][];
}

const HALF = num(0.5);

export function geometry(g: Matrix, coords: string[]): Geometry {
  const n = coords.length;
  const { inv, det: d } = inverse(g);
  const dg = coords.map((c) => {
    const flat = diff(g.flat(), c);
    return g.map((_, i) => flat.slice(i * n, (i + 1) * n));
  });
  // Γ_dbc = ½ (∂_b g_dc + ∂_c g_db − ∂_d g_bc), then raise d
  const lower = Array.from({ length: n }, (_, dd) => Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, c) =>
    mul(HALF, add(dg[b][dd][c], dg[c][dd][b], mul(MINUS_ONE, dg[dd][b][c]))))));
  const christoffel = Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, c) =>
    c < b ? ZERO : add(...Array.from({ length: n }, (_, dd) => mul(inv[a][dd], lower[dd][b][c]))))));
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let c = 0; c < b; c++) christoffel[a][b][c] = christoffel[a][c][b];
  return { coords, g, inverse: inv, det: d, volume: sqrt(d), dg, christoffel };
}

/** R^a_bcd = ∂_c Γ^a_db − ∂_d Γ^a_cb + Γ^a_ce Γ^e_db − Γ^a_de Γ^e_cb, as riemann[a][b][c][d]. */
export function riemann(geo: Geometry): Expr[][][][] {
  const n = geo.coords.length, G = geo.christoffel;
  const dG = geo.coords.map((c) => { // dG[c][a][b][d] = ∂_c Γ^a_bd
    const flat = diff(G.flat(2), c);
    return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => flat.slice((a * n + b) * n, (a * n + b + 1) * n)));
  });
  const R = Array.from({ length: n }, () => Array.from({ length: n }, () => Array.from({ length: n }, () => new Array<Expr>(n).fill(ZERO))));
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) for (let d = c + 1; d < n; d++) {
    const terms = [dG[c][a][d][b], mul(MINUS_ONE, dG[d][a][c][b])];
    for (let e = 0; e < n; e++) terms.push(mul(G[a][c][e], G[e][d][b]), mul(MINUS_ONE, G[a][d][e], G[e][c][b]));
    R[a][b][c][d] = add(...terms);
    R[a][b][d][c] = mul(MINUS_ONE, R[a][b][c][d]); // antisymmetric in the last pair by construction
  }
  return R;
}

/** R_bd = R^a_bad. */
export function ricci(R: Expr[][][][]): Matrix {
  const n = R.length;
  return Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, d) => add(...Array.from({ length: n }, (_, a) => R[a][b][a][d]))));
}

/** R = g^bd R_bd. */
export function scalarCurvature(geo: Geometry, Ric: Matrix): Expr {
  const n = Ric.length;
  const terms: Expr[] = [];
  for (let b = 0; b < n; b++) for (let d = 0; d < n; d++) terms.push(mul(geo.inverse[b][d], Ric[b][d]));
  return add(...terms);
}

/** For a 2-dimensional chart: K = R_1212 / det g (= half the scalar curvature). */
export function gaussianCurvature(geo: Geometry, R: Expr[][][][]): Expr {
  if (geo.coords.length !== 2) throw new Error("internal error: Gaussian curvature needs 2 dimensions");
  const R1212 = add(mul(geo.g[0][0], R[0][1][0][1]), mul(geo.g[0][1], R[1][1][0][1]));
  return mul(R1212, pow(geo.det, MINUS_ONE));
}
