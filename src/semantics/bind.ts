// Values for a spec's symbolic weights from a weights file (JSON or safetensors), by parameter
// name: what `--weights FILE` does for a spec whose network was declared symbolically (e.g. the
// output of `rgnn train`).
import { EXIT, RgnnError } from "../core/errors.js";
import { resolve } from "node:path";
import type { Model } from "./model.js";
import { entryName, writtenParams } from "./networks.js";
import { loadWeightsFile, tensorFromJson } from "./weights.js";
import { formatDiagnostic } from "../syntax/diagnostics.js";

export class WeightsError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

export function bindWeights(model: Model, path: string): Map<string, number> {
  const res = loadWeightsFile(resolve(path), path, model, { line: 1, col: 1, offset: 0, end: 0 });
  if (!res.ok)
    throw new WeightsError(
      res.diagnostic.file === model.file ? `${path}: error: ${res.diagnostic.message}` : formatDiagnostic(res.diagnostic),
    );
  const env = new Map<string, number>();
  const seen = new Set<string>();
  for (const m of model.mappings.values()) {
    if (m.kind !== "network") continue;
    for (const layer of m.layers) {
      for (const p of writtenParams(layer)) {
        if (p.values || seen.has(p.name) || p.entries.some((e) => e.type !== "SymbolNode")) continue;
        seen.add(p.name);
        const raw = res.file.entries[p.name];
        if (raw === undefined)
          throw new WeightsError(
            `${path}: error: no entry '${p.name}' (needed by layer ${layer.index} of '${m.name}'); it has ` +
              `${Object.keys(res.file.entries).slice(0, 12).join(", ") || "no entries"}`,
          );
        const t = tensorFromJson(raw, p.name);
        if ("error" in t) throw new WeightsError(`${path}: error: ${t.error}`);
        if (t.shape.join() !== p.shape.join())
          throw new WeightsError(
            `${path}: error: '${p.name}' has shape [${t.shape.join(", ")}], but layer ${layer.index} of '${m.name}' needs ` +
              `[${p.shape.join(", ")}]`,
          );
        t.values.forEach((v, i) => {
          env.set(entryName(p.name, p.shape, i), v);
        });
      }
    }
  }
  return env;
}
