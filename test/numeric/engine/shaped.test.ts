// The engine applies a shaped layer (conv, conv_transpose, upsample, avgpool) from its taps and kernel, never its dense
// W: every pass (the jets of propagate and propagateAlong, the block pass on both kernels, the reverse Jacobian) must
// give what the same network gives with each shaped layer's operator written out as a dense W, for every option; and
// the 28×28 decoder (bench/fixtures/decoder28.rgnn, weights from decoder28.onnx) must give torch.autograd's JᵀJ.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { metricsAt } from "../../../src/numeric/engine/geometry.js";
import { wasmKernelAvailable } from "../../../src/numeric/engine/kernel.js";
import { type PreparedNetwork, prepareNetwork, propagate, propagateAlong, reverseJacobian } from "../../../src/numeric/engine/network.js";
import type { Network } from "../../../src/semantics/model.js";
import { model } from "../../helpers.js";
import { blockOutputs } from "./blocks.js";

/** A deterministic literal of a shape: entries cos(1.7 i + seed) scaled, nested row-major. */
function literal(shape: number[], seed: number, scale = 0.6): string {
  let i = 0;
  const nest = (s: number[]): string =>
    s.length === 0
      ? String(Number((scale * Math.cos(1.7 * i++ + seed)).toFixed(4)))
      : `[${Array.from({ length: s[0] }, () => nest(s.slice(1))).join(", ")}]`;
  return nest(shape);
}

interface Case {
  name: string;
  input: [number, number, number];
  /** The shaped layer's line, with its kernel's shape (null: none) and output channels. */
  layer: string;
  kernel: number[] | null;
  channels: number;
}
const CASES: Case[] = [
  {
    name: "conv, stride 2, padding 1",
    input: [2, 5, 5],
    layer: "conv 3 tanh with kernel = 3, stride = 2, padding = 1",
    kernel: [3, 2, 3, 3],
    channels: 3,
  },
  {
    name: "conv, dilation 2, rectangular",
    input: [2, 6, 5],
    layer: "conv 2 softplus with kernel = [2, 3], dilation = 2",
    kernel: [2, 2, 2, 3],
    channels: 2,
  },
  {
    name: "conv, groups 2, stride (1, 2)",
    input: [4, 4, 5],
    layer: "conv 4 tanh with kernel = 2, stride = [1, 2], groups = 2, padding = [1, 0]",
    kernel: [4, 2, 2, 2],
    channels: 4,
  },
  {
    name: "conv_transpose, stride 2, padding 1",
    input: [3, 3, 3],
    layer: "conv_transpose 2 softplus with kernel = 4, stride = 2, padding = 1",
    kernel: [3, 2, 4, 4],
    channels: 2,
  },
  {
    name: "conv_transpose, output padding, dilation 2",
    input: [2, 3, 4],
    layer: "conv_transpose 2 tanh with kernel = 3, stride = 2, output_padding = 1, dilation = 2",
    kernel: [2, 2, 3, 3],
    channels: 2,
  },
  {
    name: "conv_transpose, groups 2",
    input: [4, 3, 3],
    layer: "conv_transpose 4 sigmoid with kernel = 2, stride = 2, groups = 2",
    kernel: [4, 2, 2, 2],
    channels: 4,
  },
  { name: "upsample, scale (2, 3)", input: [2, 3, 2], layer: "upsample with scale = [2, 3]", kernel: null, channels: 2 },
  {
    name: "avgpool, kernel 3, stride 2, padding 1",
    input: [2, 5, 5],
    layer: "avgpool with kernel = 3, stride = 2, padding = 1",
    kernel: null,
    channels: 2,
  },
];

