// The formats `rgnn derive` writes: one table from format name to file extension, renderer and capacity.
import { DATA_CAPACITY, type FormatCapacity } from "../derive/form.js";
import type { Derivation } from "../derive/model.js";
import { htmlDocument } from "./html.js";
import { jsonDocument } from "./json.js";
import { latexDocument } from "./latex-doc.js";
import { markdownDocument } from "./markdown.js";

export type DerivationFormat = "tex" | "html" | "json" | "md";

/**
 * What each format can typeset, in lines of a broken formula (formula.ts: 62 visible characters, about two terms of a
 * pullback's components), measured (docs/derivations.md has the experiments):
 * - pdflatex (TeX Live 2022, main memory 5·10⁶ words): one align* of 1000 such rows compiles in 2 s to 28 pages,
 *   4000 rows in 35 s to 109 pages, 8000 rows stop with "TeX capacity exceeded [main memory size=5000000]". About
 *   36 rows a page: 700 rows of formulas keep a derivation with its prose and table near 20–30 pages.
 * - KaTeX 0.19 (maxExpand 1000 macro expansions per renderToString call, one call per display): a row costs 7
 *   expansions (\quad 1, each \, 3), so 142 rows is the most one display holds; rendering costs ~5 ms of CPU a row,
 *   so 1000 rows a page stays within seconds.
 * - Markdown's math is typeset by the reader's KaTeX or MathJax: KaTeX's limits, the stricter.
 * - JSON is not typeset: DATA_CAPACITY (derive/form.ts), what builds in seconds.
 */
export const DERIVATION_FORMATS = {
  tex: {
    extensions: [".tex"],
    describe: "LaTeX document (pdflatex)",
    render: latexDocument,
    capacity: { displayLines: 1000, documentLines: 700 },
  },
  html: {
    extensions: [".html", ".htm"],
    describe: "self-contained HTML page (KaTeX)",
    render: htmlDocument,
    capacity: { displayLines: 140, documentLines: 1000 },
  },
  json: { extensions: [".json"], describe: "JSON (docs/derivation-json.md)", render: jsonDocument, capacity: DATA_CAPACITY },
  md: {
    extensions: [".md", ".markdown"],
    describe: "Markdown, math in $…$",
    render: markdownDocument,
    capacity: { displayLines: 140, documentLines: 1000 },
  },
} as const satisfies Record<
  DerivationFormat,
  { extensions: readonly string[]; describe: string; render: (d: Derivation) => string; capacity: FormatCapacity }
>;

export const FORMAT_NAMES = Object.keys(DERIVATION_FORMATS) as DerivationFormat[];

/** The format an output file name asks for, by its extension (case-insensitive), or null. */
export function formatOfPath(path: string): DerivationFormat | null {
  const lower = path.toLowerCase();
  return FORMAT_NAMES.find((f) => DERIVATION_FORMATS[f].extensions.some((e) => lower.endsWith(e))) ?? null;
}

/** "tex (.tex), html (.html, .htm), …" for messages. */
export const knownFormats = () => FORMAT_NAMES.map((f) => `${f} (${DERIVATION_FORMATS[f].extensions.join(", ")})`).join(", ");
