// How the checker reads a network's `weights "PATH"` clause, injected (semantics/analyze.ts) so that the
// same checker runs where there is no file system: the CLI and the library read files (FILE_WEIGHTS in
// weights.ts), the browser playground (src/web/) cannot and says so.
import type { Span } from "../syntax/ast.js";
import type { Diagnostic } from "../syntax/diagnostics.js";
import { clip } from "../syntax/text.js";
import { MAX_RANK } from "./safetensors.js";

export interface WeightsFile {
  path: string;
  source: string;
  entries: Record<string, unknown>;
}

export type LoadResult = { ok: true; file: WeightsFile } | { ok: false; diagnostic: Diagnostic };

export interface WeightsAccess {
  /** The weights file named at `ref` (a path relative to `baseDir`), or the diagnostic saying why it cannot be read. */
  load(baseDir: string, spec: { file: string; source: string }, ref: { path: string; span: Span }): LoadResult;
}

/** Where there are no files: every weights clause is an error at the clause, saying what works instead. */
export function noWeightsFiles(where: string): WeightsAccess {
  return {
    load: (_baseDir, spec, ref) => ({
      ok: false,
      diagnostic: {
        file: spec.file,
        source: spec.source,
        span: ref.span,
        message:
          `cannot read weights file '${clip(ref.path)}': ${where} has no files; ` +
          "give the weights inline (W = [[…]]) or declare them by name (no weights clause)",
      },
    }),
  };
}

/** A tensor read from a binary weights file (safetensors): its shape and row-major values, as read, no nested arrays. */
export class PackedTensor {
  constructor(
    readonly shape: number[],
    readonly values: Float64Array,
  ) {}
}

/** Flatten a nested array into row-major numbers and its shape, or say what is wrong with it. */
export function tensorFromJson(value: unknown, name: string): { shape: number[]; values: number[] | Float64Array } | { error: string } {
  if (value instanceof PackedTensor) {
    const v = value.values;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return { error: `'${name}' entry ${i} (row-major) is not finite` };
    return value;
  }
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) {
    if (v.length === 0) return { error: `'${name}' has an empty array` };
    if (shape.length === MAX_RANK) return { error: `'${name}' is nested more than ${MAX_RANK} arrays deep` };
    shape.push(v.length);
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number, path: string): string | null => {
    if (depth === shape.length) {
      if (typeof v !== "number") return `${path} is not a number (found ${clip(JSON.stringify(v) ?? String(v))})`;
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
