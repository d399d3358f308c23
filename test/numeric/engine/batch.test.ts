// The block pass (many points through the network at once) against the per-point engine and, for every recurrence
// kind, against a plain forward pass written from core/layers' recurrences with central differences for J.
import { describe, expect, it, vi } from "vitest";
import { LAYER_KINDS, type LayerKind } from "../../../src/core/layers/index.js";
import { REGISTRY } from "../../../src/core/functions.js";
import { rng } from "../../../src/core/random.js";
import type { Activation } from "../../../src/semantics/model.js";
import { KERNEL_ACTIVATIONS } from "../../../src/numeric/engine/activations.js";
import { pointOfBlock, propagateBlocks, type SecondOrder } from "../../../src/numeric/engine/batch.js";
import {
  energyTermsAt,
  geodesicAccelerationAt,
  geodesicAccelerationsAt,
  geometryAt,
  metricAt,
  metricsAt,
} from "../../../src/numeric/engine/geometry.js";
import { type PreparedNetwork, propagate } from "../../../src/numeric/engine/network.js";

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
      // where the registry names a kernel function (tanh, sigmoid, softplus) the kernel's own σ ran, not the registry's
      // JavaScript: two computations, not one path run twice
      if (KERNEL_ACTIVATIONS[act]) expect(differ).toBeGreaterThan(0);
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

/** Point k's jets from the block pass with second derivatives f''[p, q] (k's pairs): value, J columns, then the S of them. */
function secondJets(net: PreparedNetwork, points: Float64Array, n: number, second: SecondOrder, kernel: "wasm" | "js", blockSize?: number) {
  const out: number[][] = [];
  propagateBlocks(
    net,
    points,
    n,
    ({ Y, B, m }) => {
      for (let b = 0; b < B; b++)
        out.push(Array.from({ length: (1 + n + second.S) * m }, (_, t) => Y[(Math.floor(t / m) * B + b) * m + (t % m)]));
    },
    blockSize,
    kernel,
    second,
  );
  return out;
}

