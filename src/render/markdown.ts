// A derivation as Markdown: prose and tables as CommonMark, math in $…$ and $$…$$ (the TeX the
// other views use), every piece of text escaped.
import type { Derivation, Step } from "../derive/model.js";
import { allSteps, evidenceOf } from "../derive/model.js";
import { checkText, failureText, introText, kindLabel, resultWord, routeName } from "../derive/report.js";
import { short, stepMath } from "./formula.js";
import { escapeMarkdown as md, mathTex, proseMarkdown } from "./notation.js";

const display = (tex: string) => `$$\n${tex}\n$$`;
/** Definitions and identities: their checks confirm the code, so they get no check mark. */
const notEvidence = (s: Step) => evidenceOf(s) === "definition" || evidenceOf(s) === "identity";
const RESULT = { "—": "—", failed: "**failed**", "re-evaluated": "re-evaluated", "re-checked": "re-checked", passed: "✓" } as const;
const heading = (step: Step) => (step.heading ? proseMarkdown(step.heading) : md(step.title));

function stepMarkdown(step: Step, n: number): string {
  const w = step.witness;
  const failed = !!w && !w.passed;
  const math = stepMath(step);
  const out = [
    `### ${n}. ${heading(step)} — *${md(kindLabel(step))}*`,
    `<a id="${encodeURIComponent(step.id)}"></a>`,
    proseMarkdown(step.why),
  ];
  if (step.general) out.push(`In index notation:\n\n${display(mathTex(step.general))}`);
  if (math) out.push(display(math));
  if (w)
    out.push(
      failed
        ? `> **This step FAILED its numeric check** and is not claimed to hold: ${md(failureText(step))}.`
        : `> ${notEvidence(step) ? "·" : "✓"} ${md(checkText(step))}`,
    );
  return out.join("\n\n");
}

export function markdownDocument(d: Derivation): string {
  let n = 0;
  const numbers = new Map<Step, number>();
  const body = d.sections
    .map((s) =>
      [
        `## ${md(s.title)}`,
        proseMarkdown(s.intro),
        ...s.steps.map((st) => {
          numbers.set(st, ++n);
          return stepMarkdown(st, n);
        }),
      ].join("\n\n"),
    )
    .join("\n\n");
  const rows = allSteps(d).map((s) => {
    const w = s.witness;
    const result = RESULT[resultWord(s)];
    return (
      `| ${numbers.get(s)} | [${heading(s)}](#${encodeURIComponent(s.id)}) | ${evidenceOf(s)} | ${w ? md(routeName(w)) : "—"} | ` +
      `${w ? w.points : ""} | ${w ? md(short(w.maxError)) : ""} | ${result} |`
    );
  });
  return `# ${md(d.title)}

${md(introText(d))}

${body}

## Steps and their checks

| # | step | evidence | route | points | max error | result |
|--:|:-----|:-----|:------|-------:|----------:|:-------|
${rows.join("\n")}
`;
}
