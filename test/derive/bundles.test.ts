import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps, failedSteps } from "../../src/derive/model.js";
import { mathTex } from "../../src/render/notation.js";
import { actTwice, expm, FIBRE_ACTIONS, identity, matmul, randomFibre } from "../../src/numeric/actions.js";
import { cli, model, rng } from "../helpers.js";

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
    expect(failedSteps(d)).toEqual([]);
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

  it("the matrix exponential is exact on a rotation generator", async () => {
    const E = expm([
      [0, -0.7],
      [0.7, 0],
    ]);
    expect(E[0][0]).toBeCloseTo(Math.cos(0.7), 14);
    expect(E[1][0]).toBeCloseTo(Math.sin(0.7), 14);
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
