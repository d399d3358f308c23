import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps } from "../../src/derive/model.js";
import { stepMath } from "../../src/render/formula.js";
import { DERIVATION_FORMATS } from "../../src/render/formats.js";
import { htmlDocument } from "../../src/render/html.js";
import { latexDocument } from "../../src/render/latex-doc.js";
import { mathTex } from "../../src/render/notation.js";
import { model } from "../helpers.js";
import { EXAMPLES, requireTool } from "./tools.js";

const derivation = (name: string, format: "tex" | "html" = "tex") =>
  derive(model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples"), {
    form: { form: "auto", capacity: DERIVATION_FORMATS[format].capacity },
  });

describe("LaTeX output", () => {
  for (const name of ["polar", "h2"]) {
    it(`matches the golden document for ${name}`, async () => {
      await expect(latexDocument(derivation(name))).toMatchFileSnapshot(`golden/${name}.tex`);
    });
  }

  it("KaTeX renders every generated formula (throwOnError)", () => {
    let formulas = 0;
    for (const name of EXAMPLES) {
      for (const step of allSteps(derivation(name))) {
        const inline = step.why.flatMap((p) => (p.kind === "math" ? [mathTex(p.math)] : []));
        const heading = (step.heading ?? []).flatMap((p) => (p.kind === "math" ? [mathTex(p.math)] : []));
        const pieces = [stepMath(step), step.general && mathTex(step.general), ...inline, ...heading];
        for (const tex of pieces) {
          if (!tex) continue;
          expect(
            () => katex.renderToString(tex, { throwOnError: true, displayMode: true }),
            `${name} ${step.id}: ${tex.slice(0, 80)}`,
          ).not.toThrow();
          formulas++;
        }
      }
    }
    expect(formulas).toBeGreaterThan(300);
  });

  const hasPdflatex = requireTool("pdflatex");
  it.runIf(hasPdflatex)("every example's document compiles with pdflatex, without overfull boxes", () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-tex-"));
    for (const name of EXAMPLES) {
      writeFileSync(join(dir, `${name}.tex`), latexDocument(derivation(name)));
      try {
        execFileSync("pdflatex", ["-interaction=nonstopmode", "-halt-on-error", `${name}.tex`], { cwd: dir, stdio: "pipe" });
      } catch {
        const log = readFileSync(join(dir, `${name}.log`), "utf8");
        throw new Error(
          `pdflatex failed on ${name}:\n${log
            .split("\n")
            .filter((l) => l.startsWith("!"))
            .join("\n")}`,
        );
      }
      const log = readFileSync(join(dir, `${name}.log`), "utf8");
      expect(log.match(/Overfull \\hbox/g)?.length ?? 0, `${name}: overfull boxes`).toBeLessThanOrEqual(2);
      expect(log).toMatch(/Output written on .*\.pdf/);
      // one run is enough: nothing (longtable's column widths, references) asks for a second
      expect(log, `${name}: rerun warning`).not.toMatch(/Rerun|rerun/);
    }
  });
});

/** pdflatex on a document: its page count, overfull boxes and error lines. */
function compile(dir: string, name: string, tex: string) {
  writeFileSync(join(dir, `${name}.tex`), tex);
  try {
    execFileSync("pdflatex", ["-interaction=nonstopmode", "-halt-on-error", `${name}.tex`], { cwd: dir, stdio: "pipe" });
  } catch {}
  const log = readFileSync(join(dir, `${name}.log`), "utf8");
  return {
    pages: Number(/Output written on .*\((\d+) pages?/.exec(log)?.[1] ?? Number.NaN),
    overfull: log.match(/Overfull \\hbox/g)?.length ?? 0,
    errors: log.split("\n").filter((l) => l.startsWith("!")),
  };
}

describe("every shipped example and a 2→32→32→2 MLP typeset in the form their format holds", () => {
  const MLP32 = "test/derive/fixtures/mlp32";
  const wide = () =>
    derive(model(readFileSync(`${MLP32}/mlp.rgnn`, "utf8"), `${MLP32}/mlp.rgnn`, MLP32), {
      form: { form: "auto", capacity: DERIVATION_FORMATS.tex.capacity },
    });
  const all = readdirSync("examples")
    .filter((f) => f.endsWith(".rgnn"))
    .map((f) => f.slice(0, -".rgnn".length));

  it.runIf(requireTool("pdflatex"))("each .tex compiles with pdflatex into at most 30 pages", () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-pages-"));
    const mlp = compile(dir, "mlp32", latexDocument(wide()));
    expect(mlp.errors).toEqual([]);
    expect(mlp.pages).toBeLessThanOrEqual(30);
    expect(mlp.overfull).toBe(0);
    for (const name of all) {
      const r = compile(dir, name, latexDocument(derivation(name)));
      expect(r.errors, name).toEqual([]);
      expect(r.pages, name).toBeLessThanOrEqual(30);
    }
    // the wide and deep ones in matrix form: nothing runs off the page
    for (const name of ["decoder", "second-order", "third-order"])
      expect(compile(dir, name, latexDocument(derivation(name))).overfull, name).toBe(0);
  });

  it("each HTML page renders every formula with KaTeX (throwOnError: a formula past maxExpand would throw)", () => {
    const d = derive(model(readFileSync(`${MLP32}/mlp.rgnn`, "utf8"), `${MLP32}/mlp.rgnn`, MLP32), {
      form: { form: "auto", capacity: DERIVATION_FORMATS.html.capacity },
    });
    expect(htmlDocument(d)).not.toContain("katex-error");
    for (const name of all) expect(htmlDocument(derivation(name, "html")), name).not.toContain("katex-error");
  });
});
