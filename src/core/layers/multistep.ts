// The accurate one-activation scheme of order k (`multistep k ACT`, k = 3 … MAX_MULTISTEP):
//   x_l = Σ_{i=0..2k−2} a_i x_{l−1−i} + c h^k σ(W_l x_{l−1} + b_l),
// a linear multistep step of d^k x/dt^k = σ(W(t) x + b(t)) that, unlike the backward difference of order.ts, reaches
// order k: the 2k unknowns a_0 … a_{2k−2}, c make the step exact on every polynomial of degree < 2k (local defect
// O(h^{2k}), global error O(h^k)). They are derived here in exact rational arithmetic, and the scheme is admitted only
// if it is zero-stable: ρ(ζ) = ζ^{2k−1} − Σ a_i ζ^{2k−2−i} = (ζ − 1)^k q(ζ) with every root of q strictly inside the
// unit circle (Schur–Cohn). That holds for k ≤ 6 and fails for k = 7 (a root of modulus 1.0945), so k ≤ 6.
// k = 3: x_l = (25x_{l−1} − 34x_{l−2} + 22x_{l−3} − 7x_{l−4} + x_{l−5})/7 + (4/7) h³ σ(W_l x_{l−1} + b_l).
// The network starts at rest with 2k − 2 start steps built so that the recurrence does not amplify their errors
// (startWeights); docs/language.md says what else caps the order (W(t) with kinks: 2).
import { affineKind } from "./affine.js";
import { atRest, ordinal, sup } from "./order.js";
import { PARAM_B, PARAM_H, PARAM_W, slopeWTex, zTex } from "./params.js";
import type { LayerKindDef, LayerSyntax, Recurrence } from "./types.js";

/** The largest k the one-activation scheme of order k is zero-stable for. */
export const MAX_MULTISTEP = 6;

