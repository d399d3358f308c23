// Printing DAG expressions as plain text, LaTeX or JavaScript: one walk with minimal parentheses, dialects for the
// spellings, and optional names for chosen nodes (so deep networks print as a list of named intermediates).
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { type Expr, type Fn, MINUS_ONE, mul, num, pow, topoOrder } from "./expr.js";
import { latexSymbol } from "./notation.js";

/** A sum's terms split by sign of their coefficient; negative ones returned negated. */
export function splitSum(e: Expr): { positive: Expr[]; negative: Expr[] } {
  const positive: Expr[] = [],
    negative: Expr[] = [];
  for (const t of e.args) {
    const c = t.op === "num" ? t.value : t.op === "mul" && t.args[0].op === "num" ? t.args[0].value : 1;
    if (c < 0) negative.push(mul(MINUS_ONE, t));
    else positive.push(t);
  }
  return { positive, negative };
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const s = v.toPrecision(12);
  return String(Number(s));
}

export interface PrintOptions {
  /** Nodes printed as a name instead of their definition. */
  names?: ReadonlyMap<Expr, string>;
}

/** Precedences: the walk parenthesises an operand whose precedence is below its position's. */
const ADD = 1,
  NEG = 2,
  POW = 4,
  ATOM = 5;

type Go = (e: Expr, outer: number) => string;

/**
 * The spellings of one output language. The walk (precedence, parentheses, signed sums, quotients, powers) is
 * shared; a dialect says how each construct is written.
 */
export interface Dialect {
  /** Precedence of a product (a negated one binds at NEG). */
  mul: number;
  number(v: number): string;
  symbol(name: string): string;
  /** f(arg); `atomic` when the argument is a symbol, a number or a named node. Returns text and precedence. */
  call(name: Fn, arg: string, atomic: boolean): [string, number];
  /** f^k(arg) for a function raised to an integer power, if the dialect writes it so. */
  callPower?(name: Fn, k: number, arg: string, atomic: boolean): string;
  sqrt(arg: string): string;
  /** 1/d, with the precedence it prints d at, and its own. */
  reciprocal: { outer: number; prec: number; write(d: string): string };
  /** b^x given b printed at ATOM; x is printed at `exponentOuter`. Returns text and precedence. */
  power(base: string, exponent: string): [string, number];
  exponentOuter: number;
  /** Factors in the order they are written. */
  order(fs: Expr[]): Expr[];
  /** The product of numerator factors (printed) over denominator factors (as positive powers). */
  product(numer: string[], denom: Expr[], go: Go): string;
  parens(s: string): string;
}

/** Print an expression in a dialect; nodes in `names` print as their name. */
export function printIn(d: Dialect, e: Expr, names?: ReadonlyMap<Expr, string>): string {
  const atomic = (a: Expr) => a.op === "sym" || a.op === "num" || (names?.has(a) ?? false);
  const go: Go = (e, outer) => {
    const named = names?.get(e);
    if (named !== undefined) return named;
    let s: string, p: number;
    switch (e.op) {
      case "num":
        s = d.number(e.value);
        p = e.value < 0 ? NEG : ATOM;
        break;
      case "sym":
        s = d.symbol(e.name);
        p = ATOM;
        break;
      case "fn":
        [s, p] = d.call(e.name as Fn, go(e.args[0], 0), atomic(e.args[0]));
        break;
      case "pow": {
        const [b, x] = e.args;
        if (x.op === "num" && x.value === 0.5) {
          s = d.sqrt(go(b, 0));
          p = ATOM;
          break;
        }
        if (x.op === "num" && x.value < 0) {
          s = d.reciprocal.write(go(x.value === -1 ? b : powAbs(b, x.value), d.reciprocal.outer));
          p = d.reciprocal.prec;
          break;
        }
        if (d.callPower && b.op === "fn" && x.op === "num" && Number.isInteger(x.value)) {
          s = d.callPower(b.name as Fn, x.value, go(b.args[0], 0), atomic(b.args[0]));
          p = ATOM;
          break;
        }
        [s, p] = d.power(go(b, ATOM), go(x, d.exponentOuter));
        break;
      }
      case "mul": {
        const [coef, rest] = e.args[0].op === "num" ? [e.args[0].value, e.args.slice(1)] : [1, e.args];
        const numer = rest.filter((f) => !(f.op === "pow" && f.args[1].op === "num" && f.args[1].value < 0));
        const denom = rest.filter((f) => !numer.includes(f)).map((f) => powAbs(f.args[0], f.args[1].value));
        const parts = d.order(numer).map((f) => go(f, d.mul));
        if (Math.abs(coef) !== 1 || parts.length === 0) parts.unshift(d.number(Math.abs(coef)));
        s = d.product(parts, denom, go);
        if (coef < 0) s = `-${s}`;
        p = coef < 0 ? NEG : d.mul;
        break;
      }
      case "add": {
        const { positive, negative } = splitSum(e);
        const parts = positive.map((t, i) => (i === 0 ? "" : " + ") + go(t, ADD));
        for (const t of negative) parts.push((parts.length ? " - " : "-") + go(t, d.mul));
        s = parts.join("");
        p = ADD;
        break;
      }
    }
    return p < outer ? d.parens(s) : s;
  };
  return go(e, 0);
}

