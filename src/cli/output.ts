// Every file and every byte of standard output the CLI writes goes through here. A file is written
// atomically (a temporary file in the same folder, fsync, rename), so that a full disk or a crash
// leaves the old file intact rather than a truncated one; errors become one clear message.
import { EXIT, RgnnError } from "../core/errors.js";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/** A file or standard output could not be written; the message is "cannot write PATH: why" (exit 1). */
export class OutputError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** The reader of standard output has gone (`rgnn … | head`): stop quietly. */
export class OutputClosed extends RgnnError {
  readonly exitCode = EXIT.ok;
}

/** The low-level write, replaceable in tests to simulate a disk that fills up midway. */
export const lowLevel = { writeSync: writeSync as (fd: number, buf: Uint8Array, offset: number, length: number) => number };

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

function reason(e: unknown): string {
  const code = codeOf(e);
  switch (code) {
    case "ENOENT":
      return "no such directory";
    case "EISDIR":
      return "it is a directory";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EEXIST":
      return "it exists and is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "no space left on device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "EROFS":
      return "read-only file system";
    case "EFBIG":
      return "the file is too large for the file system";
    case "ENAMETOOLONG":
      return "the path is too long";
    case "EIO":
      return "input/output error";
    default:
      return code ?? String((e as Error | undefined)?.message ?? e);
  }
}

const cannot = (path: string, e: unknown) => new OutputError(`cannot write ${path}: ${reason(e)}`);

const statOrNull = (path: string, follow = true): Stats | null => {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
};

/** All of `bytes` to `fd`, retrying short writes and a non-blocking descriptor's EAGAIN. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += lowLevel.writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      if (codeOf(e) !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

const bytesOf = (data: string | Uint8Array) => (typeof data === "string" ? Buffer.from(data, "utf8") : data);

/**
 * Writes `data` to `path` atomically: the old file stays as it was unless the new one is complete.
 * A symbolic link is followed (its target is replaced); a device or FIFO (-o /dev/stdout) is written
 * directly, as it cannot be replaced. Throws OutputError.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  if (path === "") throw new OutputError("cannot write an empty path");
  if (/[/\\]$/.test(path) || statOrNull(path)?.isDirectory()) throw new OutputError(`cannot write ${path}: it is a directory`);
  const bytes = bytesOf(data);
  const existing = statOrNull(path);
  if (existing && !existing.isFile()) {
    let fd: number | undefined;
    try {
      fd = openSync(path, "w");
      writeAll(fd, bytes);
    } catch (e) {
      throw cannot(path, e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return;
  }
  // A link is followed so that its target is replaced, not the link (a dangling link has no target: it is replaced).
  const target = existing && statOrNull(path, false)?.isSymbolicLink() ? realpathSync(path) : path;
  const dir = dirname(target);
  if (!statOrNull(dir)) throw new OutputError(`cannot write ${path}: no such directory ${dir}`);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o666);
    if (existing) chmodSync(tmp, existing.mode & 0o7777);
    writeAll(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* it was never created, or already renamed */
    }
    throw cannot(path, e);
  }
}

/** Creates a folder for outputs (and its parents); throws OutputError. */
export function makeOutputDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw cannot(path, e);
  }
  if (!statOrNull(path)?.isDirectory()) throw new OutputError(`cannot write ${path}: it is not a directory`);
}

/**
 * Writes a set of files into `dir` (created if needed) as a whole: each is written and synced into a
 * staging folder inside `dir` first, and only when all are complete are they renamed into place, so a
 * full disk leaves the old set as it was. Throws OutputError.
 */
export function writeFileSet(dir: string, files: ReadonlyMap<string, string | Uint8Array>): void {
  makeOutputDir(dir);
  const staging = join(dir, `.rgnn-staging.${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  try {
    mkdirSync(staging);
  } catch (e) {
    throw cannot(dir, e);
  }
  try {
    for (const [name, data] of files) {
      try {
        writeFileAtomic(join(staging, name), data);
      } catch (e) {
        throw e instanceof OutputError ? new OutputError(e.message.replace(join(staging, name), join(dir, name))) : e;
      }
    }
    for (const name of files.keys()) {
      try {
        renameSync(join(staging, name), join(dir, name));
      } catch (e) {
        throw cannot(join(dir, name), e);
      }
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** True if both paths name the same existing file (any spelling, through symbolic links or hard links). */
export function sameFile(a: string, b: string): boolean {
  const sa = statOrNull(a),
    sb = statOrNull(b);
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  return resolve(a) === resolve(b);
}

/** Refuses an output that would overwrite one of the inputs being read. */
export function refuseInput(output: string, inputs: readonly (string | undefined)[], option = "-o"): void {
  for (const input of inputs)
    if (input && input !== "-" && sameFile(output, input))
      throw new OutputError(`cannot write ${output}: it is ${input}, an input of this command; ${option} must name another file`);
}

/** Text to standard output, synchronously (so that output streams and errors surface here). */
export function writeStdout(text: string): void {
  try {
    writeAll(1, Buffer.from(text, "utf8"));
  } catch (e) {
    if (codeOf(e) === "EPIPE") throw new OutputClosed("standard output closed");
    throw cannot("standard output", e);
  }
}
