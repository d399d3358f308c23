// Sparse multivariate polynomials with exact rational coefficients, over numbered variables (the simplifier's
// kernels: symbols, sin θ, cos θ, tanh(…)). A monomial is its list of [variable, exponent] pairs, sorted; the
// polynomial maps a monomial's key to it. Every operation charges a Budget, so a blow-up stops early.
import { Q0, Q1, type Q, qAdd, qEq, qInv, qIsZero, qMul, qNeg } from "./rational.js";

/** Work allowed to a simplification, in monomial operations; exceeding it throws BudgetExceeded. */
export class Budget {
  constructor(public remaining: number) {}
  charge(k: number): void {
    this.remaining -= k;
    if (this.remaining < 0) throw new BudgetExceeded();
  }
}
export class BudgetExceeded extends Error {}

export type Monomial = readonly number[]; // [v0, e0, v1, e1, …], v ascending, e > 0
export interface Term {
  m: Monomial;
  c: Q;
}
export type Poly = Map<string, Term>;

const keyOf = (m: Monomial) => m.join(",");

export const pZero = (): Poly => new Map();
export function pConst(c: Q): Poly {
  const p: Poly = new Map();
  if (!qIsZero(c)) p.set("", { m: [], c });
  return p;
}
export const pVar = (v: number): Poly => new Map([[keyOf([v, 1]), { m: [v, 1], c: Q1 }]]);

function addTerm(p: Poly, m: Monomial, c: Q): void {
  const k = keyOf(m);
  const t = p.get(k);
  if (!t) {
    if (!qIsZero(c)) p.set(k, { m, c });
    return;
  }
  const s = qAdd(t.c, c);
  if (qIsZero(s)) p.delete(k);
  else p.set(k, { m, c: s });
}

export function monoMul(a: Monomial, b: Monomial): Monomial {
  const out: number[] = [];
  let i = 0,
    j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i] < b[j])) {
      out.push(a[i], a[i + 1]);
      i += 2;
    } else if (i >= a.length || b[j] < a[i]) {
      out.push(b[j], b[j + 1]);
      j += 2;
    } else {
      out.push(a[i], a[i + 1] + b[j + 1]);
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** a / b when b divides a, else null. */
function monoDiv(a: Monomial, b: Monomial): Monomial | null {
  const out: number[] = [];
  let i = 0;
  for (let j = 0; j < b.length; j += 2) {
    while (i < a.length && a[i] < b[j]) {
      out.push(a[i], a[i + 1]);
      i += 2;
    }
    if (i >= a.length || a[i] !== b[j] || a[i + 1] < b[j + 1]) return null;
    if (a[i + 1] > b[j + 1]) out.push(a[i], a[i + 1] - b[j + 1]);
    i += 2;
  }
  while (i < a.length) out.push(a[i++]);
  return out;
}

export const degree = (m: Monomial) => {
  let d = 0;
  for (let i = 1; i < m.length; i += 2) d += m[i];
  return d;
};

/** Lexicographic order on exponent vectors (variable 0 most significant): positive when a > b. */
export function lexCompare(a: Monomial, b: Monomial): number {
  for (let i = 0; ; i += 2) {
    if (i >= a.length || i >= b.length) return a.length - b.length;
    if (a[i] !== b[i]) return b[i] - a[i]; // a has the smaller variable: a is larger
    if (a[i + 1] !== b[i + 1]) return a[i + 1] - b[i + 1];
  }
}

export function pAdd(a: Poly, b: Poly, B: Budget, scale: Q = Q1): Poly {
  B.charge(a.size + b.size);
  const out: Poly = new Map(a);
  for (const t of b.values()) addTerm(out, t.m, qMul(t.c, scale));
  return out;
}

export function pMul(a: Poly, b: Poly, B: Budget): Poly {
  B.charge(a.size * b.size);
  const out: Poly = new Map();
  for (const s of a.values()) for (const t of b.values()) addTerm(out, monoMul(s.m, t.m), qMul(s.c, t.c));
  return out;
}

export function pScale(a: Poly, c: Q): Poly {
  const out: Poly = new Map();
  if (!qIsZero(c)) for (const [k, t] of a) out.set(k, { m: t.m, c: qMul(t.c, c) });
  return out;
}

export function pPow(a: Poly, k: number, B: Budget): Poly {
  let out = pConst(Q1),
    base = a;
  for (; k > 0; k >>= 1) {
    if (k & 1) out = pMul(out, base, B);
    if (k > 1) base = pMul(base, base, B);
  }
  return out;
}

export function leading(p: Poly): Term {
  let best: Term | undefined;
  for (const t of p.values()) if (!best || lexCompare(t.m, best.m) > 0) best = t;
  return best!;
}

/** a / b when b divides a exactly (division by lex leading terms), else null. */
export function pDivExact(a: Poly, b: Poly, B: Budget): Poly | null {
  if (b.size === 0) return null;
  const lb = leading(b);
  const inv = qInv(lb.c);
  let r: Poly = new Map(a);
  const quo: Poly = new Map();
  while (r.size) {
    B.charge(r.size); // finding the leading term
    const lr = leading(r);
    const m = monoDiv(lr.m, lb.m);
    if (!m) return null;
    const c = qMul(lr.c, inv);
    addTerm(quo, m, c);
    B.charge(b.size);
    const next: Poly = new Map(r);
    for (const t of b.values()) addTerm(next, monoMul(t.m, m), qNeg(qMul(t.c, c)));
    r = next;
  }
  return quo;
}

export const pIsConst = (p: Poly) => p.size === 0 || (p.size === 1 && p.has(""));
export const pConstValue = (p: Poly): Q => p.get("")?.c ?? Q0;

export function pEq(a: Poly, b: Poly): boolean {
  if (a.size !== b.size) return false;
  for (const [k, t] of a) {
    const u = b.get(k);
    if (!u || !qEq(t.c, u.c)) return false;
  }
  return true;
}

/** A key identifying the polynomial (terms in a fixed order). */
export const pKey = (p: Poly) =>
  [...p.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, t]) => `${k}:${t.c.n}/${t.c.d}`)
    .join(";");

/** Substitute a polynomial for each power v^e with e ≥ 2 of `v`: v^e → v^(e mod 2)·r^(e div 2). */
export function reduceSquares(p: Poly, v: number, r: Poly, B: Budget): Poly {
  let touched = false;
  for (const t of p.values()) {
    const i = t.m.findIndex((x, j) => j % 2 === 0 && x === v);
    if (i >= 0 && t.m[i + 1] >= 2) touched = true;
  }
  if (!touched) return p;
  let out: Poly = new Map();
  for (const t of p.values()) {
    let i = -1;
    for (let j = 0; j < t.m.length; j += 2) if (t.m[j] === v) i = j;
    if (i < 0 || t.m[i + 1] < 2) {
      addTerm(out, t.m, t.c);
      continue;
    }
    const e = t.m[i + 1];
    const rest = [...t.m.slice(0, i), ...(e % 2 ? [v, 1] : []), ...t.m.slice(i + 2)];
    const mono: Poly = new Map([[keyOf(rest), { m: rest, c: t.c }]]);
    out = pAdd(out, pMul(mono, pPow(r, e >> 1, B), B), B);
  }
  return out;
}
