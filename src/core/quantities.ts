// The geometric quantities of a metric, each defined once: its names (CLI, spec phrase, claim
// function), shape, restrictions, index notation, derivation text, witness, and its definition
// generically over a field of values, from the quantities it depends on. A stage supplies only
// what it alone can compute — g, det g and g⁻¹ exactly, and the derivatives ∂g and ∂Γ (symbolic
// differentiation on the DAG, or finite differences) — and instantiates the rest from here.
import type { Algebra } from "./algebra.js";
import { REAL } from "./functions.js";

/** The operations curvature needs: any Algebra<T> is one. */
export type Field<T> = Omit<Algebra<T>, "fn">;

/** What a stage supplies. Derivatives are taken lazily: only curvature needs them. */
export interface Supplied<T> {
  g: T[][];
  det: T;
  inverse: T[][];
  /** ∂_c g_ab as dg[c][a][b] */
  dg(): T[][][];
  /** ∂_c Γ^a_bd as dGamma[c][a][b][d], of the Christoffel symbols these definitions give. */
  dGamma(christoffel: T[][][]): T[][][][];
}

/** A metric's quantities over T, each computed once, on demand. */
export interface Geometry<T> extends Supplied<T> {
  n: number;
  christoffel(): T[][][];
  riemann(): T[][][][];
  ricci(): T[][];
}

// Plain loops below, not Array.from with closures nor Array.prototype.flat: the matrix engine evaluates these
// definitions with numbers at every point, and those cost it several times the arithmetic.
const cube = <T>(n: number, f: (a: number, b: number, c: number) => T): T[][][] => {
  const out: T[][][] = new Array(n);
  for (let a = 0; a < n; a++) {
    const plane: T[][] = new Array(n);
    for (let b = 0; b < n; b++) {
      const row: T[] = new Array(n);
      for (let c = 0; c < n; c++) row[c] = f(a, b, c);
      plane[b] = row;
    }
    out[a] = plane;
  }
  return out;
};

/** Σ_k f(k), k < n, as one A.add. */
const sum = <T>(A: Field<T>, n: number, f: (k: number) => T): T => {
  const terms: T[] = new Array(n);
  for (let k = 0; k < n; k++) terms[k] = f(k);
  return A.add(...terms);
};

/** Entries of a nested array, row-major. */
type Nested<T> = T | Nested<T>[];
function flatten<T>(xs: Nested<T>[], out: T[] = []): T[] {
  for (const x of xs) {
    if (Array.isArray(x)) flatten(x, out);
    else out.push(x);
  }
  return out;
}

/** Γ^a_bc = g^ad Γ_dbc, Γ_dbc = ½ (∂_b g_dc + ∂_c g_db − ∂_d g_bc); computed for c ≥ b and mirrored. */
function christoffelOf<T>(A: Field<T>, inv: T[][], dg: T[][][]): T[][][] {
  const n = inv.length,
    half = A.num(0.5),
    zero = A.num(0);
  const lower = cube(n, (d, b, c) => A.mul(half, A.add(dg[b][d][c], dg[c][d][b], A.mul(A.num(-1), dg[d][b][c]))));
  const G = cube(n, (a, b, c) => (c < b ? zero : sum(A, n, (d) => A.mul(inv[a][d], lower[d][b][c]))));
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) for (let c = 0; c < b; c++) G[a][b][c] = G[a][c][b];
  return G;
}

/** R^a_bcd = ∂_c Γ^a_db − ∂_d Γ^a_cb + Γ^a_ce Γ^e_db − Γ^a_de Γ^e_cb; antisymmetric in c, d by construction. */
function riemannOf<T>(A: Field<T>, G: T[][][], dG: T[][][][]): T[][][][] {
  const n = G.length,
    m1 = A.num(-1),
    zero = A.num(0);
  const R = Array.from({ length: n }, () => Array.from({ length: n }, () => Array.from({ length: n }, () => new Array<T>(n).fill(zero))));
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++)
      for (let c = 0; c < n; c++)
        for (let d = c + 1; d < n; d++) {
          const terms = [dG[c][a][d][b], A.mul(m1, dG[d][a][c][b])];
          for (let e = 0; e < n; e++) terms.push(A.mul(G[a][c][e], G[e][d][b]), A.mul(m1, G[a][d][e], G[e][c][b]));
          R[a][b][c][d] = A.add(...terms);
          R[a][b][d][c] = A.mul(m1, R[a][b][c][d]);
        }
  return R;
}

/** R_bd = R^a_bad. */
function ricciOf<T>(A: Field<T>, R: T[][][][]): T[][] {
  const n = R.length;
  return Array.from({ length: n }, (_, b) => Array.from({ length: n }, (_, d) => sum(A, n, (a) => R[a][b][a][d])));
}

