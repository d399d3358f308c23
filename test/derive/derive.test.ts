import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps, failedSteps } from "../../src/derive/model.js";
import { cli, model } from "../helpers.js";

const spec = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");
const WRONG = `manifold Polar (r, theta)
manifold Plane (x, y)
map polar : Polar -> Plane {
  x = r * cos(theta)
  y = r * sin(theta)
}
metric g = pullback along polar
check g equals [[1, 0], [0, r]]
`;

describe("derivations", () => {
  it("a network's derivation goes layer maps -> Euler steps -> Jacobians -> recursion -> closed form", async () => {
    const steps = allSteps(derive(spec("paper-toy")));
    const ids = steps.filter((s) => s.id.startsWith("g:")).map((s) => s.id.slice(2));
    expect(ids.slice(0, 4)).toEqual(["chart", "layer1", "jacobian1", "layer2"]);
    expect(ids).toContain("euler2");
    expect(ids).not.toContain("euler1"); // a dense layer is no Euler step
    expect(ids.indexOf("output-metric")).toBeLessThan(ids.indexOf("pullback4"));
    expect(ids.indexOf("pullback0")).toBeLessThan(ids.indexOf("closed-form"));
    expect(steps.find((s) => s.id === "g:euler2")!.justification).toBe("Euler step");
    expect(failedSteps(derive(spec("paper-toy")))).toEqual([]);
  });

  it("every step of every example is witnessed and holds", async () => {
    for (const name of ["polar", "sphere", "h2", "symbolic-resnet", "bundles"]) {
      const d = derive(spec(name));
      for (const s of allSteps(d)) if (s.witness) expect(s.witness.passed, `${name} ${s.id}`).toBe(true);
    }
  });

  it("is deterministic for a seed", async () => {
    const a = derive(spec("symbolic-resnet"), { seed: 7 }),
      b = derive(spec("symbolic-resnet"), { seed: 7 });
    expect(allSteps(a).map((s) => s.witness?.maxError)).toEqual(allSteps(b).map((s) => s.witness?.maxError));
  });

  it("a wrong claim fails, naming the point, the component and both values", async () => {
    const d = derive(model(WRONG));
    const [bad] = failedSteps(d);
    expect(bad.title).toBe("Claim: g equals [[1, 0], [0, r]]");
    expect(bad.witness!.failure!.component).toBe("[2][2]");
    const { r } = bad.witness!.failure!.point;
    expect(bad.witness!.failure!.lhs).toBeCloseTo(r * r, 12);
    expect(bad.witness!.failure!.rhs).toBeCloseTo(r, 12);
  });

  it("a claim at a point is checked at that point", async () => {
    const d = derive(model(WRONG.replace("check g equals [[1, 0], [0, r]]", "check g equals [[1, 0], [0, r]] at (1, 0.3)")));
    expect(failedSteps(d)).toEqual([]); // r = 1: r^2 = r there
  });

  it("an O(2)-style false property fails: a non-definite metric (a legitimate Lorentzian one, not positive definite)", async () => {
    const d = derive(model("manifold M (x, y)\nmetric g on M = [[1, 0], [0, -1]]\ncheck g is positive definite"));
    expect(failedSteps(d).map((s) => s.id)).toEqual(["claim1"]);
  });
});

describe("rgnn verify and rgnn derive", () => {
  it("verify passes on every example", async () => {
    for (const name of ["polar", "sphere", "h2", "torus", "paper-toy", "symbolic-resnet", "bundles", "deep-resnet", "second-order"]) {
      const r = await cli(["verify", `examples/${name}.rgnn`]);
      expect(r.code, `${name}\n${r.out}`).toBe(0);
      expect(r.out).toMatch(/ The evidence is \d+ steps?, checked numerically at sampled points: .*\. Every check passed\.\n$/);
    }
  });

  it("verify exits 1 on a wrong claim with a precise message", async () => {
    const r = await cli(["verify", "-"], WRONG);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /FAIL {2}claim1 +Claim: g equals \[\[1, 0\], \[0, r\]\] \(line 8\)\n +at r=-?[\d.]+, theta=-?[\d.]+: \[2\]\[2\] left [\d.e-]+ vs right -?[\d.e-]+ \(relative error/,
    );
    expect(r.out).toMatch(/ 1 check FAILED\.\n$/);
  });

  it("verify JSON is stable and complete", async () => {
    const j = JSON.parse((await cli(["verify", "examples/polar.rgnn", "--format", "json", "--points", "3", "--seed", "9"])).out);
    expect(j).toMatchObject({ file: "examples/polar.rgnn", passed: true, options: { points: 3, seed: 9, tolerance: 1e-9 } });
    expect(j.checks[0]).toMatchObject({ id: "g:map", justification: "definition", points: 3, passed: true });
  });

  it("derive refuses to present a failed step as true unless --allow-failures", async () => {
    const r = await cli(["derive", "-", "--format", "tex"], WRONG);
    expect(r.code).toBe(1);
    expect(r.out).toContain("\\overset{?}{=}");
    expect(r.out).toContain("This step FAILED its numeric check");
    expect(r.err).toContain("<stdin>:8:1: error: step 'Claim: g equals [[1, 0], [0, r]]' failed its check");
    expect((await cli(["derive", "-", "--format", "tex", "--allow-failures"], WRONG)).code).toBe(0);
  });

  it("rejects bad options as usage errors", async () => {
    expect((await cli(["verify", "examples/polar.rgnn", "--points", "0"])).code).toBe(2);
    expect((await cli(["derive", "examples/polar.rgnn", "-o", "out.pdf"])).code).toBe(2);
  });
});
