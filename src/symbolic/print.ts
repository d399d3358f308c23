// Plain-text printing of DAG expressions, with minimal parentheses and optional names for
// chosen nodes (so deep networks print as a list of named intermediates, not one giant tree).
import { type Expr, MINUS_ONE, mul, num, pow, topoOrder } from "./expr.js";

/** A sum's terms split by sign of their coefficient; negative ones returned negated. */
export function splitSum(e: Expr): { positive: Expr[]; negative: Expr[] } {
  const positive: Expr[] = [], negative: Expr[] = [];
  for (const t of e.args) {
    const c = t.op === "num" ? t.value : t.op === "mul" && t.args[0].op === "num" ? t.args[0].value : 1;
    if (c < 0) negative.push(mul(MINUS_ONE, t)); else positive.push(t);
  }
  return { positive, negative };
}

const PREC = { add: 1, mul: 2, neg: 2, pow: 4, atom: 5 } as const;

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const s = v.toPrecision(12);
  return String(Number(s));
}

export interface PrintOptions {
  /** Nodes printed as a name instead of their definition. */
  names?: ReadonlyMap<Expr, string>;
}

/** Infix text for an expression, e.g. `r^2*sin(theta)^2 + 1`. */
export function print(e: Expr, opts: PrintOptions = {}): string {
  const names = opts.names;
  const go = (e: Expr, outer: number): string => {
    const named = names?.get(e);
    if (named !== undefined) return named;
    let s: string, p: number;
    switch (e.op) {
      case "num":
        s = formatNumber(e.value);
        p = e.value < 0 ? PREC.neg : PREC.atom;
        break;
      case "sym": s = e.name; p = PREC.atom; break;
      case "fn": s = `${e.name}(${go(e.args[0], 0)})`; p = PREC.atom; break;
      case "pow": {
        const [b, x] = e.args;
        if (x.op === "num" && x.value === 0.5) { s = `sqrt(${go(b, 0)})`; p = PREC.atom; break; }
        if (x.op === "num" && x.value < 0) { s = `1/${go(x.value === -1 ? b : powAbs(b, x.value), PREC.pow)}`; p = PREC.mul; break; }
        s = `${go(b, PREC.pow + 1)}^${go(x, PREC.pow)}`;
        p = PREC.pow;
        break;
      }
      case "mul": {
        const [coef, rest] = e.args[0].op === "num" ? [e.args[0].value, e.args.slice(1)] : [1, e.args];
        const numer = rest.filter((f) => !(f.op === "pow" && f.args[1].op === "num" && f.args[1].value < 0));
        const denom = rest.filter((f) => !numer.includes(f));
        const parts = displayOrder(numer).map((f) => go(f, PREC.mul));
        if (Math.abs(coef) !== 1 || parts.length === 0) parts.unshift(formatNumber(Math.abs(coef)));
        s = parts.join("*");
        if (denom.length) {
          const d = denom.map((f) => (f.args[1].value === -1 ? f.args[0] : powAbs(f.args[0], f.args[1].value)));
          s += "/" + (d.length === 1 ? go(d[0], PREC.pow) : `(${d.map((f) => go(f, PREC.mul)).join("*")})`);
        }
        if (coef < 0) s = "-" + s;
        p = coef < 0 ? PREC.neg : PREC.mul;
        break;
      }
      case "add": {
        const { positive, negative } = splitSum(e);
        const parts = positive.map((t, i) => (i === 0 ? "" : " + ") + go(t, PREC.add));
        for (const t of negative) parts.push((parts.length ? " - " : "-") + go(t, PREC.mul));
        s = parts.join("");
        p = PREC.add;
        break;
      }
    }
    return p < outer ? `(${s})` : s;
  };
  return go(e, 0);
}

/** Factors in reading order: symbols and their powers (by name) before compound factors. */
function displayOrder(fs: Expr[]): Expr[] {
  const symName = (f: Expr) => (f.op === "sym" ? f.name : f.op === "pow" && f.args[0].op === "sym" ? f.args[0].name : null);
  return [...fs].sort((a, b) => {
    const na = symName(a), nb = symName(b);
    if (na !== null && nb !== null) return na.localeCompare(nb);
    if (na !== null || nb !== null) return na !== null ? -1 : 1;
    return a.id - b.id;
  });
}

const powAbs = (b: Expr, k: number): Expr => pow(b, num(-k));

/** Size of the expression written out as a tree (capped), to decide when to name intermediates. */
export function treeSize(e: Expr, cap = 1e9): number {
  const size = new Map<Expr, number>();
  for (const x of topoOrder([e])) {
    let s = 1;
    for (const a of x.args) s += size.get(a)!;
    size.set(x, Math.min(s, cap + 1));
  }
  return size.get(e)!;
}
