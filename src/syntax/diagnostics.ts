// One error = one message: `file:line:col: error: what`, the source line, and a caret under
// the offending text. Every stage reports through this type; the CLI only prints it.
import { EXIT, RgnnError } from "../core/errors.js";
import type { Span } from "./ast.js";

export interface Diagnostic {
  file: string;
  /** Text of the file the span points into (a spec or a weights file). */
  source: string;
  span: Span;
  message: string;
  /** Extra lines printed under the caret (expected tokens, hints). */
  notes?: string[];
  /** Most characters of the source line shown (default EXCERPT); weights and data files show less. */
  excerpt?: number;
  /** A warning does not stop the spec from loading (default: an error). */
  severity?: "error" | "warning";
}

/** Characters of a source line shown around the caret: a huge one-line file must not flood the terminal. */
export const EXCERPT = 100;

export class DiagnosticError extends RgnnError {
  readonly exitCode = EXIT.failure;
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "DiagnosticError";
  }
}

/** Line and column (1-based) of a character offset. */
export function positionAt(source: string, offset: number): { line: number; col: number } {
  let line = 1,
    lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++)
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return { line, col: end - lineStart + 1 };
}

export function spanAt(source: string, offset: number, length = 1): Span {
  const { line, col } = positionAt(source, offset);
  return { line, col, offset, end: offset + length };
}

/** Line `line` (1-based) of a text, found without splitting a possibly huge file. */
function lineText(source: string, line: number): string {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = source.indexOf("\n", start);
    if (nl < 0) return "";
    start = nl + 1;
  }
  const end = source.indexOf("\n", start);
  return source.slice(start, end < 0 ? source.length : end);
}

/** C0 and C1 control characters and DEL: a terminal acts on them (ESC ] 0; sets its title, ESC [31m its colours). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text from the input made safe to print on a terminal: every control character as \xHH, except the ones in
 * `keep` (a message keeps its newlines and tabs). The one place user text is made printable.
 */
export function escapeControls(text: string, keep = ""): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => (keep.includes(c) ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

/** Over-long quoted input inside a message ('…' names, tokens) is cut to 40 characters. */
const clipQuoted = (message: string) => message.replace(/'([^'\n]{41,})'/g, (_, q: string) => `'${q.slice(0, 40)}…'`);

export function formatDiagnostic(d: Diagnostic): string {
  const { line, col } = d.span;
  const full = lineText(d.source, line).replace(/\r$/, "").replace(/\t/g, " ");
  // A window of the line around the caret, marked with … where it is cut; the caret stays under its character.
  const room = Math.max(10, d.excerpt ?? EXCERPT);
  let from = 0,
    to = full.length;
  if (full.length > room) {
    from = Math.max(0, Math.min(col - 1 - Math.floor(room / 3), full.length - room));
    to = Math.min(full.length, from + room);
  }
  // control characters shown escaped (\x1b), the caret moved by the width they take
  const shown = (a: number, b: number) => escapeControls(full.slice(a, b));
  const text = (from > 0 ? "…" : "") + shown(from, to) + (to < full.length ? "…" : "");
  const caretAt = shown(from, Math.max(from, col - 1)).length + (from > 0 ? 1 : 0);
  const spanEnd = Math.min(to, col - 1 + Math.max(1, d.span.end - d.span.offset));
  const width = Math.max(1, shown(col - 1, spanEnd).length);
  const gutter = String(line).length;
  const out = [
    `${escapeControls(d.file)}:${line}:${col}: ${d.severity ?? "error"}: ${escapeControls(clipQuoted(d.message), "\n")}`,
    `${" ".repeat(gutter)} |`,
    `${line} | ${text}`,
    `${" ".repeat(gutter)} | ${" ".repeat(Math.max(0, caretAt))}^${"~".repeat(width - 1)}`,
  ];
  for (const note of d.notes ?? []) out.push(`${" ".repeat(gutter)} = ${escapeControls(clipQuoted(note))}`);
  return out.join("\n");
}
