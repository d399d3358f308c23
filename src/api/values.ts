// The numbers a model is evaluated with: kept apart from the metric's closed forms so that a command that only
// evaluates does not load the simplifier and printers.
import type { Model } from "../semantics/model.js";
import { valueEnv } from "../numeric/evaluate.js";

/** Values for a spec's symbols: its constants, then these (e.g. trained weights, `{ h: 0.1 }`). */
export type Values = ReadonlyMap<string, number> | Record<string, number>;

/**
 * The environment of numbers a model is evaluated in: its constants' values overridden by `values`.
 * @example
 * const env = valuesOf(model, { h: 0.1 });
 */
export function valuesOf(model: Model, values: Values = {}): Map<string, number> {
  const env = valueEnv(model);
  for (const [k, v] of values instanceof Map ? values : Object.entries(values)) env.set(k, v);
  return env;
}
