// The block pass (many points through the network at once) against the per-point engine and, for every recurrence
// kind, against a plain forward pass written from core/layers' recurrences with central differences for J.
import { describe, expect, it, vi } from "vitest";
import { LAYER_KINDS, type LayerKind } from "../../../src/core/layers/index.js";
import { REGISTRY } from "../../../src/core/functions.js";
import { rng } from "../../../src/core/random.js";
import type { Activation } from "../../../src/semantics/model.js";
import { pointOfBlock, propagateBlocks } from "../../../src/numeric/engine/batch.js";
import { metricAt, metricsAt } from "../../../src/numeric/engine/geometry.js";
import type { PreparedNetwork } from "../../../src/numeric/engine/network.js";

/** A random network of `depth` layers of one kind (dense: widths vary; the others keep the width). */
function randomNet(kind: LayerKind, activation: Activation, n: number, width: number, depth: number, seed: number): PreparedNetwork {
  const r = rng(seed);
  let inWidth = n;
  const layers = Array.from({ length: depth }, (_, l) => {
    const outWidth = kind === "dense" ? (l === depth - 1 ? 3 : width + (l % 3)) : inWidth;
    const layer = {
      kind,
      activation,
      inWidth,
      outWidth,
      W: Float64Array.from({ length: outWidth * inWidth }, () => (2 * r() - 1) / Math.sqrt(inWidth)),
      b: Float64Array.from({ length: outWidth }, () => r() - 0.5),
      h: 0.2,
    };
    inWidth = outWidth;
    return layer;
  });
  return { name: `${kind}-${activation}`, layers };
}

/** x_L by the recurrences of core/layers, in plain numbers. */
function forward(net: PreparedNetwork, x0: number[]): number[] {
  const states = [x0];
  net.layers.forEach((L, l) => {
    const kind = LAYER_KINDS[L.kind];
    const r = kind.recurrence!(Math.min(kind.reads, l + 1));
    const x = states[0];
    const y = Array.from({ length: L.outWidth }, (_, i) => {
      let z = L.b![i];
      for (let j = 0; j < L.inWidth; j++) z += L.W![i * L.inWidth + j] * x[j];
      let v = REGISTRY[L.activation as keyof typeof REGISTRY].value(z);
      if (r.scale) v *= r.scale.factor * L.h ** r.scale.power;
      r.coeffs.forEach((c, k) => {
        v += c * states[k][i];
      });
      return v;
    });
    states.unshift(y);
  });
  return states[0];
}

const cases: [LayerKind, Activation, number, number, number][] = [
  ["dense", "tanh", 2, 17, 4],
  ["dense", "softplus", 3, 40, 3],
  ["residual", "sigmoid", 5, 5, 12],
  ["residual", "gelu", 8, 8, 20],
  ["second_order", "tanh", 3, 3, 9],
  ["order_3", "tanh", 4, 4, 10],
  ["order_4", "elu", 3, 3, 10],
  ["dense", "silu", 3, 24, 5],
  ["residual", "mish", 4, 4, 12],
];

