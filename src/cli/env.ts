// Values for a spec's symbols on the command line: constants' own values, then --weights FILE
// (trained or exported weights for symbolic parameters), then --set NAME=VALUE.
import type { Model } from "../semantics/model.js";
import { bindWeights, WeightsError } from "../semantics/bind.js";
import { valueEnv } from "../numeric/evaluate.js";
import type { IO } from "./io.js";
import { parseAssignments } from "./options.js";

/** The values, or null after printing why a weights file does not fit (exit 1). */
export function commandEnv(io: IO, model: Model, opts: { weights?: string; set?: string }): Map<string, number> | null {
  const env = valueEnv(model);
  if (opts.weights) {
    try {
      for (const [k, v] of bindWeights(model, opts.weights)) env.set(k, v);
    } catch (e) {
      if (e instanceof WeightsError) {
        io.err(`${e.message}\n`);
        return null;
      }
      throw e;
    }
  }
  for (const [k, v] of parseAssignments(opts.set)) env.set(k, v);
  return env;
}
