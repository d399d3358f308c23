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
import { matrixGeometryStep, matrixNetworkSteps, matrixPropertySteps, parameterAppendix, requestedDerivatives } from "./matrix.js";
import { assertDerivationFeasible } from "./cost.js";
import { AUTO_FORM, chooseForm, type DerivationForm, type FormChoice } from "./form.js";

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
 * Each metric's form (form.ts), refusing up front one whose scalar derivation could not finish and that has no matrix
 * form here (a wide pullback of another metric than the Euclidean one, or `--form scalar` on a wide network).
 */
function formsOf(model: Model, choice: FormChoice): Map<string, DerivationForm> {
  const forms = new Map<string, DerivationForm>();
  for (const metric of model.metrics.values()) {
    const derivatives = requestedDerivatives(metric, model.requests);
    const form = chooseForm(metric, derivatives, choice);
    forms.set(metric.name, form);
    const est = estimateSymbolicSize(metric, derivatives);
    if (form === "matrix" || est <= SYMBOLIC_LIMIT) continue;
    throw new SymbolicSizeError(
      `the derivation of '${metric.name}' is too large to build in ${form} form (about ${Number((est / 1e6).toPrecision(2))} million ` +
        `expression nodes; the limit is ${SYMBOLIC_LIMIT})${
          choice.form === "auto" ? " and the matrix engine does not serve it" : ": derive it with --form matrix or auto"
        }; 'rgnn metric ${model.file}' prints its closed form in matrix form`,
    );
  }
  return forms;
}

/** How a derivation is made: its witnesses' points, seed and tolerance, and how each metric's form is chosen. */
export type DeriveOptions = Partial<WitnessOptions> & { form?: FormChoice };

export function derive(model: Model, options: DeriveOptions = {}): Derivation {
  const { form: choice = AUTO_FORM, ...witnessOptions } = options;
  const forms = formsOf(model, choice);
  const opts = { ...DEFAULT_WITNESS, ...witnessOptions };
  // the checks' time, before any step is built (cost.ts)
  for (const metric of model.metrics.values()) assertDerivationFeasible(metric, forms.get(metric.name)!, opts.points, model.file);
  const fixed = valueEnv(model);
  const sections: Section[] = [];
  // network and output metric → the first metric derived along them: a later one refers to its layers instead of repeating them
  const derived = new Map<string, Earlier>();
  for (const metric of model.metrics.values()) {
    const def = metric.def;
    const viaNetwork = def.kind === "pullback" && def.along.kind === "network";
    let steps: Step[];
    const form = forms.get(metric.name)!;
    const wide = form === "matrix";
    if (wide) steps = matrixNetworkSteps(metric, fixed, opts);
    else if (def.kind === "pullback" && def.along.kind === "network") {
      const key = `${def.along.name}\u0000${def.of.name}`;
      steps = networkSteps(metric, def.along, fixed, opts, derived.get(key), form === "layered");
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
    sections.push({ title: `The metric ${metric.name}`, intro, steps, form });
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
  // the values of the matrices a matrix-form section names, when few enough to print: once per network
  const appendices = new Map<string, Section>();
  for (const metric of model.metrics.values()) {
    const def = metric.def;
    if (forms.get(metric.name) !== "matrix" || def.kind !== "pullback" || def.along.kind !== "network") continue;
    const appendix = appendices.has(def.along.name) ? null : parameterAppendix(metric);
    if (appendix) appendices.set(def.along.name, appendix);
  }
  const claims = model.requests
    .map((r, i) => matrixClaimStep(r, i, fixed, opts, model.source) ?? claimStep(r, i, fixed, opts, model.source))
    .filter((s) => s !== null);
  if (claims.length) sections.push({ title: "Claims", intro: prose("What ", userText(model.file), " asks to check."), steps: claims });
  sections.push(...appendices.values());
  return { file: model.file, title: `Derivations for ${model.file.replace(/^.*\//, "")}`, sections, options: opts };
}
