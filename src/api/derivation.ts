// Derivations and their checks: the checked step-by-step derivation, its verification summary, and the spec's own
// claims one at a time.
import { inRequestGraph } from "../symbolic/expr.js";
import type { Model } from "../semantics/model.js";
import { valueEnv } from "../numeric/evaluate.js";
import { claimStep } from "../derive/claims.js";
import { type DeriveOptions, derive } from "../derive/index.js";
import {
  allSteps,
  DEFAULT_WITNESS,
  type Derivation,
  type Evidence,
  evidenceOf,
  type Justification,
  roleOf,
  type Step,
  type StepRole,
  stepCounts,
  type WitnessOptions,
  type WitnessResult,
} from "../derive/model.js";
import { LookupError } from "./errors.js";

/**
 * The spec's `check` request number `index` (of `model.requests`), witnessed at random points as `rgnn verify`
 * checks a claim: the step with its `witness` (passed, worst point, both values).
 * @example
 * const s = claimCheck(model, 0); s.witness?.passed;
 */
export function claimCheck(model: Model, index: number, options: Partial<WitnessOptions> = {}): Step {
  const r = model.requests[index];
  const witness = { ...DEFAULT_WITNESS, ...options };
  const step = r && r.kind !== "show" ? inRequestGraph(model, () => claimStep(r, index, valueEnv(model), witness, model.source)) : null;
  if (!step) throw new LookupError(`request ${index} of ${model.file} is not a check`);
  return step;
}

/**
 * The checked, step-by-step derivation of everything a spec asks for (the data behind `rgnn derive`).
 * @example
 * const d = derivation(model, { points: 8, seed: 1, tolerance: 1e-9 });
 * d.sections.map((s) => s.title);
 */
export function derivation(model: Model, options: DeriveOptions = {}): Derivation {
  return inRequestGraph(model, () => derive(model, options));
}

export interface VerifyResult {
  file: string;
  options: WitnessOptions;
  passed: boolean;
  /** Definitions and identities (checked: a check of the code) counted apart from the evidence, and that by its kind. */
  counts: ReturnType<typeof stepCounts>;
  checks: ({
    id: string;
    title: string;
    justification: Justification;
    role: StepRole;
    evidence: Evidence;
    line?: number;
  } & WitnessResult)[];
}

/**
 * The verification summary of a derivation already made.
 * @example
 * verifyResult(derivation(model)).passed;
 */
export function verifyResult(d: Derivation): VerifyResult {
  const steps = allSteps(d).filter((s) => s.witness);
  return {
    file: d.file,
    options: d.options,
    passed: steps.every((s) => s.witness!.passed),
    counts: stepCounts(d),
    checks: steps.map((s) => ({
      id: s.id,
      title: s.title,
      justification: s.justification,
      role: roleOf(s),
      evidence: evidenceOf(s),
      line: s.span?.line,
      ...s.witness!,
    })),
  };
}

/**
 * Every derivation step and claim of a spec checked numerically at random points.
 * @example
 * const v = verify(model);
 * if (!v.passed) console.log(v.checks.filter((c) => !c.passed));
 */
export function verify(model: Model, options: Partial<WitnessOptions> = {}): VerifyResult {
  return verifyResult(derivation(model, options));
}
