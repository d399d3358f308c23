// The simplifier: canonical rational forms for printing, and zero recognition. Each component is first tested
// for being identically zero (zero.ts); a zero one is proved by its canonical form when that is cheap, else by the
// random-point test. A nonzero one prints in its canonical form (canonical.ts) when that is shorter than the
// shared-DAG form. Every conversion runs under a work budget and falls back to the DAG form, so it never hangs.
import { type Expr, displayNode, mul, num, pow, ZERO } from "../expr.js";
import { print, treeSize } from "../print.js";
import { Canonicalizer, NotRational, primitive, type RatFun } from "./canonical.js";
import {
  Budget,
  BudgetExceeded,
  degree,
  type Monomial,
  type Poly,
  pAdd,
  pConst,
  pPow,
  pScale,
  pVar,
  reduceSquares,
  type Term,
} from "./poly.js";
import { Q1, q, qNeg } from "./rational.js";
import { recognizeZeros, zeroProofText } from "./zero.js";

export { PRIME, recognizeZeros, ZERO_POINTS, zeroProofText } from "./zero.js";

/** Monomial operations one component's canonical form may take before it falls back to the DAG form. */
export const COMPONENT_BUDGET = 40_000;
/** …and all the components of one call together. */
export const TOTAL_BUDGET = 250_000;
/** Budget for proving a zero by its canonical form before the random-point test is used instead. */
const PROOF_BUDGET = 20_000;

export interface Simplified {
  /** The form to print: 0, the canonical form, or the expression itself when that is no longer. */
  expr: Expr;
  /** Identically zero. */
  zero: boolean;
  /** For a zero: what proved it (a rule, or the random-point test). */
  proof?: string;
}

export const RULE_PROOF = "identically zero: its canonical rational form (over the kernels, with sin² + cos² = 1) is 0";

/** Which form a nonzero expression prints in: the shorter (see `shorter`), or always the canonical one. */
export type Prefer = "shorter" | "canonical";

export interface SimplifyOptions {
  /** Work allowed to each component, and to all together (monomial operations). */
  componentBudget?: number;
  totalBudget?: number;
  prefer?: Prefer;
}

/** Simplify some expressions together (they share kernels, atoms and converted subterms). */
export function simplifyAll(roots: readonly Expr[], opts: SimplifyOptions = {}): Simplified[] {
  const { componentBudget = COMPONENT_BUDGET, totalBudget = TOTAL_BUDGET, prefer = "shorter" } = opts;
  const verdicts = recognizeZeros(roots);
  const budget = new Budget(0);
  const C = new Canonicalizer(budget);
  let total = totalBudget;
  const canonical = (e: Expr, allowed: number): RatFun | null => {
    budget.remaining = Math.min(allowed, total);
    const before = budget.remaining;
    try {
      return C.convert(e);
    } catch (err) {
      if (err instanceof BudgetExceeded || err instanceof NotRational) return null;
      throw err;
    } finally {
      total -= before - Math.max(budget.remaining, 0);
    }
  };
  return roots.map((e, i) => {
    if (e.op === "num") return { expr: e, zero: e.value === 0, ...(e.value === 0 ? { proof: "" } : {}) };
    if (verdicts.zero[i]) {
      const r = canonical(e, PROOF_BUDGET);
      return { expr: ZERO, zero: true, proof: r && r.num.size === 0 ? RULE_PROOF : zeroProofText(verdicts.points) };
    }
    const r = canonical(e, componentBudget);
    if (!r) return { expr: e, zero: false };
    if (r.num.size === 0) return { expr: ZERO, zero: true, proof: RULE_PROOF };
    const shown = display(C, r);
    return { expr: shorter(shown, e, prefer), zero: false };
  });
}

/** The canonical form when it prints shorter than the expression as built, or writes as fractions what that writes
 *  as decimals (0.5·rs/… as rs/(2·…)); otherwise the expression as built, so textbook forms already short stay. */
function shorter(canonical: Expr, e: Expr, prefer: Prefer): Expr {
  if (prefer === "canonical") return canonical;
  if (treeSize(e, PRINT_CAP) > PRINT_CAP) return treeSize(canonical, PRINT_CAP) <= PRINT_CAP ? canonical : e;
  const [c, o] = [print(canonical), print(e)];
  const decimal = (s: string) => /\d\.\d/.test(s);
  return c.length < o.length || (decimal(o) && !decimal(c)) ? canonical : e;
}
const PRINT_CAP = 2000;

/** One expression's printed form (see simplifyAll). */
export const simplify = (e: Expr, opts: SimplifyOptions = {}): Simplified => simplifyAll([e], opts)[0];

/**
 * The printed form of a canonical rational function: content · P / (b · Π atom^k) with P and the atoms primitive
 * polynomials written highest degree first, and each sin/cos pair in whichever of its two reduced forms (sin²
 * or cos² eliminated) has fewer terms.
 */
