// A derivation as Markdown: prose and tables as CommonMark, math in $…$ and $$…$$ (the TeX the
// other views use), every piece of text escaped.
import type { Derivation, Step } from "../derive/model.js";
import { allSteps } from "../derive/model.js";
import { failureText } from "../derive/report.js";
import { short, stepMath } from "./formula.js";
import { escapeMarkdown as md, mathTex, proseMarkdown } from "./notation.js";

const display = (tex: string) => `$$\n${tex}\n$$`;

function stepMarkdown(step: Step, n: number): string {
  const w = step.witness;
  const failed = !!w && !w.passed;
  const math = stepMath(step);
  const out = [
    `### ${n}. ${md(step.title)} — *${md(step.justification)}*`,
    `<a id="${encodeURIComponent(step.id)}"></a>`,
    proseMarkdown(step.why),
  ];
  if (step.general) out.push(`In index notation:\n\n${display(mathTex(step.general))}`);
  if (math) out.push(display(math));
  if (w)
    out.push(
      failed
        ? `> **This step FAILED its numeric check** and is not claimed to hold: ${md(failureText(step))}.`
        : `> ✓ Checked at ${w.points} random points against ${md(w.against)}: largest relative difference ` +
            `${md(short(w.maxError))} (tolerance ${md(short(w.tolerance))}).`,
    );
  return out.join("\n\n");
}

export function markdownDocument(d: Derivation): string {
  let n = 0;
  const body = d.sections
    .map((s) => [`## ${md(s.title)}`, proseMarkdown(s.intro), ...s.steps.map((st) => stepMarkdown(st, ++n))].join("\n\n"))
    .join("\n\n");
  const steps = allSteps(d).filter((s) => s.witness);
  const failed = steps.filter((s) => !s.witness!.passed).length;
  const rows = steps.map(
    (s, i) =>
      `| ${i + 1} | [${md(s.title)}](#${encodeURIComponent(s.id)}) | ${md(s.justification)} | ${s.witness!.points} | ` +
      `${md(short(s.witness!.maxError))} | ${s.witness!.passed ? "✓" : "**failed**"} |`,
  );
  return `# ${md(d.title)}

Each step states an equation, says why it holds, and was checked numerically at ${d.options.points} random points (seed ${d.options.seed}, relative tolerance ${md(short(d.options.tolerance))}). ${failed ? `**${failed} of ${steps.length} checks failed.**` : `All ${steps.length} checks passed.`}

${body}

## Numeric checks

| # | step | kind | points | max error | result |
|--:|:-----|:-----|-------:|----------:|:-------|
${rows.join("\n")}
`;
}
