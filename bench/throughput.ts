// The throughput suite: the pulled-back metric at 10⁵ points through the block pass (the engine) and through the
// public batched API (src/api/batch.ts), against the strongest NumPy forward-mode script (bench/baselines.py,
// `numpy_stacked`: value and tangents as one matrix product per layer, in-place σ) on the same weights and points.
// Both sides run in one process pair, in turn, ROUNDS times; each side's best round of CPU time counts.
import type { PreparedLayer, PreparedNetwork } from "../src/numeric/engine/network.js";
import { metricsAt } from "../src/numeric/engine/geometry.js";
import type { Activation } from "../src/semantics/model.js";
import { randomResNet, rng } from "./networks.js";

/** A dense network n → widths[0] → … with weights scaled by 1.5/√fan-in. */
export function denseNet(n: number, widths: number[], act: Activation, seed: number): PreparedNetwork {
  const r = rng(seed);
  let w = n;
  const layers: PreparedLayer[] = widths.map((wo) => {
    const s = 1.5 / Math.sqrt(w);
    const layer: PreparedLayer = {
      kind: "dense",
      activation: act,
      inWidth: w,
      outWidth: wo,
      h: 0,
      W: Float64Array.from({ length: wo * w }, () => (2 * r() - 1) * s),
      b: Float64Array.from({ length: wo }, () => (2 * r() - 1) * 0.2),
    };
    w = wo;
    return layer;
  });
  return { name: `${n}→${widths.join("→")} ${act}`, layers };
}

/** The width-8 depth-64 residual tanh net of the engine suite. */
export function residualNet(): PreparedNetwork {
  const res = randomResNet(8, 64, 1000 * 8 + 64);
  return {
    name: "resnet 8×64",
    layers: res.W.map((W, l) => ({ kind: "residual", activation: "tanh", inWidth: 8, outWidth: 8, W, b: res.b[l], h: res.h })),
  };
}

/** CPU time of the whole process in ms. */
export function cpuTime<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const v = f();
  const d = process.cpuUsage(c);
  return [v, (d.user + d.system) / 1000];
}

export const POINTS = 100_000;

export function throughputCases() {
  const r = rng(3);
  const points = (n: number) => Float64Array.from({ length: POINTS * n }, () => 2 * r() - 1);
  return [
    { label: "MLP 2 → 64 ×8 (tanh)", net: denseNet(2, Array(8).fill(64), "tanh", 12), n: 2, points: points(2) },
    { label: "residual 8 ×64 (tanh)", net: residualNet(), n: 8, points: points(8) },
    { label: "MLP 2 → 64 → 64 → 64 → 2 (tanh)", net: denseNet(2, [64, 64, 64, 2], "tanh", 13), n: 2, points: points(2) },
  ];
}

if (process.argv[1]?.endsWith("throughput.js") || process.argv[1]?.endsWith("throughput.ts")) {
  for (const c of throughputCases()) {
    metricsAt(c.net, c.points.subarray(0, 2000 * c.n), c.n);
    let bestMs = Infinity;
    for (let k = 0; k < 3; k++) bestMs = Math.min(bestMs, cpuTime(() => metricsAt(c.net, c.points, c.n))[1]);
    console.log(c.label, Math.round((POINTS / bestMs) * 1000));
  }
}
