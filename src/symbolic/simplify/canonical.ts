// Rational functions in canonical form: a numerator polynomial over a denominator that is a product of powers of
// "atoms" (primitive polynomials, each kept once), both over kernels — the symbols and the non-polynomial subterms
// (sin θ, cos θ, tanh(…), √…) treated as variables. Numerators and atoms are kept reduced modulo sin² + cos² = 1
// (sin²u written 1 − cos²u), sines and cosines of sums and integer multiples are expanded by the addition
// formulas, and the numerator is divided by every atom that divides it exactly, so equal rational functions of
// the kernels get equal forms, and zero gets 0.
import { add, type Expr, type Fn, fn, mul, num, pow } from "../expr.js";
import {
  type Budget,
  leading,
  type Monomial,
  pAdd,
  pConst,
  pConstValue,
  pDivExact,
  pIsConst,
  pKey,
  pMul,
  type Poly,
  pPow,
  pScale,
  pVar,
  pZero,
  reduceSquares,
} from "./poly.js";
import { gcd, Q1, type Q, q, qFromNumber, qInv, qMul, qNeg } from "./rational.js";

/** numerator / Π atom^exponent */
export interface RatFun {
  num: Poly;
  den: ReadonlyMap<number, number>; // atom id → exponent > 0
}

/** Thrown when an expression has no rational form here (a non-finite number, a division by zero). */
export class NotRational extends Error {}

/** Expanded sin and cos of one kernel argument never go past this multiple (sin 7θ stays a kernel). */
const MAX_MULTIPLE = 6;
/** exp(n·m) is written exp(m)^n up to this |n| (exp(100x) stays a kernel). */
const MAX_EXP_POWER = 16;

/** Denominators up to this are kept as fractions; a number needing a longer one is a kernel of its own. */
const SHORT_DENOMINATOR = 1n << 20n;

/** The kernels and atoms of one simplification, and the conversion of expressions into rational functions. */
export class Canonicalizer {
  readonly kernels: Expr[] = [];
  private kernelIds = new Map<Expr, number>();
  readonly atoms: Poly[] = [];
  private atomIds = new Map<string, number>();
  /** For each kernel sin u: the kernel cos u, and back. */
  readonly partner = new Map<number, number>();
  private memo = new Map<Expr, RatFun>();

  constructor(readonly budget: Budget) {}

  kernel(e: Expr): number {
    let id = this.kernelIds.get(e);
    if (id === undefined) {
      id = this.kernels.length;
      this.kernels.push(e);
      this.kernelIds.set(e, id);
      if (e.op === "fn" && (e.name === "sin" || e.name === "cos")) {
        const other = this.kernelIds.get(fn(e.name === "sin" ? "cos" : "sin", e.args[0]));
        if (other !== undefined) {
          this.partner.set(id, other);
          this.partner.set(other, id);
        }
      }
    }
    return id;
  }

  /** sin²u → 1 − cos²u for every kernel pair: the canonical representative modulo the Pythagorean identity. */
  reduce(p: Poly): Poly {
    for (const [s, c] of this.partner) {
      if (this.kernels[s].name !== "sin") continue;
      p = reduceSquares(p, s, pAdd(pConst(Q1), pPow(pVar(c), 2, this.budget), this.budget, q(-1n)), this.budget);
    }
    return p;
  }

  /** The atom for a primitive polynomial, made once. */
  private atom(p: Poly): number {
    const key = pKey(p);
    let id = this.atomIds.get(key);
    if (id === undefined) {
      id = this.atoms.length;
      this.atoms.push(p);
      this.atomIds.set(key, id);
    }
    return id;
  }

  private const(c: Q): RatFun {
    return { num: pConst(c), den: new Map() };
  }

  convert(e: Expr): RatFun {
    const hit = this.memo.get(e);
    if (hit) return hit;
    const r = this.build(e);
    this.memo.set(e, r);
    return r;
  }

  private build(e: Expr): RatFun {
    switch (e.op) {
      case "num": {
        const c = qFromNumber(e.value);
        if (!c) throw new NotRational();
        // a float with no short fraction (a trained weight) is a kernel: exact, and keeps coefficients small
        if (c.d > SHORT_DENOMINATOR) return { num: pVar(this.kernel(e)), den: new Map() };
        return this.const(c);
      }
      case "sym":
        return { num: pVar(this.kernel(e)), den: new Map() };
      case "add":
        return e.args.map((a) => this.convert(a)).reduce((s, t) => this.add(s, t));
      case "mul":
        return e.args.map((a) => this.convert(a)).reduce((s, t) => this.mul(s, t));
      case "pow": {
        const [b, x] = e.args;
        if (x.op === "num" && Number.isInteger(x.value) && Math.abs(x.value) <= 64) return this.power(this.convert(b), x.value);
        return this.kernelOf(pow(this.expr(this.convert(b)), x));
      }
      case "fn": {
        const arg = this.convert(e.args[0]);
        if (e.name === "sin" || e.name === "cos") {
          const expanded = this.trig(arg);
          if (expanded) return { num: expanded[e.name === "sin" ? 1 : 0], den: new Map() };
        }
        if (e.name === "exp") return this.exponential(arg);
        return this.kernelOf(fn(e.name as Fn, this.expr(arg)));
      }
    }
  }

