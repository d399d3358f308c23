// A derivation is data: an ordered list of steps, each an equation with its justification
// and a numeric witness. LaTeX, HTML and `rgnn verify` are views of it.
import type { MathNode, Prose } from "../core/notation.js";
import type { Span } from "../syntax/ast.js";
import type { Expr } from "../symbolic/expr.js";
import type { Matrix } from "../symbolic/tensor.js";

export type Justification =
  | "definition"
  | "chain rule"
  | "pullback recursion"
  | "Euler step"
  | "substitution"
  | "simplification"
  | "lemma"
  | "claim"
  | "functoriality"
  | "property";

/** One side of an equation: a named symbol (rendered as given) or values. */
export type Side =
  | { kind: "label"; math: MathNode }
  | { kind: "scalar"; expr: Expr }
  | { kind: "vector"; entries: Expr[] }
  | { kind: "matrix"; entries: Matrix };

/** One or more rows `lhs = rhs`, typeset aligned at the = sign. */
export interface Equation {
  /** A row may carry its own names (a row that defines z_l must not print z_l by name). */
  rows: { lhs: Side; rhs: Side; names?: ReadonlyMap<Expr, string> }[];
  /** Text names printed instead of chosen nodes (layer intermediates); LaTeX derives from them. */
  names?: ReadonlyMap<Expr, string>;
}

export const label = (math: MathNode): Side => ({ kind: "label", math });
export const scalarSide = (expr: Expr): Side => ({ kind: "scalar", expr });
export const vectorSide = (entries: Expr[]): Side => ({ kind: "vector", entries });
export const matrixSide = (entries: Matrix): Side => ({ kind: "matrix", entries });

export interface WitnessResult {
  /** Points at which both sides were finite and compared. */
  points: number;
  tolerance: number;
  /** Largest relative difference |l − r| / (1 + max(|l|, |r|)) seen. */
  maxError: number;
  passed: boolean;
  /** What the two sides were compared by, e.g. "forward-mode derivatives". */
  against: string;
  /** The worst point when the check failed (or could not be made). */
  failure?: { point: Record<string, number>; component: string; lhs: number; rhs: number; reason?: string };
}

export interface Step {
  id: string;
  title: string;
  justification: Justification;
  /** A sentence saying why the equation holds. */
  why: Prose;
  /** Ids of the earlier steps this one rests on. */
  uses?: string[];
  /** The general statement in index notation, when the step instantiates one. */
  general?: MathNode;
  equation?: Equation;
  /** Equation-free statement, for properties like "g is positive definite". */
  statement?: MathNode;
  witness: WitnessResult | null;
  /** Components shown to be identically zero although not built as 0, and what showed it (symbolic/simplify). */
  zeros?: { components: string[]; proof: string }[];
  /** Where the spec asked for this (claims). */
  span?: Span;
}

export interface Section {
  title: string;
  intro: Prose;
  steps: Step[];
}

export interface Derivation {
  file: string;
  title: string;
  sections: Section[];
  options: WitnessOptions;
}

export interface WitnessOptions {
  points: number;
  seed: number;
  tolerance: number;
}
export const DEFAULT_WITNESS: WitnessOptions = { points: 8, seed: 1, tolerance: 1e-9 };

export function allSteps(d: Derivation): Step[] {
  return d.sections.flatMap((s) => s.steps);
}
export const failedSteps = (d: Derivation) => allSteps(d).filter((s) => s.witness && !s.witness.passed);
