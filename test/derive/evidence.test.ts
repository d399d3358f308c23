// What a derivation's checks are worth: definitions and identities (re-checked: a check of the code) counted apart from
// the evidence, and the evidence split into closed forms against independent routes and statements checked only at
// sampled points. A failed check is never shown as passing, and internal names never reach the output.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps, type Derivation, evidenceOf, type Step, stepCounts } from "../../src/derive/model.js";
import { countsText } from "../../src/derive/report.js";
import { fdJacobian, fdJacobianScaled, last } from "../../src/derive/routes.js";
import { type Sampler, via, witness } from "../../src/derive/witness.js";
import { forwardNetwork } from "../../src/numeric/forward.js";
import { pointQuantity } from "../../src/numeric/route.js";
import { valueEnv } from "../../src/numeric/evaluate.js";
import type { Network } from "../../src/semantics/model.js";
import { verifyResult } from "../../src/api/derivation.js";
import { verifyTable } from "../../src/cli/commands/verify.js";
import { htmlDocument } from "../../src/render/html.js";
import { jsonDocument } from "../../src/render/json.js";
import { latexDocument } from "../../src/render/latex-doc.js";
import { markdownDocument } from "../../src/render/markdown.js";
import { cli, model } from "../helpers.js";

const spec = (path: string) => model(readFileSync(path, "utf8"), path, path.replace(/\/[^/]*$/, ""));
const ids = (d: Derivation, e: ReturnType<typeof evidenceOf>) =>
  allSteps(d)
    .filter((s) => evidenceOf(s) === e)
    .map((s) => s.id);

describe("the counts of paper-toy and bundles, counted by hand", () => {
  it("paper-toy: 31 steps = 8 definitions + 5 identities + 14 independent + 4 sampled", () => {
    const d = derive(spec("examples/paper-toy.rgnn"));
    // definitions: the two charts (g, g2), layers 1–5, the output metric; all but the charts re-evaluated
    expect(ids(d, "definition")).toEqual([
      "g:chart",
      "g:layer1",
      "g:layer2",
      "g:layer3",
      "g:layer4",
      "g:layer5",
      "g:output-metric",
      "g2:chart",
    ]);
    // identities: the Euler readings of the three residual layers are their definitions divided by h; a pullback's
    // g_ab and g_ba are one DAG node, so "g is symmetric" compares an expression with itself (g and g2)
    expect(ids(d, "identity")).toEqual(["g:euler2", "g:euler3", "g:euler4", "g:symmetric", "g2:symmetric"]);
    // independent: the five layer Jacobians and the six pullbacks (g at layers 4…0, g2 at 2) against forward mode,
    // both unrolled closed forms against finite differences, and the claim g = JᵀJ against the matrix engine
    expect(ids(d, "independent")).toEqual([
      "g:jacobian1",
      "g:jacobian2",
      "g:jacobian3",
      "g:jacobian4",
      "g:jacobian5",
      "g:pullback4",
      "g:pullback3",
      "g:pullback2",
      "g:pullback1",
      "g:pullback0",
      "g:closed-form",
      "g2:pullback2",
      "g2:closed-form",
      "claim3",
    ]);
    // sampled: eigenvalue predicates at the points — g ⪰ 0, g2 ⪰ 0, the claims "positive definite" and "rank 2"
    expect(ids(d, "sampled")).toEqual(["g:psd", "g2:psd", "claim4", "claim5"]);
    expect(stepCounts(d)).toEqual({
      steps: 31,
      definitions: 8,
      reEvaluated: 6,
      identities: 5,
      independent: 14,
      sampled: 4,
      evidence: 18,
      passed: 18,
      unchecked: 0,
      failed: 0,
    });
  });

  it("bundles: 64 steps = 13 definitions + 29 identities + 12 independent + 10 sampled", () => {
    const d = derive(spec("examples/bundles.rgnn"));
    const c = stepCounts(d);
    // definitions: g's chart, layers 1–2 of flow, the output metric (3 re-evaluated, the chart not), and the nine
    // actions' definitions (of flow on Frames, Vectors, Covectors, Metrics; rotate on Frames; wave on the four
    // state bundles)
    expect([c.definitions, c.reEvaluated]).toEqual([13, 3]);
    expect(ids(d, "definition").filter((id) => id.endsWith(":definition")).length).toBe(9);
    // identities, 29: the Euler readings of flow's two residual layers, g's symmetry, and the laws every group action
    // obeys whatever the Jacobians — the identity acts trivially (9 actions), composition (8: rotate is one map, so it
    // has no pair of layers), invariance of g(v, w) or of the pairing (9)
    const identities = ids(d, "identity");
    expect(identities.filter((id) => /^g:(euler\d|symmetric)$/.test(id))).toEqual(["g:euler1", "g:euler2", "g:symmetric"]);
    expect(identities.filter((id) => id.endsWith(":identity")).length).toBe(9);
    expect(identities.filter((id) => id.endsWith(":composition")).length).toBe(8);
    expect(identities.filter((id) => id.endsWith(":invariance")).length).toBe(9);
    expect(identities.length).toBe(29);
    // independent, 12: flow's two Jacobians, g at layers 1 and 0, the closed form (5); the metric as the composed action
    // against forward mode for flow and wave (2); the product of flow's Jacobians → J(T) against the integrator, for the
    // four actions of flow (4); the claim g = JᵀJ against the matrix engine (1)
    expect(ids(d, "independent")).toEqual([
      "g:jacobian1",
      "g:jacobian2",
      "g:pullback1",
      "g:pullback0",
      "g:closed-form",
      "action1:lie",
      "action2:lie",
      "action3:lie",
      "action4:metric",
      "action4:lie",
      "action9:metric",
      "claim2",
    ]);
    // sampled, 10: g ⪰ 0 and the nine group memberships (det > 0, orthogonality) tested at the points only
    expect(ids(d, "sampled")).toEqual(["g:psd", ...Array.from({ length: 9 }, (_, i) => `action${i + 1}:membership`)]);
    expect(c).toMatchObject({ steps: 64, identities: 29, independent: 12, sampled: 10, evidence: 22, passed: 22, failed: 0 });
  });
});

