// Values for a spec's symbols on the command line: constants' own values, then --weights FILE
// (trained or exported weights for symbolic parameters), then --set NAME=VALUE.
import type { Model } from "../semantics/model.js";
import { bindWeights, WeightsError } from "../semantics/bind.js";
import { valuesOf } from "../api/values.js";
import { entryName, writtenParams } from "../semantics/networks.js";
import { suggestion } from "../semantics/names.js";
import { type IO, UsageError } from "./io.js";
import { parseAssignments } from "./options.js";

/** The names a spec could give a value to: its constants, its symbolic weights' entries, every name in its text. */
function symbolNames(model: Model): Set<string> {
  const names = new Set<string>(model.constants.keys());
  for (const m of model.source.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) names.add(m[0]);
  for (const m of model.mappings.values())
    if (m.kind === "network")
      for (const layer of m.layers)
        for (const p of writtenParams(layer))
          if (!p.values) for (let i = 0; i < p.entries.length; i++) names.add(entryName(p.name, p.shape, i));
  return names;
}

/** --set NAME=VALUE, refusing a name the spec does not have (a typo would otherwise be ignored). */
export function setAssignments(model: Model, text: string | undefined): Map<string, number> {
  const set = parseAssignments(text);
  if (set.size === 0) return set;
  const known = symbolNames(model);
  for (const name of set.keys())
    if (!known.has(name)) {
      const hint = suggestion(name, known);
      throw new UsageError(`--set ${name}: ${model.file} has no symbol '${name}'${hint.length ? `; ${hint[0]}` : ""}`);
    }
  return set;
}

/** The values, or null after printing why a weights file does not fit (exit 1). */
export function commandEnv(io: IO, model: Model, opts: { weights?: string; set?: string }): Map<string, number> | null {
  const env = valuesOf(model);
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
  for (const [k, v] of setAssignments(model, opts.set)) env.set(k, v);
  return env;
}
