// `--at` and `--at-input`: the point a metric is evaluated at, in its own chart or mapped there from the network's input.
import { evaluateAt } from "../api/mapping.js";
import type { Metric } from "../semantics/model.js";
import { chartLayer, subNetwork } from "../semantics/networks.js";
import { UsageError } from "./io.js";
import { parsePoint } from "./options.js";

/** A point of a metric's chart, from `--at` (read in that chart: the input, or layer K's coordinates) or `--at-input`
 *  (read in the input of the metric's network and mapped through its layers 1..K first); `input` says which. */
export interface ChartPoint {
  point: number[];
  input?: { point: number[]; network: string; layers: number };
}

export function chartPoint(
  opts: { at?: string; atInput?: string },
  metric: Metric,
  env: ReadonlyMap<string, number>,
): ChartPoint | undefined {
  if (opts.at !== undefined && opts.atInput !== undefined) throw new UsageError("give --at or --at-input, not both");
  if (opts.atInput === undefined) return opts.at === undefined ? undefined : { point: parsePoint(opts.at, metric.manifold) };
  const chart = chartLayer(metric);
  if (!chart) return { point: parsePoint(opts.atInput, metric.manifold, "--at-input") }; // its chart is its input
  const { network, layer } = chart;
  const input = parsePoint(opts.atInput, network.source, "--at-input");
  if (layer === 0) return { point: input, input: { point: input, network: network.name, layers: 0 } };
  const [{ output }] = evaluateAt(subNetwork(network, 1, layer), [input], env);
  return { point: output, input: { point: input, network: network.name, layers: layer } };
}

/** "at (…)", or where an input point went: "at x_2 = (…), the image of input point (…) under layers 1 to 2 of 'mlp'". */
export function chartPointText(p: ChartPoint, metric: Metric, fmt: (x: number) => string): string {
  const at = `(${p.point.map(fmt).join(", ")})`;
  if (!p.input?.layers) return `at ${at}`;
  const { point, network, layers } = p.input;
  const under = layers > 1 ? `layers 1 to ${layers}` : "layer 1";
  return `at ${at} in ${metric.manifold.name}, the image of input point (${point.map(fmt).join(", ")}) under ${under} of '${network}'`;
}
