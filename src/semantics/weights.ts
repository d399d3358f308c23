// Weight files: JSON objects from parameter name to a number, vector or matrix.
// Errors point into the weights file itself when its text is at fault.
import { constants as bufferConstants } from "node:buffer";
import { realpathSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { Span } from "../syntax/ast.js";
import { spanAt } from "../syntax/diagnostics.js";
import { InputError, readInput } from "../syntax/input.js";
import { clip, stripBom } from "../syntax/text.js";
import { readSafetensors, SafetensorsError } from "./safetensors.js";
import { type LoadResult, PackedTensor, type WeightsAccess } from "./weights-access.js";

export { type LoadResult, tensorFromJson, type WeightsFile } from "./weights-access.js";

/** Characters of a weights file's line shown in an error: its contents are not the spec's to print. */
const WEIGHTS_EXCERPT = 40;

const WEIGHTS_INSTEAD = "copy the file there, or declare the weights by name (no weights clause) and pass the file with --weights PATH";

/**
 * Where a spec's `weights "PATH"` (or a manifest's spec) may read: inside the spec's own folder tree, after resolving
 * symbolic links (a spec from a paper's supplement must not read ~/.ssh or /proc). Returns the real
 * path, or why not. `--weights PATH` on the command line is the user's own choice and is not checked.
 */
export function weightsPathInside(
  baseDir: string,
  path: string,
  { what = "weights file", owner = "spec", instead = WEIGHTS_INSTEAD }: { what?: string; owner?: string; instead?: string } = {},
): { path: string } | { error: string } {
  if (path === "") return { error: `the ${what.replace(/ file$/, "")} path is empty` };
  let real: string, root: string;
  try {
    root = realpathSync.native(baseDir);
    real = realpathSync.native(resolve(baseDir, path));
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException;
    return {
      error:
        `cannot read ${what} '${clip(path)}': ` +
        (e?.code === "ENOENT"
          ? "no such file"
          : e?.code === "ENOTDIR"
            ? "a part of the path is not a directory"
            : "cannot resolve the path"),
    };
  }
  const rel = relative(root, real);
  if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
    return {
      error: `${what} '${clip(path)}' is outside the ${owner}'s folder: a ${owner} may read files in its own folder tree only; ${instead}`,
    };
  }
  return { path: real };
}

/**
 * A spec's `weights "PATH"` clause read from the file system: the path resolved against `baseDir` and
 * confined to it, and shown as written when it is relative to the spec's own folder.
 */
export const FILE_WEIGHTS: WeightsAccess = fileWeights((path) => readInput(path, "weights"));

/**
 * FILE_WEIGHTS that keeps the bytes of each weights file it reads, by resolved path: the main thread reads a spec so and
 * hands `read` to its worker threads (servedWeights), which use those bytes instead of reading the file again — a
 * file replaced during a run must not give some rows from the old weights and some from the new.
 */
export function recordingWeights(): { access: WeightsAccess; read: Map<string, Uint8Array> } {
  const read = new Map<string, Uint8Array>();
  const access = fileWeights((path) => {
    const bytes = readInput(path, "weights");
    read.set(path, bytes);
    return bytes;
  });
  return { access, read };
}

/** The weights files a main thread read (recordingWeights), served by path; a file it did not read is read as usual. */
export function servedWeights(read: ReadonlyMap<string, Uint8Array>): WeightsAccess {
  return fileWeights((path) => {
    const bytes = read.get(path);
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : readInput(path, "weights");
  });
}

/** The weights clause's reader over `read`, which gives a resolved path's bytes or throws InputError. */
function fileWeights(read: (path: string) => Buffer): WeightsAccess {
  return {
    load(baseDir, spec, ref) {
      const path = resolve(baseDir, ref.path);
      const shown = resolve(dirname(spec.file), ref.path) === path && spec.file !== "<stdin>" ? ref.path : path;
      const inside = weightsPathInside(baseDir, ref.path);
      return "error" in inside
        ? { ok: false, diagnostic: { file: spec.file, source: spec.source, span: ref.span, message: inside.error } }
        : loadWeightsFile(inside.path, shown, spec, ref.span, read);
    },
  };
}