  /**
   * exp(Σ c_i m_i) = Π exp(m_i)^{c_i}: each monomial m_i of a polynomial argument is a kernel exp(m_i), raised to
   * its coefficient when that is a whole number up to MAX_EXP_POWER, so exp(2x), exp(x)² and exp(x)·exp(x) agree and
   * exp(−x) is 1/exp(x). A rational argument, or a term with a fractional coefficient, stays a kernel of its own.
   */
  private exponential(arg: RatFun): RatFun {
    if (arg.den.size || arg.num.size === 0) return this.kernelOf(fn("exp", this.expr(arg)));
    let out = this.const(Q1);
    for (const t of arg.num.values()) {
      const whole = t.c.d === 1n && t.m.length > 0 && Math.abs(Number(t.c.n)) <= MAX_EXP_POWER;
      const unit: RatFun = { num: new Map([[t.m.join(","), whole ? { m: t.m, c: Q1 } : t]]), den: new Map() };
      const kernel = this.kernelOf(fn("exp", this.expr(unit)));
      out = this.mul(out, whole ? this.power(kernel, Number(t.c.n)) : kernel);
    }
    return out;
  }

  private kernelOf(e: Expr): RatFun {
    if (e.op === "num") return this.build(e); // folded: f(number) is a number
    return { num: pVar(this.kernel(e)), den: new Map() };
  }

  /**
   * [cos a, sin a] as polynomials in the kernels cos x, sin x of the symbols, when a = Σ n_i x_i with integer
   * |n_i| ≤ MAX_MULTIPLE and symbols x_i (and more than a single symbol, which stays a kernel); else null.
   */
  private trig(a: RatFun): [Poly, Poly] | null {
    if (a.den.size || a.num.size === 0) return null;
    const parts: [number, number][] = [];
    for (const t of a.num.values()) {
      if (t.m.length !== 2 || t.m[1] !== 1 || t.c.d !== 1n) return null;
      const n = Number(t.c.n);
      if (Math.abs(n) > MAX_MULTIPLE || this.kernels[t.m[0]].op !== "sym") return null;
      parts.push([t.m[0], n]);
    }
    if (parts.length === 1 && parts[0][1] === 1) return null;
    const B = this.budget;
    let c = pConst(Q1),
      s = pZero();
    for (const [v, n] of parts) {
      const x = this.kernels[v];
      const cx = pVar(this.kernel(fn("cos", x))),
        sx = pVar(this.kernel(fn("sin", x)));
      // (cos x + i sin x)^|n| by repeated multiplication; sin(−x) = −sin x
      let cn = pConst(Q1),
        sn = pZero();
      for (let k = 0; k < Math.abs(n); k++)
        [cn, sn] = [pAdd(pMul(cn, cx, B), pMul(sn, sx, B), B, q(-1n)), pAdd(pMul(sn, cx, B), pMul(cn, sx, B), B)];
      if (n < 0) sn = pScale(sn, q(-1n));
      [c, s] = [pAdd(pMul(c, cn, B), pMul(s, sn, B), B, q(-1n)), pAdd(pMul(s, cn, B), pMul(c, sn, B), B)];
    }
    return [this.reduce(c), this.reduce(s)];
  }

  add(a: RatFun, b: RatFun): RatFun {
    if (a.num.size === 0) return b;
    if (b.num.size === 0) return a;
    const den = new Map(a.den);
    for (const [k, e] of b.den) den.set(k, Math.max(den.get(k) ?? 0, e));
    const lift = (r: RatFun) => {
      let p = r.num;
      for (const [k, e] of den) {
        const missing = e - (r.den.get(k) ?? 0);
        if (missing > 0) p = pMul(p, pPow(this.atoms[k], missing, this.budget), this.budget);
      }
      return p;
    };
    return this.cancel({ num: this.reduce(pAdd(lift(a), lift(b), this.budget)), den });
  }

  mul(a: RatFun, b: RatFun): RatFun {
    if (a.num.size === 0 || b.num.size === 0) return this.const(q(0n));
    const den = new Map(a.den);
    for (const [k, e] of b.den) den.set(k, (den.get(k) ?? 0) + e);
    return this.cancel({ num: this.reduce(pMul(a.num, b.num, this.budget)), den });
  }

