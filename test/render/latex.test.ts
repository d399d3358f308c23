import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps } from "../../src/derive/model.js";
import { stepMath } from "../../src/render/formula.js";
import { latexDocument } from "../../src/render/latex-doc.js";
import { mathTex } from "../../src/render/notation.js";
import { model } from "../helpers.js";
import { EXAMPLES, requireTool } from "./tools.js";

const derivation = (name: string) => derive(model(readFileSync(`examples/${name}.rgnn`, "utf8"), `examples/${name}.rgnn`, "examples"));

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