describe("second derivatives in the block pass", () => {
  for (const [kind, act, n, width, depth] of cases)
    it(`${kind} (${act}): f''[p, q] against propagate's Hessian jets and central differences of the recurrences`, () => {
      const net = randomNet(kind, act, n, width, depth, 50 + depth);
      const r = rng(21);
      const count = 5,
        S = 2;
      const points = Float64Array.from({ length: count * n }, () => 2 * r() - 1);
      // pair 0 is (v, v), as the geodesic equation asks; pair 1 two unrelated directions
      const pairs = new Float64Array(count * S * 2 * n);
      for (let k = 0; k < count; k++) {
        const v = Array.from({ length: n }, () => 2 * r() - 1);
        pairs.set([...v, ...v], k * S * 2 * n);
        pairs.set(
          Array.from({ length: 2 * n }, () => 2 * r() - 1),
          (k * S + 1) * 2 * n,
        );
      }
      const got = secondJets(net, points, n, { S, pairs }, "wasm", 2);
      const first = jets(net, points, n, "wasm", 2); // the first-order pass: x and J (row-major) per point
      const m = net.layers.at(-1)!.outWidth;
      for (let k = 0; k < count; k++) {
        const x = Array.from(points.subarray(k * n, (k + 1) * n));
        const pass = propagate(net, x, 2);
        const L = pass.layout;
        const base = k * (m + m * n);
        for (let i = 0; i < m; i++) {
          expect(Math.abs(got[k][i] - first[base + i])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(first[base + i])));
          for (let a = 0; a < n; a++) {
            const J = first[base + m + i * n + a];
            expect(Math.abs(got[k][(1 + a) * m + i] - J)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(J)));
          }
        }
        for (let s = 0; s < S; s++) {
          const p = pairs.subarray((k * S + s) * 2 * n, (k * S + s) * 2 * n + n),
            q = pairs.subarray((k * S + s) * 2 * n + n, (k * S + s + 1) * 2 * n);
          // central differences of the plain forward pass: [f(x+hp+hq) − f(x+hp−hq) − f(x−hp+hq) + f(x−hp−hq)]/4h²
          const h = 1e-3,
            at = (sp: number, sq: number) =>
              forward(
                net,
                x.map((c, a) => c + sp * h * p[a] + sq * h * q[a]),
              );
          const [pp, pm, mp, mm] = [at(1, 1), at(1, -1), at(-1, 1), at(-1, -1)];
          for (let i = 0; i < m; i++) {
            let hess = 0;
            for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) hess += p[a] * q[c] * pass.out[L.pair[a * n + c] * m + i];
            const v = got[k][(1 + n + s) * m + i];
            expect(Math.abs(v - hess)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(hess)));
            expect(Math.abs(v - (pp[i] - pm[i] - mp[i] + mm[i]) / (4 * h * h))).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
          }
        }
      }
      // the JavaScript backend gives the same jets
      const js = secondJets(net, points, n, { S, pairs }, "js", 3);
      for (let k = 0; k < count; k++)
        for (const [t, v] of js[k].entries()) expect(Math.abs(got[k][t] - v)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(v)));
    });

  /** A 2 → 17 → 18 → 3 tanh/softplus/sigmoid net, the decoder's activations; and a residual net of width 3. */
  const nets = (): [string, PreparedNetwork][] => {
    const dense = randomNet("dense", "tanh", 2, 17, 3, 77);
    dense.layers[1].activation = "softplus";
    dense.layers[2].activation = "sigmoid";
    return [
      ["dense 2 → 17 → 18 → 3", dense],
      ["residual width 3", randomNet("residual", "tanh", 3, 3, 8, 78)],
    ];
  };

  for (const [name, net] of nets())
    it(`${name}: Γ(v, v), g and det g at 70 points at once are geodesicAccelerationAt's, point by point`, () => {
      const n = net.layers[0].inWidth,
        count = 70,
        r = rng(4);
      const x = Float64Array.from({ length: count * n }, () => 2 * r() - 1),
        v = Float64Array.from({ length: count * n }, () => 2 * r() - 1);
      const m = net.layers.at(-1)!.outWidth;
      // with and without a constant metric on the output (G symmetric positive definite)
      const G = Float64Array.from({ length: m * m }, (_, t) => (t % (m + 1) === 0 ? 2 : 0.3));
      for (const outputMetric of [null, G]) {
        const acc = new Float64Array(count * n),
          at = { g: new Float64Array(count * n * n), det: new Float64Array(count) };
        expect(geodesicAccelerationsAt(net, x, v, n, acc, at, { outputMetric })).toBe(true);
        for (let k = 0; k < count; k++) {
          const one = new Float64Array(n);
          const r1 = geodesicAccelerationAt(net, x.subarray(k * n, (k + 1) * n), v.subarray(k * n, (k + 1) * n), one, { outputMetric })!;
          for (let a = 0; a < n; a++) expect(Math.abs(acc[k * n + a] - one[a])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(one[a])));
          for (let t = 0; t < n * n; t++)
            expect(Math.abs(at.g[k * n * n + t] - r1.g[t])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(r1.g[t])));
          expect(Math.abs(at.det[k] - r1.det)).toBeLessThanOrEqual(1e-12 * Math.abs(r1.det));
        }
      }
    });

  for (const [name, net] of nets())
    it(`${name}: the curve energy's ∂_a g(d, d) at 40 points at once: geometryAt's ∂g and central differences of g`, () => {
      const n = net.layers[0].inWidth,
        count = 40,
        r = rng(8);
      const x = Float64Array.from({ length: count * n }, () => 2 * r() - 1),
        d = Float64Array.from({ length: count * n }, () => 2 * r() - 1);
      const dE = new Float64Array(count * n),
        at = { g: new Float64Array(count * n * n), det: new Float64Array(count) };
      expect(energyTermsAt(net, x, d, n, dE, at)).toBe(true);
      const gdd = (p: number[], dk: Float64Array) => {
        const g = metricAt(net, p);
        let s = 0;
        for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) s += g[a * n + b] * dk[a] * dk[b];
        return s;
      };
      for (let k = 0; k < count; k++) {
        const p = Array.from(x.subarray(k * n, (k + 1) * n)),
          dk = d.subarray(k * n, (k + 1) * n);
        const pg = geometryAt(net, p);
        for (let t = 0; t < n * n; t++)
          expect(Math.abs(at.g[k * n * n + t] - pg.g[t])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(pg.g[t])));
        expect(Math.abs(at.det[k] - pg.det)).toBeLessThanOrEqual(1e-12 * Math.abs(pg.det));
        for (let a = 0; a < n; a++) {
          let s = 0;
          for (let b = 0; b < n; b++) for (let c = 0; c < n; c++) s += pg.dg![(a * n + b) * n + c] * dk[b] * dk[c];
          expect(Math.abs(dE[k * n + a] - s)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s)));
          const h = 1e-5;
          const fd =
            (gdd(
              p.map((c, i) => (i === a ? c + h : c)),
              dk,
            ) -
              gdd(
                p.map((c, i) => (i === a ? c - h : c)),
                dk,
              )) /
            (2 * h);
          expect(Math.abs(dE[k * n + a] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        }
      }
    });

  it("does not serve a layer range (the metric pulled back from a hidden layer): false, nothing written", () => {
    const net = randomNet("residual", "tanh", 3, 3, 6, 79);
    const x = Float64Array.from([0.1, 0.2, 0.3]),
      acc = new Float64Array(3),
      at = { g: new Float64Array(9), det: new Float64Array(1) };
    expect(geodesicAccelerationsAt(net, x, x, 3, acc, at, { from: 2 })).toBe(false);
    expect(energyTermsAt(net, x, x, 3, acc, at, { from: 2 })).toBe(false);
    expect([...acc, ...at.g, ...at.det].every((t) => t === 0)).toBe(true);
  });
});