/** R = g^bd R_bd. */
function scalarOf<T>(A: Field<T>, inv: T[][], Ric: T[][]): T {
  const n = Ric.length,
    terms: T[] = [];
  for (let b = 0; b < n; b++) for (let d = 0; d < n; d++) terms.push(A.mul(inv[b][d], Ric[b][d]));
  return A.add(...terms);
}

/** K = R_1212 / det g, with R_1212 = g_1e R^e_212 (2 dimensions). */
function gaussianOf<T>(A: Field<T>, g: T[][], det: T, R: T[][][][]): T {
  const R1212 = A.add(A.mul(g[0][0], R[0][1][0][1]), A.mul(g[0][1], R[1][1][0][1]));
  return A.mul(R1212, A.pow(det, -1));
}

/** Raise or lower index `slot` of a 4-index array with the matrix m: T'[..i..] = m[i][j] T[..j..]. */
function contract<T>(A: Field<T>, m: T[][], T4: T[][][][], slot: number): T[][][][] {
  const n = m.length;
  const at = (i: number[], j: number) => {
    const k = [...i];
    k[slot] = j;
    return T4[k[0]][k[1]][k[2]][k[3]];
  };
  return Array.from({ length: n }, (_, a) =>
    cube(n, (b, c, d) => {
      const i = [a, b, c, d];
      return A.add(...Array.from({ length: n }, (_, j) => A.mul(m[i[slot]][j], at(i, j))));
    }),
  );
}

/** The Kretschmann scalar R_abcd R^abcd: R^a_bcd with a lowered by g, contracted with it with b, c, d raised by g⁻¹. */
function kretschmannOf<T>(A: Field<T>, g: T[][], inv: T[][], R: T[][][][]): T {
  const lower = contract(A, g, R, 0);
  const upper = contract(A, inv, contract(A, inv, contract(A, inv, R, 1), 2), 3);
  const up = flatten<T>(upper);
  return A.add(...flatten<T>(lower).map((x, k) => A.mul(x, up[k])));
}

/** The lazy, memoized geometry over T from what a stage supplies. */
export function geometryOver<T>(A: Field<T>, s: Supplied<T>): Geometry<T> {
  let G: T[][][] | undefined, R: T[][][][] | undefined, Ric: T[][] | undefined, dg: T[][][] | undefined;
  const geo: Geometry<T> = {
    n: s.g.length,
    g: s.g,
    det: s.det,
    inverse: s.inverse,
    dg: () => (dg ??= s.dg()),
    dGamma: (c) => s.dGamma(c),
    christoffel: () => (G ??= christoffelOf(A, s.inverse, geo.dg())),
    riemann: () => (R ??= riemannOf(A, geo.christoffel(), s.dGamma(geo.christoffel()))),
    ricci: () => (Ric ??= ricciOf(A, geo.riemann())),
  };
  return geo;
}

/** Finite-difference routes of a metric at a point (the numeric witness side); see derive/routes.ts. */
export interface FiniteDifferences {
  gAt(x: number[]): number[][];
  det(x: number[]): number;
  inverse(x: number[]): number[][];
  christoffel(x: number[]): number[][][];
  riemann(x: number[]): number[][][][];
  ricci(x: number[]): number[][];
  scalar(x: number[]): number;
}

/** A pair of the same text for plain-text and TeX output. */
export interface Notation {
  text(c: string[]): string;
  tex(c: string[]): string;
}

export interface QuantityEntry {
  /** In `show PHRASE of g`. */
  phrase: string;
  /** As a function in claims, `NAME(g)`, with its TeX; absent if claims cannot compare it (more than 2 indices). */
  claim?: { tex(g: string): string };
  shape(n: number): number[];
  /** The only dimension it is defined in, if restricted, and the quantity (CLI name) to use elsewhere. */
  dimension?: number;
  instead?: string;
  /** Index convention: the symbol of the component with these coordinate names (plain text, TeX). */
  symbol: Notation;
  /** The components worth listing: one of each symmetric or antisymmetric pair. */
  independent(idx: number[]): boolean;
  /** How the components not listed follow from those listed (absent when every component is listed). */
  symmetry?: string;
  /** Identically zero in charts of fewer dimensions than this (R^a_bcd is antisymmetric in c, d: nothing is left in 1-D). */
  trivialBelow?: number;
  /** Derivatives of g it takes: 0 (algebraic), 1 (∂g), 2 (∂g and ∂Γ). */
  derivatives: 0 | 1 | 2;
  /** A function of the Python module `rgnn export` writes, in this table's order (numeric/python.ts). */
  exported?: true;
  /** Components, row-major, from the stage's geometry. */
  define<T>(A: Field<T>, geo: Geometry<T>): T[];
  /** Derivation step: its title and why (TeX). */
  title: string;
  why: string;
  /** The witness's independent route: the components from finite differences of the metric's values. */
  oracle(fd: FiniteDifferences, x: number[]): number[];
}

