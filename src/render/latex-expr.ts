// LaTeX for DAG expressions.
import { FUNCTIONS, REGISTRY } from "../core/functions.js";
import { type Expr, num, pow } from "../symbolic/expr.js";
import { latexSymbol } from "../symbolic/notation.js";
import { formatNumber, splitSum } from "../symbolic/print.js";

export { latexSymbol };

const FN_TEX: Record<string, string> = Object.fromEntries(FUNCTIONS.map((f) => [f, REGISTRY[f].tex]));

function texNumber(v: number): string {
  const s = formatNumber(v);
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return m ? `${m[1]} \\cdot 10^{${Number(m[2])}}` : s;
}

/** LaTeX for an expression; nodes in `names` print as their (already LaTeX) name. */
export function latex(e: Expr, names?: ReadonlyMap<Expr, string>): string {
  const go = (e: Expr, outer: number): string => {
    const named = names?.get(e);
    if (named !== undefined) return named;
    let s: string, p: number;
    switch (e.op) {
      case "num": s = texNumber(e.value); p = e.value < 0 ? 2 : 5; break;
      case "sym": s = latexSymbol(e.name); p = 5; break;
      case "fn": {
        const a = e.args[0];
        const arg = go(a, 0);
        const f = FN_TEX[e.name] ?? `\\operatorname{${e.name}}`;
        const atomic = a.op === "sym" || a.op === "num" || names?.has(a);
        s = atomic ? `${f}(${arg})` : `${f}\\left(${arg}\\right)`;
        p = 5;
        break;
      }
      case "pow": {
        const [b, x] = e.args;
        if (x.op === "num" && x.value === 0.5) { s = `\\sqrt{${go(b, 0)}}`; p = 5; break; }
        if (x.op === "num" && x.value < 0) { s = `\\frac{1}{${go(x.value === -1 ? b : pow(b, num(-x.value)), 0)}}`; p = 5; break; }
        if (b.op === "fn" && x.op === "num" && Number.isInteger(x.value)) {
          const a = b.args[0];
          const atomic = a.op === "sym" || a.op === "num" || names?.has(a);
          const arg = go(a, 0);
          s = `${FN_TEX[b.name] ?? `\\operatorname{${b.name}}`}^{${x.value}}${atomic ? `(${arg})` : `\\left(${arg}\\right)`}`;
          p = 5;
          break;
        }
        const base = go(b, 5);
        s = `${/[_^]/.test(base) ? `{${base}}` : base}^{${go(x, 0)}}`; // a base with indices needs braces
        p = 4;
        break;
      }
      case "mul": {
        const [coef, rest] = e.args[0].op === "num" ? [e.args[0].value, e.args.slice(1)] : [1, e.args];
        const numer = rest.filter((f) => !(f.op === "pow" && f.args[1].op === "num" && f.args[1].value < 0));
        const denom = rest.filter((f) => !numer.includes(f)).map((f) => pow(f.args[0], num(-f.args[1].value)));
        const parts = numer.map((f) => go(f, 3));
        if (Math.abs(coef) !== 1 || parts.length === 0) parts.unshift(texNumber(Math.abs(coef)));
        let body = parts.join(" \\, ");
        if (denom.length) body = `\\frac{${body}}{${denom.map((f) => go(f, 3)).join(" \\, ")}}`;
        s = coef < 0 ? `-${body}` : body;
        p = coef < 0 ? 2 : 3;
        break;
      }
      case "add": {
        const { positive, negative } = splitSum(e);
        const parts = positive.map((t, i) => (i === 0 ? "" : " + ") + go(t, 1));
        for (const t of negative) parts.push((parts.length ? " - " : "-") + go(t, 3));
        s = parts.join("");
        p = 1;
        break;
      }
    }
    return p < outer ? `\\left(${s}\\right)` : s;
  };
  return go(e, 0);
}

