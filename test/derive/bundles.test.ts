import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps, failedSteps } from "../../src/derive/model.js";
import { mathTex } from "../../src/render/notation.js";
import { actTwice, FIBRE_ACTIONS, identity, matmul, randomFibre } from "../../src/numeric/actions.js";
import { cli, model, onlyError, rng } from "../helpers.js";

const steps = (text: string) => allSteps(derive(model(text)));

describe("group actions", () => {
  it("every action law holds on the bundles example (frames, vectors, covectors, metrics, SO(2))", async () => {
    const d = derive(model(readFileSync("examples/bundles.rgnn", "utf8"), "examples/bundles.rgnn", "examples"));
    const ids = allSteps(d)
      .map((s) => s.id)
      .filter((i) => i.startsWith("action"));
    for (const law of ["identity", "composition", "invariance", "membership", "lie"]) expect(ids).toContain(`action1:${law}`);
    expect(ids).toContain("action4:metric");
    expect(ids).toContain("action5:membership");
    // the second-order network acts on its state space R^4: every law, the metric as composed action included
    for (const law of ["identity", "composition", "invariance", "membership"]) expect(ids).toContain(`action6:${law}`);
    expect(ids).toContain("action9:metric");
    expect(ids).not.toContain("action6:lie"); // no first-order steps there
    expect(failedSteps(d)).toEqual([]);
  });

  const WAVE = `
manifold I (x, y)
manifold State = R^4
network wave : I -> R^2 {
  second_order tanh with h = 0.5, W = [[0.5, -1.0], [1.0, 0.3]], b = [0.1, 0]
  second_order tanh with h = 0.5, W = [[-0.2, 0.8], [-0.9, 0.4]], b = [0, -0.1]
  second_order tanh with h = 0.5, W = [[0.3, 0.6], [-0.7, 0.2]], b = [0.05, 0]
}
principal bundle Frames over I with group GL(2)
associated bundle Metrics to Frames with fibre metrics
principal bundle StateFrames over State with group GL(4)
associated bundle StateMetrics to StateFrames with fibre metrics
`;

  it("second-order layers act on the state space: block Jacobians in GL+(4), not O(4); the metric law holds there", async () => {
    const ok = await cli(["verify", "-"], `${WAVE}action of wave layers 2 to 3 on StateMetrics\n`);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ok {4}action1:metric/);
    // det S = 1 (the block [[A, −I], [I, 0]]) but S is no rotation: a declared O(4) fails
    const o4 = await cli(
      ["verify", "-"],
      `${WAVE}action of wave layers 2 to 3 on StateFrames in GLplus(4)\naction of wave layers 2 to 3 on StateFrames in O(4)\n`,
    );
    expect(o4.code).toBe(1);
    expect(o4.out).toMatch(/ok {4}action1:membership/);
    expect(o4.out).toMatch(/FAIL {2}action2:membership/);
  });

  it("rejects actions of second-order layers on the base (dimension d) or through the starting step, where written", async () => {
    const base = onlyError(`${WAVE}action of wave layers 2 to 3 on Metrics\n`);
    expect(base.message).toBe(
      "layer 2 of 'wave' is second order: it acts on the state (x_1, …, x_0) of dimension 2 × 2 = 4, but 'Metrics' is over I (dimension 2)",
    );
    expect([base.line, base.col]).toEqual([13, 33]);
    expect(base.notes).toEqual(["declare the state space, e.g. 'manifold State = R^4', and a bundle over it"]);
    const start = onlyError(`${WAVE}action of wave on StateMetrics\n`);
    expect(start.message).toBe(
      "layer 1 of 'wave' starts its second order recurrence: it maps x_0 in R^2 to the state (x_1, …, x_0), so its Jacobian " +
        "is no element of a group",
    );
    expect([start.line, start.col]).toEqual([13, 11]);
    expect(start.notes).toEqual(["act on layers 2 to 3 (the interior steps, on the state space of dimension 4)"]);
  });

  it("the laws hold for random Jacobians and fibre elements, and order matters", async () => {
    const r = rng(99);
    for (const fibre of ["frames", "vectors", "covectors", "metrics"] as const) {
      const fa = FIBRE_ACTIONS[fibre];
      for (let trial = 0; trial < 20; trial++) {
        const A = randomFibre("frames", 3, r),
          B = randomFibre("frames", 3, r),
          f = randomFibre(fibre, 3, r);
        const two = actTwice(fa, A, B, f),
          once = fa.act(matmul(B, A), f),
          wrong = fa.act(matmul(A, B), f);
        two.flat().forEach((v, i) => {
          expect(v).toBeCloseTo(once.flat()[i], 10);
        });
        expect(Math.max(...two.flat().map((v, i) => Math.abs(v - wrong.flat()[i])))).toBeGreaterThan(1e-6);
        fa.act(identity(3), f)
          .flat()
          .forEach((v, i) => {
            expect(v).toBe(f.flat()[i]);
          });
      }
    }
  });

  it("declaring O(2) for a layer whose Jacobian is not orthogonal fails verification, clearly", async () => {
    const spec = `
manifold I (x, y)
network n : I -> R^2 {
  residual tanh with h = 0.5, W = [[0.8, -1.1], [0.6, 0.3]], b = [0.05, 0]
}
principal bundle F over I with group GL(2)
action of n on F in O(2)
`;
    const [bad] = failedSteps(derive(model(spec)));
    expect(bad.id).toBe("action1:membership");
    expect(bad.witness!.failure!.reason).toMatch(/^the Jacobian of layer 1 is not in O\(2\): it is not orthogonal: ‖AᵀA − I‖ = [\d.]+$/);
    const r = await cli(["verify", "-"], spec);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /FAIL {2}action1:membership +The Jacobians of layers 1–1 of n lie in O\(2\)\n +the Jacobian of layer 1 is not in O\(2\): it is not orthogonal: ‖AᵀA − I‖ = [\d.]+ at x=-?[\d.]+, y=-?[\d.]+/,
    );
  });

  it("documents show the metric as composed group actions and the ODE with its convergence table", async () => {
    const d = derive(model(readFileSync("examples/bundles.rgnn", "utf8"), "examples/bundles.rgnn", "examples"));
    expect(d.sections.map((s) => s.title)).toContain("Bundles and group actions");
    const metricStep = allSteps(d).find((s) => s.id === "action4:metric")!;
    const rhs = metricStep.equation!.rows[0].rhs;
    expect(rhs.kind === "label" && mathTex(rhs.math)).toBe("\\rho(J^{(1)}) \\cdots \\rho(J^{(2)})\\; g^{(2)}");
    const flow = steps(
      readFileSync("examples/deep-resnet.rgnn", "utf8").replace(
        '"deep-resnet.weights.json"',
        `"${process.cwd()}/examples/deep-resnet.weights.json"`,
      ),
    );
    const table = flow.find((s) => s.id === "deep:flow1")!;
    expect(mathTex(table.statement!)).toContain("\\begin{array}");
    expect(table.witness!.passed).toBe(true);
  });
});

