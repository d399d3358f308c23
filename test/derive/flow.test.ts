// `derive` and `rgnn flow` judge an observed order by one tolerance (numeric/flow.ts's ORDER_TOLERANCE): the
// derivation's convergence step fails exactly when `flow` reports a mismatch, a shortfall beyond the tolerance.
import { describe, expect, it } from "vitest";
import { DEFAULT_DEPTHS, flowSteps } from "../../src/derive/flow.js";
import { DEFAULT_WITNESS } from "../../src/derive/model.js";
import { convergence, ORDER_TOLERANCE, odeBlock, orderMismatches } from "../../src/numeric/flow.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";

const net = (h: number) =>
  [
    ...model(
      "manifold I (x, y)\nnetwork f : I -> R^2 {\n" +
        `  residual tanh with W = [[0.5, -1], [1, 0.5]], b = [0.1, 0], h = ${h}\n`.repeat(2) +
        "}\n",
    ).mappings.values(),
  ][0] as Network;

describe("one order tolerance", () => {
  it("the convergence step carries ORDER_TOLERANCE and passes iff `flow` finds no mismatch", () => {
    const f = net(0.5);
    const step = flowSteps(f, 0, new Map(), DEFAULT_WITNESS).find((s) => s.title.startsWith("Depth-N networks converge"))!;
    expect(step.witness!.tolerance).toBe(ORDER_TOLERANCE);
    const c = convergence(odeBlock(f, new Map()), "linear", [0.3, -0.7], DEFAULT_DEPTHS);
    expect(Math.abs(c.stateOrder - 1)).toBeLessThan(ORDER_TOLERANCE);
    expect(step.witness!.passed).toBe(true);
    expect(step.witness!.passed).toBe(orderMismatches(c).length === 0);
    expect(step.witness!.maxError).toBeCloseTo(Math.max(0, 1 - c.stateOrder, 1 - c.metricOrder), 12);
  });
});
