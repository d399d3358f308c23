// `rgnn derive FILE -o out.tex|out.html`: the checked derivation as a document.
import { derive } from "../../derive/index.js";
import { failedSteps } from "../../derive/model.js";
import { failureText } from "../../derive/report.js";
import { htmlDocument } from "../../render/html.js";
import { latexDocument } from "../../render/latex-doc.js";
import { EXIT, type IO } from "../io.js";
import { choice } from "../options.js";
import { refuseInput, writeFileAtomic } from "../output.js";
import { readSpec } from "../spec.js";
import { witnessOptions } from "./verify.js";

export interface DeriveOptions {
  output?: string;
  format?: string;
  points: string;
  seed: string;
  tol: string;
  allowFailures?: boolean;
}

export function deriveCommand(io: IO, file: string, opts: DeriveOptions): number {
  const byExt = opts.output?.endsWith(".html") ? "html" : opts.output?.endsWith(".tex") ? "tex" : undefined;
  const format = choice(
    opts.format ?? byExt ?? (opts.output ? "" : "tex"),
    ["tex", "html"] as const,
    "--format (or an -o name ending in .tex or .html)",
  );
  const wopts = witnessOptions(opts);
  if (opts.output) refuseInput(opts.output, [file]);
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const d = derive(loaded.model, wopts);
  const text = format === "html" ? htmlDocument(d) : latexDocument(d);
  if (opts.output) {
    writeFileAtomic(opts.output, text);
  } else io.out(text);
  const failed = failedSteps(d);
  for (const s of failed)
    io.err(
      `${loaded.model.file}${s.span ? `:${s.span.line}:${s.span.col}` : ""}: ${opts.allowFailures ? "warning" : "error"}: step '${s.title}' failed its check: ${failureText(s)}\n`,
    );
  if (opts.output) io.err(`wrote ${opts.output} (${d.sections.reduce((a, s) => a + s.steps.length, 0)} steps, ${failed.length} failed)\n`);
  return failed.length && !opts.allowFailures ? EXIT.failure : EXIT.ok;
}
