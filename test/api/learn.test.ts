import { describe, expect, it } from "vitest";
import { dataset, datasetCsv, figure, LookupError, pickNetwork, train, valuesOf } from "../../src/index.js";
import type { DatasetName } from "../../src/index.js";
import { model } from "../helpers.js";

// two hidden tanh layers and a softmax head: trainable weights W1, b1, …
const NET = `
manifold I (x, y)
network n : I {
  dense 8 tanh
  dense 2 linear
  softmax
}
`;

const count = (text: string, s: string) => text.split(s).length - 1;

describe("the toy experiments as an API", () => {
  it("dataset: the requested number of points, both labels alternating, reproducible from its seed", () => {
    const d = dataset("moons", { points: 50, seed: 3 });
    expect(d.count).toBe(50);
    expect(d.x).toHaveLength(100);
    expect([...d.y]).toEqual(Array.from({ length: 50 }, (_, i) => i % 2));
    expect(d.x.every((v) => Number.isFinite(v) && Math.abs(v) < 3)).toBe(true);
    expect(dataset("moons", { points: 50, seed: 3 }).x).toEqual(d.x);
    expect(dataset("moons", { points: 50, seed: 4 }).x).not.toEqual(d.x);
    const csv = datasetCsv(d).trimEnd().split("\n");
    expect(csv[0]).toBe("x,y,label");
    expect(csv).toHaveLength(51);
    expect(csv[2].split(",").map(Number)).toEqual([d.x[2], d.x[3], d.y[1]]);
    expect(() => dataset("circles" as DatasetName)).toThrow(LookupError);
  });

  it("train: the loss falls and XOR is learned with a fixed seed, on the training and a held-out set", () => {
    const m = model(NET);
    const t = train(m, dataset("xor", { points: 200 }), valuesOf(m), {
      epochs: 60,
      learningRate: 0.03,
      test: dataset("xor", { points: 200, seed: 8 }),
    });
    expect(t.network.name).toBe("n");
    expect(t.curve).toHaveLength(60);
    expect(t.curve[59].loss).toBeLessThan(0.5 * t.curve[0].loss);
    expect(t.accuracy).toBeGreaterThan(0.9);
    expect(t.testAccuracy).toBeGreaterThan(0.85);
    // the weights as JSON and as values agree: W1 is 8×2, entry (i, j) named W1_ij
    const W1 = t.weights.W1 as number[][];
    expect(W1).toHaveLength(8);
    expect(W1[2][1]).toBe(t.values.get("W1_32"));
    // the same seed trains the same weights
    expect(train(m, dataset("xor", { points: 200 }), {}, { epochs: 60, learningRate: 0.03 }).weights).toEqual(t.weights);
  });

  it("pickNetwork names what a model lacks", () => {
    expect(() => pickNetwork(model(NET), "m")).toThrow(/no network 'm' in test\.rgnn/);
  });

  it("figure: one panel per layer, each with the data's points and (for grid) 26 grid lines", () => {
    const m = model(NET);
    const d = dataset("rings", { points: 30 });
    const layers = 3;
    const { values } = train(m, d, {}, { epochs: 3 });
    const data = figure(m, "data", d, values);
    const grid = figure(m, "grid", d, values, { title: "my title" });
    // every point in every layer's panel, and two in the legend
    expect(count(data, "<circle")).toBe(30 * (layers + 1) + 2);
    expect(count(grid, "<path") - count(data, "<path")).toBe(26 * (layers + 1));
    expect(data).toContain("n on rings: data");
    expect(grid).toContain("my title");
  });
});