/** Plain text: `r^2*sin(theta)^2 + 1`. */
export const TEXT: Dialect = {
  mul: 2,
  number: formatNumber,
  symbol: (name) => name,
  call: (name, arg) => [`${(REGISTRY[name] as FunctionDef).text}(${arg})`, ATOM],
  sqrt: (arg) => `sqrt(${arg})`,
  reciprocal: { outer: POW, prec: 2, write: (d) => `1/${d}` },
  power: (b, x) => [`${b}^${x}`, POW],
  exponentOuter: POW,
  order: displayOrder,
  product: (numer, denom, go) => {
    const s = numer.join("*");
    if (!denom.length) return s;
    return `${s}/${denom.length === 1 ? go(denom[0], POW) : `(${denom.map((f) => go(f, 2)).join("*")})`}`;
  },
  parens: (s) => `(${s})`,
};

function texNumber(v: number): string {
  const s = formatNumber(v);
  const m = /^(-?[\d.]+)e([+-]\d+)$/.exec(s);
  return m ? `${m[1]} \\cdot 10^{${Number(m[2])}}` : s;
}
const texCall = (head: string, arg: string, atomic: boolean) => `${head}${atomic ? `(${arg})` : `\\left(${arg}\\right)`}`;

/** LaTeX: `r^{2} \, \sin^{2}(\theta) + 1`. */
export const LATEX: Dialect = {
  mul: 3,
  number: texNumber,
  symbol: latexSymbol,
  call: (name, arg, atomic) => [texCall((REGISTRY[name] as FunctionDef).tex, arg, atomic), ATOM],
  callPower: (name, k, arg, atomic) => texCall(`${(REGISTRY[name] as FunctionDef).tex}^{${k}}`, arg, atomic),
  sqrt: (arg) => `\\sqrt{${arg}}`,
  reciprocal: { outer: 0, prec: ATOM, write: (d) => `\\frac{1}{${d}}` },
  power: (b, x) => [`${/[_^]/.test(b) ? `{${b}}` : b}^{${x}}`, POW], // a base with indices needs braces
  exponentOuter: 0,
  order: (fs) => fs,
  product: (numer, denom, go) => {
    const body = numer.join(" \\, ");
    return denom.length ? `\\frac{${body}}{${denom.map((f) => go(f, 3)).join(" \\, ")}}` : body;
  },
  parens: (s) => `\\left(${s}\\right)`,
};

/** The language's named constants as JavaScript spells them. */
export const JS_CONSTANTS: Readonly<Record<string, string>> = { pi: "Math.PI" };

/**
 * b^x in JavaScript, x as printed: small integer and half powers multiplied out (faster than Math.pow, and the
 * generated code has always computed them so), others through Math.pow (not **: `-x ** 2` is a syntax error).
 */
function jsPower(b: string, x: string): [string, number] {
  switch (x) {
    case "2":
      return [`${b} * ${b}`, TEXT.mul];
    case "3":
      return [`${b} * ${b} * ${b}`, TEXT.mul];
    case "(-1)":
      return [`1 / ${b}`, TEXT.mul];
    case "(-2)":
      return [`1 / (${b} * ${b})`, TEXT.mul];
    case "0.5":
      return [`Math.sqrt(${b})`, ATOM];
    case "(-0.5)":
      return [`1 / Math.sqrt(${b})`, TEXT.mul];
    default:
      return [`Math.pow(${b}, ${x})`, ATOM];
  }
}