describe("a failed check is never shown as passing", () => {
  // a real witness run whose two routes disagree by 1e-3 at every point
  const sampler: Sampler = { coords: { names: ["x", "y"], lo: -1, hi: 1 }, params: [], fixed: new Map() };
  const failing = (id: string) =>
    witness(
      (env) => [env.get("x")! * env.get("y")!],
      (env) => [env.get("x")! * env.get("y")! + 1e-3],
      sampler,
      { points: 8, seed: 1, tolerance: 1e-9 },
      id,
      via("both sides", "a deliberately wrong route"),
    );
  const broken = ["g:layer1", "g:euler2", "g:jacobian1"]; // a definition, an identity, an independent check
  const base = derive(spec("examples/paper-toy.rgnn"));
  const d: Derivation = {
    ...base,
    sections: base.sections.map((sec) => ({
      ...sec,
      steps: sec.steps.map((s): Step => (broken.includes(s.id) ? { ...s, witness: failing(s.id) } : s)),
    })),
  };
  const byId = new Map(allSteps(d).map((s) => [s.id, s]));

  it("the witness itself failed", () => {
    for (const id of broken) expect(byId.get(id)!.witness!.passed, id).toBe(false);
  });

  it("counts and verify: each is FAIL, none ok, id or def; the summary says 3 FAILED", () => {
    const c = stepCounts(d);
    expect([c.failed, c.passed, c.evidence]).toEqual([3, 17, 18]);
    expect(countsText(d)).toMatch(/ 3 checks FAILED\.$/);
    expect(countsText(d)).not.toContain("Every check passed");
    const table = verifyTable(d);
    for (const id of broken) {
      expect(table).toMatch(new RegExp(`\\n {2}FAIL {2}${id} `));
      expect(table).not.toMatch(new RegExp(`\\n {2}(ok|id|def) +${id} `));
    }
    const v = verifyResult(d);
    expect(v.passed).toBe(false);
    for (const id of broken) expect(v.checks.find((x) => x.id === id)!.passed).toBe(false);
  });

  it("every document marks them failed and gives them no check mark", () => {
    const json = JSON.parse(jsonDocument(d));
    const steps = json.sections.flatMap((s: { steps: { id: string; witness: { passed: boolean } }[] }) => s.steps);
    for (const id of broken) expect(steps.find((s: { id: string }) => s.id === id).witness.passed).toBe(false);
    expect(json.counts.failed).toBe(3);
    const md = markdownDocument(d);
    const html = htmlDocument(d);
    const tex = latexDocument(d);
    for (const id of broken) {
      const n = allSteps(d).findIndex((s) => s.id === id) + 1;
      // the table row of the step says failed, never ✓ / re-evaluated / re-checked
      const mdRow = md.split("\n").find((l) => l.startsWith(`| ${n} |`))!;
      expect(mdRow).toMatch(/\| \*\*failed\*\* \|$/);
      const htmlRow = html.split("\n").find((l) => l.startsWith(`<tr><td class="num">${n}</td>`))!;
      expect(htmlRow).toContain("<strong>✗ failed</strong>");
      expect(htmlRow).not.toMatch(/✓|re-evaluated|re-checked/);
      const texRow = tex.split("\n").find((l) => l.startsWith(`${n} & `))!;
      expect(texRow).toContain("\\textbf{failed}");
      // the step's own text: the failure box, and no passing check line
      const mdStep = md.slice(md.indexOf(`<a id="${encodeURIComponent(id)}"></a>`)).split("\n### ")[0];
      expect(mdStep).toContain("**This step FAILED its numeric check**");
      expect(mdStep).not.toMatch(/^> [✓·]/m);
      const htmlStep = html.slice(html.indexOf(`id="${id}"`)).split("</article>")[0];
      expect(htmlStep).toContain("This step FAILED its numeric check");
      expect(htmlStep).toContain('<span class="badge">✗</span>');
    }
  });
});

