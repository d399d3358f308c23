// A derivation as one self-contained HTML page: formulas rendered server-side by KaTeX, its
// stylesheet and woff2 fonts inlined, so the page needs no network.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import katex from "katex";
import type { Prose } from "../core/notation.js";
import type { Derivation, Step } from "../derive/model.js";
import { allSteps, evidenceOf } from "../derive/model.js";
import { checkText, failureText, introText, resultWord, routeName } from "../derive/report.js";
import { short, stepMath } from "./formula.js";
import { escapeHtml, mathTex, proseHtml } from "./notation.js";

const esc = escapeHtml;

export const KATEX_OPTIONS = { throwOnError: true, strict: "ignore" as const, trust: false };

export function renderMath(tex: string, display: boolean): string {
  return katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display });
}

/** Prose with its math rendered inline. */
const prose = (p: Prose) => proseHtml(p, (tex) => renderMath(tex, false));

let cssCache: string | null = null;
/** katex.min.css with every font as an inline woff2 data URL (other formats dropped). */
export function inlinedKatexCss(): string {
  if (cssCache) return cssCache;
  const require = createRequire(import.meta.url);
  const cssPath = require.resolve("katex/dist/katex.min.css");
  const fontDir = join(dirname(cssPath), "fonts");
  cssCache = readFileSync(cssPath, "utf8")
    .replace(/,\s*url\(fonts\/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)/g, "")
    .replace(
      /url\(fonts\/([^)]+\.woff2)\)/g,
      (_, f: string) => `url(data:font/woff2;base64,${readFileSync(join(fontDir, f)).toString("base64")})`,
    );
  return cssCache;
}

const PAGE_CSS = `
:root { --bg: #fff; --ok: #1a7f37; --bad: #cf222e; --def: #8c959f; --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.3rem; }
.meta { color: var(--muted); }
.step { --bg: #fff; border: 1px solid var(--rule); border-left: 4px solid var(--ok); border-radius: 6px; padding: 0.7rem 1rem;
  margin: 1rem 0; background: var(--bg); }
.step.definition { border-left-color: var(--def); }
.step.failed { --bg: #fff5f5; border-left-color: var(--bad); }
.step h3 { font-size: 1.05rem; margin: 0 0 0.3rem; display: flex; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; }
.badge { font-weight: 700; color: var(--ok); }
.definition .badge { color: var(--muted); }
.role { font-size: 0.8rem; font-weight: 600; border: 1px solid currentColor; border-radius: 3px; padding: 0 0.3rem; color: var(--ok); }
.definition .role { color: var(--muted); }
.failed .badge { color: var(--bad); }
.kind { margin-left: auto; font-size: 0.85rem; font-weight: 400; font-style: italic; color: var(--muted); }
/* a formula wider than its box scrolls, and says so: a visible scrollbar and a shadow at the hidden edge */
.formula { overflow-y: hidden; padding: 0.2rem 0; }
.formula, .table-wrap { overflow-x: auto; scrollbar-width: thin; scrollbar-color: #8c959f transparent;
  background: linear-gradient(to right, var(--bg) 30%, transparent) left / 2rem 100% no-repeat local,
    linear-gradient(to left, var(--bg) 30%, transparent) right / 2rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.25), transparent) left / 0.8rem 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.25), transparent) right / 0.8rem 100% no-repeat scroll; }
.formula > .katex-display { margin: 0.5em 0; }
.label { font-size: 0.85rem; color: var(--muted); margin: 0.4rem 0 0; }
.witness { font-size: 0.88rem; color: var(--muted); margin: 0.3rem 0 0; }
.failed .witness { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
@media (max-width: 40rem) { body { font-size: 15px; } main { padding: 0.5rem 0.75rem 3rem; } .kind { margin-left: 0; } }
`;

function stepHtml(step: Step, n: number): string {
  const w = step.witness;
  const failed = !!w && !w.passed;
  const evidence = evidenceOf(step),
    definition = evidence === "definition",
    plain = definition || evidence === "identity";
  const math = stepMath(step);
  const parts = [
    `<h3><span class="badge">${failed ? "✗" : plain ? "·" : "✓"}</span> ${n}. ` +
      `${step.heading ? prose(step.heading) : esc(step.title)} <span class="role">${evidence}</span> ` +
      `${step.justification === evidence ? "" : `<span class="kind">${esc(step.justification)}</span>`}</h3>`,
    `<p>${prose(step.why)}</p>`,
  ];
  if (step.general)
    parts.push(`<p class="label">In index notation:</p>\n<div class="formula general">${renderMath(mathTex(step.general), true)}</div>`);
  if (math) parts.push(`<div class="formula">${renderMath(math, true)}</div>`);
  if (w) {
    parts.push(
      failed
        ? `<p class="witness">This step FAILED its numeric check and is not claimed to hold: ${esc(failureText(step))}.</p>`
        : `<p class="witness">${esc(checkText(step))}</p>`,
    );
  }
  const classes = `step${definition ? " definition" : ""}${failed ? " failed" : ""}`;
  return `<article class="${classes}" id="${esc(step.id)}">\n${parts.join("\n")}\n</article>`;
}

const RESULT_HTML = {
  "—": "—",
  failed: "<strong>✗ failed</strong>",
  "re-evaluated": "re-evaluated",
  "re-checked": "re-checked",
  passed: "✓",
} as const;

export function htmlDocument(d: Derivation): string {
  let n = 0;
  const numbers = new Map<Step, number>();
  const sections = d.sections
    .map(
      (s) =>
        `<section>\n<h2>${esc(s.title)}</h2>\n<p>${prose(s.intro)}</p>\n${s.steps
          .map((st) => {
            numbers.set(st, ++n);
            return stepHtml(st, n);
          })
          .join("\n")}\n</section>`,
    )
    .join("\n");
  const rows = allSteps(d)
    .map((s) => {
      const w = s.witness;
      const result = RESULT_HTML[resultWord(s)];
      return (
        `<tr><td class="num">${numbers.get(s)}</td><td><a href="#${esc(s.id)}">${s.heading ? prose(s.heading) : esc(s.title)}</a></td>` +
        `<td>${evidenceOf(s)}</td><td>${w ? esc(routeName(w)) : "—"}</td><td class="num">${w ? w.points : ""}</td>` +
        `<td class="num">${w ? short(w.maxError) : ""}</td><td>${result}</td></tr>`
      );
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title>
<style>${inlinedKatexCss()}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<h1>${esc(d.title)}</h1>
<p class="meta">${esc(introText(d))}</p>
${sections}
<section>
<h2>Steps and their checks</h2>
<div class="table-wrap"><table>
<thead><tr><th>#</th><th>step</th><th>evidence</th><th>route</th><th>points</th><th>max error</th><th>result</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</section>
</main>
</body>
</html>
`;
}
