// Multivariate jets to third order: a quantity's value with its partial derivatives along n input
// directions, the k-th order ones stored once per sorted index tuple. A layer's state is K jets
// stored component-major (K × width, row-major): each derivative component is a contiguous
// vector over the neurons, so the affine map is K matrix–vector products and σ acts elementwise.

export interface JetLayout {
  n: number;
  order: 0 | 1 | 2 | 3;
  /** Components: 1 (value) + n + n(n+1)/2 + n(n+1)(n+2)/6, truncated at `order`. */
  K: number;
  /** First component of the second- and third-order blocks. */
  o2: number;
  o3: number;
  /** Second-order component p is ∂_{pa[p]} ∂_{pb[p]} (pa ≤ pb), the first-order ones being 1 + a. */
  pa: Int32Array;
  pb: Int32Array;
  /** Component of ∂_a∂_b for any a, b: pair[a * n + b]. */
  pair: Int32Array;
  /** Third-order component t is ∂_a∂_b∂_c with first-order components ta, tb, tc and the
   *  second-order components of its three pairs. */
  ta: Int32Array;
  tb: Int32Array;
  tc: Int32Array;
  tab: Int32Array;
  tac: Int32Array;
  tbc: Int32Array;
  /** Component of ∂_a∂_b∂_c for any a, b, c: triple[(a * n + b) * n + c]. */
  triple: Int32Array;
}

export function jetLayout(n: number, order: 0 | 1 | 2 | 3): JetLayout {
  const n1 = order >= 1 ? n : 0,
    n2 = order >= 2 ? (n * (n + 1)) / 2 : 0,
    n3 = order >= 3 ? (n * (n + 1) * (n + 2)) / 6 : 0;
  const o2 = 1 + n1,
    o3 = o2 + n2;
  const pa = new Int32Array(n2),
    pb = new Int32Array(n2),
    pair = new Int32Array(order >= 2 ? n * n : 0);
  let p = 0;
  if (order >= 2) {
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        pa[p] = 1 + a;
        pb[p] = 1 + b;
        pair[a * n + b] = pair[b * n + a] = o2 + p;
        p++;
      }
  }
  const ta = new Int32Array(n3),
    tb = new Int32Array(n3),
    tc = new Int32Array(n3);
  const tab = new Int32Array(n3),
    tac = new Int32Array(n3),
    tbc = new Int32Array(n3),
    triple = new Int32Array(order >= 3 ? n * n * n : 0);
  let t = 0;
  if (order >= 3) {
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++)
        for (let c = b; c < n; c++) {
          ta[t] = 1 + a;
          tb[t] = 1 + b;
          tc[t] = 1 + c;
          tab[t] = pair[a * n + b];
          tac[t] = pair[a * n + c];
          tbc[t] = pair[b * n + c];
          for (const [i, j, k] of [
            [a, b, c],
            [a, c, b],
            [b, a, c],
            [b, c, a],
            [c, a, b],
            [c, b, a],
          ])
            triple[(i * n + j) * n + k] = o3 + t;
          t++;
        }
  }
  return { n, order, K: o3 + n3, o2, o3, pa, pb, pair, ta, tb, tc, tab, tac, tbc, triple };
}

/**
 * In place, Z ← f∘Z for w jets stored component-major, given f, f', f'', f''' at each value in
 * D[i], D[w + i], D[2w + i], D[3w + i] (Faà di Bruno with partial derivatives):
 * ∂_a f = f' z_a; ∂_ab f = f' z_ab + f'' z_a z_b;
 * ∂_abc f = f' z_abc + f'' (z_ab z_c + z_ac z_b + z_bc z_a) + f''' z_a z_b z_c.
 * Highest order first, since each order reads the lower ones of Z.
 */
export function composeJets(L: JetLayout, Z: Float64Array, D: Float64Array, w: number): void {
  for (let t = 0; t < L.K - L.o3; t++) {
    const o = (L.o3 + t) * w,
      a = L.ta[t] * w,
      b = L.tb[t] * w,
      c = L.tc[t] * w,
      ab = L.tab[t] * w,
      ac = L.tac[t] * w,
      bc = L.tbc[t] * w;
    for (let i = 0; i < w; i++) {
      const za = Z[a + i],
        zb = Z[b + i],
        zc = Z[c + i];
      Z[o + i] = D[w + i] * Z[o + i] + D[2 * w + i] * (Z[ab + i] * zc + Z[ac + i] * zb + Z[bc + i] * za) + D[3 * w + i] * za * zb * zc;
    }
  }
  for (let p = 0; p < L.o3 - L.o2; p++) {
    const o = (L.o2 + p) * w,
      a = L.pa[p] * w,
      b = L.pb[p] * w;
    for (let i = 0; i < w; i++) Z[o + i] = D[w + i] * Z[o + i] + D[2 * w + i] * Z[a + i] * Z[b + i];
  }
  for (let k = 1; k < L.o2; k++) for (let i = 0, o = k * w; i < w; i++) Z[o + i] *= D[w + i];
  for (let i = 0; i < w; i++) Z[i] = D[i];
}

/** out ← U · v for w jets U (component-major) and one jet v (K components), by Leibniz's rule. */
export function scaleJets(L: JetLayout, U: Float64Array, v: Float64Array, w: number, out: Float64Array): void {
  const v0 = v[0];
  for (let i = 0; i < w; i++) out[i] = U[i] * v0;
  for (let k = 1; k < L.o2; k++) for (let i = 0, o = k * w; i < w; i++) out[o + i] = U[i] * v[k] + U[o + i] * v0;
  for (let p = 0; p < L.o3 - L.o2; p++) {
    const k = L.o2 + p,
      a = L.pa[p],
      b = L.pb[p],
      o = k * w;
    for (let i = 0; i < w; i++) out[o + i] = U[i] * v[k] + U[a * w + i] * v[b] + U[b * w + i] * v[a] + U[o + i] * v0;
  }
  for (let t = 0; t < L.K - L.o3; t++) {
    const k = L.o3 + t,
      a = L.ta[t],
      b = L.tb[t],
      c = L.tc[t],
      ab = L.tab[t],
      ac = L.tac[t],
      bc = L.tbc[t],
      o = k * w;
    for (let i = 0; i < w; i++) {
      out[o + i] =
        U[i] * v[k] +
        U[o + i] * v0 +
        U[a * w + i] * v[bc] +
        U[b * w + i] * v[ac] +
        U[c * w + i] * v[ab] +
        U[ab * w + i] * v[c] +
        U[ac * w + i] * v[b] +
        U[bc * w + i] * v[a];
    }
  }
}
