// Hidden-layer metrics: `pullback of euclidean along NET layers A to B` is the metric of layer B pulled back along the
// sub-network of layers A..B, on layer A−1's coordinates. Checked against NumPy computing J_{A..B}ᵀ J_{A..B} from the
// safetensors weights alone (Debian's /usr/bin/python3), and the located errors for ranges that name no sub-network.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { metricAt } from "../../src/api/metric.js";
import type { Metric, Network } from "../../src/semantics/model.js";
import { python, requireTorch } from "../import/tools.js";
import { model, onlyError } from "../helpers.js";

const DIR = join(import.meta.dirname, "../fixtures/mlp32");
const MLP = model(readFileSync(join(DIR, "mlp.rgnn"), "utf8"), join(DIR, "mlp.rgnn"), DIR);
const metric = (name: string) => MLP.metrics.get(name) as Metric;

/** NumPy: the layers of the MLP from the safetensors header and bytes, and J = ∂x_B/∂x_{A−1} by the chain rule. */
const NUMPY = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", raw[:8])[0]; head = json.loads(raw[8:8 + n])
t = {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype="<f8").reshape(v["shape"])
     for k, v in head.items() if k != "__metadata__"}
acts = [np.tanh, np.tanh, lambda z: z]
slopes = [lambda z: 1 - np.tanh(z) ** 2, lambda z: 1 - np.tanh(z) ** 2, lambda z: np.ones_like(z)]
first, last = int(sys.argv[2]), int(sys.argv[3])
out = []
for x in json.loads(sys.argv[4]):
    x = np.array(x, dtype=np.float64); J = np.eye(len(x))
    for l in range(first, last + 1):
        W, b = t[f"W{l}"], t[f"b{l}"]; z = W @ x + b
        J = (slopes[l - 1](z)[:, None] * W) @ J; x = acts[l - 1](z)
    out.append((J.T @ J).tolist())
