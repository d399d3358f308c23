import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { continuousFlow, convergence, discreteFlow, odeBlock } from "../../src/numeric/flow.js";
import { forwardNetwork } from "../../src/numeric/forward.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";

const net = (name: string) =>
  [...model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples").mappings.values()].find(
    (m) => m.kind === "network",
  ) as Network;
const DEPTHS = [16, 32, 64, 128, 256, 512];

describe("residual networks as ODE flows", () => {
  it("the block rebuilt at its own depth is the network itself (both interpolations)", () => {
    for (const name of ["deep-resnet", "second-order"]) {
      const n = net(name),
        block = odeBlock(n, new Map());
      const want = forwardNetwork(n, [0.4, -0.2]).at(-1)!.x;
      for (const interp of ["constant", "linear"] as const) {
        const got = discreteFlow(block, interp, [0.4, -0.2], block.W.length).x;
        want.forEach((v, i) => {
          expect(got[i]).toBeCloseTo(v, 13);
        });
      }
    }
  });

  it("residual networks converge to the flow with order 1, in state and in metric", () => {
    const c = convergence(odeBlock(net("deep-resnet"), new Map()), "linear", [0.3, -0.7], DEPTHS);
    expect(c.stateOrder).toBeGreaterThan(0.9);
    expect(c.stateOrder).toBeLessThan(1.1);
    expect(c.metricOrder).toBeGreaterThan(0.9);
    expect(c.metricOrder).toBeLessThan(1.1);
    expect(c.rows.at(-1)!.metricError).toBeLessThan(c.rows[0].metricError / 20);
  });

  it("second-order networks converge with order 2 (continuous weights)", () => {
    const c = convergence(odeBlock(net("second-order"), new Map()), "linear", [0.3, -0.7], DEPTHS);
    expect(c.stateOrder).toBeGreaterThan(1.8);
    expect(c.stateOrder).toBeLessThan(2.3);
    expect(c.metricOrder).toBeGreaterThan(1.8);
    expect(c.metricOrder).toBeLessThan(2.3);
  });

  it("the variational equation's metric is the limit of the Jacobian products", () => {
    const block = odeBlock(net("deep-resnet"), new Map());
    const exact = continuousFlow(block, "linear", [0.1, 0.2]);
    const fine = discreteFlow(block, "linear", [0.1, 0.2], 4096);
    exact.J.forEach((v, i) => {
      expect(Math.abs(v - fine.J[i])).toBeLessThan(1e-3);
    });
    // and the variational J is the derivative of the flow map (finite differences of the flow)
    const eps = 1e-5;
    const col = (j: number) => {
      const p = [0.1, 0.2],
        m = [0.1, 0.2];
      p[j] += eps;
      m[j] -= eps;
      const a = continuousFlow(block, "linear", p).x,
        b = continuousFlow(block, "linear", m).x;
      return [0, 1].map((i) => (a[i] - b[i]) / (2 * eps));
    };
    const [c0, c1] = [col(0), col(1)];
    expect(exact.J[0]).toBeCloseTo(c0[0], 8);
    expect(exact.J[2]).toBeCloseTo(c0[1], 8);
    expect(exact.J[1]).toBeCloseTo(c1[0], 8);
    expect(exact.J[3]).toBeCloseTo(c1[1], 8);
  });

  it("a dense network has no ODE limit, and says so", () => {
    const dense = model("manifold I (x, y)\nnetwork d : I { dense tanh with W = [[1, 0], [0, 1]], b = [0, 0] }").mappings.get(
      "d",
    ) as Network;
    expect(() => odeBlock(dense, new Map())).toThrow(
      "'d' has no residual or second-order layers: a dense network is a static map, with no ODE (flow) limit",
    );
  });
});

describe("a flow of symbolic weights", () => {
  it("names the symbols without values instead of failing inside the forward pass", () => {
    const m = model(readFileSync("examples/symbolic-resnet.rgnn", "utf8"));
    const net = m.mappings.get("res") as Network;
    expect(() => odeBlock(net, new Map())).toThrow(/'res' has symbols without values: W1_11, .*h, .*\(13 in all\); give them with --set/);
    const env = new Map([...net.layers.flatMap((l) => [l.W!, l.b!, l.h].flatMap((p) => p?.entries ?? []))].map((e) => [e.toString(), 0.1]));
    expect(odeBlock(net, env).W.length).toBeGreaterThan(0); // with every value given, the block is built
  });
});
