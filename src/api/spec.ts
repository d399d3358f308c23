// Parsing and checking a spec from its text: the model, or the located diagnostics.
import { loadSpec } from "../semantics/load.js";
import type { Mapping, Metric, Model } from "../semantics/model.js";
import { type Diagnostic, DiagnosticError } from "../syntax/diagnostics.js";
import { embeddingMap } from "../semantics/resolve.js";
import { subNetworkNamed } from "../semantics/networks.js";
import { LookupError } from "./errors.js";

export type CheckResult =
  | { ok: true; model: Model }
  /** `message` is every diagnostic formatted as `file:line:col: error: …` with the source line and a caret. */
  | { ok: false; diagnostics: Diagnostic[]; message: string };

/**
 * Parse and check a spec. `file` names it in messages and is where `weights` clauses are looked up from
 * (its folder; `baseDir` overrides it).
 * @example
 * const r = checkSpec("manifold P (r, theta)\nmetric g on P = [[1, 0], [0, r^2]]\n", "polar.rgnn");
 * if (r.ok) console.log([...r.model.metrics.keys()]); // ["g"]
 * else console.error(r.message);
 */
export function checkSpec(source: string, file: string, options: { baseDir?: string } = {}): CheckResult {
  try {
    return { ok: true, model: loadSpec(source, file, options.baseDir) };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, diagnostics: e.diagnostics, message: e.message };
    throw e;
  }
}

/**
 * A metric of a model by name, or the first one declared.
 * @example
 * const g = pickMetric(model, "g");
 */
export function pickMetric(model: Model, name?: string): Metric {
  if (name !== undefined) {
    const m = model.metrics.get(name);
    const names = [...model.metrics.keys()].join(", ") || "none";
    if (!m) throw new LookupError(`no metric '${name}' in ${model.file}; its metrics: ${names}`);
    return m;
  }
  const first = model.metrics.values().next().value;
  if (!first) throw new LookupError(`${model.file} declares no metric`);
  return first;
}

/**
 * A map or network of a model by name (an embedded manifold is its parametrisation map), or the first network
 * (else the first map).
 * @example
 * const f = pickMapping(model); // the first network
 */
export function pickMapping(model: Model, name?: string): Mapping {
  if (name !== undefined) {
    const embedded = [...model.manifolds.values()].filter((v) => v.embedding);
    const e = embedded.find((v) => v.name === name);
    const sub = subNetworkNamed(model.mappings, name); // `mlp[1..2]`: layers 1 to 2 of mlp
    if (sub && "error" in sub) throw new LookupError(sub.error);
    const m = model.mappings.get(name) ?? sub ?? (e?.embedding ? embeddingMap(e, e.embedding) : undefined);
    const names = [...model.mappings.keys(), ...embedded.map((v) => v.name)].join(", ") || "none";
    if (!m) throw new LookupError(`no map or network '${name}' in ${model.file}; it has: ${names}`);
    return m;
  }
  const all = [...model.mappings.values()];
  const m = all.find((x) => x.kind === "network") ?? all[0];
  if (!m) throw new LookupError(`${model.file} declares no map or network`);
  return m;
}
