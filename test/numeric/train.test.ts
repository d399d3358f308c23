import { describe, expect, it } from "vitest";
import { DATASETS, generate, toCsv } from "../../src/numeric/data.js";
import { initialParameters, sampleLoss, trainable } from "../../src/numeric/train.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";

const ALL_KINDS = `
manifold I (x, y)
network n : I {
  second_order tanh with h = 0.7
  dense 3 sigmoid
  residual sin with h = 0.4
  residual softplus with h = 0.3, W = W3
  dense 2 tanh
  residual tanh with h = 0.2
  second_order tanh with h = 0.5
  second_order linear with h = 0.5
  softmax
}
`;

describe("training", () => {
  it("reverse-mode gradients equal central finite differences (every layer kind, shared weights)", () => {
    const t = trainable(model(ALL_KINDS).mappings.get("n") as Network, new Map());
    const theta = initialParameters(t, 3).map((v, i) => v + 0.1 * Math.sin(i)); // nonzero biases too
    for (const [x, label] of [
      [[0.3, -0.6], 0],
      [[-0.8, 0.2], 1],
    ] as const) {
      const grad = new Float64Array(t.size);
      sampleLoss(t, theta, x, label, grad);
      const eps = 1e-6;
      for (let k = 0; k < t.size; k++) {
        const p = theta.slice(),
          m = theta.slice();
        p[k] += eps;
        m[k] -= eps;
        const fd = (sampleLoss(t, p, x, label).loss - sampleLoss(t, m, x, label).loss) / (2 * eps);
        expect(Math.abs(grad[k] - fd), `parameter ${k}`).toBeLessThan(1e-7 * (1 + Math.abs(fd)));
      }
    }
    expect(t.tensors.map((x) => x.name)).toEqual([
      "W1",
      "b1",
      "W2",
      "b2",
      "W3",
      "b3",
      "b4",
      "W5",
      "b5",
      "W6",
      "b6",
      "W7",
      "b7",
      "W8",
      "b8",
    ]);
  });

  it("data generators are deterministic per seed and differ across seeds", () => {
    for (const name of DATASETS) {
      const a = generate(name, { seed: 5, points: 50 }),
        b = generate(name, { seed: 5, points: 50 }),
        c = generate(name, { seed: 6, points: 50 });
      expect(toCsv(a)).toBe(toCsv(b));
      expect(toCsv(a)).not.toBe(toCsv(c));
      expect([...a.y].filter((v) => v === 1)).toHaveLength(25);
    }
  });
});
