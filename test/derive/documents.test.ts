// What a derivation document claims about itself: definitions counted apart from witnessed steps, each witness's
// route and domain, repeated layers folded, a second metric along the same network referring to the first.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive, documentPath } from "../../src/derive/index.js";
import { allSteps, roleOf, routeOf, stepCounts } from "../../src/derive/model.js";
import { countsText, failureText } from "../../src/derive/report.js";
import { stepSeed } from "../../src/derive/witness.js";
import { fold, runSteps } from "../../src/derive/network.js";

const FAIL = { point: { x: 0.1 }, component: "[1][2]", lhs: 1, rhs: 2 };
import { latexDocument } from "../../src/render/latex-doc.js";
import { markdownDocument } from "../../src/render/markdown.js";
import { mathText, proseText } from "../../src/core/notation.js";
import { cli, model } from "../helpers.js";

const spec = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");

describe("definitions and witnessed steps", () => {
  const d = derive(spec("paper-toy"));
  const steps = allSteps(d);

  it("a layer map and the output metric are definitions, re-evaluated by the forward pass; nothing witnessed uses that route", () => {
    for (const s of steps.filter((s) => /:(layer\d+|output-metric|chart)$/.test(s.id))) expect(roleOf(s), s.id).toBe("definition");
    for (const s of steps.filter((s) => roleOf(s) === "definition" && s.witness)) expect(routeOf(s.witness!), s.id).toBe("forward pass");
    // a witnessed step of a metric is compared with something other than its own definition
    for (const s of steps.filter((s) => roleOf(s) === "witnessed" && /^g2?:/.test(s.id) && s.witness))
      expect(routeOf(s.witness!), s.id).not.toBe("forward pass");
    const jac = steps.find((s) => s.id === "g:jacobian2")!;
    expect([roleOf(jac), routeOf(jac.witness!)]).toEqual(["witnessed", "forward mode"]);
    expect(routeOf(steps.find((s) => s.id === "g:closed-form")!.witness!)).toBe("finite differences");
  });

  it("the count adds up, and every format and verify state it", async () => {
    const c = stepCounts(d);
    // every step is counted once by what its check is worth
    expect(c.definitions + c.identities + c.independent + c.sampled + c.unchecked).toBe(steps.length);
    expect(c.definitions).toBe(steps.filter((s) => roleOf(s) === "definition").length);
    expect(c.reEvaluated).toBe(6); // layers 1–5 and the output metric; the two charts have no witness
    const text = countsText(d);
    expect(text).toBe(
      `Of the ${steps.length} steps, 8 are definitions (6 re-evaluated by a second implementation: a check of the code, not ` +
        "evidence) and 5 are identities (true whatever the values: checked, not evidence). The evidence is 18 steps, checked " +
        "numerically at sampled points: 14 against independent routes and 4 tested at the sampled points only. Every check passed.",
    );
    expect(markdownDocument(d)).toContain(text.replace(/[()]/g, (x) => `\\${x}`));
    expect(latexDocument(d)).toContain(text);
    const v = await cli(["verify", "examples/paper-toy.rgnn"]);
    expect(v.out).toContain(text);
    expect(v.out).toMatch(/\n {2}def {3}g:layer1 /);
    expect(v.out).toMatch(/\n {2}ok {4}g:jacobian1 /);
    expect(v.out).toMatch(/\n {2}id {4}g:euler2 /);
    const j = JSON.parse((await cli(["verify", "examples/paper-toy.rgnn", "--format", "json"])).out);
    expect(j.counts).toEqual(c);
    expect(j.checks.find((x: { id: string }) => x.id === "g:layer1")).toMatchObject({ role: "definition", route: "forward pass" });
    expect(j.checks.find((x: { id: string }) => x.id === "g:euler2")).toMatchObject({ role: "witnessed", evidence: "identity" });
  });

  it("a witness says where its points came from: the step's seed, the box, the free parameters", () => {
    const w = steps.find((s) => s.id === "g:jacobian2")!.witness!;
    expect(w.domain).toEqual({ kind: "random", seed: stepSeed(1, "g:jacobian2"), box: { coords: ["x", "y"], lo: -1, hi: 1 } });
    const sym = allSteps(derive(spec("symbolic-resnet"))).find((s) => s.witness?.domain?.params)!;
    expect(sym.witness!.domain!.params!.length).toBeGreaterThan(0);
    const at = allSteps(
      derive(model("manifold M (x, y)\nmetric g on M = [[1, 0], [0, x^2]]\ncheck g equals [[1, 0], [0, x*x]] at (2, 1)")),
    );
    expect(at.find((s) => s.id === "claim1")!.witness!.domain).toEqual({ kind: "point", at: { x: 2, y: 1 } });
  });
});