/** An exact rational n/d (d > 0, in lowest terms). */
export interface Fraction {
  n: bigint;
  d: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
function frac(n: bigint, d = 1n): Fraction {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}
const fAdd = (a: Fraction, b: Fraction) => frac(a.n * b.d + b.n * a.d, a.d * b.d);
const fSub = (a: Fraction, b: Fraction) => frac(a.n * b.d - b.n * a.d, a.d * b.d);
const fMul = (a: Fraction, b: Fraction) => frac(a.n * b.n, a.d * b.d);
const fDiv = (a: Fraction, b: Fraction) => frac(a.n * b.d, a.d * b.n);
const fAbsLess = (a: Fraction, b: Fraction) => (a.n < 0n ? -a.n : a.n) * b.d < (b.n < 0n ? -b.n : b.n) * a.d;
export const fractionValue = (a: Fraction) => Number(a.n) / Number(a.d);

/** Solve A u = r exactly (A square and regular) by Gauss–Jordan elimination. */
function solve(A: Fraction[][], r: Fraction[]): Fraction[] {
  const M = A.map((row, i) => [...row, r[i]]),
    n = A.length;
  for (let col = 0; col < n; col++) {
    const p = M.findIndex((row, i) => i >= col && row[col].n !== 0n);
    if (p < 0) throw new Error("internal error: the multistep order conditions are singular");
    [M[col], M[p]] = [M[p], M[col]];
    for (let i = 0; i < n; i++) {
      if (i === col || M[i][col].n === 0n) continue;
      const f = fDiv(M[i][col], M[col][col]);
      M[i] = M[i].map((v, j) => fSub(v, fMul(f, M[col][j])));
    }
  }
  return M.map((row, i) => fDiv(row[n], row[i]));
}

/**
 * a_0 … a_{2k−2} and c of the order-k step, from the order conditions: with t_l = 0 and h = 1, the step is exact on
 * x(t) = t^p for p = 0 … 2k − 1, i.e. 0^p = Σ_i a_i (−1−i)^p + c·p!/(p−k)!·(−1)^{p−k} (the last term for p ≥ k only).
 */
export function multistepCoefficients(k: number): { a: Fraction[]; c: Fraction } {
  const m = 2 * k - 1;
  const falling = (p: number) => Array.from({ length: k }, (_, i) => BigInt(p - i)).reduce((s, f) => s * f, 1n);
  const A: Fraction[][] = [],
    r: Fraction[] = [];
  for (let p = 0; p < 2 * k; p++) {
    const row = Array.from({ length: m }, (_, i) => frac(BigInt(-1 - i) ** BigInt(p)));
    row.push(p < k ? frac(0n) : frac(falling(p) * (((p - k) & 1) === 1 ? -1n : 1n)));
    A.push(row);
    r.push(frac(p === 0 ? 1n : 0n));
  }
  const u = solve(A, r);
  return { a: u.slice(0, m), c: u[m] };
}

/**
 * The start from rest (x(0) = x_0, x'(0) = … = x^(k−1)(0) = 0): x_j = x_0 + h^k Σ_{n=1..j} w_{j,n} f_n for
 * j = 1 … 2k − 2, with f_n = σ(W_n x_{n−1} + b_n), the field at time (n − 1)h. For x^(k) = g(t) with g = t^p the
 * exact value is h^{k+p} j^{k+p} p!/(k+p)!; call the start's error h^{k+p} E_{j,p}. x_j has only j nodes, so E_{j,p}
 * cannot vanish for p ≥ j, and the interior recurrence, with its k-fold root 1, would amplify a generic start error
 * N^{k−1} times (the Taylor start of order.ts: global order 2). What it does not amplify is an error that is already a
 * polynomial of degree ≤ p in j: that is a solution of the recurrence, growing like N^p, which costs h^{k+p}N^p = h^k.
 * So for p = 0 … k − 2 the weights make E_{j,p} = P_p(j), the polynomial of degree ≤ p with P_p(0) = 0 through the
 * unavoidable E_{1,p} … E_{p,p}, and for p ≥ k − 1 (h^{k+p}N^{k−1} ≤ h^k anyway) exact as far as j nodes allow.
 * Each x_j then has exactly j conditions on its j weights (moments at the nodes 0 … j − 1: a Vandermonde system).
 */
export function startWeights(k: number): Fraction[][] {
  const m = 2 * k - 1,
    fact = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1)).reduce((s, f) => s * f, 1n);
  const power = (b: number, p: number) => (p === 0 ? 1n : BigInt(b) ** BigInt(p));
  const exact = (j: number, p: number) => frac(power(j, k + p) * fact(p), fact(k + p));
  const moment = (w: Fraction[], p: number) => w.reduce((s, v, n) => fAdd(s, fMul(v, frac(power(n, p)))), frac(0n));
  const weights: Fraction[][] = [[]];
  const error = (j: number, p: number) => fSub(moment(weights[j], p), exact(j, p));
  /** P_p(j) by Lagrange through (0, 0), (1, E_{1,p}), …, (p, E_{p,p}). */
  const P = (p: number, j: number) => {
    let s = frac(0n);
    for (let a = 1; a <= p; a++) {
      let term = error(a, p);
      for (let b = 0; b <= p; b++) if (b !== a) term = fMul(term, frac(BigInt(j - b), BigInt(a - b)));
      s = fAdd(s, term);
    }
    return s;
  };
  for (let j = 1; j < m; j++) {
    const ps = Array.from({ length: j }, (_, r) => r);
    const A = ps.map((p) => Array.from({ length: j }, (_, n) => frac(power(n, p))));
    const r = ps.map((p) => (p < k - 1 ? fAdd(exact(j, p), P(p, j)) : exact(j, p)));
    weights.push(solve(A, r));
  }
  return weights;
}

