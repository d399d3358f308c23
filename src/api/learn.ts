// The paper's toy experiments as plain data: training a network on a data set, and its figures (SVG text).
import type { Metric, Model, Network } from "../semantics/model.js";
import { entryName, subNetworkNamed } from "../semantics/networks.js";
import type { Dataset } from "../numeric/data.js";
import { accuracyOn, type EpochRecord, parameterEnv, train as trainParameters, trainable, weightsJson } from "../numeric/train.js";
import { figure as draw, type PlotKind } from "../render/plot/figures.js";
import type { Box } from "../render/plot/svg.js";
import { inRequestGraph } from "../symbolic/expr.js";
import { LookupError } from "./errors.js";
import { atLayer } from "./metric.js";
import { pickMetric } from "./spec.js";
import { type Values, valuesOf } from "./values.js";

export { type Dataset, dataset, datasetCsv, DATASETS, type DatasetName } from "./data.js";
export type { EpochRecord } from "../numeric/train.js";
export { PLOT_KINDS, type PlotKind } from "../render/plot/figures.js";

/** The network named, or the model's first one. */
export function pickNetwork(model: Model, name?: string): Network {
  const nets = [...model.mappings.values()].filter((m): m is Network => m.kind === "network");
  const sub = name === undefined ? undefined : subNetworkNamed(model.mappings, name); // `mlp[1..2]`: layers 1 to 2 of mlp
  if (sub && "error" in sub) throw new LookupError(sub.error);
  const net = name ? (nets.find((n) => n.name === name) ?? sub) : nets[0];
  if (!net) throw new LookupError(name ? `no network '${name}' in ${model.file}` : `${model.file} declares no network`);
  return net;
}

/** The metric pulled back to the input along this network: the spec's, or the Euclidean one's pullback. */
export function inputMetric(model: Model, net: Network): Metric {
  for (const m of model.metrics.values()) if (m.def.kind === "pullback" && m.def.along === net && m.def.layer === 0) return m;
  return {
    name: "g",
    manifold: net.source,
    def: {
      kind: "pullback",
      of: { name: "euclidean", manifold: net.target, def: { kind: "euclidean" }, span: net.span },
      along: net,
      layer: 0,
    },
    span: net.span,
  };
}

export interface TrainingOptions {
  /** Which network (default: the first). */
  network?: string;
  epochs?: number;
  seed?: number;
  learningRate?: number;
  batch?: number;
  /** Epochs without a better validation loss before stopping early. */
  patience?: number;
  /** Cap of c·sup|σ′|·‖W‖₂ for every residual step (below 1, each step stays a diffeomorphism). */
  stepBound?: number;
  /** Held-out data: its accuracy with the trained weights is `testAccuracy`. */
  test?: Dataset;
  /** Called after each epoch (a progress bar). */
  onEpoch?: (record: EpochRecord) => void;
}

export interface TrainedNetwork {
  network: Network;
  /** Every parameter as the JSON a spec's `weights` clause loads. */
  weights: Record<string, unknown>;
  /** Loss and accuracy per epoch, on the training and the validation split. */
  curve: EpochRecord[];
  /** Accuracy on the whole data set with the weights of `bestEpoch` (the lowest validation loss). */
  accuracy: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  testAccuracy?: number;
  /** `values` with the trained weights (W1_11 = …): what to evaluate, draw or check the trained network with. */
  values: Map<string, number>;
}

/**
 * Train a network's symbolic weights on a two-class data set (Adam, softmax head, early stopping); the defaults are
 * `rgnn train`'s: 1500 epochs, seed 1, learning rate 0.01, batches of 32, patience 400.
 * @example
 * const t = train(model, dataset("xor"), valuesOf(model), { epochs: 200 });
 * t.accuracy; t.curve.at(-1)?.loss; t.weights;
 */
export function train(model: Model, data: Dataset, values: Values = {}, options: TrainingOptions = {}): TrainedNetwork {
  const network = pickNetwork(model, options.network);
  const env = valuesOf(model, values);
  const t = trainable(network, env);
  const r = trainParameters(
    t,
    data,
    {
      epochs: options.epochs ?? 1500,
      seed: options.seed ?? 1,
      learningRate: options.learningRate ?? 0.01,
      batch: options.batch ?? 32,
      patience: options.patience ?? 400,
      stepBound: options.stepBound,
    },
    options.onEpoch,
  );
  return {
    network,
    weights: weightsJson(t, r.theta, env),
    curve: r.curve,
    accuracy: r.accuracy,
    bestEpoch: r.bestEpoch,
    stoppedEarly: r.stoppedEarly,
    testAccuracy: options.test && accuracyOn(t, r.theta, options.test),
    values: new Map([...env, ...parameterEnv(t, r.theta, entryName)]),
  };
}