/** The index conventions every route follows (printed by `rgnn geometry --help`; docs/language.md says the same). */
export const INDEX_CONVENTIONS = [
  "Index conventions (components are listed as christoffel[a][b][c] = Gamma^a_bc, riemann[a][b][c][d] = R^a_bcd):",
  "  Gamma^a_bc = 1/2 g^ad (d_b g_dc + d_c g_db - d_d g_bc)      (symmetric in b, c)",
  "  R^a_bcd    = d_c Gamma^a_db - d_d Gamma^a_cb + Gamma^a_ce Gamma^e_db - Gamma^a_de Gamma^e_cb",
  "               (antisymmetric in c, d; the round sphere has R^theta_phi,theta,phi = sin^2 theta > 0)",
  "  Ric_bd     = R^a_bad      (contraction of the upper index with the third)",
  "  R (scalar) = g^bd Ric_bd; K (Gaussian, 2-D) = R / 2; Kretschmann = R_abcd R^abcd",
].join("\n");

const all = () => true;
const jn = (c: string[], tex: boolean) => c.join(tex ? " " : ",");

/** Every quantity of a metric, in the order the CLI lists them. */
export const QUANTITY_TABLE = {
  volume: {
    phrase: "volume",
    exported: true,
    claim: { tex: (g) => `\\sqrt{\\det ${g}}` },
    shape: () => [],
    derivatives: 0,
    independent: all,
    symbol: { text: () => "sqrt(det g)", tex: () => "\\sqrt{\\det g}" },
    define: (A, geo) => [A.pow(geo.det, 0.5)],
    title: "Volume element",
    why: "$\\sqrt{\\det g}$: how much the map magnifies volume at each point (the paper's magnification factor).",
    oracle: (fd, x) => [Math.sqrt(fd.det(x))],
  },
  determinant: {
    phrase: "determinant",
    claim: { tex: (g) => `\\det ${g}` },
    shape: () => [],
    derivatives: 0,
    independent: all,
    symbol: { text: () => "det g", tex: () => "\\det g" },
    define: (_A, geo) => [geo.det],
    title: "Determinant",
    why: "$\\det g$.",
    oracle: (fd, x) => [fd.det(x)],
  },
  inverse: {
    phrase: "inverse",
    exported: true,
    claim: { tex: (g) => `${g}^{-1}` },
    shape: (n) => [n, n],
    derivatives: 0,
    independent: (i) => i[1] >= i[0],
    symmetry: "g^ba = g^ab",
    symbol: { text: (c) => `g^${jn(c, false)}`, tex: (c) => `g^{${jn(c, true)}}` },
    define: (_A, geo) => flatten(geo.inverse),
    title: "Inverse metric",
    why: "$g^{ab}$, with $g^{ab} g_{bc} = \\delta^a_c$ (adjugate over determinant).",
    oracle: (fd, x) => flatten(fd.inverse(x)),
  },
  christoffel: {
    phrase: "christoffel",
    exported: true,
    shape: (n) => [n, n, n],
    derivatives: 1,
    independent: (i) => i[2] >= i[1],
    symmetry: "Gamma^a_cb = Gamma^a_bc",
    symbol: { text: (c) => `Gamma^${c[0]}_${jn(c.slice(1), false)}`, tex: (c) => `\\Gamma^{${c[0]}}{}_{${jn(c.slice(1), true)}}` },
    define: (_A, geo) => flatten(geo.christoffel()),
    title: "Christoffel symbols",
    why:
      "$\\Gamma^a{}_{bc} = \\tfrac12 g^{ad} (\\partial_b g_{dc} + \\partial_c g_{db} - \\partial_d g_{bc})$, " +
      "differentiated on the shared expression graph.",
    oracle: (fd, x) => flatten(fd.christoffel(x)),
  },
  riemann: {
    phrase: "riemann",
    shape: (n) => [n, n, n, n],
    trivialBelow: 2,
    derivatives: 2,
    independent: (i) => i[3] > i[2],
    symmetry: "R^a_bdc = -R^a_bcd, and R^a_bcc = 0",
    symbol: { text: (c) => `R^${c[0]}_${jn(c.slice(1), false)}`, tex: (c) => `R^{${c[0]}}{}_{${jn(c.slice(1), true)}}` },
    define: (_A, geo) => flatten(geo.riemann()),
    title: "Riemann tensor",
    why:
      "$R^a{}_{bcd} = \\partial_c \\Gamma^a{}_{db} - \\partial_d \\Gamma^a{}_{cb} " +
      "+ \\Gamma^a{}_{ce} \\Gamma^e{}_{db} - \\Gamma^a{}_{de} \\Gamma^e{}_{cb}$.",
    oracle: (fd, x) => flatten(fd.riemann(x)),
  },
  ricci: {
    phrase: "ricci",
    claim: { tex: (g) => `\\operatorname{Ric}(${g})` },
    shape: (n) => [n, n],
    trivialBelow: 2,
    derivatives: 2,
    independent: (i) => i[1] >= i[0],
    symmetry: "Ric_ba = Ric_ab",
    symbol: { text: (c) => `Ric_${jn(c, false)}`, tex: (c) => `R_{${jn(c, true)}}` },
    define: (_A, geo) => flatten(geo.ricci()),
    title: "Ricci tensor",
    why: "$R_{bd} = R^a{}_{bad}$.",
    oracle: (fd, x) => flatten(fd.ricci(x)),
  },
  scalar: {
    phrase: "scalar curvature",
    exported: true,
    claim: { tex: (g) => `R(${g})` },
    shape: () => [],
    trivialBelow: 2,
    derivatives: 2,
    independent: all,
    symbol: { text: () => "R", tex: () => "R" },
    define: (A, geo) => [scalarOf(A, geo.inverse, geo.ricci())],
    title: "Scalar curvature",
    why: "$R = g^{bd} R_{bd}$.",
    oracle: (fd, x) => [fd.scalar(x)],
  },
  gaussian: {
    phrase: "gaussian curvature",
    claim: { tex: (g) => `K(${g})` },
    shape: () => [],
    dimension: 2,
    instead: "scalar",
    derivatives: 2,
    independent: all,
    symbol: { text: () => "K", tex: () => "K" },
    define: (A, geo) => [gaussianOf(A, geo.g, geo.det, geo.riemann())],
    title: "Gaussian curvature",
    why: "For a surface, $K = R_{1212} / \\det g$ (half the scalar curvature).",
    oracle: (fd, x) => [fd.scalar(x) / 2], // a different contraction than the definition's
  },
  kretschmann: {
    phrase: "kretschmann",
    claim: { tex: (g) => `\\lvert \\operatorname{Rm}(${g}) \\rvert^2` },
    shape: () => [],
    trivialBelow: 2,
    derivatives: 2,
    independent: all,
    symbol: { text: () => "R_abcd R^abcd", tex: () => "R_{abcd} R^{abcd}" },
    define: (A, geo) => [kretschmannOf(A, geo.g, geo.inverse, geo.riemann())],
    title: "Kretschmann scalar",
    why:
      "$R_{abcd} R^{abcd}$, with $R_{abcd} = g_{ae} R^e{}_{bcd}$ and indices raised by $g^{ab}$: " +
      "a curvature invariant that, unlike $R$, " +
      "vanishes only where the whole Riemann tensor does.",
    oracle: (fd, x) => [kretschmannOf(REAL, fd.gAt(x), fd.inverse(x), fd.riemann(x))],
  },
} as const satisfies Record<string, QuantityEntry>;

