// The LaTeX of a step's equation, shared by the .tex document and the KaTeX page. Long sums
// are broken across aligned lines; a step that failed its check gets "?=" instead of "=".
import type { Equation, Side, Step } from "../derive/model.js";
import { type Expr, mul } from "../symbolic/expr.js";
import { latexSymbol } from "../symbolic/notation.js";
import { splitSum } from "../symbolic/print.js";
import { latex } from "./latex-expr.js";
import type { MathNode } from "../core/notation.js";
import { mathTex } from "./notation.js";

/** Rough width of typeset math, in characters: commands and braces take no room. */
export function visibleLength(tex: string): number {
  return tex
    .replace(/\\(left|right|big|Big|,|;|quad)/g, "")
    .replace(/\\[a-zA-Z]+/g, "x")
    .replace(/[{}^_]/g, "")
    .replace(/\s+/g, "").length;
}

const LINE = 62; // visible characters per line of a broken formula

/** A sum typeset as lines of at most LINE visible characters (the first line holds the first term). */
function brokenSum(e: Expr, names: ReadonlyMap<Expr, string>): string[] {
  const whole = latex(e, names);
  if (visibleLength(whole) <= LINE) return [whole];
  if (e.op === "mul") return brokenProduct(e, names) ?? [whole];
  if (e.op === "pow") return brokenPower(e, names) ?? [whole];
  if (e.op !== "add") return [whole];
  const { positive, negative } = splitSum(e);
  const signed = [
    ...positive.map((t, i) => [i === 0 ? "" : "+ ", t] as const),
    ...negative.map((t, i) => [positive.length || i ? "- " : "-", t] as const),
  ];
  const lines: string[] = [];
  let cur = "";
  const flush = () => {
    if (cur) lines.push(cur);
    cur = "";
  };
  for (const [sign, t] of signed) {
    // a negated sum keeps its parentheses: − (a − 1), never − a − 1
    const grouped = t.op === "add" && !names.has(t);
    const tex = sign + (grouped ? `\\left(${latex(t, names)}\\right)` : latex(t, names));
    if (visibleLength(tex) > LINE) {
      // a term too long for a line of its own: break inside it
      flush();
      const inner =
        t.op === "mul" ? brokenProduct(t, names) : t.op === "pow" ? brokenPower(t, names) : grouped ? parenthesised(t, names, "") : null;
      if (inner) {
        inner[0] = sign + inner[0];
        lines.push(...inner);
      } else lines.push(tex);
      continue;
    }
    if (cur && visibleLength(cur + tex) > LINE) flush();
    cur += (cur ? " " : "") + tex;
  }
  flush();
  return lines;
}

/**
 * c·f·(long sum)·(long sum): the short factors, then each sum broken across lines inside \left( … \right. and
 * \left. … \right) (each line of an alignment must balance its own delimiters).
 */
function brokenProduct(e: Expr, names: ReadonlyMap<Expr, string>): string[] | null {
  const sums = e.args.filter((f) => f.op === "add" && !names.has(f));
  if (!sums.length) return null;
  const rest = e.args.filter((f) => !sums.includes(f));
  const prefix = rest.length ? latex(mul(...rest), names) : "1";
  const lines = sums.flatMap((f) => parenthesised(f, names, "") ?? [`\\left(${latex(f, names)}\\right)`]);
  if (lines.length < 2) return null;
  lines[0] = `${prefix === "1" ? "" : prefix === "-1" ? "-" : `${prefix} \\, `}${lines[0]}`;
  return lines;
}

/** A long sum broken inside \left( … \right)`close` (each line of an alignment balances its own delimiters). */
function parenthesised(sum: Expr, names: ReadonlyMap<Expr, string>, close: string): string[] | null {
  const inner = brokenSum(sum, names);
  if (inner.length < 2) return null;
  return inner.map((line, i) => {
    const open = i === 0 ? "\\left(" : "\\left.";
    return `${open}${line}${i === inner.length - 1 ? `\\right)${close}` : "\\right."}`;
  });
}

/** (long sum)^k for a positive integer k (a total Jacobian's entries squared): the sum broken inside \left( … \right)^k. */
function brokenPower(e: Expr, names: ReadonlyMap<Expr, string>): string[] | null {
  const [base, exponent] = e.args;
  if (names.has(base) || base.op !== "add" || exponent.op !== "num" || !(exponent.value > 0 && Number.isInteger(exponent.value)))
    return null;
  return parenthesised(base, names, `^{${exponent.value}}`);
}

