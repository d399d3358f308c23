// The JSON and Markdown views of a derivation, and the format table `rgnn derive` consults.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps } from "../../src/derive/model.js";
import { stepMath } from "../../src/render/formula.js";
import { DERIVATION_FORMATS, FORMAT_NAMES, formatOfPath } from "../../src/render/formats.js";
import { DERIVATION_SCHEMA, derivationJson } from "../../src/render/json.js";
import { markdownDocument } from "../../src/render/markdown.js";
import { mathTex } from "../../src/render/notation.js";
import { folder } from "../hostile/tools.js";
import { cli, model } from "../helpers.js";

const derivation = (name: string) => derive(model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples"));

describe("JSON view", () => {
  for (const name of ["polar", "paper-toy", "bundles"]) {
    it(`${name}: every step has the documented fields, and 'uses' names earlier steps`, () => {
      const doc = derivationJson(derivation(name));
      expect(doc.schema).toBe(DERIVATION_SCHEMA);
      expect(doc.file).toBe(`examples/${name}.rgnn`);
      const seen = new Set<string>();
      const steps = doc.sections.flatMap((s) => s.steps);
      steps.forEach((s, i) => {
        expect(Object.keys(s).sort()).toEqual(
          [
            "equation",
            "evidence",
            "general",
            "heading",
            "id",
            "identity",
            "justification",
            "number",
            "role",
            "statement",
            "title",
            "why",
            "witness",
          ].sort(),
        );
        expect(s.number).toBe(i + 1);
        expect(Object.keys(s.justification).sort()).toEqual(["kind", "span", "symbols", "uses"]);
        for (const u of s.justification.uses) expect(seen.has(u), `${s.id} uses ${u}`).toBe(true);
        seen.add(s.id);
        expect(typeof s.why.text).toBe("string");
        expect(s.why.text).not.toMatch(/\$/);
        if (s.witness) {
          expect(Object.keys(s.witness).sort()).toEqual(
            ["domain", "failure", "maxError", "passed", "points", "route", "routeKind", "sameExpression", "tolerance"].sort(),
          );
          expect(s.witness.passed).toBe(true);
          expect(s.witness.maxError).toBeLessThanOrEqual(s.witness.tolerance);
        }
        for (const row of s.equation?.rows ?? [])
          for (const side of [row.lhs, row.rhs]) expect(JSON.stringify(side.text).length).toBeGreaterThan(2);
      });
      expect(steps.some((s) => s.justification.uses.length > 0)).toBe(true);
    });
  }

  it("polar: the pulled-back metric's components are diag(1, r^2), in text and LaTeX", () => {
    const doc = derivationJson(derivation("polar"));
    const step = doc.sections.flatMap((s) => s.steps).find((s) => s.id === "g:pullback")!;
    const rhs = step.equation!.rows[0].rhs;
    expect(rhs.kind).toBe("matrix");
    expect(rhs.text).toEqual([
      ["1", "0"],
      ["0", "r^2"],
    ]);
    expect(rhs.latex).toEqual([
      ["1", "0"],
      ["0", "r^{2}"],
    ]);
    expect(step.equation!.rows[0].lhs).toEqual({ kind: "label", text: "g", latex: "g" });
    expect(step.justification).toMatchObject({ kind: "simplification", uses: ["g:jacobian"] });
    // the Jacobian of (r cos θ, r sin θ)
    const jac = doc.sections.flatMap((s) => s.steps).find((s) => s.id === "g:jacobian")!;
    expect(jac.equation!.rows[0].rhs.text).toEqual([
      ["cos(theta)", "-r*sin(theta)"],
      ["sin(theta)", "r*cos(theta)"],
    ]);
  });

  it("paper-toy: a pullback step names the Jacobian and the metric above it, and its symbols", () => {
    const steps = derivationJson(derivation("paper-toy")).sections.flatMap((s) => s.steps);
    const pb = steps.find((s) => s.id.endsWith(":pullback1"))!;
    expect(pb.justification.uses).toEqual([pb.id.replace("pullback1", "jacobian2"), pb.id.replace("pullback1", "pullback2")]);
    expect(pb.justification.symbols).toEqual(expect.arrayContaining(["J", "g"]));
    expect(pb.why.text).toContain("g^(1) = J^(2)T g^(2) J^(2)");
    expect(pb.general!.latex).toBe(
      "g_{a_{1} b_{1}} = \\frac{\\partial x^{a_{2}}}{\\partial x^{a_{1}}} \\frac{\\partial x^{b_{2}}}{\\partial x^{b_{1}}}\\, g_{a_{2} b_{2}}",
    );
  });
});

describe("Markdown view", () => {
  for (const name of ["polar", "paper-toy", "bundles"]) {
    it(`${name}: the same equations as the other views, each rendered by KaTeX`, () => {
      const d = derivation(name);
      const md = markdownDocument(d);
      const blocks = [...md.matchAll(/\$\$\n([\s\S]*?)\n\$\$/g)].map((m) => m[1]);
      const expected = allSteps(d).flatMap((s) => [s.general && mathTex(s.general), stepMath(s)].filter((x) => !!x));
      expect(blocks).toEqual(expected);
      for (const tex of blocks) expect(() => katex.renderToString(tex, { throwOnError: true, displayMode: true })).not.toThrow();
      const inline = [...md.replace(/\$\$\n[\s\S]*?\n\$\$/g, "").matchAll(/(?<!\\)\$([^$]+)(?<!\\)\$/g)].map((m) => m[1]);
      expect(inline.length).toBeGreaterThan(5);
      for (const tex of inline) expect(() => katex.renderToString(tex, { throwOnError: true })).not.toThrow();
      expect(md.split("\n").filter((l) => l.startsWith("### ")).length).toBe(allSteps(d).length);
    });
  }
});

describe("rgnn derive's format table", () => {
  it("knows each format by name and extension, case-insensitively", () => {
    for (const f of FORMAT_NAMES) for (const e of DERIVATION_FORMATS[f].extensions) expect(formatOfPath(`a/b${e.toUpperCase()}`)).toBe(f);
    expect(formatOfPath("out.pdf")).toBeNull();
  });

  it("writes each format from the -o name; an unknown extension or a directory is a clear usage error", async () => {
    const { dir } = folder("formats");
    const d = derivation("polar");
    for (const f of FORMAT_NAMES)
      for (const [k, e] of DERIVATION_FORMATS[f].extensions.entries()) {
        const file = join(dir, `d${k}${k % 2 ? e.toUpperCase() : e}`);
        const r = await cli(["derive", "examples/polar.rgnn", "-o", file]);
        expect(r.code, r.err).toBe(0);
        expect(readFileSync(file, "utf8"), `${f} from ${file}`).toBe(DERIVATION_FORMATS[f].render(d));
      }
    const bad = await cli(["derive", "examples/polar.rgnn", "-o", join(dir, "d.pdf")]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/cannot tell the format of .*d\.pdf.*tex \(\.tex\), html \(\.html, \.htm\), json \(\.json\), md \(\.md/);
    mkdirSync(join(dir, "sub.md"));
    const sub = await cli(["derive", "examples/polar.rgnn", "-o", join(dir, "sub.md")]);
    expect(sub.code).not.toBe(0);
    expect(sub.err).toMatch(/sub\.md is a directory: .*tex \(\.tex\)/);
  });
});