describe("internal names never reach the output", () => {
  const examples = [
    ...readdirSync("examples")
      .filter((f) => f.endsWith(".rgnn"))
      .map((f) => `examples/${f}`),
    ...readdirSync("examples/paper-experiments")
      .filter((f) => f.endsWith(".rgnn"))
      .map((f) => `examples/paper-experiments/${f}`),
  ];
  it.each(examples)("%s: no '__' in verify's table and JSON, nor in the derivation's JSON, Markdown, LaTeX and HTML", (path) => {
    const d = derive(spec(path));
    const outputs = {
      verify: verifyTable(d),
      "verify json": JSON.stringify(verifyResult(d)),
      json: jsonDocument(d),
      markdown: markdownDocument(d),
      latex: latexDocument(d),
      html: htmlDocument(d).replace(/<style>[\s\S]*?<\/style>/g, ""), // KaTeX's stylesheet is not ours
    };
    for (const [name, text] of Object.entries(outputs)) expect(text.match(/.{0,60}__.{0,20}/)?.[0], `${path}: ${name}`).toBeUndefined();
  });

  it("bundles says what it drew besides the coordinates, in words", async () => {
    const v = await cli(["verify", "examples/bundles.rgnn"]);
    expect(v.out).toContain("x, y uniform in [-1, 1], random fibre elements drawn too (step seed");
    expect(v.out).not.toContain("__");
  });
});

