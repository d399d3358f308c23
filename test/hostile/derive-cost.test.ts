// A derivation witnesses every layer of a network pullback at its own points, by a pass from the chart to that
// layer: its time grows with the square of the depth. 2,000 inline residual layers with symbolic weights ran for more
// than 300 s at 2.5 GB; such a derivation is refused up front from its estimated cost, with what to do instead.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DERIVATION_LIMIT, derivationCost } from "../../src/derive/cost.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";
import { cli, expectCleanError, folder } from "./tools.js";

const residual = (layers: number, weights = "") =>
  `manifold I (x, y)\nnetwork f : I -> R^2${weights} {\n${"  residual tanh\n".repeat(layers)}}\n` +
  "metric g = pullback of euclidean along f\n";
const network = (text: string) => model(text).mappings.get("f") as Network;

describe("the cost of a derivation's checks", () => {
  it("is the hand-counted sum: each layer's pass from the chart, per point, plus the layered form's own steps", () => {
    // width 2: a layer weighs 1 + 2·2/20 = 1.2; layer l's pass costs 1.2·l, times 12 with symbolic weights
    const f = network(residual(4));
    const passes = 1.2 * (1 + 2 + 3 + 4);
    expect(derivationCost(f, 0, "matrix", 8)).toBeCloseTo(3 * 12 * passes, 9); // matrix form: at most 3 points a layer
    expect(derivationCost(f, 0, "matrix", 1)).toBeCloseTo(12 * passes, 9);
    expect(derivationCost(f, 0, "layered", 8)).toBeCloseTo(8 * (12 * passes + 4 * 1000 * 1.2), 9);
    // from layer 2 on: only layers 3 and 4, passes 1.2 and 2.4
    expect(derivationCost(f, 2, "matrix", 3)).toBeCloseTo(3 * 12 * 3.6, 9);
  });

  it("600 symbolic layers pass the limit (about 76 s of CPU measured); 2,000 do not", () => {
    expect(derivationCost(network(residual(600)), 0, "matrix", 8)).toBeLessThan(DERIVATION_LIMIT);
    expect(derivationCost(network(residual(2000)), 0, "matrix", 8)).toBeGreaterThan(10 * DERIVATION_LIMIT);
  });
});

describe("derive and verify refuse a derivation that could not finish", () => {
  const { dir, write } = folder("derive-cost");

  it("2,000 inline residual layers with symbolic weights: one message with what to do instead, nothing written", async () => {
    const spec = write("deep.rgnn", residual(2000));
    const out = join(dir, "deep.tex");
    for (const args of [
      ["derive", spec, "-o", out],
      ["derive", spec, "--form", "layered", "-f", "json"],
      ["verify", spec],
    ]) {
      const r = await cli(args);
      expectCleanError({ code: r.code, err: r.err.replace(/^rgnn: /, "rgnn: error: ") }, "each of the 2000 layers of 'f'");
      const one = r.err.replace(/\s+/g, " ");
      expect(one).toMatch(/'rgnn metric \S*deep\.rgnn --form matrix'/);
      expect(one).toContain("give its weights numbers");
      expect(r.out).toBe("");
    }
    expect(existsSync(out)).toBe(false);
    // what it suggests instead answers: the matrix form of the closed form
    const m = await cli(["metric", spec, "--form", "matrix"]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toContain("g = J1^T*g1*J1");
  });
});