function display(C: Canonicalizer, r: RatFun): Expr {
  let numer = r.num;
  let atoms = [...r.den].map(([id, k]) => [C.atoms[id], k] as const);
  const B = new Budget(Number.POSITIVE_INFINITY);
  for (const [s, c] of C.partner) {
    if (C.kernels[s].name !== "sin") continue;
    const one = pConst(Q1);
    const toSin = (p: Poly) => reduceSquares(p, c, pAdd(one, pPow(pVar(s), 2, B), B, q(-1n)), B);
    const alt = [toSin(numer), ...atoms.map(([a]) => toSin(a))];
    const size = (ps: Poly[]) => ps.reduce((n, p) => n + p.size, 0);
    if (size(alt) <= size([numer, ...atoms.map(([a]) => a)])) {
      numer = alt[0];
      atoms = atoms.map(([, k], i) => [alt[i + 1], k] as const);
    }
  }
  let [content, P] = primitive(numer);
  // signs: each polynomial written with its first term positive, the signs gathered in front
  if (negativeFirst(C, P)) [content, P] = [qNeg(content), pScale(P, q(-1n))];
  atoms = atoms.map(([atom, k]) => {
    const prim = primitive(atom)[1];
    if (!negativeFirst(C, prim)) return [prim, k] as const;
    if (k % 2) content = qNeg(content);
    return [pScale(prim, q(-1n)), k] as const;
  });
  const a = Number(content.n),
    b = Number(content.d);
  const constant = P.size === 1 && P.has("");
  const factors: Expr[] = [];
  const push = (f: Expr) => {
    if (f.op === "mul") factors.push(...f.args);
    else factors.push(f);
  };
  if (a !== 1 || (constant && b !== 1)) factors.push(num(a));
  if (!constant) push(polyDisplay(C, P));
  if (b !== 1) factors.push(displayNode("pow", [num(b), num(-1)]));
  for (const [atom, k] of atoms) push(pow(polyDisplay(C, atom), num(-k)));
  if (factors.length === 0) return num(a);
  return factors.length === 1 ? factors[0] : displayNode("mul", factors);
}

/** Display order of monomials: highest total degree first, ties by the kernels' printed names. */
function displayCompare(C: Canonicalizer): (x: Monomial, y: Monomial) => number {
  const key = (m: Monomial) => {
    const ps: string[] = [];
    for (let i = 0; i < m.length; i += 2) ps.push(`${print(C.kernels[m[i]])}^${String(999 - m[i + 1]).padStart(3, "0")}`);
    return ps.sort().join("*");
  };
  return (x, y) => degree(y) - degree(x) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0);
}

/** Whether the term written first is negative. */
function negativeFirst(C: Canonicalizer, p: Poly): boolean {
  const cmp = displayCompare(C);
  let first: Term | undefined;
  for (const t of p.values()) if (!first || cmp(t.m, first.m) < 0) first = t;
  return first !== undefined && first.c.n < 0n;
}

/** A polynomial written highest total degree first (ties by the kernels' printed names), a positive term leading,
 *  with the power product common to every term written once in front: rs·sin²θ − r·sin²θ as (rs − r)·sin²θ. */
function polyDisplay(C: Canonicalizer, p: Poly): Expr {
  let terms = [...p.values()];
  const common = new Map<number, number>();
  if (terms.length > 1) {
    for (let i = 0; i < terms[0].m.length; i += 2) common.set(terms[0].m[i], terms[0].m[i + 1]);
    for (const t of terms.slice(1))
      for (const [v, e] of common) {
        const i = t.m.findIndex((x, j) => j % 2 === 0 && x === v);
        if (i < 0) common.delete(v);
        else common.set(v, Math.min(e, t.m[i + 1]));
      }
    terms = terms.map((t) => {
      const m: number[] = [];
      for (let i = 0; i < t.m.length; i += 2) {
        const e = t.m[i + 1] - (common.get(t.m[i]) ?? 0);
        if (e > 0) m.push(t.m[i], e);
      }
      return { m, c: t.c };
    });
  }
  const cmp = displayCompare(C);
  terms.sort((x, y) => cmp(x.m, y.m));
  const lead = terms.findIndex((t) => t.c.n > 0n);
  if (lead > 0) terms.unshift(...terms.splice(lead, 1));
  const exprs = terms.map((t) => {
    const fs: Expr[] = [num(Number(t.c.n) / Number(t.c.d))];
    for (let i = 0; i < t.m.length; i += 2) fs.push(pow(C.kernels[t.m[i]], num(t.m[i + 1])));
    return mul(...fs);
  });
  const sum = exprs.length === 1 ? exprs[0] : displayNode("add", exprs);
  if (!common.size) return sum;
  const front = [...common].map(([v, e]) => pow(C.kernels[v], num(e)));
  return displayNode("mul", [sum, ...front]);
}