export type QuantityName = keyof typeof QUANTITY_TABLE;
export const QUANTITY_NAMES = Object.keys(QUANTITY_TABLE) as QuantityName[];
/** The phrase after `show` (`show scalar curvature of g`). */
export type QuantityPhrase = (typeof QUANTITY_TABLE)[QuantityName]["phrase"];
export const QUANTITY_PHRASES = QUANTITY_NAMES.map((q) => QUANTITY_TABLE[q].phrase);
export type ClaimFunction = { [Q in QuantityName]: (typeof QUANTITY_TABLE)[Q] extends { claim: object } ? Q : never }[QuantityName];
export const CLAIM_FUNCTIONS = QUANTITY_NAMES.filter((q): q is ClaimFunction => "claim" in QUANTITY_TABLE[q]);

export const quantity = (q: QuantityName): QuantityEntry => QUANTITY_TABLE[q];
export const quantityOfPhrase = (phrase: string): QuantityName | undefined =>
  QUANTITY_NAMES.find((q) => QUANTITY_TABLE[q].phrase === phrase);

/** What to use where a restricted quantity does not exist: its CLI name and spec phrase. */
export function insteadOf(q: QuantityName): { name: QuantityName; phrase: string } | null {
  const e = quantity(q),
    name = QUANTITY_NAMES.find((p) => p === e.instead);
  return name ? { name, phrase: quantity(name).phrase } : null;
}

/** Whether a quantity vanishes identically in dimension n, whatever the metric. */
export const trivialIn = (q: QuantityName, n: number): boolean => n < (quantity(q).trivialBelow ?? 0);

/** Why a quantity does not exist in dimension n, or null if it does. */
export function restriction(q: QuantityName, n: number, chart: string): string | null {
  const d = quantity(q).dimension;
  return d === undefined || d === n ? null : `${quantity(q).title} is defined for ${d}-dimensional charts; ${chart} has dimension ${n}`;
}
