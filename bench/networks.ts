// Random networks for the benches: residual tanh networks as specs with a hand-written evaluator of the same metric,
// and dense networks prepared for the engine.

import { rng } from "../src/core/random.js";
import type { PreparedLayer, PreparedNetwork } from "../src/numeric/engine/network.js";
import type { Activation } from "../src/semantics/model.js";

export { rng };

export interface ResNet {
  width: number;
  depth: number;
  h: number;
  W: Float64Array[];
  b: Float64Array[];
}

export function randomResNet(width: number, depth: number, seed: number): ResNet {
  const r = rng(seed);
  const scale = 1.5 / Math.sqrt(width);
  const W = Array.from({ length: depth }, () => Float64Array.from({ length: width * width }, () => (2 * r() - 1) * scale));
  const b = Array.from({ length: depth }, () => Float64Array.from({ length: width }, () => (2 * r() - 1) * 0.2));
  return { width, depth, h: 1 / depth, W, b };
}

export function specText(net: ResNet): string {
  const n = net.width;
  const mat = (w: Float64Array) =>
    `[${Array.from({ length: n }, (_, i) => `[${Array.from(w.subarray(i * n, (i + 1) * n)).join(", ")}]`).join(", ")}]`;
  const layers = net.W.map((w, l) => `  residual tanh with h = ${net.h}, W = ${mat(w)}, b = [${Array.from(net.b[l]).join(", ")}]`);
  return `manifold I = R^${n}\nnetwork n : I {\n${layers.join("\n")}\n}\nmetric g = pullback along n\n`;
}

/**
 * The baseline: g = Pᵀ P with P = J_L ⋯ J_1 accumulated forwards in preallocated Float64Arrays,
 * J_l = I + h diag(1 − tanh²(z_l)) W_l — what one would write by hand for this network.
 */
export function handWritten(net: ResNet): (pts: Float64Array, out: Float64Array, count: number) => void {
  const n = net.width,
    L = net.depth,
    h = net.h;
  const x = new Float64Array(n),
    t = new Float64Array(n),
    s = new Float64Array(n);
  let P = new Float64Array(n * n),
    Q = new Float64Array(n * n);
  return (pts, out, count) => {
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < n; i++) x[i] = pts[k * n + i];
      P.fill(0);
      for (let i = 0; i < n; i++) P[i * n + i] = 1;
      for (let l = 0; l < L; l++) {
        const W = net.W[l],
          b = net.b[l];
        for (let i = 0; i < n; i++) {
          let z = b[i];
          for (let j = 0; j < n; j++) z += W[i * n + j] * x[j];
          t[i] = Math.tanh(z);
          s[i] = h * (1 - t[i] * t[i]);
        }
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let m = 0; m < n; m++) acc += W[i * n + m] * P[m * n + j];
            Q[i * n + j] = P[i * n + j] + s[i] * acc;
          }
        }
        [P, Q] = [Q, P];
        for (let i = 0; i < n; i++) x[i] += h * t[i];
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let m = 0; m < n; m++) acc += P[m * n + i] * P[m * n + j];
          out[k * n * n + i * n + j] = acc;
        }
      }
    }
  };
}

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
