// The independent oracle for the engine's geometry: hand-written index algebra on row-major Float64Arrays, straight
// from g, ∂g and ∂∂g (a metric jet), sharing no code with core/quantities.ts's definitions that the engine evaluates.
// Riemann comes from the fully lowered second-derivative formula, not through ∂Γ as the definitions take it:
//   R_abcd = ½ (∂_b∂_c g_ad + ∂_a∂_d g_bc − ∂_b∂_d g_ac − ∂_a∂_c g_bd) + g_ef (Γ^e_bc Γ^f_ad − Γ^e_bd Γ^f_ac),
// the same tensor as R^a_bcd = ∂_c Γ^a_db − ∂_d Γ^a_cb + Γ^a_ce Γ^e_db − Γ^a_de Γ^e_cb with its first index lowered.
import { inverseAndDet, type MetricJet } from "../../../src/numeric/engine/geometry.js";

export interface OracleGeometry {
  /** g⁻¹ and det g by Gauss–Jordan elimination. */
  inverse: Float64Array;
  det: number;
  christoffel: Float64Array;
  /** R^a_bcd, R_abcd, R_bd = R^a_bad, R = g^ac g^bd R_abcd, K = R_1212 / det g (2-D), R_abcd R^abcd. */
  riemann: Float64Array;
  lowered: Float64Array;
  ricci: Float64Array;
  scalar: number;
  gaussian: number | null;
  kretschmann: number;
}

/** Γ^a_bc = ½ g^ad (∂_b g_dc + ∂_c g_db − ∂_d g_bc), with dg[(c·n + a)·n + b] = ∂_c g_ab. */
export function christoffelOracle(n: number, gi: ArrayLike<number>, dg: ArrayLike<number>): Float64Array {
  const chr = new Float64Array(n ** 3);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let d = 0; d < n; d++)
          s += gi[a * n + d] * 0.5 * (dg[(b * n + d) * n + c] + dg[(c * n + d) * n + b] - dg[(d * n + b) * n + c]);
        chr[(a * n + b) * n + c] = s;
      }
  return chr;
}

/** Every curvature quantity from a jet of order 2 (ddg[((c·n + d)·n + a)·n + b] = ∂_c∂_d g_ab). */
export function geometryOracle(jet: MetricJet): OracleGeometry {
  const { n, g } = jet,
    dg = jet.dg!,
    dd = jet.ddg!;
  const { inverse: gi, det } = inverseAndDet(g, n);
  const chr = christoffelOracle(n, gi, dg);
  const ix = (a: number, b: number, c: number, d: number) => ((a * n + b) * n + c) * n + d;
  const G = (a: number, b: number, c: number) => chr[(a * n + b) * n + c];
  const low = new Float64Array(n ** 4);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++)
        for (let d = 0; d < n; d++) {
          let s = 0.5 * (dd[ix(b, c, a, d)] + dd[ix(a, d, b, c)] - dd[ix(b, d, a, c)] - dd[ix(a, c, b, d)]);
          for (let e = 0; e < n; e++) for (let f = 0; f < n; f++) s += g[e * n + f] * (G(e, b, c) * G(f, a, d) - G(e, b, d) * G(f, a, c));
          low[ix(a, b, c, d)] = s;
        }
  const up = new Float64Array(n ** 4);
  for (let a = 0; a < n; a++)
    for (let r = 0; r < n ** 3; r++) {
      let s = 0;
      for (let e = 0; e < n; e++) s += gi[a * n + e] * low[e * n ** 3 + r];
      up[a * n ** 3 + r] = s;
    }
  const ricci = new Float64Array(n * n);
  for (let b = 0; b < n; b++) for (let d = 0; d < n; d++) for (let a = 0; a < n; a++) ricci[b * n + d] += up[ix(a, b, a, d)];
  let scalar = 0,
    kretschmann = 0;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++)
        for (let d = 0; d < n; d++) {
          scalar += gi[a * n + c] * gi[b * n + d] * low[ix(a, b, c, d)];
          // R^abcd with every index raised, contracted with R_abcd
          let r = 0;
          for (let p = 0; p < n; p++)
            for (let q = 0; q < n; q++)
              for (let s = 0; s < n; s++)
                for (let t = 0; t < n; t++) r += gi[a * n + p] * gi[b * n + q] * gi[c * n + s] * gi[d * n + t] * low[ix(p, q, s, t)];
          kretschmann += low[ix(a, b, c, d)] * r;
        }
  return {
    inverse: gi,
    det,
    christoffel: chr,
    riemann: up,
    lowered: low,
    ricci,
    scalar,
    gaussian: n === 2 ? low[ix(0, 1, 0, 1)] / det : null,
    kretschmann,
  };
}
