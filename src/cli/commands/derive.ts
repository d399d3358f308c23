// `rgnn derive FILE -o out.tex|.html|.json|.md`: the checked derivation as a document, in a
// format from the table in render/formats.ts.
import { statSync } from "node:fs";
import { DERIVATION_FORMS } from "../../derive/form.js";
import { documentPath } from "../../derive/index.js";
import { derivation } from "../../api/derivation.js";
import { failedSteps } from "../../derive/model.js";
import { failureText } from "../../derive/report.js";
import { DERIVATION_FORMATS, type DerivationFormat, FORMAT_NAMES, formatOfPath, knownFormats } from "../../render/formats.js";
import { EXIT, type IO, UsageError } from "../io.js";
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
  form: string;
  allowFailures?: boolean;
}

export function deriveCommand(io: IO, file: string, opts: DeriveOptions): number {
  const format = outputFormat(opts);
  const wopts = witnessOptions(opts);
  if (opts.output) refuseInput(opts.output, [file]);
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  // each metric's form: forced, or the one its components fit the output format in (derive/form.ts)
  const form = { form: choice(opts.form, ["auto", ...DERIVATION_FORMS], "--form"), capacity: DERIVATION_FORMATS[format].capacity };
  const d = derivation({ ...loaded.model, file: documentPath(loaded.model.file, process.cwd()) }, { ...wopts, form });
  const text = DERIVATION_FORMATS[format].render(d);
  const failed = failedSteps(d);
  const steps = d.sections.reduce((a, s) => a + s.steps.length, 0);
  if (opts.output) writeFileAtomic(opts.output, text, [], { io, detail: `${steps} steps, ${failed.length} failed` });
  else io.out(text);
  for (const s of failed)
    io.err(
      `${loaded.model.file}${s.span ? `:${s.span.line}:${s.span.col}` : ""}: ${opts.allowFailures ? "warning" : "error"}: ` +
        `step '${s.title}' failed its check: ${failureText(s)}\n`,
    );
  return failed.length && !opts.allowFailures ? EXIT.failure : EXIT.ok;
}

/** The format to write: --format, else the -o name's extension, else LaTeX on standard output. */
function outputFormat(opts: DeriveOptions): DerivationFormat {
  const out = opts.output;
  if (out !== undefined && isDirectory(out))
    throw new UsageError(`-o ${out} is a directory: give a file name ending in a known extension: ${knownFormats()}`);
  if (opts.format !== undefined) return choice(opts.format, FORMAT_NAMES, "--format");
  if (out === undefined) return "tex";
  const byExt = formatOfPath(out);
  if (!byExt)
    throw new UsageError(`cannot tell the format of -o ${out} from its extension; known formats: ${knownFormats()} (or pass --format)`);
  return byExt;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