/** Latent (u, v) → dense → reshape → the shaped layer → flatten: the map's output is the shaped layer's. */
function spec(c: Case): string {
  const [C, H, W] = c.input,
    n = C * H * W;
  const params = c.kernel ? `, K = ${literal(c.kernel, 1)}, b = ${literal([c.channels], 2, 0.2)}` : "";
  return `manifold P (u, v)
network f : P {
  dense ${n} tanh with W = ${literal([n, 2], 3, 0.9)}, b = ${literal([n], 4, 0.3)}
  reshape with shape = [${C}, ${H}, ${W}]
  ${c.layer}${params}
  flatten
}
metric g = pullback along f
`;
}

/** The network with every shaped layer's dense W (as the semantics stage writes it) in place of its taps. */
function dense(net: Network, direct: PreparedNetwork): PreparedNetwork {
  return {
    name: `${direct.name} (dense)`,
    layers: direct.layers.map((l, i) => (l.sparse ? { ...l, sparse: undefined, W: net.layers[i].W!.values! } : l)),
  };
}

const far = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  expect(a.length).toBe(b.length);
  return d;
};

describe("shaped layers in the engine: taps against the dense W", () => {
  const points = Float64Array.from({ length: 2 * 7 }, (_, i) => 1.3 * Math.sin(2.1 * i + 0.4));

  it.each(CASES)("$name: jets, the block pass on both kernels and the reverse Jacobian agree to 1e-13", (c) => {
    const net = model(spec(c)).mappings.get("f") as Network;
    const direct = prepareNetwork(net);
    const shaped = direct.layers.find((l) => l.sparse)!;
    expect(shaped).toBeDefined();
    expect(shaped.W).toBeNull();
    const full = dense(net, direct);
    const m = direct.layers[direct.layers.length - 1].outWidth;
    for (let p = 0; p < 7; p++) {
      const x = points.subarray(2 * p, 2 * p + 2);
      for (const order of [1, 2, 3] as const)
        expect(far(propagate(direct, x, order).out, propagate(full, x, order).out)).toBeLessThan(1e-13);
      const v = [0.6, -0.8];
      expect(far(propagateAlong(direct, x, v)!.out, propagateAlong(full, x, v)!.out)).toBeLessThan(1e-13);
      const r = reverseJacobian(direct, x),
        s = reverseJacobian(full, x);
      expect(far(r.J, s.J)).toBeLessThan(1e-13);
      expect(far(r.output, s.output)).toBeLessThan(1e-13);
      // and the reverse Jacobian is the forward one (J's columns are propagate's tangents)
      const f = propagate(direct, x, 1).out;
      for (let i = 0; i < m; i++) for (let a = 0; a < 2; a++) expect(Math.abs(r.J[i * 2 + a] - f[(1 + a) * m + i])).toBeLessThan(1e-13);
    }
    const blocks = (pn: PreparedNetwork, kernel: "js" | "wasm") => blockOutputs(pn, points, 2, m, 3, kernel);
    const want = blocks(full, "js");
    expect(far(blocks(direct, "js"), want)).toBeLessThan(1e-13);
    if (wasmKernelAvailable()) expect(far(blocks(direct, "wasm"), want)).toBeLessThan(1e-13);
  });
});

describe("the 28×28 decoder (bench/fixtures/decoder28.rgnn) against torch.autograd", () => {
  it("its metric at torch's four points equals torch's JᵀJ to 1e-10, without a dense W in the engine", () => {
    const fixture = JSON.parse(readFileSync("bench/fixtures/decoder28.json", "utf8")) as { points: number[][]; metrics: number[][][] };
    const text = readFileSync("bench/fixtures/decoder28.rgnn", "utf8");
    const net = model(text, "bench/fixtures/decoder28.rgnn", "bench/fixtures").mappings.get("decoder") as Network;
    const pn = prepareNetwork(net);
    expect(pn.layers.filter((l) => l.sparse).length).toBe(2);
    const g = metricsAt(pn, Float64Array.from(fixture.points.flat()), 2);
    fixture.metrics.forEach((want, p) => {
      const scale = Math.max(...want.flat().map(Math.abs));
      want.flat().forEach((w, i) => {
        expect(Math.abs(g[4 * p + i] - w) / scale).toBeLessThan(1e-10);
      });
    });
  });
});