describe("the block pass", () => {
  for (const [kind, act, n, width, depth] of cases)
    it(`${kind} (${act}, ${depth} layers): x and J against the recurrences and central differences`, () => {
      const net = randomNet(kind, act, n, width, depth, n * 100 + depth);
      const r = rng(9);
      const count = 7; // a block of 3 points and a last one of 1: the block boundary is crossed
      const points = Float64Array.from({ length: count * n }, () => 2 * r() - 1);
      let seen = 0;
      propagateBlocks(
        net,
        points,
        n,
        ({ Y, B, m, first }) => {
          for (let b = 0; b < B; b++) {
            const p = Array.from(points.subarray((first + b) * n, (first + b + 1) * n));
            const x = forward(net, p);
            for (let i = 0; i < m; i++) expect(Y[b * m + i]).toBeCloseTo(x[i], 13);
            const eps = 1e-5;
            for (let a = 0; a < n; a++) {
              const up = forward(
                  net,
                  p.map((v, j) => (j === a ? v + eps : v)),
                ),
                down = forward(
                  net,
                  p.map((v, j) => (j === a ? v - eps : v)),
                );
              for (let i = 0; i < m; i++) expect(Math.abs(Y[((1 + a) * B + b) * m + i] - (up[i] - down[i]) / (2 * eps))).toBeLessThan(1e-7);
            }
            seen++;
          }
        },
        3,
      );
      expect(seen).toBe(count);
    });

  for (const [kind, act, n, width, depth] of cases.filter(([k]) => LAYER_KINDS[k].reads <= 2))
    it(`${kind} (${act}): metricsAt by blocks is the per-point metric to 1e-13`, () => {
      const net = randomNet(kind, act, n, width, depth, 7 + depth);
      const r = rng(11);
      const count = 300;
      const points = Float64Array.from({ length: count * n }, () => 2 * r() - 1);
      const all = metricsAt(net, points, n);
      for (let k = 0; k < count; k++) {
        const g = metricAt(net, points.subarray(k * n, (k + 1) * n));
        for (let i = 0; i < n * n; i++)
          expect(Math.abs(all[k * n * n + i] - g[i])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(g[i])));
      }
    });

  it("takes fewer points per block on a wide layer (2,100 units, 5 jet components: blocks of 99) with the same g", () => {
    const net = randomNet("dense", "softplus", 4, 2100, 2, 5);
    const r = rng(12);
    const points = Float64Array.from({ length: 250 * 4 }, () => 2 * r() - 1);
    const sizes: number[] = [];
    propagateBlocks(net, points, 4, ({ B }) => {
      sizes.push(B);
    });
    expect(sizes).toEqual([99, 99, 52]);
    const all = metricsAt(net, points, 4);
    for (const k of [0, 98, 99, 249]) {
      const g = metricAt(net, points.subarray(4 * k, 4 * k + 4));
      for (let i = 0; i < 16; i++) expect(Math.abs(all[16 * k + i] - g[i])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(g[i])));
    }
  });

  it("keeps a non-finite point to its own row of the block", () => {
    const net = randomNet("residual", "tanh", 2, 2, 4, 3);
    const points = Float64Array.from([0.1, 0.2, Number.NaN, 0.3, 0.4, -0.5, 0.2, 0.1]);
    const all = metricsAt(net, points, 2);
    expect(Array.from(all.subarray(4, 8)).every(Number.isNaN)).toBe(true);
    for (const k of [0, 2, 3]) expect(Array.from(all.subarray(4 * k, 4 * k + 4)).every(Number.isFinite)).toBe(true);
  });

  /** x_L and J at every point, point after point, by one backend. */
  function jets(net: PreparedNetwork, points: Float64Array, n: number, kernel: "wasm" | "js", blockSize?: number): number[] {
    const out: number[] = [];
    propagateBlocks(
      net,
      points,
      n,
      (block) => {
        for (let b = 0; b < block.B; b++) {
          const J = new Float64Array(block.m * n);
          out.push(...pointOfBlock(block, b, n, J).output, ...J);
        }
      },
      blockSize,
      kernel,
    );
    return out;
  }

  for (const [kind, act, n, width, depth] of cases)
    it(`${kind} (${act}): the WebAssembly pass (kernel memory, its tanh and chain step) is the JavaScript one to 1e-13`, () => {
      const net = randomNet(kind, act, n, width, depth, 31 + depth);
      const r = rng(5);
      const points = Float64Array.from({ length: 41 * n }, () => 2 * r() - 1);
      const [wasm, js] = [jets(net, points, n, "wasm", 8), jets(net, points, n, "js", 8)];
      expect(wasm.length).toBe(js.length);
      let differ = 0;
      for (let i = 0; i < js.length; i++) {
        expect(Math.abs(wasm[i] - js[i])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(js[i])));
        if (wasm[i] !== js[i]) differ++;
      }
      // with tanh the kernel's own tanh ran, not Math.tanh: two computations, not one path run twice
      if (act === "tanh") expect(differ).toBeGreaterThan(0);
    });

  it("a pass started inside another's visit on the same network gets its own memory; a larger block grows the cached one", () => {
    const net = randomNet("residual", "tanh", 3, 3, 12, 41);
    const r = rng(6);
    const points = Float64Array.from({ length: 20 * 3 }, () => 2 * r() - 1);
    const alone = jets(net, points, 3, "wasm", 4);
    const outer: number[] = [];
    propagateBlocks(
      net,
      points,
      3,
      (block) => {
        const before = Array.from(block.Y);
        expect(jets(net, points, 3, "wasm", 16)).toEqual(alone); // blocks of 16 in fresh memory: the same numbers
        expect(Array.from(block.Y)).toEqual(before); // and this block's jets untouched
        for (let b = 0; b < block.B; b++) {
          const J = new Float64Array(9);
          outer.push(...pointOfBlock(block, b, 3, J).output, ...J);
        }
      },
      4,
      "wasm",
    );
    expect(outer).toEqual(alone);
    // one block of 600 points (buffers of 115 KB, past the first 64 KB page): the cached memory grows between passes
    const many = Float64Array.from({ length: 600 * 3 }, () => 2 * r() - 1);
    const grow = vi.spyOn(WebAssembly.Memory.prototype, "grow");
    try {
      const big = jets(net, many, 3, "wasm", 600);
      expect(grow).toHaveBeenCalled();
      expect(big).toEqual(jets(net, many, 3, "wasm", 7));
    } finally {
      grow.mockRestore();
    }
  });
});