describe("deep-resnet: the 64 layers of a repeat block folded", () => {
  const d = derive(spec("deep-resnet"));
  const steps = allSteps(d);

  it("one step per kind for l = 1…64, witnessed at every layer", () => {
    const ids = steps.map((s) => s.id);
    expect(ids.slice(0, 7)).toEqual([
      "g:chart",
      "g:layers1-64",
      "g:eulers1-64",
      "g:jacobians1-64",
      "g:output-metric",
      "g:pullbacks63-1",
      "g:pullback0",
    ]);
    expect(steps.length).toBeLessThan(20);
    const jac = steps.find((s) => s.id === "g:jacobians1-64")!;
    expect(jac.witness!.points).toBe(64 * d.options.points);
    expect(jac.witness!.domain!.instances).toBe("at each of the 64 layers, each with its own step seed");
    expect(steps.find((s) => s.id === "g:pullbacks63-1")!.witness!.points).toBe(63 * d.options.points);
    expect(steps.find((s) => s.id === "g:layers1-64")!.title).toBe("Layers 1–64 (residual tanh)");
    expect(steps.find((s) => s.id === "g:eulers1-64")!.title).toBe("Layers 1–64 are forward-Euler steps");
  });

  it("a folded step fails when one layer's check fails, naming that layer, and keeps the largest error", () => {
    const group = steps.filter((s) => /^g:(chart|output-metric)$/.test(s.id) === false && s.witness).slice(0, 3);
    const bad = { ...group[1], witness: { ...group[1].witness!, passed: false, maxError: 0.5, failure: { ...FAIL } } };
    const f = fold([group[0], bad, group[2]], { id: "x", title: "x", justification: "chain rule", why: [] });
    expect(f.witness!.passed).toBe(false);
    expect(f.witness!.maxError).toBe(0.5);
    expect(f.witness!.points).toBe(group.reduce((a, s) => a + s.witness!.points, 0));
    expect(f.witness!.failure!.component).toBe(`${group[1].title}: [1][2]`);
    expect(fold(group, { id: "y", title: "y", justification: "chain rule", why: [] }).witness!.passed).toBe(true);
  });

  it("a failure at a point of hundreds of sampled parameters lists the first twelve and counts the rest", () => {
    const s = steps.find((st) => st.witness)!;
    const point = Object.fromEntries([["x", 0.5], ...Array.from({ length: 390 }, (_, i) => [`W${i}`, i / 8])]);
    const text = failureText({ ...s, witness: { ...s.witness!, passed: false, failure: { ...FAIL, point } } });
    expect(text).toMatch(/^at x=0\.5, W0=0, W1=0\.125, .*W10=1\.25, … \(379 more values in the derivation's JSON\): \[1\]\[2\] left 1 /);
    expect(text.length).toBeLessThan(300);
    expect(failureText({ ...s, witness: { ...s.witness!, passed: false, failure: { ...FAIL } } })).toMatch(/^at x=0\.1: \[1\]\[2\]/);
  });

  it("runSteps keeps a lone layer's own steps and gives a folded run one step per kind it has", () => {
    const witnessed = steps.filter((s) => s.witness).slice(0, 4);
    // layer 1 alone (no second kind of step), layers 2–3 folded; position 1 is a kind these layers lack
    const perLayer = new Map([
      [1, [witnessed[0], undefined, witnessed[1]]],
      [2, [witnessed[2], undefined, witnessed[3]]],
      [3, [witnessed[3], undefined, witnessed[2]]],
    ]);
    const head = (id: string) => ({ id, title: id, justification: "definition" as const, why: [] });
    const out = runSteps(
      [
        { a: 1, b: 1 },
        { a: 2, b: 3 },
      ],
      perLayer,
      () => [head("maps"), undefined, head("jacobians")],
    );
    expect(out.map((s) => s.id)).toEqual([witnessed[0].id, witnessed[1].id, "maps", "jacobians"]);
    expect(out[2].witness!.points).toBe(witnessed[2].witness!.points + witnessed[3].witness!.points);
  });
});

describe("paper-toy", () => {
  const steps = allSteps(derive(spec("paper-toy")));

  it("g2 refers to the layers g derived instead of repeating them", () => {
    const g2 = steps.filter((s) => s.id.startsWith("g2:")).map((s) => s.id);
    expect(g2).toEqual(
      ["g2:chart", "g2:pullback2", "g2:closed-form", "g2:explicit", "g2:symmetric", "g2:psd"].filter((id) =>
        steps.some((s) => s.id === id),
      ),
    );
    expect(g2.some((id) => /layer|jacobian|euler|output/.test(id))).toBe(false);
    const result = steps.find((s) => s.id === "g2:pullback2")!;
    expect(result.uses).toEqual(["g:pullback2"]);
    expect(result.why.some((p) => p.kind === "ref" && p.step === "g:layer3")).toBe(true);
  });

  it("the unrolled closed form is shown in matrix form with the named layer Jacobians", () => {
    const cf = steps.find((s) => s.id === "g:closed-form")!;
    const rhs = cf.equation!.rows[0].rhs;
    expect(rhs.kind).toBe("label");
    expect(mathText((rhs as { math: Parameters<typeof mathText>[0] }).math)).toBe("J^(1)T J^(2)T ... J^(5)T g^(5) J^(5) ... J^(2) J^(1)");
    expect(cf.uses).toEqual(["g:pullback0", "g:jacobian1", "g:jacobian2", "g:jacobian3", "g:jacobian4", "g:jacobian5"]);
    const g2 = steps.find((s) => s.id === "g2:closed-form")!;
    expect(mathText((g2.equation!.rows[0].rhs as { math: Parameters<typeof mathText>[0] }).math)).toBe(
      "J^(3)T J^(4)T J^(5)T g^(5) J^(5) J^(4) J^(3)",
    );
  });

  it("claims typeset their formulas in the heading, and 'g_ab' is math", () => {
    const claim = steps.find((s) => s.id === "claim3")!;
    expect(claim.heading!.filter((p) => p.kind === "math").length).toBe(2);
    expect(proseText(claim.heading!)).toBe("Claim: g equals J_toy^T J_toy");
    const tex = latexDocument(derive(spec("paper-toy")));
    expect(tex).not.toContain("\\^{}");
    expect(tex).not.toContain("g\\_ab");
    expect(tex).toContain("``backpropagating the coordinates''");
    expect(tex).not.toMatch(/"/);
  });
});

describe("documentPath", () => {
  it("prints a relative path as given, an absolute one relative to the working directory or by its name", () => {
    expect(documentPath("examples/a.rgnn", "/home/u/rgnn")).toBe("examples/a.rgnn");
    expect(documentPath("/home/u/rgnn/examples/a.rgnn", "/home/u/rgnn")).toBe("examples/a.rgnn");
    expect(documentPath("/srv/specs/a.rgnn", "/home/u/rgnn")).toBe("a.rgnn");
    expect(documentPath("<stdin>", "/x")).toBe("<stdin>");
  });

  it("rgnn derive given an absolute path prints no absolute path", async () => {
    const r = await cli(["derive", `${process.cwd()}/examples/paper-toy.rgnn`, "--format", "md"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("What examples/paper-toy.rgnn asks to check.");
    expect(r.out).not.toContain(process.cwd());
  });
});

describe("deep networks whose layers read earlier states", () => {
  // Written through the total Jacobian, the 64-layer second-order net's g printed past JavaScript's longest string
  // (the derive command died with an internal error); widths alone do not bound it, so its size is measured.
  for (const name of ["second-order", "third-order"])
    it(`derives ${name} in matrix form, every witness passing, in a document of bounded size`, () => {
      const d = derive(spec(name));
      const steps = allSteps(d);
      expect(steps.some((s) => s.id === "g:recursion" || /recursion/i.test(s.title))).toBe(true);
      expect(steps.filter((s) => s.witness && !s.witness.passed)).toEqual([]);
      expect(markdownDocument(d).length).toBeLessThan(200_000);
    });
});