/** The start step of layer j < 2k − 1 as a recurrence on x_{j−1} … x_0 (newest first) and the factor of h^k f_j. */
export function startStep(k: number, j: number, w = startWeights(k)): { coeffs: Fraction[]; factor: Fraction } {
  // x_j − x_0 = h^k Σ_n w_{j,n} f_n; the f_n of n < j are combinations of x_1 − x_0 … x_{j−1} − x_0 (w triangular)
  const earlier = Array.from({ length: j - 1 }, (_, n) => Array.from({ length: j - 1 }, (_, i) => w[i + 1][n] ?? frac(0n)));
  const beta = j > 1 ? solve(earlier, w[j].slice(0, j - 1)) : [];
  const beta0 = beta.reduce((s, v) => fSub(s, v), frac(1n));
  return { coeffs: [...beta].reverse().concat([beta0]), factor: w[j][j - 1] };
}

/** ρ(ζ) = ζ^m − Σ a_i ζ^{m−1−i}, highest power first. */
export const characteristic = (a: readonly Fraction[]): Fraction[] => [frac(1n), ...a.map((v) => frac(-v.n, v.d))];

/** p(ζ)/(ζ − 1) by synthetic division (highest power first), or null if 1 is not a root of p. */
export function divideByRootOne(p: readonly Fraction[]): Fraction[] | null {
  const out = [p[0]];
  for (const c of p.slice(1)) out.push(fAdd(c, out[out.length - 1]));
  return out.pop()!.n === 0n ? out : null;
}

/** Whether every root of p (highest power first) lies strictly inside the unit circle: the Schur–Cohn recursion
 *  p ↦ (p_n p(ζ) − p_0 p*(ζ))/ζ with p* the reversed polynomial, which keeps the count of roots inside while
 *  |p_0| < |p_n|. */
export function schurStable(p: readonly Fraction[]): boolean {
  let cur = [...p];
  while (cur.length > 1) {
    const lead = cur[0],
      last = cur[cur.length - 1];
    if (!fAbsLess(last, lead)) return false;
    const rev = [...cur].reverse();
    cur = cur.map((v, i) => fSub(fMul(lead, v), fMul(last, rev[i]))).slice(0, -1); // the constant term is 0
  }
  return true;
}

/** ρ = (ζ − 1)^k q with the remaining roots strictly inside the unit circle: the step is zero-stable (and q(1) ≠ 0:
 *  1 is a root of multiplicity exactly k, as the k-th derivative demands). */
export function zeroStable(k: number, a: readonly Fraction[]): boolean {
  let q: Fraction[] | null = characteristic(a);
  for (let i = 0; i < k && q; i++) q = divideByRootOne(q);
  if (!q || divideByRootOne(q) !== null) return false;
  return schurStable(q);
}

/** `multistep k ACT`: a family's word like `order`, k picking the kind (`multistep 1` is residual, `multistep 2`
 *  second_order: their schemes already have order k). */
export const MULTISTEP_SYNTAX: LayerSyntax = { word: "multistep", number: "argument", activation: true };

/** a_i x_{l−1−i} over the common denominator D, in TeX and text: [D, C = D·c, the terms as TeX, as text]. */
function overDenominator(k: number, l: number): { D: bigint; C: bigint; tex: string; text: string } {
  const { a, c } = multistepCoefficients(k);
  const D = [...a, c].reduce((s, v) => (s * v.d) / gcd(s, v.d), 1n);
  const ints = a.map((v) => (v.n * D) / v.d);
  const term = (n: bigint, i: number, x: (j: number) => string, sep: string) => {
    const mag = n < 0n ? -n : n,
      sign = i === 0 ? (n < 0n ? "-" : "") : n < 0n ? " - " : " + ";
    return `${sign}${mag === 1n ? "" : `${mag}${sep}`}${x(l - 1 - i)}`;
  };
  const nonzero = ints.map((n, i) => [n, i] as const).filter(([n]) => n !== 0n);
  return {
    D,
    C: (c.n * D) / c.d,
    tex: nonzero.map(([n, i], j) => term(n, j === 0 ? 0 : i, (x) => `x^{a_{${x}}}`, "")).join(""),
    text: nonzero.map(([n, i], j) => term(n, j === 0 ? 0 : i, (x) => `x${x}`, " ")).join(""),
  };
}