print(json.dumps(out))
`;

function numpyMetric(first: number, last: number, points: number[][]): number[][][] {
  return JSON.parse(python(NUMPY, [join(DIR, "mlp.safetensors"), String(first), String(last), JSON.stringify(points)]));
}

function maxDifference(a: number[][][], b: number[][][]): number {
  return Math.max(...a.flatMap((g, p) => g.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[p][i][j])))));
}

describe("along NET layers A to B: a sub-network of the same parameters", () => {
  it("names the layers it keeps and reads from layer A−1's coordinates", () => {
    const h = metric("h"),
      k = metric("k");
    const net = MLP.mappings.get("mlp") as Network;
    if (h.def.kind !== "pullback" || k.def.kind !== "pullback") throw new Error("pullbacks expected");
    const sub12 = h.def.along as Network,
      sub23 = k.def.along as Network;
    expect(sub12.name).toBe("mlp[1..2]");
    expect(sub23.name).toBe("mlp[2..3]");
    expect(h.manifold).toBe(net.source);
    // layer 1 of mlp, named in the sub-network's own numbering so that no layer name of a listing is a coordinate
    expect(k.manifold).toMatchObject({ name: "mlp[2..3].x0", dim: 32 });
    expect(k.manifold.coords.slice(0, 2)).toEqual(["x0_1", "x0_2"]);
    expect(sub23.layerSpaces.map((m) => m.name)).toEqual(["mlp[2..3].x0", "mlp[2..3].x1", "R^2"]);
    expect(sub12.target.dim).toBe(32);
    expect(sub23.layers.map((l) => l.index)).toEqual([1, 2]);
    expect(sub23.layers[0].W).toBe(net.layers[1].W); // the same tensors, not copies
    expect(sub23.layers[1].b).toBe(net.layers[2].b);
  });

  it.runIf(requireTorch())("layers 1 to 2 at input points equals NumPy's J₁₂ᵀJ₁₂ to 1e-12", () => {
    const points = [
      [0.3, -0.7],
      [0, 0],
      [-1.2, 0.45],
      [2.5, 1.5],
    ];
    const ours = metricAt(metric("h"), points, new Map()).map((v) => v.metric);
    const theirs = numpyMetric(1, 2, points);
    expect(maxDifference(ours, theirs)).toBeLessThan(1e-12);
    expect(Math.max(...theirs.flat(2).map(Math.abs))).toBeGreaterThan(0.1); // not a comparison of zeros
    // the hidden layer's metric is not the output's: the full pullback differs at the same point
    const output = metricAt(metric("g"), points, new Map()).map((v) => v.metric);
    expect(maxDifference(ours, output)).toBeGreaterThan(1e-3);
  });

  it.runIf(requireTorch())("layers 2 to 3 read in layer 1's coordinates equals NumPy's J₂₃ᵀJ₂₃ (rank 2 of 32)", () => {
    const points = [0, 1, 2].map((s) => Array.from({ length: 32 }, (_, i) => Math.sin(1.3 * i + s) * 0.8));
    const values = metricAt(metric("k"), points, new Map());
    expect(
      maxDifference(
        values.map((v) => v.metric),
        numpyMetric(2, 3, points),
      ),
    ).toBeLessThan(1e-12);
    expect(values.map((v) => v.rank)).toEqual([2, 2, 2]);
  });
});

const SMALL = `manifold P (x, y)
manifold Q (u, v, w)
network n : P -> Q {
  dense 3 tanh with W = [[1, 0], [0, 1], [1, 1]], b = [0, 0, 0]
  dense 3 tanh with W = [[1, 0, 0], [0, 1, 0], [0, 0, 1]], b = [0, 0, 0]
}
map f : P -> P { x = y  y = x }
metric e on Q = euclidean
`;

describe("a range that names no sub-network: one located message", () => {
  it("a bound outside 1..L points at that bound", () => {
    expect(onlyError(`${SMALL}metric h = pullback along n layers 0 to 2`)).toMatchObject({
      message: "'n' has layers 1 to 2, not 0",
      line: 9,
      col: 36,
    });
    expect(onlyError(`${SMALL}metric h = pullback along n layers 1 to 3`)).toMatchObject({
      message: "'n' has layers 1 to 2, not 3",
      line: 9,
      col: 41,
    });
  });

  it("A > B points at the range and says how to write what was likely meant", () => {
    const e = onlyError(`${SMALL}metric h = pullback along n layers 2 to 1`);
    expect(e).toMatchObject({ message: "layers 2 to 1: the first layer of a range must not come after the last", line: 9, col: 29 });
    expect(e.notes).toEqual(["the metric layer 2 induces on the input is 'layers 1 to 2'"]);
  });

  it("a map is not a network", () => {
    expect(onlyError(`${SMALL}metric h = pullback along f layer 1`)).toMatchObject({
      message: "'f' is not a network: it has no layers",
      line: 9,
      col: 29,
    });
  });

  it("a range and 'to layer' together: the chart is already layer A−1's", () => {
    const e = onlyError(`${SMALL}metric h = pullback along n layers 1 to 2 to layer 1`);
    expect(e).toMatchObject({ message: "a pullback along layers 1 to 2 is a metric on the input already", line: 9, col: 52 });
    expect(e.notes).toEqual(["for the metric of layer 2 on the coordinates of layer 1, write 'layers 2 to 2'"]);
  });

  it("another metric must live on a manifold of layer B's width, and is read in layer B's coordinates", () => {
    expect(
      onlyError(`${SMALL}manifold S (s, t)\nmetric e2 on S = euclidean\nmetric h = pullback of e2 along n layers 1 to 2`),
    ).toMatchObject({
      message: "'e2' lives on S (dimension 2), but layer 2 of 'n' has width 3",
      line: 11,
      col: 24,
    });
    const m = model(`${SMALL}metric h = pullback of e along n layers 2 to 2`);
    const h = m.metrics.get("h") as Metric;
    if (h.def.kind !== "pullback") throw new Error("a pullback expected");
    expect(h.def.of.name).toBe("e");
    expect(h.def.along.target.name).toBe("Q");
    expect(h.manifold.name).toBe("n[2..2].x0");
    expect(h.manifold.coords).toEqual(["x0_1", "x0_2", "x0_3"]);
  });

  it("a second-order layer cut from the state before the range is refused at the range's start", () => {
    const wave = "manifold P (x, y)\nnetwork wave : P -> P {\n  repeat 4 { second_order tanh with h = 0.5 }\n}\n";
    const e = onlyError(`${wave}metric h = pullback along wave layers 3 to 4`);
    expect(e).toMatchObject({ line: 5, col: 39 });
    expect(e.message).toBe(
      "layer 3 of 'wave' is second order: it reads layers 1 and 2, so layers 3 to 4 are no map of the coordinates of layer 2 alone",
    );
    // from the input the starting step is the network's own, so any range from layer 1 is a map
    expect(model(`${wave}metric h = pullback along wave layers 1 to 3`).metrics.get("h")?.manifold.name).toBe("P");
  });
});
