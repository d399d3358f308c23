// User text in every view of a derivation: a spec's path is printed as given and escaped, so a
// hostile file name can neither run TeX (write files, read /etc/hostname) nor break KaTeX, HTML,
// Markdown or JSON.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import katex from "katex";
import { describe, expect, it } from "vitest";
import { escapeHtml, escapeMarkdown, escapeTex } from "../../src/render/notation.js";
import { requireTool } from "../render/tools.js";
import { child, folder } from "./tools.js";

const SPEC = `manifold Polar (r, theta)
manifold Plane (x, y)
map polar : Polar -> Plane {
  x = r * cos(theta)
  y = r * sin(theta)
}
metric g = pullback of euclidean along polar
check g is symmetric
`;

const HOSTILE = [
  "x$\\immediate\\openout5=pwned.txt \\immediate\\write5{owned}\\immediate\\closeout5$.rgnn",
  "$\\input{/etc/hostname}$.rgnn",
  "$\\frac$.rgnn",
  "a&b#c%d_e^f~g{h}<i>\"j'`k*[l](m)|n!.rgnn",
];
/** Control sequences the hostile names carry: none may appear in the output unescaped. */
const INJECTED = /\\(immediate|openout|write5|closeout|input\{)/;

const { dir } = folder("escaping");
/** Write the spec under `name` (relative to dir, its folders created) and derive it to `out`. */
function derived(name: string, out: string) {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), SPEC);
  const r = child(["derive", name, "-o", out], { cwd: dir });
  expect(r.code, r.err).toBe(0);
  return readFileSync(join(dir, out), "utf8");
}

describe("a hostile spec path is escaped in every format", () => {
  HOSTILE.forEach((name, k) => {
    it(`.tex: ${name}`, () => {
      const tex = derived(name, `h${k}.tex`);
      expect(tex).toContain(`What ${escapeTex(name)} asks to check.`);
      expect(tex.replaceAll("\\textbackslash{}", "")).not.toMatch(INJECTED);
      expect(tex).not.toContain(dir); // the path as typed (relative), never made absolute
    });

    it(`.html: ${name}`, () => {
      const html = derived(name, `h${k}.html`);
      expect(html).toContain(`What ${escapeHtml(name)} asks to check.`);
      expect(html).not.toContain("katex-error");
      expect(html).not.toMatch(/<i>|<script/);
      // every formula KaTeX rendered carries its source: each renders again with throwOnError
      const sources = [...html.matchAll(/<annotation encoding="application\/x-tex">([^<]*)<\/annotation>/g)].map((m) =>
        m[1]
          .replace(/&lt;/g, "<")
          .replace(/&gt;/g, ">")
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, "&"),
      );
      expect(sources.length).toBeGreaterThan(10);
      for (const s of sources) expect(() => katex.renderToString(s, { throwOnError: true })).not.toThrow();
    });

    it(`.md: ${name}`, () => {
      const md = derived(name, `h${k}.md`);
      expect(md).toContain(`What ${escapeMarkdown(name)} asks to check.`);
      expect(md).toContain(`# Derivations for ${escapeMarkdown(name.replace(/^.*\//, ""))}`);
      expect(md.replaceAll("\\\\", "")).not.toMatch(INJECTED);
    });

    it(`.json round-trips: ${name}`, () => {
      const text = derived(name, `h${k}.json`);
      const doc = JSON.parse(text);
      expect(doc.file).toBe(name);
      expect(`${JSON.stringify(doc, null, 2)}\n`).toBe(text);
      const claims = doc.sections.find((s: { title: string }) => s.title === "Claims");
      expect(claims.intro.parts).toEqual([
        { kind: "text", text: "What " },
        { kind: "name", name },
        { kind: "text", text: " asks to check." },
      ]);
      expect(claims.intro.text).toBe(`What ${name} asks to check.`);
    });
  });

  const hasTex = requireTool("pdflatex");
  it.skipIf(!hasTex)("pdflatex writes no extra file and reads no /etc/hostname for any hostile name", () => {
    HOSTILE.forEach((name, k) => {
      const run = join(dir, `pdf${k}`);
      mkdirSync(run);
      writeFileSync(join(run, "doc.tex"), derived(name, `p${k}.tex`));
      execFileSync("pdflatex", ["-interaction=nonstopmode", "-halt-on-error", "doc.tex"], { cwd: run, stdio: "pipe" });
      expect(readdirSync(run).sort()).toEqual(["doc.aux", "doc.log", "doc.pdf", "doc.tex"]);
      expect(existsSync(join(dir, "pwned.txt"))).toBe(false);
      const log = readFileSync(join(run, "doc.log"), "latin1");
      expect(log).not.toMatch(/\(\/etc\/hostname/); // TeX logs every file it opens as "(path"
      if (existsSync("/etc/hostname")) {
        const host = readFileSync("/etc/hostname", "utf8").trim();
        if (host.length > 3) expect(readFileSync(join(run, "doc.pdf"), "latin1")).not.toContain(host);
      }
    });
  });
});
