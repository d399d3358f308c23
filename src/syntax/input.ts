// Every input file (spec, weights, data) is read here, and only here: regular files only (a FIFO
// or /dev/zero would hang or exhaust memory), the size checked on the opened descriptor before
// reading, against the limits documented in docs/security.md.
import { EXIT, RgnnError } from "../core/errors.js";
import { constants as bufferConstants, isUtf8 } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { escapeControls } from "./diagnostics.js";
import { clip, stripBom } from "./text.js";

export { clip, stripBom };

export type InputKind = "spec" | "weights" | "data";

const MiB = 1024 ** 2;
/** Default size limits in bytes; RGNN_MAX_INPUT_BYTES replaces all of them. */
export const DEFAULT_INPUT_LIMITS: Readonly<Record<InputKind, number>> = { spec: 16 * MiB, weights: 1024 * MiB, data: 1024 * MiB };

/** Why an input could not be read; the message is the reason alone ("no such file"). */
export class InputError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

export function inputLimit(kind: InputKind): number {
  const env = process.env.RGNN_MAX_INPUT_BYTES;
  if (env === undefined || env.trim() === "") return DEFAULT_INPUT_LIMITS[kind];
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InputError(`RGNN_MAX_INPUT_BYTES must be a positive whole number of bytes, not '${clip(env)}'`);
  return n;
}

const tooLarge = (what: string, size: number | string, kind: InputKind, limit: number) =>
  new InputError(
    `${what} ${size} bytes, more than the limit of ${limit} bytes for ${kind} files; ` +
      "raise it with the environment variable RGNN_MAX_INPUT_BYTES (see docs/security.md)",
  );

function reason(caught: unknown): string {
  const e = caught as NodeJS.ErrnoException | undefined;
  switch (e?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "the path is too long";
    default:
      return e?.code ? `cannot open (${e.code})` : String(e?.message ?? e);
  }
}

/** The bytes of a regular file, at most the limit for its kind; throws InputError. */
export function readInput(path: string, kind: InputKind): Buffer {
  if (path === "") throw new InputError("the path is empty");
  const limit = inputLimit(kind);
  let fd: number;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(reason(e));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputError("it is a directory");
    if (!st.isFile()) throw new InputError("not a regular file (a device, pipe or socket); rgnn reads regular files only");
    if (st.size > limit) throw tooLarge("it has", st.size, kind, limit);
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(reason(e));
  } finally {
    closeSync(fd);
  }
}

/** A spec file that is plainly not text (the message is the whole diagnosis, not a reason it could not be read). */
export class NotTextError extends InputError {}

/**
 * Why bytes given as a spec are not one, or null: an ONNX model (named .onnx, or starting as a torch-exported ModelProto
 * does: field 1, ir_version 3–12) that is not text, or any file with a zero byte. Bytes that are merely not UTF-8 are
 * read as before (a comment in Latin-1 becomes U+FFFD and parses).
 */
function notText(buf: Buffer, path: string | null): string | null {
  const zero = buf.indexOf(0);
  if (zero < 0 && isUtf8(buf)) return null;
  if ((path !== null && /\.onnx$/i.test(path)) || (buf[0] === 0x08 && buf[1] >= 3 && buf[1] <= 12)) {
    const [what, file] = path === null ? ["standard input", "FILE.onnx"] : ["it", escapeControls(path)];
    return `${what} is an ONNX model, not a spec: run \`rgnn import ${file}\` first (it writes the spec and its weights)`;
  }
  return zero < 0 ? null : `it is a binary file (a zero byte at offset ${zero}), not a spec: rgnn reads specs as UTF-8 text`;
}

function decode(buf: Buffer, kind: InputKind, path: string | null): string {
  if (buf.length > bufferConstants.MAX_STRING_LENGTH) throw tooLarge("it has", buf.length, kind, bufferConstants.MAX_STRING_LENGTH);
  const why = kind === "spec" ? notText(buf, path) : null;
  if (why) throw new NotTextError(why);
  return stripBom(buf.toString("utf8"));
}

/** A regular file as UTF-8 text (a byte order mark dropped); throws InputError (NotTextError for a spec that is an ONNX
 *  model or binary). */
export function readInputText(path: string, kind: InputKind): string {
  return decode(readInput(path, kind), kind, path);
}

/** Standard input as text, read in chunks up to the spec limit (it is usually a pipe). */
export function readStdinText(kind: InputKind = "spec"): string {
  const limit = inputLimit(kind);
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(1 << 16);
  for (;;) {
    let got: number;
    try {
      got = readSync(0, chunk, 0, chunk.length, null);
    } catch (caught) {
      const e = caught as NodeJS.ErrnoException;
      if (e?.code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (e?.code === "EOF") break;
      throw new InputError(reason(e));
    }
    if (got === 0) break;
    total += got;
    if (total > limit) throw tooLarge("standard input has more than", limit, kind, limit);
    chunks.push(Buffer.from(chunk.subarray(0, got)));
  }
  return decode(Buffer.concat(chunks), kind, null);
}