const kinds = new Map<number, LayerKindDef>();

/** The kind `multistep k` for k = 3 … MAX_MULTISTEP (made on first use), or null: k = 7 onwards is not zero-stable. */
export function multistepKind(k: number): LayerKindDef | null {
  const hit = kinds.get(k);
  if (hit) return hit;
  if (!Number.isInteger(k) || k < 3 || k > MAX_MULTISTEP) return null;
  const { a, c } = multistepCoefficients(k);
  if (!zeroStable(k, a)) throw new Error(`internal error: the order-${k} multistep scheme is not zero-stable`);
  const coeffs = a.map(fractionValue),
    factor = fractionValue(c),
    reads = 2 * k - 1;
  const w = startWeights(k);
  const starts = Array.from({ length: reads - 1 }, (_, j): Recurrence => {
    const st = startStep(k, j + 1, w);
    return { coeffs: st.coeffs.map(fractionValue), scale: { factor: fractionValue(st.factor), power: k } };
  });
  const { D, C } = overDenominator(k, 0);
  const at = (l: number) => overDenominator(k, l);
  const [rest, restTex] = atRest(k);
  // the start step of layer l (1 ≤ l < reads): its combination of earlier states, in TeX and text
  const startAt = (l: number) => startStep(k, Math.min(Math.max(l, 1), reads - 1), w);
  const signed = (v: Fraction, i: number, x: string) => {
    const mag = frac(v.n < 0n ? -v.n : v.n, v.d);
    return `${i === 0 ? (v.n < 0n ? "-" : "") : v.n < 0n ? " - " : " + "}${mag.n === mag.d ? "" : texFraction(mag)}${x}`;
  };
  const startCombination = (l: number, x: (j: number) => string) =>
    startAt(l)
      .coeffs.map((v, i) => signed(v, i, x(l - 1 - i)))
      .join("");
  const startTex = (l: number, x: (j: number) => string) => `${startCombination(l, x)} + ${texFraction(startAt(l).factor)}`;
  const startText = (l: number) =>
    startAt(l)
      .coeffs.map((v, i) => `${i === 0 ? "" : " + "}${v.n}/${v.d} x${l - 1 - i}`)
      .join("");
  const startJacobian = (l: number) =>
    `${texFraction(startAt(l).coeffs[0])}\\delta^{a_{${l}}}_{b_{${l - 1}}} + ${texFraction(startAt(l).factor)} h^${k} ${slopeWTex(l)}`;
  const name = ordinal(k);
  const cTex = `\\tfrac{${C}}{${D}}`;
  const def = affineKind({
    keyword: `multistep_${k}`,
    syntax: MULTISTEP_SYNTAX,
    params: [PARAM_W, PARAM_B, PARAM_H],
    width: "kept",
    reads,
    ode: {
      order: k,
      scheme: `order-${k} multistep`,
      accuracy: k,
      text: `d${sup(k)}x/dt${sup(k)} = σ(W(t) x + b(t)), ${rest} = 0`,
      tex: (rhs) => `\\frac{d^${k}x}{dt^${k}} = ${rhs}, \\quad ${restTex} = 0`,
    },
    recurrence: (available): Recurrence => (available >= reads ? { coeffs, scale: { factor, power: k } } : starts[available - 1]),
    probabilities: false,
    initScale: 0.5,
    labels: {
      text: `multistep ${k}`,
      short: `multistep ${k}`,
      title: `order-${k} multistep`,
      prose: `an order-${k} multistep step`,
      activation: true,
    },
    derivation: {
      why: (l, s, start) =>
        start
          ? `An order-${k} multistep layer reads the ${reads} layers before it; the network starts at rest ($${restTex} = 0$), ` +
            `so layer ${l} takes a start step, $x_{${l}} = ${startTex(l, (j) => `x_{${j}}`)} h^${k} \\sigma(W_{${l}} x_{${l - 1}} + ` +
            `b_{${l}})$, whose error the recurrence does not amplify. Here $\\sigma = ${s}$.`
          : `An order-${k} multistep layer combines the ${reads} layers before it with weights chosen for accuracy and adds ` +
            `one activation, $${cTex} h^${k} \\sigma(W_l x_{l-1} + b_l)$, with $\\sigma = ${s}$.`,
      general: (l, s) => `x^{a_{${l}}} = \\tfrac{1}{${D}}\\big(${at(l).tex}\\big) + ${cTex} h^${k} ${s}\\big(${zTex(l)}\\big)`,
      jacobianWhy: (l, _slope, start) =>
        start
          ? `For a start step, $\\partial x^{a_{${l}}} / \\partial x^{b_{${l - 1}}} = ${startJacobian(l)}$, the earlier layers ` +
            "held fixed."
          : `With the earlier layers held fixed, $\\partial x^{a_l} / \\partial x^{b_{l-1}} = a_0\\delta^{a_l}_{b_{l-1}} + ${cTex} ` +
            `h^${k} \\sigma'(z^{a_l})\\, W^{a_l}{}_{b_{l-1}}$ ($a_0 = ${texFraction(a[0])}$), and $\\partial x_l / \\partial ` +
            `x_{l-1-i} = a_i I$.`,
      jacobianGeneral: (l, start) =>
        `\\frac{\\partial x^{a_{${l}}}}{\\partial x^{b_{${l - 1}}}} = ` +
        (start ? startJacobian(l) : `${texFraction(a[0])}\\delta^{a_{${l}}}_{b_{${l - 1}}} + ${cTex} h^${k} ${slopeWTex(l)}`),
      euler: {
        title: (l) => `Layer ${l} is an order-${k} multistep step`,
        why: (s) =>
          `The update $\\rho(E) x_{l-${reads}} = ${cTex} h^${k} f(x_{l-1})$ is exact on polynomials of degree below ${2 * k}: ` +
          `a ${name}-order accurate step of $x^{(${k})} = ${s}(W(t)\\, x + b(t))$.`,
        general: (l, s) =>
          `\\frac{${D}x^{a_{${l}}} - \\big(${at(l).tex}\\big)}{${C}h^${k}} = ${s}\\big(W^{a_{${l}}}{}_{b_{${l - 1}}} ` +
          `x^{b_{${l - 1}}} + b^{a_{${l}}}\\big) \\;\\longrightarrow\\; ` +
          `\\frac{d^${k}x^a}{dt^${k}} = ${s}\\big(W^a{}_b(t)\\, x^b + b^a(t)\\big)`,
        quotient: (l, start) => {
          if (start) {
            const g = startAt(l).factor;
            return [
              `\\frac{x^{(${l})} - (${startCombination(l, (j) => `x^{(${j})}`)})}{${texFraction(g)}h^${k}}`,
              `(x${l} - (${startText(l)}))/(${g.n}/${g.d} h^${k})`,
            ];
          }
          const { tex: t, text: x } = at(l);
          const vec = t.replace(/x\^\{a_\{(-?\d+)\}\}/g, "x^{($1)}");
          return [`\\frac{${D}x^{(${l})} - (${vec})}{${C}h^${k}}`, `(${D} x${l} - (${x}))/(${C} h^${k})`];
        },
      },
    },
  });
  kinds.set(k, def);
  return def;
}

const texFraction = (v: Fraction) => (v.d === 1n ? String(v.n) : `${v.n < 0n ? "-" : ""}\\tfrac{${v.n < 0n ? -v.n : v.n}}{${v.d}}`);
