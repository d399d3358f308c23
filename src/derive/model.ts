// A derivation is data: an ordered list of steps, each an equation with its justification
// and a numeric witness. LaTeX, HTML and `rgnn verify` are views of it.
import type { MathNode, Prose } from "../core/notation.js";
import type { Span } from "../syntax/ast.js";
import type { Expr } from "../symbolic/expr.js";
import type { Matrix } from "../symbolic/tensor.js";
import type { DerivationForm } from "./form.js";

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

/**
 * How a witness computed the side it compares with, as data: a definition re-evaluated by the numeric forward pass is a
 * consistency check of the code, not evidence; the others are independent of the symbolic path they check.
 */
export type RouteKind =
  | "forward pass" // the same definition evaluated by src/numeric's forward pass (re-evaluation: circular for definitions)
  | "forward mode" // dual-number derivatives of the numeric forward pass
  | "finite differences" // 5-point stencils on values only: no derivative code
  | "both sides" // two different symbolic expressions, each evaluated by generated code
  | "engine" // the matrix engine's jets (numeric/engine): numbers through the layers, no DAG
  | "eigenvalues" // a predicate on the matrix's spectrum at each point
  | "integrator" // an ODE integrated numerically (flows, geodesics)
  | "other"; // described only by the witness's text

/** Where a witness's points come from. */
export interface WitnessDomain {
  /** random: uniform in `box` (and `params`); point: one given point; samples: a solver's own samples (paths, depths). */
  kind: "random" | "point" | "samples";
  /** The step's seed: the run's seed mixed with the step's id (witness.ts stepSeed). */
  seed?: number;
  /** The coordinates sampled and their common range. */
  /** Each coordinate uniform in [lo, hi], or in its own interval `ranges[i]` where the chart declares a domain. */
  box?: { coords: string[]; lo: number; hi: number; ranges?: readonly [number, number][] };
  /** Free parameters sampled too (symbolic weights in [-1, 1], step sizes h in [0.05, 1]). */
  params?: string[];
  /** Values drawn besides the coordinates and parameters, in words (e.g. "random fibre elements"). */
  also?: string;
  /** For `point`: the coordinates' values. */
  at?: Record<string, number>;
  /** For folded steps: the instances checked (e.g. every layer l = 1…64). */
  instances?: string;
}

/** What a step is: a definition (true by fiat) or a statement whose witness is an independent route. */
export type StepRole = "definition" | "witnessed";

/**
 * What a step's check is worth as evidence, for the counts a reader can trust:
 * - definition: true by fiat; a check only re-evaluates it (a check of the code);
 * - identity: true whatever the values — both sides are one expression, a law of algebra (group laws, invariance), or a
 *   definition rearranged (the Euler reading of a layer): its check confirms the code, it is not evidence;
 * - independent: a closed form compared with a route that shares no code with the symbolic path that built it
 *   (forward mode on the model's own expressions, finite differences of values, the matrix engine, an ODE integrator),
 *   at sampled points;
 * - sampled: a statement tested at sampled points only — a property of the values there (eigenvalues, group membership,
 *   the sign of a determinant), or two evaluations that share their code;
 * - unchecked: a statement without a witness.
 */
export type Evidence = "definition" | "identity" | "independent" | "sampled" | "unchecked";

export interface WitnessResult {
  /** Points at which both sides were finite and compared. */
  points: number;
  tolerance: number;
  /** Largest relative difference |l − r| / (1 + max(|l|, |r|)) seen. */
  maxError: number;
  passed: boolean;
  /** What the two sides were compared by, e.g. "forward-mode derivatives". */
  against: string;
  /** The route's kind (absent: "other"). */
  route?: RouteKind;
  domain?: WitnessDomain;
  /** Both sides were the same expression (one DAG node per component): the check cannot fail, so it is an identity. */
  sameExpression?: boolean;
  /** The worst point when the check failed (or could not be made). */
  failure?: { point: Record<string, number>; component: string; lhs: number; rhs: number; reason?: string };
}

export interface Step {
  id: string;
  /** Plain text. */
  title: string;
  /** The title with its math typeset (claims quote formulas); views prefer it to `title`. */
  heading?: Prose;
  /** Definition or witnessed statement; absent: a `definition` justification is a definition, any other is witnessed. */
  role?: StepRole;
  /** Why the step holds whatever the values (a law of algebra, a definition rearranged): its check is not evidence. */
  identity?: string;
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
  /** A metric's section: the form its derivation took (form.ts). */
  form?: DerivationForm;
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
export const roleOf = (s: Step): StepRole => s.role ?? (s.justification === "definition" ? "definition" : "witnessed");
export const routeOf = (w: WitnessResult): RouteKind => w.route ?? "other";

/** A step's worth as evidence (see Evidence); what decides it is the step's role, its identity and its route. */
export function evidenceOf(s: Step): Evidence {
  if (roleOf(s) === "definition") return "definition";
  if (s.identity || s.witness?.sameExpression) return "identity";
  if (!s.witness) return "unchecked";
  return INDEPENDENT_ROUTES.has(routeOf(s.witness)) ? "independent" : "sampled";
}

/**
 * Routes that share no code with the symbolic path (for a witnessed step: "forward pass" there is the model's own
 * expressions evaluated numerically against the DAG's closed form).
 */
const INDEPENDENT_ROUTES: ReadonlySet<RouteKind> = new Set(["forward pass", "forward mode", "finite differences", "engine", "integrator"]);

/**
 * The document's count: definitions, identities (checked, not evidence), and the evidence — closed forms against
 * independent routes apart from statements checked at sampled points only — with how many of those passed.
 */
export function stepCounts(d: Derivation) {
  const steps = allSteps(d);
  const by = (e: Evidence) => steps.filter((s) => evidenceOf(s) === e);
  const definitions = by("definition"),
    identities = by("identity"),
    independent = by("independent"),
    sampled = by("sampled");
  const evidence = [...independent, ...sampled];
  return {
    steps: steps.length,
    definitions: definitions.length,
    /** Definitions re-evaluated by a second implementation (a check of the code, not of the mathematics). */
    reEvaluated: definitions.filter((s) => s.witness).length,
    /** Steps true whatever the values; checked (a check of the code), not counted as evidence. */
    identities: identities.length,
    /** Closed forms checked against a route independent of the symbolic path, at sampled points. */
    independent: independent.length,
    /** Statements checked at sampled points only (properties of the values there, or evaluations sharing code). */
    sampled: sampled.length,
    /** Witnessed steps that are evidence: independent + sampled. */
    evidence: evidence.length,
    /** Of the evidence, the checks that passed. */
    passed: evidence.filter((s) => s.witness!.passed).length,
    /** Statements without a witness (neither definitions nor identities). */
    unchecked: by("unchecked").length,
    /** Failed checks of any step (a definition's re-evaluation or an identity's check can fail too). */
    failed: steps.filter((s) => s.witness && !s.witness.passed).length,
  };
}
export const failedSteps = (d: Derivation) => allSteps(d).filter((s) => s.witness && !s.witness.passed);
