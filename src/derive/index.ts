// A spec's derivation: one section per metric (how its components come about, step by step),
// then the spec's own claims. Every step is witnessed numerically when it is built.
import type { Model } from "../semantics/model.js";
import { valueEnv } from "../numeric/evaluate.js";
import { actionSteps } from "./bundles.js";
import { claimStep, metricPropertySteps } from "./claims.js";
import { flowSteps } from "./flow.js";
import { geometryStep } from "./geometry.js";
import { mapSteps } from "./maps.js";
import { prose, userText } from "../core/notation.js";
import { estimateSymbolicSize, SYMBOLIC_LIMIT, SymbolicSizeError } from "../symbolic/size.js";
import { DEFAULT_WITNESS, type Derivation, type Section, type Step, type WitnessOptions } from "./model.js";
import { type Earlier, networkSteps } from "./network.js";
import { matrixClaimStep } from "./matrix-claims.js";
import { matrixDerivation, matrixGeometryStep, matrixNetworkSteps, matrixPropertySteps, requestedDerivatives } from "./matrix.js";

/**
 * A spec's path as a document prints it: as given when relative; an absolute one relative to `cwd` when inside it,
 * else its file name (a document should not carry the machine's directory layout).
 */
export function documentPath(path: string, cwd: string): string {
  if (!path.startsWith("/")) return path;
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path.replace(/^.*\//, "");
}

/**
 * Refuse up front a metric whose derivation could not finish symbolically and that the matrix engine does not serve
 * (a wide pullback of another metric than the Euclidean one, or along k-th order layers); wide pullbacks the engine
 * serves are derived at the matrix level (matrix.ts).
 */
function assertDerivable(model: Model): void {
  for (const metric of model.metrics.values()) {
    const derivatives = requestedDerivatives(metric, model.requests);
    const est = estimateSymbolicSize(metric, derivatives);
    if (est <= SYMBOLIC_LIMIT || matrixDerivation(metric, derivatives)) continue;
    throw new SymbolicSizeError(
      `the derivation of '${metric.name}' is too large to build symbolically (about ${Number((est / 1e6).toPrecision(2))} million ` +
        `expression nodes; the limit is ${SYMBOLIC_LIMIT}) and the matrix engine does not serve it: 'rgnn metric ${model.file}' ` +
        "prints its closed form in matrix form",
    );
  }
}

export function derive(model: Model, options: Partial<WitnessOptions> = {}): Derivation {
  assertDerivable(model);
  const opts = { ...DEFAULT_WITNESS, ...options };
  const fixed = valueEnv(model);
  const sections: Section[] = [];
  // network and output metric → the first metric derived along them: a later one refers to its layers instead of repeating them
  const derived = new Map<string, Earlier>();
  for (const metric of model.metrics.values()) {
    const def = metric.def;
    const viaNetwork = def.kind === "pullback" && def.along.kind === "network";
    let steps: Step[];
    const wide = matrixDerivation(metric, requestedDerivatives(metric, model.requests));
    if (wide) steps = matrixNetworkSteps(metric, fixed, opts);
    else if (def.kind === "pullback" && def.along.kind === "network") {
      const key = `${def.along.name}\u0000${def.of.name}`;
      steps = networkSteps(metric, def.along, fixed, opts, derived.get(key));
      if (!derived.has(key) || derived.get(key)!.from > def.layer) derived.set(key, { metric: metric.name, from: def.layer });
    } else steps = mapSteps(metric, fixed, opts);
    steps.push(...(wide ? matrixPropertySteps(metric, fixed, opts) : metricPropertySteps(metric, fixed, opts)));
    model.requests.forEach((r, i) => {
      if (r.kind === "show" && r.subject.kind === "metric" && r.subject.metric === metric) {
        const s = wide ? matrixGeometryStep(metric, r, i, fixed, opts) : geometryStep(metric, r, i, fixed, opts);
        if (s) steps.push(s);
      }
    });
    const chart = [
      userText(metric.manifold.name),
      " (",
      ...metric.manifold.coords.flatMap((c, i) => [...(i ? [", "] : []), userText(c)]),
      ")",
    ];
    const intro =
      def.kind === "pullback"
        ? prose(
            "The metric ",
            userText(metric.name),
            " on ",
            ...chart,
            " is the pullback of ",
            def.of.name === "euclidean" ? "the Euclidean metric" : userText(def.of.name),
            " along ",
            userText(def.along.name),
            viaNetwork && def.layer ? `, taken down to layer ${def.layer}` : "",
            ".",
          ).filter((p) => p.kind !== "text" || p.text !== "")
        : def.kind === "euclidean"
          ? prose("The Euclidean metric on ", ...chart, ".")
          : prose("A metric on ", ...chart, " given by its components.");
    sections.push({ title: `The metric ${metric.name}`, intro, steps });
  }
  const flows = model.requests.flatMap((r, i) =>
    r.kind === "show" &&
    (r.quantity === "ode" || r.quantity === "flow") &&
    r.subject.kind === "mapping" &&
    r.subject.mapping.kind === "network"
      ? flowSteps(r.subject.mapping, i, fixed, opts).map((s) => ({ ...s, span: r.span }))
      : [],
  );
  if (flows.length)
    sections.push({
      title: "The network as a flow",
      intro: prose("Residual layers are Euler steps of an ODE: the network is a discretised flow, and converges to it as its depth grows."),
      steps: flows,
    });
  const actions = model.actions.flatMap((a, i) => actionSteps(a, i, fixed, opts));
  if (actions.length)
    sections.push({
      title: "Bundles and group actions",
      intro: prose(
        "The same pullback, read as a sequence of GL(n) actions: each layer's Jacobian acts on frames, on vector and " +
          "covector components, and on the metric fibre.",
      ),
      steps: actions,
    });
  const claims = model.requests
    .map((r, i) => matrixClaimStep(r, i, fixed, opts, model.source) ?? claimStep(r, i, fixed, opts, model.source))
    .filter((s) => s !== null);
  if (claims.length) sections.push({ title: "Claims", intro: prose("What ", userText(model.file), " asks to check."), steps: claims });
  return { file: model.file, title: `Derivations for ${model.file.replace(/^.*\//, "")}`, sections, options: opts };
}