  power(a: RatFun, k: number): RatFun {
    if (k === 0) return this.const(Q1);
    if (k < 0) return this.power(this.invert(a), -k);
    const den = new Map<number, number>();
    for (const [id, e] of a.den) den.set(id, e * k);
    return { num: this.reduce(pPow(a.num, k, this.budget)), den };
  }

  /** 1/a: the old denominator becomes the numerator; the old numerator is split into atoms. */
  private invert(a: RatFun): RatFun {
    if (a.num.size === 0) throw new NotRational();
    let num = pConst(Q1);
    for (const [id, e] of a.den) num = pMul(num, pPow(this.atoms[id], e, this.budget), this.budget);
    const den = new Map<number, number>();
    const [c, factors] = this.factor(a.num);
    for (const [id, e] of factors) den.set(id, (den.get(id) ?? 0) + e);
    return { num: this.reduce(pScale(num, qInv(c))), den };
  }

  /**
   * p = c · Π atom^e: its rational content, the single-kernel powers dividing every term, the known atoms that
   * divide it, and what is left as a new atom (sign fixed by a positive leading coefficient).
   */
  private factor(p: Poly): [Q, Map<number, number>] {
    const factors = new Map<number, number>();
    const note = (id: number, e: number) => factors.set(id, (factors.get(id) ?? 0) + e);
    // monomial content
    const terms = [...p.values()];
    const common = new Map<number, number>();
    terms[0].m.forEach((x, i) => {
      if (i % 2 === 0) common.set(x, terms[0].m[i + 1]);
    });
    for (const t of terms.slice(1)) {
      for (const [v, e] of common) {
        const i = t.m.findIndex((x, j) => j % 2 === 0 && x === v);
        if (i < 0) common.delete(v);
        else common.set(v, Math.min(e, t.m[i + 1]));
      }
    }
    if (common.size) {
      const m: Monomial = [...common].sort((x, y) => x[0] - y[0]).flat();
      p = pDivExact(p, new Map([[m.join(","), { m, c: Q1 }]]), this.budget)!;
      for (const [v, e] of common) note(this.atom(pVar(v)), e);
    }
    // rational content, sign by the leading term
    const [content, prim] = primitive(p);
    p = prim;
    for (let id = 0; id < this.atoms.length && !pIsConst(p); id++) {
      if (this.atoms[id].size < 2) continue;
      for (let quo = pDivExact(p, this.atoms[id], this.budget); quo; quo = pDivExact(p, this.atoms[id], this.budget)) {
        p = quo;
        note(id, 1);
      }
    }
    let c = content;
    if (pIsConst(p)) c = qMul(c, pConstValue(p));
    else {
      const [c2, prim2] = primitive(p);
      c = qMul(c, c2);
      note(this.atom(prim2), 1);
    }
    return [c, factors];
  }

  /** Divide the numerator by every denominator atom that divides it. */
  private cancel(r: RatFun): RatFun {
    if (r.num.size === 0) return { num: r.num, den: new Map() };
    if (r.den.size === 0) return r;
    let num = r.num;
    const den = new Map(r.den);
    for (const [id, e] of r.den) {
      let left = e;
      for (; left > 0; left--) {
        const quo = pDivExact(num, this.atoms[id], this.budget);
        if (!quo) break;
        num = quo;
      }
      if (left) den.set(id, left);
      else den.delete(id);
    }
    return { num, den };
  }

  /** The expression of a rational function through the constructors (used for kernels' arguments). */
  expr(r: RatFun): Expr {
    return toExpr(this, r);
  }
}

/** c and the primitive part p/c: integer coefficients with gcd 1 and a positive leading coefficient. */
export function primitive(p: Poly): [Q, Poly] {
  let g = 0n,
    l = 1n;
  for (const t of p.values()) {
    g = gcd(g, t.c.n);
    l = (l / gcd(l, t.c.d)) * t.c.d;
  }
  if (g === 0n) return [Q1, p];
  let c = q(g, l);
  if (leading(p).c.n < 0n) c = qNeg(c);
  return [c, pScale(p, qInv(c))];
}

/** A polynomial as a sum through the constructors. */
export function polyExpr(C: Canonicalizer, p: Poly): Expr {
  const terms: Expr[] = [];
  for (const t of p.values()) {
    const fs: Expr[] = [num(Number(t.c.n) / Number(t.c.d))];
    for (let i = 0; i < t.m.length; i += 2) fs.push(pow(C.kernels[t.m[i]], num(t.m[i + 1])));
    terms.push(mul(...fs));
  }
  return add(...terms);
}

function toExpr(C: Canonicalizer, r: RatFun): Expr {
  let e = polyExpr(C, r.num);
  for (const [id, k] of r.den) e = mul(e, pow(polyExpr(C, C.atoms[id]), num(-k)));
  return e;
}