describe("the unrolled closed form's finite differences on a trained network", () => {
  // residual10 trained on spirals: |W| up to ≈ 3 per layer over ten layers, so f⁽⁵⁾ is large
  const m = spec("test/derive/fixtures/residual10-spirals.rgnn");
  const net = m.mappings.get("resnet") as Network;
  const env = valueEnv(m);
  const F = (x: number[]) => last(forwardNetwork(net, x, env)).x;
  const exact = (x: number[]) => last(forwardNetwork(net, x, env)).J;
  const worst = (J: number[][], E: number[][]) => Math.max(...J.flat().map((v, k) => Math.abs(v - E.flat()[k]) / (1 + Math.abs(v))));
  // the point where the fixed step failed the witness (seed 1, `rgnn verify` before the step was chosen by scale)
  const p = [0.588442, -0.224056];

  it("a fixed step of 1e-3 is off by more than the witness's 1e-7; the chosen step is within 1e-9", () => {
    expect(worst(fdJacobian(F, p, 1e-3), exact(p))).toBeGreaterThan(1e-7);
    expect(worst(fdJacobianScaled(F, p), exact(p))).toBeLessThan(1e-9);
  });

  it("so the closed-form step passes, and its finite differences stay sharp", () => {
    const closed = allSteps(derive(m)).find((s) => s.id === "g:closed-form")!;
    expect(closed.witness!.passed).toBe(true);
    expect(closed.witness!.maxError).toBeLessThan(1e-9);
  });

  it("the chosen step still sees a wrong derivative: a Jacobian off by 1e-6 fails the comparison", () => {
    const J = exact(p).map((row) => row.map((v) => v + 1e-6 * (1 + Math.abs(v))));
    expect(worst(fdJacobianScaled(F, p), J)).toBeGreaterThan(1e-7);
  });
});

describe("a witness samples the symbols its routes read, not only those left in the closed form", () => {
  it("Gödel's Ricci tensor u ⊗ u / a² has no a in Ric_tt = 1, yet the finite differences of g need a value for a", () => {
    const ricci = allSteps(derive(spec("examples/godel.rgnn"))).find((s) => s.id === "g:ricci1")!;
    expect(ricci.witness!.passed, JSON.stringify(ricci.witness!.failure)).toBe(true);
    expect(ricci.witness!.domain!.params).toEqual(["a"]);
    expect(ricci.witness!.points).toBe(8);
  });
});

describe("Kerr's Kretschmann scalar against its known closed form", () => {
  // R_abcd R^abcd = 48 M² (r⁶ − 15 a² r⁴ c² + 15 a⁴ r² c⁴ − a⁶ c⁶) / Σ⁶, c = cos θ, Σ = r² + a² c² (Henry 2000)
  const closed = (M: number, a: number, r: number, th: number) => {
    const c = Math.cos(th),
      S = r * r + a * a * c * c;
    return (48 * M * M * (r ** 6 - 15 * a * a * r ** 4 * c * c + 15 * a ** 4 * r * r * c ** 4 - a ** 6 * c ** 6)) / S ** 6;
  };
  const kerr = spec("examples/kerr.rgnn");

  it("rgnn's value from the components matches it to 1e-10 relative, near the horizon and off the equator", () => {
    const g = kerr.metrics.get("g")!;
    for (const [M, a, r, th] of [
      [1, 0.7, 4, 1.1],
      [1, 0.99, 2.2, 0.4],
      [0.5, -0.3, 7, 2.6],
      [2, 1.5, 5, Math.PI / 2],
    ]) {
      const got = pointQuantity(
        g,
        "kretschmann",
        new Map([
          ["M", M],
          ["a", a],
        ]),
      ).at([0, r, th, 0.3])[0];
      const want = closed(M, a, r, th);
      expect(Math.abs(got - want) / Math.abs(want), `M=${M} a=${a} r=${r} θ=${th}`).toBeLessThan(1e-10);
    }
  });

  it("verify witnesses the example's claim against it by an independent route; a wrong coefficient fails", () => {
    const claim = (d: Derivation) => allSteps(d).find((s) => s.title.startsWith("Claim: kretschmann(g)"))!;
    const right = claim(derive(kerr));
    expect([right.witness!.passed, evidenceOf(right)]).toEqual([true, "independent"]);
    const text = readFileSync("examples/kerr.rgnn", "utf8").replace("+ 15*a^4*r^2", "+ 14*a^4*r^2");
    const wrong = claim(derive(model(text, "examples/kerr.rgnn", "examples")));
    expect(wrong.witness!.passed).toBe(false);
  });
});
