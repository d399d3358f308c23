// Weight files: JSON objects from parameter name to a number, vector or matrix.
// Errors point into the weights file itself when its text is at fault.
import { readFileSync } from "node:fs";
import type { Span } from "../syntax/ast.js";
import { type Diagnostic, spanAt } from "../syntax/diagnostics.js";
import { nested, readSafetensors, SafetensorsError } from "./safetensors.js";

export interface WeightsFile { path: string; source: string; entries: Record<string, unknown> }

export type LoadResult = { ok: true; file: WeightsFile } | { ok: false; diagnostic: Diagnostic };

/** Read and parse a weights file (JSON, or safetensors by its .safetensors ending); `ref` is where the spec names it. */
export function loadWeightsFile(path: string, shownPath: string, spec: { file: string; source: string }, ref: Span): LoadResult {
  let source: string;
  try {
    if (path.endsWith(".safetensors")) return loadSafetensors(readFileSync(path), shownPath, spec, ref);
    source = readFileSync(path, "utf8");
  } catch (e: any) {
    const why = e?.code === "ENOENT" ? "no such file" : e?.code === "EISDIR" ? "it is a directory" : (e?.message ?? "cannot read");
    return { ok: false, diagnostic: { ...spec, span: ref, message: `cannot read weights file '${shownPath}': ${why}` } };
  }
  const nonFinite = /\b(NaN|-?Infinity)\b/.exec(source);
  if (nonFinite) {
    return { ok: false, diagnostic: { file: shownPath, source, span: spanAt(source, nonFinite.index, nonFinite[0].length),
      message: `weights must be finite numbers, found ${nonFinite[0]}` } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (e: any) {
    const m = /position (\d+)/.exec(String(e?.message));
    const offset = m ? Number(m[1]) : Math.max(0, source.length - 1);
    const what = String(e?.message).replace(/ in JSON at position \d+.*$/s, "").replace(/^JSON\.parse: /, "");
    return { ok: false, diagnostic: { file: shownPath, source, span: spanAt(source, offset, 1), message: `malformed JSON in weights file: ${what}` } };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { ok: false, diagnostic: { file: shownPath, source, span: spanAt(source, 0, 1),
      message: "a weights file must be a JSON object from parameter names to numbers or arrays" } };
  }
  return { ok: true, file: { path: shownPath, source, entries: parsed as Record<string, unknown> } };
}

/** Flatten a nested array into row-major numbers and its shape, or say what is wrong with it. */
export function tensorFromJson(value: unknown, name: string): { shape: number[]; values: number[] } | { error: string } {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) {
    if (v.length === 0) return { error: `'${name}' has an empty array` };
    shape.push(v.length);
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number, path: string): string | null => {
    if (depth === shape.length) {
      if (typeof v !== "number") return `${path} is not a number (found ${JSON.stringify(v)})`;
      if (!Number.isFinite(v)) return `${path} is not finite`;
      values.push(v);
      return null;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) return `'${name}' is not a rectangular array (ragged at ${path})`;
    for (let i = 0; i < v.length; i++) {
      const bad = walk(v[i], depth + 1, `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  };
  const bad = walk(value, 0, name);
  return bad ? { error: bad } : { shape, values };
}

function loadSafetensors(bytes: Uint8Array, shownPath: string, spec: { file: string; source: string }, ref: Span): LoadResult {
  try {
    const entries: Record<string, unknown> = {};
    for (const [name, t] of readSafetensors(bytes)) entries[name] = nested(t.shape, t.values);
    return { ok: true, file: { path: shownPath, source: "", entries } };
  } catch (e) {
    if (e instanceof SafetensorsError) return { ok: false, diagnostic: { ...spec, span: ref, message: `cannot read safetensors file '${shownPath}': ${e.message}` } };
    throw e;
  }
}
