// `rgnn check FILE...`: parse and check specs; one summary line per valid file.
import type { Model } from "../../semantics/model.js";
import { EXIT, type IO } from "../io.js";
import { readSpec } from "../spec.js";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function summary(model: Model): string {
  const nets = [...model.mappings.values()].filter((m) => m.kind === "network");
  const maps = model.mappings.size - nets.length;
  const layers = nets.reduce((a, n) => a + (n.kind === "network" ? n.layers.length : 0), 0);
  const parts = [
    plural(model.manifolds.size, "manifold"),
    maps ? plural(maps, "map") : "",
    nets.length ? `${plural(nets.length, "network")} (${plural(layers, "layer")})` : "",
    plural(model.metrics.size, "metric"),
    model.bundles.size ? plural(model.bundles.size, "bundle") : "",
    model.actions.length ? plural(model.actions.length, "action") : "",
    plural(model.requests.length, "request"),
  ];
  return parts.filter(Boolean).join(", ");
}

export function checkCommand(io: IO, files: string[]): number {
  let status: number = EXIT.ok;
  for (const f of files) {
    const res = readSpec(io, f);
    if (res.ok) io.out(`${f === "-" ? "<stdin>" : f}: ok: ${summary(res.model)}\n`);
    else {
      io.err(`${res.message}\n`);
      status = EXIT.failure;
    }
  }
  return status;
}
