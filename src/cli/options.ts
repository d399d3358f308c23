// Parsing of command-line values: points, NAME=VALUE lists, formats, CSV point files.
import type { Manifold } from "../semantics/model.js";
import { formatDiagnostic, spanAt } from "../syntax/diagnostics.js";
import { UsageError } from "./io.js";

export function parsePoint(text: string, chart: Manifold, option = "--at"): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === "" || !Number.isFinite(values[i]));
  if (bad >= 0) throw new UsageError(`${option} ${text}: '${parts[bad]}' is not a finite number`);
  if (values.length !== chart.dim) {
    throw new UsageError(
      `${option} ${text}: ${chart.name} has dimension ${chart.dim} (${chart.coords.join(", ")}), but the point has ${values.length} coordinate${values.length === 1 ? "" : "s"}`,
    );
  }
  return values;
}

export function parseAssignments(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!text) return out;
  for (const part of text.split(",")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(v)) throw new UsageError(`--set: expected NAME=NUMBER, found '${part}'`);
    out.set(m[1], v);
  }
  return out;
}

export function choice<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${option} must be one of ${allowed.join(", ")}, not '${value}'`);
  return value as T;
}

export function parseLayer(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const k = Number(text);
  if (!Number.isInteger(k) || k < 0) throw new UsageError(`--layer must be a whole number ≥ 0, not '${text}'`);
  return k;
}

/** Thrown for a bad data file: already formatted with file:line:col and a caret. */
export class InputFileError extends Error {}

/** Points from CSV text: one point per line, an optional header line of names. */
export function parsePointsCsv(text: string, file: string, dim: number): number[][] {
  const points: number[][] = [];
  const lines = text.split("\n");
  let offset = 0;
  lines.forEach((raw, li) => {
    const line = raw.replace(/\r$/, "");
    const lineStart = offset;
    offset += raw.length + 1;
    if (line.trim() === "" || line.trimStart().startsWith("#")) return;
    const cells = line.split(",");
    if (li === 0 && cells.some((c) => c.trim() !== "" && !Number.isFinite(Number(c)))) return; // header
    let col = 0;
    const row: number[] = [];
    for (const cell of cells) {
      const v = Number(cell);
      if (cell.trim() === "" || !Number.isFinite(v)) {
        throw new InputFileError(
          formatDiagnostic({
            file,
            source: text,
            span: spanAt(text, lineStart + col, Math.max(1, cell.length)),
            message: `'${cell.trim()}' is not a finite number`,
          }),
        );
      }
      row.push(v);
      col += cell.length + 1;
    }
    if (row.length !== dim) {
      throw new InputFileError(
        formatDiagnostic({
          file,
          source: text,
          span: spanAt(text, lineStart, Math.max(1, line.length)),
          message: `expected ${dim} coordinates per point, found ${row.length}`,
        }),
      );
    }
    points.push(row);
  });
  if (points.length === 0) throw new InputFileError(`${file}: error: no points in file`);
  return points;
}
