// Random networks of every layer kind and activation: the compiled closed-form metric must
// equal Jᵀ J from the independent forward-mode evaluator and from finite differences.
import { describe, expect, it } from "vitest";
import { type FunctionDef, REGISTRY } from "../../src/core/functions.js";
import { metricEvaluator, mappingEvaluator } from "../../src/numeric/evaluate.js";
import { forwardMapping } from "../../src/numeric/forward.js";
import { congruenceN, identityN, symmetricEigen } from "../../src/numeric/linalg.js";
import { ACTIVATIONS } from "../../src/semantics/model.js";
import { expectClose, fdJacobian, model, rng, uniform } from "../helpers.js";

/** Activations with a kink (the registry's `kink`) or a jump in σ″ (elu): finite differences across it are not
 *  accurate. */
const KINKED = new Set(ACTIVATIONS.filter((a) => (REGISTRY[a] as FunctionDef).kink || a === "elu"));

function randomSpec(seed: number): { text: string; smooth: boolean; n0: number } {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  // odd seeds: every activation; even seeds: the smooth ones, so that half the networks meet finite differences
  const pool = seed % 2 ? ACTIVATIONS : ACTIVATIONS.filter((a) => !KINKED.has(a));
  const n0 = int(1, 5),
    depth = int(1, 20);
  const mat = (rows: number, cols: number) =>
    `[${Array.from({ length: rows }, () => `[${Array.from({ length: cols }, () => uniform(r, -1.2, 1.2).toFixed(3)).join(", ")}]`).join(", ")}]`;
  const vec = (n: number) => `[${Array.from({ length: n }, () => uniform(r, -0.5, 0.5).toFixed(3)).join(", ")}]`;
  let width = n0,
    prevWidth = n0,
    smooth = true;
  const lines: string[] = [];
  for (let l = 0; l < depth; l++) {
    const act = pool[int(0, pool.length - 1)];
    if (KINKED.has(act)) smooth = false;
    const kind = r();
    if (kind < 0.4) {
      const w = int(1, 5);
      lines.push(`dense ${w} ${act} with W = ${mat(w, width)}, b = ${vec(w)}`);
      prevWidth = width;
      width = w;
    } else if (kind < 0.8 || prevWidth !== width) {
      lines.push(`residual ${act} with h = ${uniform(r, 0.05, 0.5).toFixed(3)}, W = ${mat(width, width)}, b = ${vec(width)}`);
      prevWidth = width;
    } else {
      lines.push(`second_order ${act} with h = ${uniform(r, 0.05, 0.5).toFixed(3)}, W = ${mat(width, width)}, b = ${vec(width)}`);
      prevWidth = width;
    }
  }
  if (r() < 0.25) lines.push("softmax");
  return { text: `manifold I = R^${n0}\nnetwork n : I {\n  ${lines.join("\n  ")}\n}\nmetric g = pullback along n\n`, smooth, n0 };
}

describe("random networks (widths 1–5, depths 1–20, every activation and layer kind)", () => {
  it("closed-form metric = Jᵀ J from forward mode and from finite differences; symmetric, PSD", () => {
    let fdCompared = 0;
    for (let seed = 1; seed <= 80; seed++) {
      const { text, smooth, n0 } = randomSpec(seed);
      const m = model(text);
      const net = m.mappings.get("n")!;
      const g = metricEvaluator(m.metrics.get("g")!, new Map());
      const r = rng(1000 + seed);
      for (let k = 0; k < 3; k++) {
        const p = Array.from({ length: n0 }, () => uniform(r, -1, 1));
        const gSym = g.at(p);
        const F = forwardMapping(net, p);
        expectClose(gSym, congruenceN(F.J, identityN(F.x.length)), 1e-10, `seed ${seed} vs forward mode`);
        if (smooth) {
          // 5-point stencil, ε = 1e-3: J error ≲ 1e-10 for these O(1) maps, so g to 1e-8
          const Jfd = fdJacobian((x) => forwardMapping(net, x).x, p);
          expectClose(gSym, congruenceN(Jfd, identityN(F.x.length)), 1e-7, `seed ${seed} vs finite differences`);
          fdCompared++;
        }
        gSym.forEach((row, i) => {
          row.forEach((v, j) => {
            expect(v).toBe(gSym[j][i]);
          });
        });
        const { values } = symmetricEigen(gSym);
        expect(values[0]).toBeGreaterThanOrEqual(-1e-10 * Math.max(1, values[values.length - 1]));
      }
    }
    expect(fdCompared).toBeGreaterThanOrEqual(120);
  });

  it("the mapping evaluator's Jacobian matches forward mode", () => {
    for (let seed = 100; seed < 110; seed++) {
      const { text, n0 } = randomSpec(seed);
      const m = model(text);
      const net = m.mappings.get("n")!;
      const ev = mappingEvaluator(net, new Map());
      const p = Array.from({ length: n0 }, (_, i) => 0.3 - 0.2 * i);
      const res = ev.at(p),
        F = forwardMapping(net, p);
      expectClose([res.output], [F.x], 1e-12, "output");
      expectClose(res.jacobian, F.J, 1e-10, "jacobian");
    }
  });
});
