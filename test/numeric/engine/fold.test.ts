// A linear layer folded into the layer after it (PreparedLayer.through, engine/network.ts): the folded product must
// be A·W' and A·b' + b written out by hand from the two layers, and every pass that folds (propagate without caches,
// propagateAlong, the block pass on both kernels) must give what the same network gives unfolded, to 1e-13. Where a
// fold would change what is computed (a residual layer reads the linear state) or cost more, nothing is folded.
import { describe, expect, it } from "vitest";
import { wasmKernelAvailable } from "../../../src/numeric/engine/kernel.js";
import { type PreparedNetwork, prepareNetwork, propagate, propagateAlong } from "../../../src/numeric/engine/network.js";
import type { Network } from "../../../src/semantics/model.js";
import { model } from "../../helpers.js";
import { blockOutputs } from "./blocks.js";

const lit = (rows: number, cols: number, seed: number, scale = 0.7) => {
  const row = (i: number) => Array.from({ length: cols }, (_, j) => (scale * Math.cos(1.3 * (i * cols + j) + seed)).toFixed(4));
  return `[${Array.from({ length: rows }, (_, i) => `[${row(i).join(", ")}]`).join(", ")}]`;
};
const vec = (n: number, seed: number, scale = 0.3) =>
  `[${Array.from({ length: n }, (_, i) => (scale * Math.sin(0.9 * i + seed)).toFixed(4)).join(", ")}]`;

/** A nested literal of any shape, entries 0.5 cos(1.7 i + seed). */
function nest(shape: number[], seed: number): string {
  let i = 0;
  const go = (d: number[]): string =>
    d.length ? `[${Array.from({ length: d[0] }, () => go(d.slice(1))).join(", ")}]` : (0.5 * Math.cos(1.7 * i++ + seed)).toFixed(4);
  return go(shape);
}

const net = (text: string) => model(text).mappings.get("f") as Network;

/** Latent (u, v) → linear 18 → 2×3×3 → conv_transpose (2 → 3 channels, 6×6) → flatten. */
const CONV = `manifold P (u, v)
network f : P {
  dense 18 linear with W = ${lit(18, 2, 1)}, b = ${vec(18, 2)}
  reshape with shape = [2, 3, 3]
  conv_transpose 3 softplus with kernel = 4, stride = 2, padding = 1, K = ${nest([2, 3, 4, 4], 5)}, b = [0.1, -0.2, 0.05]
  flatten
}
metric g = pullback along f
`;

/** The same network with nothing folded. */
const unfolded = (p: PreparedNetwork): PreparedNetwork => ({ name: p.name, layers: p.layers.map((l) => ({ ...l, through: undefined })) });

const far = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe("a linear layer folded into the next", () => {
  const points = Float64Array.from({ length: 2 * 9 }, (_, i) => 1.1 * Math.cos(1.9 * i + 0.3));

  it("the fold is A·W' and A·b' + b of the two layers' written-out matrices", () => {
    const n = net(CONV),
      p = prepareNetwork(n);
    expect(p.layers[0].through).toBeUndefined();
    const t = p.layers[1].through!;
    expect(t).toBeDefined();
    expect(t.cols).toBe(2);
    const A = n.layers[1].W!.values!,
      W = n.layers[0].W!.values!,
      b0 = n.layers[0].b!.values!,
      b1 = n.layers[1].b!.values!;
    const rows = n.layers[1].outWidth;
    expect(rows).toBe(3 * 6 * 6);
    for (let i = 0; i < rows; i++) {
      let s0 = 0,
        s1 = 0,
        sb = b1[i];
      for (let j = 0; j < 18; j++) {
        s0 += A[i * 18 + j] * W[2 * j];
        s1 += A[i * 18 + j] * W[2 * j + 1];
        sb += A[i * 18 + j] * b0[j];
      }
      expect(Math.abs(t.W[2 * i] - s0)).toBeLessThan(1e-14);
      expect(Math.abs(t.W[2 * i + 1] - s1)).toBeLessThan(1e-14);
      expect(Math.abs(t.b[i] - sb)).toBeLessThan(1e-14);
    }
  });

  it("propagate, propagateAlong and the block pass on both kernels give the unfolded network's numbers", () => {
    const p = prepareNetwork(net(CONV)),
      u = unfolded(p);
    const m = p.layers[1].outWidth;
    for (let k = 0; k < 9; k++) {
      const x = points.subarray(2 * k, 2 * k + 2);
      for (const order of [1, 2, 3] as const) {
        const a = propagate(p, x, order).out,
          b = propagate(u, x, order).out;
        expect(far(a, b)).toBeLessThan(1e-13);
        // the cached pass does not fold: the same numbers again, and each layer's state
        expect(far(propagate(p, x, order, {}, true).out, b)).toBeLessThan(1e-13);
      }
      const v = [0.8, -0.6];
      expect(far(propagateAlong(p, x, v)!.out, propagateAlong(u, x, v)!.out)).toBeLessThan(1e-13);
    }
    const blocks = (pn: PreparedNetwork, kernel: "js" | "wasm") => blockOutputs(pn, points, 2, m, 4, kernel);
    const want = blocks(u, "js");
    expect(far(blocks(p, "js"), want)).toBeLessThan(1e-13);
    if (wasmKernelAvailable()) expect(far(blocks(p, "wasm"), want)).toBeLessThan(1e-13);
  });

  it("nothing is folded where the next layer reads the linear state, or where the product would cost more", () => {
    const residual = prepareNetwork(
      net(`manifold P (u, v)
network f : P {
  dense 2 linear with W = ${lit(2, 2, 1)}, b = ${vec(2, 2)}
  residual tanh with h = 0.5, W = ${lit(2, 2, 3)}, b = ${vec(2, 4)}
}
metric g = pullback along f
`),
    );
    expect(residual.layers.some((l) => l.through)).toBe(false);
    // 2 → 3 linear, then 3 → 40: the fold (40 × 2 = 80 products) is cheaper than 6 + 120, so it folds; 2 → 40 → 3
    // (3 × 2 = 6 against 80 + 120) folds too; but a wide input, 30 → 2 linear → 30 (900 against 60 + 60), does not
    const wide = prepareNetwork(
      net(`manifold P (${Array.from({ length: 30 }, (_, i) => `x${i}`).join(", ")})
network f : P {
  dense 2 linear with W = ${lit(2, 30, 1)}, b = ${vec(2, 2)}
  dense 30 tanh with W = ${lit(30, 2, 3)}, b = ${vec(30, 4)}
}
metric g = pullback along f
`),
    );
    expect(wide.layers.some((l) => l.through)).toBe(false);
    const narrow = prepareNetwork(
      net(`manifold P (u, v)
network f : P {
  dense 3 linear with W = ${lit(3, 2, 1)}, b = ${vec(3, 2)}
  dense 40 tanh with W = ${lit(40, 3, 3)}, b = ${vec(40, 4)}
}
metric g = pullback along f
`),
    );
    expect(narrow.layers[1].through?.W.length).toBe(80);
  });
});