describe("rgnn flow", () => {
  it("prints the convergence table with order about 1 for the deep residual example", async () => {
    const r = await cli(["flow", "examples/deep-resnet.rgnn"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n +1024 +0\.0009766 +[\d.e-]+ +[\d.e-]+ +1\.0\d\d +1\.0\d\d\n/);
    const order = Number(/fitted order ([\d.]+) \(state\)/.exec(r.out)![1]);
    expect(order).toBeGreaterThan(0.9);
    expect(order).toBeLessThan(1.1);
  });

  it("JSON output has the rows and the orders", async () => {
    const j = JSON.parse((await cli(["flow", "examples/second-order.rgnn", "--depths", "32,64,128,256", "-f", "json"])).out);
    expect(j).toMatchObject({ network: "wave", kind: "second_order", interpolation: "linear", expectedOrder: 2 });
    expect(j.rows).toHaveLength(4);
    expect(j.stateOrder).toBeGreaterThan(1.8);
  });

  it("says a dense network has no flow", async () => {
    const r = await cli(["flow", "-"], "manifold I (x, y)\nnetwork d : I { dense tanh with W = [[1, 0], [0, 1]], b = [0, 0] }\n");
    expect(r.code).toBe(1);
    expect(r.err).toContain("a dense network is a static map, with no ODE (flow) limit");
  });
});
