// A shaped layer's dense W is written out only when a route reads it (semantics/networks.ts, lazyOperator): the matrix
// engine's passes (the metric at a point and over many, the evaluation, the geodesic equation) never ask for it; the
// forward-mode route (and the round-off floor of `metric --at` on networks small enough for it) does, and gets the
// operator's entries; and a layer whose dense W would pass the parameter memory loads (its taps are small) and says
// so, with the way round it, only when a route asks for that W.
import { describe, expect, it } from "vitest";
import { evaluateBatch, metricBatch } from "../../src/index.js";
import { geodesicBackend, pointMetric } from "../../src/numeric/route.js";
import { forwardMapping } from "../../src/numeric/forward.js";
import { isWrittenOut, PARAMETER_MEMORY } from "../../src/semantics/networks.js";
import type { Metric, Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";

const nest = (shape: number[], seed: number): string => {
  let i = 0;
  const go = (d: number[]): string =>
    d.length ? `[${Array.from({ length: d[0] }, () => go(d.slice(1))).join(", ")}]` : (0.4 * Math.cos(1.3 * i++ + seed)).toFixed(4);
  return go(shape);
};

const SPEC = `manifold P (u, v)
network f : P {
  dense 18 tanh with W = ${nest([18, 2], 1)}, b = ${nest([18], 2)}
  reshape with shape = [2, 3, 3]
  conv_transpose 2 softplus with kernel = 4, stride = 2, padding = 1, K = ${nest([2, 2, 4, 4], 3)}, b = [0.1, -0.1]
  avgpool with kernel = 2
  flatten
}
metric g = pullback along f
`;

describe("a shaped layer's dense W, written out on demand", () => {
  it("the engine's passes never write it out; the forward-mode route does, with the operator's entries", () => {
    const m = model(SPEC);
    const net = m.mappings.get("f") as Network,
      metric = m.metrics.get("g") as Metric;
    const shaped = net.layers.filter((l) => l.shaped);
    expect(shaped.length).toBe(2);
    const written = () => shaped.map((l) => isWrittenOut(l.W!));
    expect(written()).toEqual([false, false]);
    const env = new Map<string, number>();
    // a network this small would take the symbolic route, which writes W out: the matrix route, as at decoder scale
    const route = process.env.RGNN_ROUTE;
    process.env.RGNN_ROUTE = "matrix";
    try {
      pointMetric(metric, env).at([0.3, -0.2]);
      metricBatch(metric, new Float64Array([0.3, -0.2, 0.1, 0.5, -0.7, 0.2]), env);
      evaluateBatch(net, new Float64Array([0.3, -0.2, 0.1, 0.5]), env);
      const geo = geodesicBackend(metric, env),
        out = new Float64Array(2);
      geo.acceleration(new Float64Array([0.3, -0.2]), new Float64Array([1, 0.5]), out);
    } finally {
      if (route === undefined) delete process.env.RGNN_ROUTE;
      else process.env.RGNN_ROUTE = route;
    }
    expect(written()).toEqual([false, false]);
    // the forward-mode route reads W: written out now, and the pooling's entries are its window's 1/4
    const fwd = forwardMapping(net, [0.3, -0.2], env);
    expect(written()).toEqual([true, true]);
    const pool = shaped[1].W!.values!;
    expect(pool.length).toBe(2 * 3 * 3 * (2 * 6 * 6));
    expect(pool.filter((v) => v !== 0).length).toBe(2 * 3 * 3 * 4);
    expect(pool.every((v) => v === 0 || v === 0.25)).toBe(true);
    // and the engine's J equals the forward-mode route's (through the written-out W)
    const engineJ = evaluateBatch(net, new Float64Array([0.3, -0.2]), env).jacobian.data;
    const flatJ = fwd.J.flat();
    expect(engineJ.length).toBe(flatJ.length);
    for (let i = 0; i < flatJ.length; i++) expect(Math.abs(engineJ[i] - flatJ[i])).toBeLessThan(1e-13);
  });

  it("a conv whose dense W would pass the memory limit loads, runs in the engine, and is refused only where W is needed", () => {
    // an 8×8 image upsampled 17 times, then a 3×3 conv on the 136×136 result: its W is 18496², 2.5 GiB written out,
    // from 166 464 taps
    const n = 136 * 136;
    expect(n * n * 8).toBeGreaterThan(PARAMETER_MEMORY);
    const m = model(`manifold P (u, v)
network f : P {
  dense 64 tanh with W = ${nest([64, 2], 4)}, b = ${nest([64], 5)}
  reshape with shape = [1, 8, 8]
  upsample with scale = 17
  conv 1 tanh with kernel = 3, padding = 1, K = [[[[0.1, 0.2, 0.1], [0.2, -0.5, 0.2], [0.1, 0.2, 0.1]]]], b = [0.05]
  flatten
}
metric g = pullback along f
`);
    const net = m.mappings.get("f") as Network,
      metric = m.metrics.get("g") as Metric;
    const g = pointMetric(metric, new Map()).at([0.2, 0.1]);
    expect(g.flat().every(Number.isFinite) && g[0][0] > 0).toBe(true);
    expect(isWrittenOut(net.layers[2].W!)).toBe(false);
    expect(() => net.layers[2].W!.values).toThrow(
      /layer 3 \(conv\) written out as a 18496×18496 matrix would take about 2\.5 GiB of memory .*the matrix engine/,
    );
  });
});
