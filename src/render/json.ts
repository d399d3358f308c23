// A derivation as JSON (schema in docs/derivation-json.md): every step's structure, its equation's
// components in text notation and in LaTeX, its justification as data and its witness.
import { type MathNode, mathSymbols, mathText, type Prose, proseSymbols, proseText } from "../core/notation.js";
import { type Derivation, type Equation, evidenceOf, roleOf, routeOf, type Side, type Step, stepCounts } from "../derive/model.js";
import { identityReason } from "../derive/report.js";
import type { Expr } from "../symbolic/expr.js";
import { print } from "../symbolic/print.js";
import { texNames } from "./formula.js";
import { latex } from "./latex-expr.js";
import { mathTex, proseTex } from "./notation.js";

export const DERIVATION_SCHEMA = "rgnn-derivation/1";

type Grid = string | string[] | string[][];
export interface JsonText {
  /** Plain text. */
  text: string;
  /** LaTeX: for prose, text mode with $…$ math; for math, math mode. */
  latex: string;
}
export interface JsonSide {
  kind: Side["kind"];
  text: Grid;
  latex: Grid;
}

const proseJson = (p: Prose) => ({ text: proseText(p), latex: proseTex(p), parts: p });
const mathJson = (m: MathNode): JsonText & { tree: MathNode } => ({ text: mathText(m), latex: mathTex(m), tree: m });

function sideJson(s: Side, names: ReadonlyMap<Expr, string> | undefined): JsonSide {
  const tn = texNames(names);
  const both = (e: Expr) => [print(e, { names }), latex(e, tn)] as const;
  switch (s.kind) {
    case "label":
      return { kind: s.kind, text: mathText(s.math), latex: mathTex(s.math) };
    case "scalar": {
      const [text, tex] = both(s.expr);
      return { kind: s.kind, text, latex: tex };
    }
    case "vector":
      return { kind: s.kind, text: s.entries.map((e) => both(e)[0]), latex: s.entries.map((e) => both(e)[1]) };
    case "matrix":
      return { kind: s.kind, text: s.entries.map((r) => r.map((e) => both(e)[0])), latex: s.entries.map((r) => r.map((e) => both(e)[1])) };
  }
}

const equationJson = (eq: Equation) => ({
  rows: eq.rows.map((r) => ({ lhs: sideJson(r.lhs, r.names ?? eq.names), rhs: sideJson(r.rhs, r.names ?? eq.names) })),
});

/** Every symbol and spec name a step's text and formulas mention, sorted. */
function stepSymbols(s: Step): string[] {
  const found = new Set<string>(proseSymbols(s.why));
  for (const m of [
    s.general,
    s.statement,
    ...(s.equation?.rows.flatMap((r) => [r.lhs, r.rhs]) ?? []).map((x) => (x.kind === "label" ? x.math : undefined)),
  ])
    if (m) for (const n of mathSymbols(m)) found.add(n);
  return [...found].sort();
}

function stepJson(s: Step, number: number) {
  const w = s.witness;
  return {
    id: s.id,
    number,
    title: s.title,
    heading: s.heading ? proseJson(s.heading) : null,
    role: roleOf(s),
    evidence: evidenceOf(s),
    identity: identityReason(s) ?? null,
    justification: {
      kind: s.justification,
      uses: s.uses ?? [],
      symbols: stepSymbols(s),
      span: s.span ? { line: s.span.line, col: s.span.col } : null,
    },
    why: proseJson(s.why),
    general: s.general ? mathJson(s.general) : null,
    equation: s.equation ? equationJson(s.equation) : null,
    statement: s.statement ? mathJson(s.statement) : null,
    witness: w
      ? {
          route: w.against,
          routeKind: routeOf(w),
          domain: w.domain ?? null,
          points: w.points,
          tolerance: w.tolerance,
          maxError: Number.isFinite(w.maxError) ? w.maxError : String(w.maxError),
          passed: w.passed,
          sameExpression: w.sameExpression ?? false,
          failure: w.failure ?? null,
        }
      : null,
  };
}

export function derivationJson(d: Derivation) {
  let n = 0;
  return {
    schema: DERIVATION_SCHEMA,
    file: d.file,
    title: d.title,
    options: d.options,
    counts: stepCounts(d),
    sections: d.sections.map((sec) => ({
      title: sec.title,
      intro: proseJson(sec.intro),
      form: sec.form ?? null,
      steps: sec.steps.map((s) => stepJson(s, ++n)),
    })),
  };
}

export const jsonDocument = (d: Derivation) => `${JSON.stringify(derivationJson(d), null, 2)}\n`;
