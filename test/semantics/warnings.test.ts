// Warnings: geometry through layers that are not C¹ (ReLU), and the rank a softmax leaves a pullback.
import { describe, expect, it } from "vitest";
import { forwardNetwork } from "../../src/numeric/forward.js";
import type { Network } from "../../src/semantics/model.js";
import { cli, model } from "../helpers.js";

const NET = (act: string) => `manifold I (x, y)
network n : I -> R^2 {
  dense 2 tanh with W = [[1, 0.5], [0.2, 1]], b = [0, 0]
  dense 2 ${act} with W = [[1, 0.5], [0.2, 1]], b = [0.1, 0.2]
}
`;

describe("ReLU layers", () => {
  it("a metric pulled back through a ReLU layer is a warning at the metric, saying why", () => {
    const m = model(`${NET("relu")}metric g = pullback of euclidean along n\nmetric g2 = pullback of euclidean along n to layer 2\n`);
    expect(m.warnings).toHaveLength(1); // g2 lives on the output side of the ReLU layer: nothing to warn about
    const w = m.warnings[0];
    expect([w.span.line, w.span.col, w.severity]).toEqual([6, 1, "warning"]);
    expect(w.message).toBe(
      "metric 'g' is taken through layer 2 of 'n' (relu): relu is not C¹ at 0 (its derivative jumps from 0 to 1), so the " +
        "layer is no coordinate change and the metric is piecewise defined",
    );
    expect(model(`${NET("tanh")}metric g = pullback of euclidean along n\n`).warnings).toEqual([]);
  });

  it("an action through a ReLU layer warns too; the CLI prints file:line:col: warning and goes on", async () => {
    const spec = `${NET("relu")}principal bundle F over I with group GL(2)\naction of n on F\n`;
    const m = model(spec);
    expect(m.warnings.map((w) => [w.span.line, w.message.slice(0, 40)])).toEqual([[7, "the action of 'n' is taken through layer"]]);
    expect(model(`${NET("relu")}principal bundle F over I with group GL(2)\naction of n layer 1 on F\n`).warnings).toEqual([]);
    const r = await cli(["check", "-"], `${NET("relu")}metric g = pullback of euclidean along n\n`);
    expect(r.code).toBe(0);
    expect(r.err).toContain("<stdin>:6:1: warning: metric 'g' is taken through layer 2 of 'n' (relu)");
    expect(r.err).toContain("= it is smooth only inside each region where no pre-activation crosses a kink");
  });

  it("leaky_relu and hardtanh warn as relu does, each with its kink; silu and mish are smooth", () => {
    const warning = (act: string) => model(`${NET(act)}metric g = pullback of euclidean along n\n`).warnings.map((w) => w.message);
    expect(warning("leaky_relu")).toEqual([
      "metric 'g' is taken through layer 2 of 'n' (leaky_relu): leaky_relu is not C¹ at 0 (its derivative jumps from 0.01 to 1), " +
        "so the layer is no coordinate change and the metric is piecewise defined",
    ]);
    expect(warning("hardtanh")).toEqual([
      "metric 'g' is taken through layer 2 of 'n' (hardtanh): hardtanh is not C¹ at ±1 (its derivative jumps between 1 and 0), " +
        "so the layer is no coordinate change and the metric is piecewise defined",
    ]);
    expect(warning("silu")).toEqual([]);
    expect(warning("mish")).toEqual([]);
  });
});

describe("softmax", () => {
  const SOFTMAX = `manifold I = R^3
network p : I -> R^3 {
  dense 3 tanh with W = [[1, 0.5, -0.3], [0.2, 1, 0.4], [-0.6, 0.1, 0.9]], b = [0, 0.1, -0.2]
  softmax
}
metric g = pullback of euclidean along p
`;
  it("the pullback through softmax onto the simplex has rank n − 1", async () => {
    expect((await cli(["run", "-"], `${SOFTMAX}check g has rank 2\n`)).code).toBe(0);
    expect((await cli(["run", "-"], `${SOFTMAX}check g has rank 3\n`)).code).toBe(1);
    // why: softmax is invariant under x ↦ x + t(1, 1, 1), so its Jacobian kills (1, 1, 1) at every point
    const net = model(SOFTMAX).mappings.get("p") as Network;
    for (const x1 of [
      [0.3, -1.2, 2],
      [5, 0, -5],
    ]) {
      const J = forwardNetwork(net, x1, new Map(), 1).at(-1)!.J;
      for (const row of J) expect(Math.abs(row[0] + row[1] + row[2])).toBeLessThan(1e-15);
    }
  });
});