export const texNames = (names?: ReadonlyMap<Expr, string>) =>
  new Map([...(names ?? new Map())].map(([e, s]) => [e, latexSymbol(s)] as const));

function matrixTex(m: Expr[][], names: ReadonlyMap<Expr, string>): string {
  return `\\begin{pmatrix} ${m.map((row) => row.map((e) => latex(e, names)).join(" & ")).join(" \\\\ ")} \\end{pmatrix}`;
}

/** Short enough to typeset as one matrix or vector? */
function fits(entries: Expr[][], names: ReadonlyMap<Expr, string>): boolean {
  const widest = Math.max(...entries[0].map((_, j) => Math.max(...entries.map((r) => visibleLength(latex(r[j], names))))));
  return widest * entries[0].length <= LINE;
}

/** Aligned rows `lhs &= rhs` for one side pair; matrices too wide become one row per component. */
function rowsOf(lhs: Side, rhs: Side, rel: string, names: ReadonlyMap<Expr, string>): string[] {
  const l = sideHead(lhs, names);
  if (rhs.kind === "label") return [`${l} &${rel} ${mathTex(rhs.math)}`];
  if (rhs.kind === "scalar") return continued(l, brokenSum(rhs.expr, names), rel);
  const m = rhs.kind === "vector" ? rhs.entries.map((e) => [e]) : rhs.entries;
  if (fits(m, names)) return [`${l} &${rel} ${matrixTex(m, names)}`];
  // component-wise; a symmetric matrix only above the diagonal
  const symmetric = rhs.kind === "matrix" && m.length === m[0].length && m.every((row, i) => row.every((e, j) => e === m[j][i]));
  const out: string[] = [];
  m.forEach((row, i) => {
    row.forEach((e, j) => {
      if (symmetric && j < i) return;
      const sub = rhs.kind === "vector" ? `${i + 1}` : `${i + 1}${j + 1}`;
      out.push(...continued(`\\left(${l}\\right)_{${sub}}`, brokenSum(e, names), rel));
    });
  });
  return out;
}

function sideHead(s: Side, names: ReadonlyMap<Expr, string>): string {
  switch (s.kind) {
    case "label":
      return mathTex(s.math);
    case "scalar":
      return latex(s.expr, names);
    case "vector":
      return matrixTex(
        s.entries.map((e) => [e]),
        names,
      );
    case "matrix":
      return matrixTex(s.entries, names);
  }
}

function continued(lhs: string, lines: string[], rel: string): string[] {
  return lines.map((line, i) => (i === 0 ? `${lhs} &${rel} ${line}` : `&\\quad ${line}`));
}

/** The equation as the body of an aligned environment. */
export function equationTex(eq: Equation, failed: boolean): string {
  const names = texNames(eq.names);
  const rel = failed ? "\\overset{?}{=}" : "=";
  return eq.rows.flatMap((r) => rowsOf(r.lhs, r.rhs, rel, r.names ? texNames(r.names) : names)).join(" \\\\\n");
}

/** A list of statements too wide for one line, one statement a line (null: it fits on one). */
export function statementLines(m: MathNode): string[] | null {
  if (m.kind !== "list" || !m.wide || visibleLength(mathTex(m)) <= LINE) return null;
  return m.items.map(mathTex);
}

/** A statement as display math: a list of statements too wide for one line is set one statement a line. */
export function statementTex(m: MathNode): string {
  const lines = statementLines(m);
  return lines ? `\\begin{gathered} ${lines.join(" \\\\ ")} \\end{gathered}` : mathTex(m);
}

/** Display math for a step (its equation or statement), or null. */
export function stepMath(step: Step): string | null {
  const failed = !!step.witness && !step.witness.passed;
  if (step.equation) return `\\begin{aligned}\n${equationTex(step.equation, failed)}\n\\end{aligned}`;
  if (step.statement) {
    const tex = statementTex(step.statement);
    return failed ? `${tex} \\quad (\\text{does not hold})` : tex;
  }
  return null;
}

/** Numbers for tables and captions. */
export { short } from "../derive/report.js";
