// A spec's derivation: one section per metric (how its components come about, step by step),
// then the spec's own claims. Every step is witnessed numerically when it is built.
import type { Model } from "../semantics/model.js";
import { valueEnv } from "../numeric/evaluate.js";
import { claimStep, metricPropertySteps } from "./claims.js";
import { geometryStep } from "./geometry.js";
import { mapSteps } from "./maps.js";
import { DEFAULT_WITNESS, type Derivation, type Section, type WitnessOptions } from "./model.js";
import { networkSteps } from "./network.js";

export function derive(model: Model, options: Partial<WitnessOptions> = {}): Derivation {
  const opts = { ...DEFAULT_WITNESS, ...options };
  const fixed = valueEnv(model);
  const sections: Section[] = [];
  for (const metric of model.metrics.values()) {
    const def = metric.def;
    const viaNetwork = def.kind === "pullback" && def.along.kind === "network";
    const steps = viaNetwork ? networkSteps(metric, def.along as any, fixed, opts) : mapSteps(metric, fixed, opts);
    steps.push(...metricPropertySteps(metric, fixed, opts));
    model.requests.forEach((r, i) => {
      if (r.kind === "show" && r.subject.kind === "metric" && r.subject.metric === metric) {
        const s = geometryStep(metric, r, i, fixed, opts);
        if (s) steps.push(s);
      }
    });
    const chart = `${metric.manifold.name} (${metric.manifold.coords.join(", ")})`;
    const intro = def.kind === "pullback"
      ? `The metric ${metric.name} on ${chart} is the pullback of ${def.of.name === "euclidean" ? "the Euclidean metric" : def.of.name} along ${def.along.name}${viaNetwork && def.layer ? `, taken down to layer ${def.layer}` : ""}.`
      : def.kind === "euclidean" ? `The Euclidean metric on ${chart}.` : `A metric on ${chart} given by its components.`;
    sections.push({ title: `The metric ${metric.name}`, intro, steps });
  }
  const claims = model.requests.map((r, i) => claimStep(r, i, fixed, opts, model.source)).filter((s) => s !== null);
  if (claims.length) sections.push({ title: "Claims", intro: `What ${model.file} asks to check.`, steps: claims });
  return { file: model.file, title: `Derivations for ${model.file.replace(/^.*\//, "")}`, sections, options: opts };
}
