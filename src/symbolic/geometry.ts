// What follows from a metric, symbolically on the DAG: the quantities of core/quantities.ts
// instantiated with DAG nodes. This stage supplies what only it can do: g⁻¹ and det g exactly,
// and the derivatives ∂g and ∂Γ by symbolic differentiation, memoized per node, so second
// derivatives of a deep pulled-back metric stay shared.
import { type Field, geometryOver, type Geometry as Quantities } from "../core/quantities.js";
import { diff } from "./diff.js";
import { add, div, type Expr, mul, neg, num, pow, sub } from "./expr.js";
import { inverse, type Matrix } from "./tensor.js";

/** The DAG as a field of values. */
export const DAG: Field<Expr> = { num, add, mul, sub, neg, div, pow: (a, k) => pow(a, num(k)) };

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
  /** Every quantity of the table, on demand. */
  quantities: Quantities<Expr>;
}

export function geometry(g: Matrix, coords: string[]): Geometry {
  const n = coords.length;
  const { inv, det: d } = inverse(g);
  const quantities = geometryOver(DAG, {
    g,
    det: d,
    inverse: inv,
    dg: () =>
      coords.map((c) => {
        const flat = diff(g.flat(), c);
        return g.map((_, i) => flat.slice(i * n, (i + 1) * n));
      }),
    dGamma: (G) =>
      coords.map((c) => {
        // dG[c][a][b][d] = ∂_c Γ^a_bd
        const flat = diff(G.flat(2), c);
        return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => flat.slice((a * n + b) * n, (a * n + b + 1) * n)));
      }),
  });
  // built eagerly, in this order, so node ids (and so the order of printed terms) do not depend on what is asked first
  const dg = quantities.dg(),
    christoffel = quantities.christoffel();
  return { coords, g, inverse: inv, det: d, volume: DAG.pow(d, 0.5), dg, christoffel, quantities };
}
