// The form of a metric's derivation, chosen by what the output format can typeset (derive/form.ts, with the
// capacities of render/formats.ts): a wide MLP takes the matrix form where its components would not fit, a medium
// one the layered form, the paper's toy stays scalar; --form overrides.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AUTO_FORM, chooseForm, DERIVATION_FORMS, type FormChoice } from "../../src/derive/form.js";
import { derive } from "../../src/derive/index.js";
import { allSteps } from "../../src/derive/model.js";
import { DERIVATION_FORMATS, FORMAT_NAMES } from "../../src/render/formats.js";
import { latexDocument } from "../../src/render/latex-doc.js";
import type { Metric } from "../../src/semantics/model.js";
import { cli, model } from "../helpers.js";

const MLP32 = "test/derive/fixtures/mlp32";
const mlp32 = () => model(readFileSync(`${MLP32}/mlp.rgnn`, "utf8"), `${MLP32}/mlp.rgnn`, MLP32);
const example = (name: string) => model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples");

/** A 2→w→w→2 tanh MLP with weights written in the spec (seeded, so the numbers are fixed). */
function mlpSpec(w: number): string {
  let seed = 7;
  const r = () => {
    seed = (seed * 16807) % 2147483647;
    return Number(((seed / 2147483647) * 2 - 1).toFixed(3));
  };
  const mat = (n: number, m: number) => `[${Array.from({ length: n }, () => `[${Array.from({ length: m }, r).join(", ")}]`).join(", ")}]`;
  const vec = (n: number) => `[${Array.from({ length: n }, r).join(", ")}]`;
  return `manifold Input (x, y)
network mlp : Input -> R^2 {
  dense ${w} tanh with W = ${mat(w, 2)}, b = ${vec(w)}
  dense ${w} tanh with W = ${mat(w, w)}, b = ${vec(w)}
  dense 2 linear with W = ${mat(2, w)}, b = ${vec(2)}
}
metric g = pullback of euclidean along mlp
`;
}

const metricOf = (m: ReturnType<typeof model>): Metric => m.metrics.get("g")!;
const auto = (format: keyof typeof DERIVATION_FORMATS): FormChoice => ({ form: "auto", capacity: DERIVATION_FORMATS[format].capacity });

describe("the form follows the output format's capacity", () => {
  it("the 2→32→32→2 MLP takes the matrix form where it is typeset (its components are ~2.7·10⁵ lines)", () => {
    const g = metricOf(mlp32());
    for (const f of ["tex", "html", "md"] as const) expect(chooseForm(g, 0, auto(f)), f).toBe("matrix");
    // JSON is not typeset: the layered form's ~2.7·10³ lines (g through 3 components of 32² terms) fit its capacity
    expect(chooseForm(g, 0, auto("json"))).toBe("layered");
    expect(chooseForm(g, 0, AUTO_FORM)).toBe("layered");
  });

  it("paper-toy stays scalar in every format", () => {
    const m = example("paper-toy");
    for (const metric of m.metrics.values()) for (const f of FORMAT_NAMES) expect(chooseForm(metric, 0, auto(f)), f).toBe("scalar");
  });

  it("a 2→8→8→2 MLP is layered for pdflatex and KaTeX (the hidden pullback alone is 36 components of 64 terms)", () => {
    const g = metricOf(model(mlpSpec(8)));
    expect(chooseForm(g, 0, auto("tex"))).toBe("layered");
    expect(chooseForm(g, 0, auto("html"))).toBe("layered");
    expect(chooseForm(g, 0, auto("json"))).toBe("scalar");
    // a 4-wide one fits whole
    expect(chooseForm(metricOf(model(mlpSpec(4))), 0, auto("tex"))).toBe("scalar");
  });

  it("a forced form wins; matrix needs a network the engine serves", () => {
    const g = metricOf(model(mlpSpec(4)));
    for (const form of DERIVATION_FORMS) expect(chooseForm(g, 0, { form, capacity: AUTO_FORM.capacity })).toBe(form);
    const sphere = example("sphere");
    for (const metric of sphere.metrics.values()) expect(chooseForm(metric, 0, { ...AUTO_FORM, form: "matrix" })).toBe("scalar");
  });

  it("the size estimate counts the lines pdflatex is given, within a factor 2 (the scalar 4- and 6-wide MLPs)", () => {
    for (const w of [4, 6]) {
      const m = model(mlpSpec(w));
      const tex = latexDocument(derive(m, { form: { form: "scalar", capacity: AUTO_FORM.capacity } }));
      // rows of the aligned displays: what the capacity is measured in
      const rows = [...tex.matchAll(/\\begin\{align\*\}([\s\S]*?)\\end\{align\*\}/g)].reduce((s, a) => s + a[1].split("\\\\").length, 0);
      // the estimate's document lines: just above the largest capacity it fits is where scalar stops being chosen
      const fitsAt = (lines: number) => chooseForm(metricOf(m), 0, { form: "auto", capacity: { displayLines: 1e9, documentLines: lines } });
      let lo = 1,
        hi = 1e6;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (fitsAt(mid) === "scalar") hi = mid;
        else lo = mid + 1;
      }
      expect(lo / rows, `width ${w}: estimate ${lo}, rows ${rows}`).toBeGreaterThan(0.5);
      expect(lo / rows, `width ${w}: estimate ${lo}, rows ${rows}`).toBeLessThan(2);
    }
  });
});

describe("derive builds the chosen form", () => {
  it("layered: the hidden pullback is stated, not written out; the result keeps its components", () => {
    const d = derive(model(mlpSpec(8)), { form: auto("tex") });
    expect(d.sections[0].form).toBe("layered");
    const steps = new Map(allSteps(d).map((s) => [s.id, s]));
    expect(steps.get("g:pullback1")!.equation).toBeUndefined();
    expect(steps.get("g:pullback1")!.statement).toBeDefined();
    expect(steps.get("g:pullback0")!.equation).toBeDefined();
    expect(steps.has("g:explicit")).toBe(false);
    expect(allSteps(d).every((s) => !s.witness || s.witness.passed)).toBe(true);
  });

  it("rgnn derive --form matrix on paper-toy, --form scalar refused on a too wide network with the way out", async () => {
    const ok = await cli(["derive", "examples/paper-toy.rgnn", "--form", "matrix", "--format", "json"]);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).sections[0].steps.map((s: { id: string }) => s.id)).toContain("g:recursion");
    const bad = await cli(["derive", "examples/decoder.rgnn", "--form", "scalar", "--format", "json"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/too large to build in scalar form.*--form matrix/);
    const word = await cli(["derive", "examples/paper-toy.rgnn", "--form", "tensor"]);
    expect(word.code).toBe(2);
    expect(word.err).toContain("--form");
  });
});
