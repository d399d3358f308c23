// The Python baselines of the engine suite (bench/baselines.py) compute the same metric as the engine: on a small net
// with every layer kind and activation they support, at 50 points in ragged chunks, g agrees with rgnn's to 1e-12 in
// every layout (the tuned, stacked one included).
import { describe, expect, it } from "vitest";
import { baselinesUnavailable, disagreement, runBaselines } from "../../bench/baselines.js";
import { rng } from "../../src/core/random.js";
import { metricsAt } from "../../src/numeric/engine/geometry.js";
import type { PreparedLayer, PreparedNetwork } from "../../src/numeric/engine/network.js";

const missing = baselinesUnavailable();
if (missing && process.env.CI) throw new Error(`${missing}; .ci/run installs python3-numpy`);
if (missing) console.warn(`${missing}: skipping the NumPy baseline test`);

const r = rng(7);
const layer = (kind: "dense" | "residual", activation: PreparedLayer["activation"], inWidth: number, outWidth: number, h = 0) => ({
  kind,
  activation,
  inWidth,
  outWidth,
  h,
  W: Float64Array.from({ length: inWidth * outWidth }, () => 2 * r() - 1),
  b: Float64Array.from({ length: outWidth }, () => r() - 0.5),
});
const net: PreparedNetwork = {
  name: "3 → 5 → 5 → 4",
  layers: [layer("dense", "tanh", 3, 5), layer("residual", "sigmoid", 5, 5, 0.5), layer("dense", "softplus", 5, 4)],
};
const COUNT = 50,
  n = 3;
const points = Float64Array.from({ length: COUNT * n }, () => 4 * r() - 2);
const check = Array.from({ length: COUNT }, (_, i) => i);

describe.skipIf(missing)("NumPy and torch.func baselines", () => {
  it("give the engine's g at every point, in the three NumPy layouts and with torch when it imports", () => {
    const g = metricsAt(net, points, n);
    const report = runBaselines([{ net, n, points }], check, { chunk: 16, stackedChunks: [7, 16] });
    if ("skipped" in report) throw new Error(report.skipped);
    const [b] = report.networks;
    expect(b.numpyStacked).toBeDefined();
    expect([7, 16]).toContain(b.numpyStacked!.chunk);
    const runs = [b.numpyGemm, b.numpyBatched, b.numpyStacked!, ...(b.torch ? [b.torch] : [])];
    for (const run of runs) {
      expect(run.check).toHaveLength(COUNT);
      expect(run.ptsPerS).toBeGreaterThan(0);
      expect(run.ptsPerCpuS).toBeGreaterThan(0);
      expect(disagreement(run, g, n, check)).toBeLessThan(1e-12);
    }
    // the comparison itself sees a difference: one entry off by 1e-6 of the point's largest entry
    const scale = Math.max(...b.numpyGemm.check[7].map(Math.abs));
    const off = {
      ...b.numpyGemm,
      check: b.numpyGemm.check.map((gk, k) => (k === 7 ? gk.map((v, i) => (i === 4 ? v + 1e-6 * scale : v)) : gk)),
    };
    expect(disagreement(off, g, n, check)).toBeCloseTo(1e-6, 10);
  });

  it("refuses a layer kind the runner does not implement", () => {
    const softmax: PreparedNetwork = { name: "softmax", layers: [{ ...net.layers[0], kind: "softmax", W: null, b: null }] };
    expect(() => runBaselines([{ net: softmax, n, points }], [0])).toThrow(/no softmax tanh layer/);
  });
});
