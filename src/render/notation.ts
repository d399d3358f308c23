// Typesetting the structured notation (src/core/notation.ts) per format, and the one escaping
// function per format that every piece of user text (paths, spec names) goes through.
import { joinSeq, type MathNode, mathText, type Op, type Prose } from "../core/notation.js";
import { latexSymbol } from "../symbolic/notation.js";
import { escapeControls } from "../syntax/diagnostics.js";

/** Unicode that titles and messages use, as TeX (pdflatex has no glyphs for these). */
const UNICODE_TEX: Record<string, string> = {
  "≈": "$\\approx$",
  "‖": "$\\|$",
  ᵀ: "$^{\\mathsf{T}}$",
  "−": "$-$",
  "–": "--",
  "—": "---",
  σ: "$\\sigma$",
  "′": "'",
  "∘": "$\\circ$",
  ε: "$\\varepsilon$",
  δ: "$\\delta$",
  Γ: "$\\Gamma$",
  ρ: "$\\rho$",
  "≤": "$\\le$",
  "≥": "$\\ge$",
  "·": "$\\cdot$",
  "×": "$\\times$",
  "²": "$^2$",
  "…": "\\ldots{}",
  "→": "$\\to$",
  ẋ: "$\\dot x$",
  "∂": "$\\partial$",
  "\u201c": "``",
  "\u201d": "''",
  "\u2018": "`",
  "\u2019": "'",
};

/**
 * TeX text mode: escape the special characters; map the Unicode we emit to TeX and anything else to '?'. Quotes
 * become TeX's: "…" and “…” as ``…'' (a straight quote opens at the start or after a space or bracket).
 */
export function escapeTex(s: string): string {
  // control characters (ESC, BEL, … from a file name) as visible \xHH: TeX refuses them as invalid characters
  return escapeControls(s, "\t\n\r")
    .replace(/"/g, (_, at: number) => (at === 0 || /[\s([{]/.test(s[at - 1]) ? "\u201c" : "\u201d"))
    .replace(
      /[\\{}$&#_%^~]/g,
      (c) => (({ "\\": "\\textbackslash{}", "^": "\\^{}", "~": "\\~{}" }) as Record<string, string>)[c] ?? `\\${c}`,
    )
    .replace(/[^\p{ASCII}]/gu, (c) => UNICODE_TEX[c] ?? "?");
}

/** HTML text and double-quoted attribute values (control characters but tab and line breaks as visible \xHH). */
export const escapeHtml = (s: string) =>
  escapeControls(s, "\t\n\r").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/**
 * Markdown (CommonMark) text: the characters that open markup mid-line (emphasis, code, links,
 * HTML, entities, tables, math) backslash-escaped. Text never starts a line (headings, lists): our
 * own words or a prefix like "### 1." come first.
 */
export const escapeMarkdown = (s: string) =>
  escapeControls(s, "\n")
    .replace(/[\\`*_{}[\]()<>#|$~&]/g, (c) => `\\${c}`)
    .replace(/\n/g, " ");

/**
 * A user name inside math: index notation when it is an identifier (the grammar's names are),
 * anything else as escaped upright text, so no name can inject a control sequence.
 */
export function nameTex(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return latexSymbol(name);
  return `\\text{${escapeTex(name)}}`;
}

const GREEK = new Set(["delta", "sigma", "rho", "Gamma", "partial", "omega"]);
const OPS_TEX: Record<Op, string> = {
  "=": "=",
  "+": "+",
  "-": "-",
  circ: "\\circ",
  cdots: "\\cdots",
  ",": ",",
  geq: "\\ge",
  succeq: "\\succeq",
  succ: "\\succ",
  thin: "\\,",
};

/** MathNode as TeX (for pdflatex and KaTeX alike). */
export function mathTex(m: MathNode): string {
  switch (m.kind) {
    case "sym": {
      let s = GREEK.has(m.name) ? `\\${m.name}` : m.name;
      if (m.sub) s += `_{${mathTex(m.sub)}}`;
      const sup = `${m.layer ? `(${mathTex(m.layer)})` : ""}${m.sup ? mathTex(m.sup) : ""}${m.transpose ? "\\mathsf{T}" : ""}`;
      return sup ? `${s}^{${sup}}` : s;
    }
    case "ident":
      return nameTex(m.name);
    case "indexed": {
      const sup = `${m.sup ? mathTex(m.sup) : ""}${m.transpose ? "\\mathsf{T}" : ""}`;
      return `{${mathTex(m.of)}}${m.sub ? `_{${mathTex(m.sub)}}` : ""}${sup ? `^{${sup}}` : ""}`;
    }
    case "num":
      return m.value;
    case "seq":
      return joinSeq(m.items, mathTex);
    case "list": {
      const t = m.items.map(mathTex).join(m.wide ? ", \\qquad " : ", ");
      return m.paren ? `(${t})` : t;
    }
    case "app":
      return `${mathTex(m.fn)}(${m.args.map(mathTex).join(", ")})`;
    case "frac":
      return `\\frac{${mathTex(m.num)}}{${mathTex(m.den)}}`;
    case "slash":
      return `${mathTex(m.num)}${m.spaced ? " / " : "/"}${mathTex(m.den)}`;
    case "op":
      return OPS_TEX[m.op];
    case "fixed":
      return m.tex;
  }
}

/** Prose for the .tex document: text and names escaped, math inline. */
export const proseTex = (p: Prose): string =>
  p.map((part) => (part.kind === "math" ? `$${mathTex(part.math)}$` : escapeTex(part.kind === "name" ? part.name : part.text))).join("");

/** Prose for HTML, with math rendered by `math` (KaTeX). */
export const proseHtml = (p: Prose, math: (tex: string) => string): string =>
  p
    .map((part) =>
      part.kind === "math"
        ? math(mathTex(part.math))
        : part.kind === "ref"
          ? `<a href="#${escapeHtml(part.step)}">${escapeHtml(part.text)}</a>`
          : escapeHtml(part.kind === "name" ? part.name : part.text),
    )
    .join("");

/** Prose for Markdown: math in $…$, every piece of text escaped. */
export const proseMarkdown = (p: Prose): string =>
  p
    .map((part) =>
      part.kind === "math"
        ? `$${mathTex(part.math)}$`
        : part.kind === "ref"
          ? `[${escapeMarkdown(part.text)}](#${encodeURIComponent(part.step)})`
          : escapeMarkdown(part.kind === "name" ? part.name : part.text),
    )
    .join("");

export { mathText };
