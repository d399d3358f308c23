// One error = one message: `file:line:col: error: what`, the source line, and a caret under
// the offending text. Every stage reports through this type; the CLI only prints it.
import type { Span } from "./ast.js";

export interface Diagnostic {
  file: string;
  /** Text of the file the span points into (a spec or a weights file). */
  source: string;
  span: Span;
  message: string;
  /** Extra lines printed under the caret (expected tokens, hints). */
  notes?: string[];
}

export class DiagnosticError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
    this.name = "DiagnosticError";
  }
}

/** Line and column (1-based) of a character offset. */
export function positionAt(source: string, offset: number): { line: number; col: number } {
  let line = 1, lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) if (source.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return { line, col: end - lineStart + 1 };
}

export function spanAt(source: string, offset: number, length = 1): Span {
  const { line, col } = positionAt(source, offset);
  return { line, col, offset, end: offset + length };
}

export function formatDiagnostic(d: Diagnostic): string {
  const { line, col } = d.span;
  const lines = d.source.split("\n");
  const text = (lines[line - 1] ?? "").replace(/\r$/, "").replace(/\t/g, " ");
  const width = Math.max(1, Math.min(d.span.end - d.span.offset, text.length - col + 1));
  const gutter = String(line).length;
  const out = [
    `${d.file}:${line}:${col}: error: ${d.message}`,
    `${" ".repeat(gutter)} |`,
    `${line} | ${text}`,
    `${" ".repeat(gutter)} | ${" ".repeat(col - 1)}^${"~".repeat(width - 1)}`,
  ];
  for (const note of d.notes ?? []) out.push(`${" ".repeat(gutter)} = ${note}`);
  return out.join("\n");
}