/** Read and parse a weights file (JSON, or safetensors by its .safetensors ending); `ref` is where the spec names it. */
export function loadWeightsFile(
  path: string,
  shownPath: string,
  spec: { file: string; source: string },
  ref: Span,
  read: (path: string) => Buffer = (p) => readInput(p, "weights"),
): LoadResult {
  let bytes: Buffer;
  try {
    bytes = read(path);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { ok: false, diagnostic: { ...spec, span: ref, message: `cannot read weights file '${shownPath}': ${e.message}` } };
  }
  if (shownPath.endsWith(".safetensors")) return loadSafetensors(bytes, shownPath, spec, ref);
  if (bytes.length > bufferConstants.MAX_STRING_LENGTH) {
    return {
      ok: false,
      diagnostic: {
        ...spec,
        span: ref,
        message: `weights file '${shownPath}' is too large to read as JSON (${bytes.length} bytes); use .safetensors`,
      },
    };
  }
  const source = stripBom(bytes.toString("utf8"));
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    const bad = jsonError(source);
    return {
      ok: false,
      diagnostic: { file: shownPath, source, span: spanAt(source, bad.offset, 1), message: bad.message, excerpt: WEIGHTS_EXCERPT },
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      ok: false,
      diagnostic: {
        file: shownPath,
        source,
        span: spanAt(source, 0, 1),
        excerpt: WEIGHTS_EXCERPT,
        message: "a weights file must be a JSON object from parameter names to numbers or arrays",
      },
    };
  }
  // Without a prototype, keys such as "constructor" or "__proto__" are ordinary keys, present or missing.
  const entries: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(parsed)) entries[k] = v;
  return { ok: true, file: { path: shownPath, source, entries } };
}

/**
 * Where and why JSON.parse failed, found by a scan of our own: V8's message quotes the text
 * around the error (possibly secrets) and does not always give the position. The scan is
 * iterative, so any nesting depth is fine.
 */
export function jsonError(s: string): { offset: number; message: string } {
  const prefix = "malformed JSON in weights file: ";
  const stack: string[] = [];
  let i = 0,
    expect: "value" | "key" | "after" = "value";
  const err = (message: string, at = i) => ({ offset: Math.min(at, Math.max(0, s.length - 1)), message: prefix + message });
  const found = (at: number) =>
    at >= s.length ? "the end of the file" : `'${clip(/^[^\s,:{}[\]"]+/.exec(s.slice(at, at + 41))?.[0] ?? s[at])}'`;
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y,
    WORD = /true|false|null/y,
    NONFINITE = /-?Infinity|NaN/y;
  const sticky = (re: RegExp) => {
    re.lastIndex = i;
    return re.exec(s)?.[0];
  };
  const string = (): { offset: number; message: string } | null => {
    const open = i++;
    for (;;) {
      if (i >= s.length) return err("a string is not closed", open);
      const c = s.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c < 32) return err("a control character (such as a line break) inside a string");
      if (c === 92) {
        const e = s[i + 1];
        if (e === "u" ? !/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6)) : !`"\\/bfnrt`.includes(e ?? "x"))
          return err("a bad escape in a string");
        i += e === "u" ? 6 : 2;
      } else i++;
    }
  };
  for (;;) {
    while (i < s.length && " \t\n\r".includes(s[i])) i++;
    if (expect === "value") {
      const c = s[i];
      if (c === "{" || c === "[") {
        stack.push(c);
        i++;
        while (i < s.length && " \t\n\r".includes(s[i])) i++;
        if (s[i] === (c === "{" ? "}" : "]")) {
          stack.pop();
          i++;
          expect = "after";
        } else expect = c === "{" ? "key" : "value";
        continue;
      }
      if (c === '"') {
        const bad = string();
        if (bad) return bad;
        expect = "after";
        continue;
      }
      const nonFinite = sticky(NONFINITE);
      if (nonFinite) return { offset: i, message: `weights must be finite numbers, found ${nonFinite}` };
      const tok = sticky(NUMBER) ?? sticky(WORD);
      if (!tok) return err(`expected a value, found ${found(i)}`);
      i += tok.length;
      expect = "after";
    } else if (expect === "key") {
      if (s[i] !== '"') return err(`expected a quoted key, found ${found(i)}`);
      const bad = string();
      if (bad) return bad;
      while (i < s.length && " \t\n\r".includes(s[i])) i++;
      if (s[i] !== ":") return err(`expected ':' after a key, found ${found(i)}`);
      i++;
      expect = "value";
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return err(i < s.length ? `unexpected ${found(i)} after the JSON value` : "cannot tell what is wrong", i);
      const close = top === "{" ? "}" : "]";
      if (s[i] === ",") {
        i++;
        expect = top === "{" ? "key" : "value";
      } else if (s[i] === close) {
        stack.pop();
        i++;
      } else return err(`expected ',' or '${close}', found ${found(i)}`);
    }
  }
}

function loadSafetensors(bytes: Uint8Array, shownPath: string, spec: { file: string; source: string }, ref: Span): LoadResult {
  try {
    const entries: Record<string, unknown> = Object.create(null);
    // the values as read (a view of the file's bytes where they are F64 and aligned), parsed nowhere else
    for (const [name, t] of readSafetensors(bytes)) entries[name] = new PackedTensor(t.shape, t.values);
    return { ok: true, file: { path: shownPath, source: "", entries } };
  } catch (e) {
    if (e instanceof SafetensorsError)
      return { ok: false, diagnostic: { ...spec, span: ref, message: `cannot read safetensors file '${shownPath}': ${e.message}` } };
    throw e;
  }
}