/** What a figure draws besides its kind and data: `rgnn plot`'s options. */
export interface FigureOptions {
  /** Which network (default: the first, or the one `metric` is pulled back along). */
  network?: string;
  title?: string;
  /** The volume figure's geodesics: pairs of class labels. */
  pairs?: [number, number][];
  /** The volume figure's box, instead of the data's. */
  domain?: Box;
  /** Which metric (ellipses, volume, geodesics): one of the spec's, pulled back along the network drawn. */
  metric?: string;
  /** The layer whose coordinates the metric is drawn on (ellipses: that panel only; volume, geodesics: its chart). */
  layer?: number;
}

/** The kinds that draw a metric, and so take `metric` and `layer`. */
export const METRIC_PLOT_KINDS: readonly PlotKind[] = ["ellipses", "volume", "geodesics"];

/**
 * The network and metric a figure draws: `metric` (the spec's, pulled back along a network, which `network` must name
 * if given) or the Euclidean pullback to the network's input, taken to layer `layer`'s coordinates. Throws
 * LookupError for an unknown metric or layer, or a layer the figure cannot draw (not two wide).
 */
export function figureMetric(model: Model, kind: PlotKind, options: FigureOptions = {}): { net: Network; metric: Metric } {
  if ((options.metric !== undefined || options.layer !== undefined) && !METRIC_PLOT_KINDS.includes(kind)) {
    throw new LookupError(`the ${kind} figure draws no metric: --metric and --layer are for ${METRIC_PLOT_KINDS.join(", ")}`);
  }
  let net = options.metric === undefined || options.network !== undefined ? pickNetwork(model, options.network) : undefined;
  let metric: Metric;
  if (options.metric !== undefined) {
    const named = pickMetric(model, options.metric),
      def = named.def;
    if (def.kind !== "pullback" || def.along.kind !== "network") {
      throw new LookupError(
        `--metric ${named.name}: the figures draw a metric pulled back along a network, and '${named.name}' is not one`,
      );
    }
    if (net && def.along.name !== net.name) {
      throw new LookupError(`--metric ${named.name} is pulled back along '${def.along.name}', not along '${net.name}' (--network)`);
    }
    net = def.along;
    metric = named;
  } else metric = inputMetric(model, net!);
  metric = atLayer(metric, options.layer);
  const layer = metric.def.kind === "pullback" ? metric.def.layer : 0;
  if (layer !== 0 && metric.manifold.dim !== 2) {
    throw new LookupError(
      `layer ${layer} of '${net!.name}' has width ${metric.manifold.dim}; the ${kind} figure draws a metric on a plane ` +
        "(a layer of width 2)",
    );
  }
  return { net: net!, metric };
}

/**
 * One of `rgnn plot`'s figures of a network and a data set, as SVG text: the layers' grids or data (`grid`,
 * `data`), the pulled-back metric's ellipses, its volume element, or geodesics; `metric` and `layer` choose the
 * metric and the layer drawn.
 * @example
 * const svg = figure(model, "ellipses", dataset("moons"), t.values);
 * const g2 = figure(model, "volume", dataset("moons"), t.values, { metric: "g", layer: 2 });
 */
export function figure(model: Model, kind: PlotKind, data: Dataset, values: Values = {}, options: FigureOptions = {}): string {
  const { net, metric } = figureMetric(model, kind, options);
  if (net.source.dim !== 2) {
    throw new LookupError(`the figures draw plane data through a network, but the input of '${net.name}' has dimension ${net.source.dim}`);
  }
  const title = options.title ?? `${net.name} on ${data.name}: ${kind}`;
  const layer = metric.def.kind === "pullback" ? metric.def.layer : 0;
  return inRequestGraph(model, () =>
    draw(kind, {
      net,
      metric,
      data,
      env: valuesOf(model, values),
      title,
      pairs: options.pairs,
      domain: options.domain,
      layer: options.layer !== undefined || layer !== 0 ? layer : undefined,
    }),
  );
}
