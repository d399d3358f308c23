// The formats `rgnn derive` writes: one table from format name to file extension and renderer.
import type { Derivation } from "../derive/model.js";
import { htmlDocument } from "./html.js";
import { jsonDocument } from "./json.js";
import { latexDocument } from "./latex-doc.js";
import { markdownDocument } from "./markdown.js";

export type DerivationFormat = "tex" | "html" | "json" | "md";

export const DERIVATION_FORMATS = {
  tex: { extensions: [".tex"], describe: "LaTeX document (pdflatex)", render: latexDocument },
  html: { extensions: [".html", ".htm"], describe: "self-contained HTML page (KaTeX)", render: htmlDocument },
  json: { extensions: [".json"], describe: "JSON (docs/derivation-json.md)", render: jsonDocument },
  md: { extensions: [".md", ".markdown"], describe: "Markdown, math in $…$", render: markdownDocument },
} as const satisfies Record<DerivationFormat, { extensions: readonly string[]; describe: string; render: (d: Derivation) => string }>;

export const FORMAT_NAMES = Object.keys(DERIVATION_FORMATS) as DerivationFormat[];

/** The format an output file name asks for, by its extension (case-insensitive), or null. */
export function formatOfPath(path: string): DerivationFormat | null {
  const lower = path.toLowerCase();
  return FORMAT_NAMES.find((f) => DERIVATION_FORMATS[f].extensions.some((e) => lower.endsWith(e))) ?? null;
}

/** "tex (.tex), html (.html, .htm), …" for messages. */
export const knownFormats = () => FORMAT_NAMES.map((f) => `${f} (${DERIVATION_FORMATS[f].extensions.join(", ")})`).join(", ");
