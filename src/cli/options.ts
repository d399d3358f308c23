// Parsing of command-line values: points, NAME=VALUE lists, formats, CSV point files.
import { EXIT, RgnnError } from "../core/errors.js";
import type { Manifold } from "../semantics/model.js";
import { UsageError } from "./io.js";

export function parsePoint(text: string, chart: Manifold, option = "--at"): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === "" || !Number.isFinite(values[i]));
  if (bad >= 0) throw new UsageError(`${option} ${text}: '${parts[bad]}' is not a finite number`);
  if (values.length !== chart.dim) {
    throw new UsageError(
      `${option} ${text}: ${chart.name} has dimension ${chart.dim} (${chart.coords.join(", ")}), but the point has ` +
        `${values.length} coordinate${values.length === 1 ? "" : "s"}`,
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
export class InputFileError extends RgnnError {
  readonly exitCode = EXIT.failure;
}