/** JavaScript (symbols as written, numbers to full precision): `r * r*Math.sin(theta)`; numeric/codegen.ts's dialect. */
export const JAVASCRIPT: Dialect = {
  ...TEXT,
  number: (v) => (v < 0 ? `(${v})` : String(v)), // never `--3` after a template's minus
  symbol: (name) => (Object.hasOwn(JS_CONSTANTS, name) ? JS_CONSTANTS[name] : name), // not `in`: `toString` is a name
  call: (name, arg, atomic) => {
    const s = (REGISTRY[name] as FunctionDef).js(atomic ? arg : `(${arg})`);
    // `Math.sin(x + 1)` is an atom; templates such as `1 / (1 + Math.exp(-x))` are not
    const head = s.endsWith(`(${arg})`) ? s.slice(0, s.length - arg.length - 2) : "";
    return [s, /^[\w.]+$/.test(head) ? ATOM : 0];
  },
  sqrt: (arg) => `Math.sqrt(${arg})`,
  power: jsPower,
  exponentOuter: 0,
  order: (fs) => fs,
};

/**
 * One node as straight-line code, its operands already named by `ref` (the code generator's one statement per
 * node): only the node's own operation, spelled by the dialect, so the code computes exactly the DAG's operations.
 */
export function printNode(d: Dialect, e: Expr, ref: (a: Expr) => string): string {
  const args = e.args;
  switch (e.op) {
    case "num":
      return d.number(e.value);
    case "sym":
      return d.symbol(e.name);
    case "add":
    case "mul": {
      const sep = e.op === "add" ? " + " : " * ";
      let text = args.length ? ref(args[0]) : "";
      for (let i = 1; i < args.length; i++) text += sep + ref(args[i]);
      return text;
    }
    case "pow":
      return d.power(ref(args[0]), ref(args[1]))[0];
    case "fn":
      return d.call(e.name as Fn, ref(args[0]), true)[0];
  }
}

/** Python for PyTorch or NumPy tensors, the functions spelled as the registry's `python` says (`{x}` templates
 *  filled in): `r ** 2 * torch.sin(theta)`. `fallback` spells a function the target has no name for. */
export function pythonDialect(target: "torch" | "numpy", fallback: (name: Fn) => string = (n) => `_${n}`): Dialect {
  return {
    ...TEXT,
    number: (v) => (Number.isFinite(v) ? (v < 0 ? `(${v})` : String(v)) : `float("${v}")`),
    call: (name, arg) => {
      const own = (REGISTRY[name] as FunctionDef).python[target],
        spelled = typeof own === "string" ? own : fallback(name);
      return [spelled.includes("{x}") ? spelled.replaceAll("{x}", `(${arg})`) : `${spelled}(${arg})`, ATOM];
    },
    sqrt: (arg) => `${target}.sqrt(${arg})`,
    power: (b, x) => [`${b} ** ${x}`, POW], // ** binds tighter than unary minus on its left: the walk parenthesises
    exponentOuter: ATOM,
    order: (fs) => fs,
    product: (numer, denom, go) => {
      const s = numer.join(" * ");
      return denom.length ? `${s} / ${denom.length === 1 ? go(denom[0], POW) : `(${denom.map((f) => go(f, 2)).join(" * ")})`}` : s;
    },
  };
}

/** Infix text for an expression, e.g. `r^2*sin(theta)^2 + 1`. */
export function print(e: Expr, opts: PrintOptions = {}): string {
  return printIn(TEXT, e, opts.names);
}

/** LaTeX for an expression; nodes in `names` print as their (already LaTeX) name. */
export function latex(e: Expr, names?: ReadonlyMap<Expr, string>): string {
  return printIn(LATEX, e, names);
}

/** Factors in reading order: symbols and their powers (by name) before compound factors. */
function displayOrder(fs: Expr[]): Expr[] {
  const symName = (f: Expr) => (f.op === "sym" ? f.name : f.op === "pow" && f.args[0].op === "sym" ? f.args[0].name : null);
  return [...fs].sort((a, b) => {
    const na = symName(a),
      nb = symName(b);
    if (na !== null && nb !== null) return na.localeCompare(nb);
    if (na !== null || nb !== null) return na !== null ? -1 : 1;
    return a.id - b.id;
  });
}

const powAbs = (b: Expr, k: number): Expr => pow(b, num(-k));

/** A component of a listed tensor (Christoffel symbols, curvature, …) larger than this, written out as a tree,
 *  is not printed: the listing says to evaluate it at points instead. */
export const COMPONENT_PRINT_LIMIT = 400;

/** Whether a listed component is small enough to print. */
export const printable = (e: Expr) => treeSize(e, COMPONENT_PRINT_LIMIT) <= COMPONENT_PRINT_LIMIT;

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
