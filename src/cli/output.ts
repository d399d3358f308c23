// Every file and every byte of standard output the CLI writes goes through here. A file is written
// atomically (a temporary file in the same folder, fsync, rename), so that a full disk or a crash
// leaves the old file intact rather than a truncated one; errors become one clear message.
import { EXIT, RgnnError } from "../core/errors.js";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
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

/** The low-level write and rename, replaceable in tests to simulate a disk that fills up midway or a failing rename. */
export const lowLevel = {
  writeSync: writeSync as (fd: number, buf: Uint8Array, offset: number, length: number) => number,
  renameSync: renameSync as (from: string, to: string) => void,
};

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

/** ENOENT in a folder that exists (/proc, /sys: no new file can be made there) is not a missing folder. */
const cannot = (path: string, e: unknown) =>
  new OutputError(
    `cannot write ${path}: ${
      codeOf(e) === "ENOENT" && statOrNull(dirname(resolve(path)))?.isDirectory() ? `no file can be created in ${dirname(path)}` : reason(e)
    }`,
  );

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

/**
 * A file's contents: text (written as UTF-8), bytes, or bytes in pieces, written one after another and never joined.
 * The pieces may be made as they are written (a generator): each is written before the next is asked for, so a
 * producer may hand out the same buffer again; what it throws ends the write as itself, the old file kept.
 */
export type OutputData = string | Uint8Array | Iterable<Uint8Array>;

const bytesOf = (data: OutputData): Iterable<Uint8Array> =>
  typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;

/** Every piece to fd; a failing write is `cannot write`, a failing producer throws its own error. */
function writePieces(fd: number, p: Planned): void {
  for (const piece of p.bytes)
    try {
      writeAll(fd, piece);
    } catch (e) {
      throw cannot(p.shown, e);
    }
}

/** Where a path's symbolic links lead through /proc or /dev/fd (-o /dev/stdout): a stream, never renamed over. */
function throughProcess(path: string): boolean {
  let p = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    if (/^\/(proc|dev\/fd)(\/|$)/.test(p)) return true;
    let link: string;
    try {
      link = readlinkSync(p);
    } catch {
      return false; // not a link (or gone): the end of the chain
    }
    p = resolve(dirname(p), link);
  }
  return false;
}

/** One file of a set being written: where, and how (replaced through a temporary file, or written as a stream). */
interface Planned {
  /** The path as the user gave it, for messages. */
  shown: string;
  /** The file replaced: the path, or a link's regular target (the link stays a link). */
  target: string;
  /** A device, a FIFO or a /proc descriptor: written directly, as it cannot be replaced. */
  stream: boolean;
  /** Identity among the outputs: device and inode of an existing file, else the resolved path. */
  key: string;
  mode?: number;
  bytes: Iterable<Uint8Array>;
  tmp?: string;
  backup?: string;
}

const fileKind = (s: Stats) =>
  s.isBlockDevice() ? "a block device" : s.isSocket() ? "a socket" : s.isSymbolicLink() ? "a symbolic link" : "not a regular file";

/** How `path` is to be written, or an OutputError saying why it may not be. */
function planOutput(path: string, data: OutputData, folderMade = true): Planned {
  if (path === "") throw new OutputError("cannot write an empty path");
  const bytes = bytesOf(data);
  if (/[/\\]$/.test(path) || statOrNull(path)?.isDirectory()) throw new OutputError(`cannot write ${path}: it is a directory`);
  const existing = statOrNull(path);
  const key = (s: Stats | null, p: string) => {
    if (s) return `${s.dev}:${s.ino}`;
    try {
      return join(realpathSync.native(dirname(p)), basename(p));
    } catch {
      return resolve(p);
    }
  };
  if (throughProcess(path) || existing?.isCharacterDevice() || existing?.isFIFO())
    return { shown: path, target: path, stream: true, key: key(existing, path), bytes };
  if (existing && !existing.isFile())
    throw new OutputError(`cannot write ${path}: it is ${fileKind(existing)}; rgnn writes regular files, devices and pipes only`);
  const link = statOrNull(path, false)?.isSymbolicLink();
  // A dangling link would create its target wherever it points: refused rather than followed or replaced.
  if (link && !existing) throw new OutputError(`cannot write ${path}: it is a symbolic link to a missing file`);
  // A link to a regular file is followed: its target is replaced and the link stays a link.
  const target = link ? realpathSync.native(path) : path;
  if (folderMade && !statOrNull(dirname(target))) throw new OutputError(`cannot write ${path}: no such directory ${dirname(target)}`);
  return { shown: path, target, stream: false, key: key(existing, target), mode: existing ? existing.mode & 0o7777 : undefined, bytes };
}

/**
 * Refuses outputs that name one of the command's inputs (any spelling, links included) or each other, before any
 * work: throws OutputError. `option` is how the user chose the output, for the message.
 */
export function checkOutputs(outputs: readonly string[], inputs: readonly (string | undefined)[], option = "-o"): void {
  for (const output of outputs) refuseInput(output, inputs, option);
  const seen = new Map<string, string>();
  for (const output of outputs) {
    const { key, stream } = planOutput(output, "", false); // a set's folder may be made after the check
    if (stream) continue; // two outputs to /dev/null or standard output are harmless
    const other = seen.get(key);
    if (other !== undefined)
      throw new OutputError(
        `cannot write ${output}: it is also ${other}, another output of this command; ${option} must name another file`,
      );
    seen.set(key, output);
  }
}

/** Temporary and backup files of a set being written: removed if the process is interrupted meanwhile. */
const pending = new Set<string>();
const removeQuietly = (path: string) => {
  try {
    unlinkSync(path);
  } catch {
    /* never created, or already renamed */
  }
  pending.delete(path);
};
/** Ctrl-C while a set is written: the temporary files go, and the process ends as interrupted. */
function onInterrupt(): void {
  for (const p of [...pending]) removeQuietly(p);
  process.exit(130);
}

const scratchName = (target: string, ending: string) =>
  join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.${ending}`);

/** Each new file into a synced temporary file beside the one it replaces. */
function stage(p: Planned): void {
  p.tmp = scratchName(p.target, "tmp");
  pending.add(p.tmp);
  let fd: number | undefined;
  try {
    try {
      fd = openSync(p.tmp, "wx", 0o666);
      if (p.mode !== undefined) chmodSync(p.tmp, p.mode);
    } catch (e) {
      throw cannot(p.shown, e);
    }
    writePieces(fd, p);
    try {
      fsyncSync(fd);
    } catch (e) {
      throw cannot(p.shown, e);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeStream(p: Planned): void {
  let fd: number | undefined;
  try {
    try {
      fd = openSync(p.shown, "w");
    } catch (e) {
      throw cannot(p.shown, e);
    }
    writePieces(fd, p);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Who is told what a command wrote, once the whole set is in place: the command's standard error gets one line,
 * `wrote PATH` (see wroteLine). `shown` replaces the paths written (a set: its folder), `detail` follows in brackets.
 */
export interface Told {
  io: { err(text: string): void };
  detail?: string;
  shown?: readonly string[];
}

/** At most this many paths are named in a `wrote` line; a larger set in one folder is "N files in DIR". */
const NAMED_PATHS = 3;

/**
 * The one line every command prints for the files it wrote, all in the same words: "wrote a.svg",
 * "wrote net.rgnn and net.safetensors (3 layers)", "wrote 43 files in figures (…)".
 */
export function wroteLine(paths: readonly string[], detail?: string): string {
  const folders = new Set(paths.map((p) => dirname(p)));
  const what =
    paths.length > NAMED_PATHS && folders.size === 1
      ? `${paths.length} files in ${[...folders][0]}`
      : paths.length < 2
        ? paths.join("")
        : `${paths.slice(0, -1).join(", ")} and ${paths.at(-1)}`;
  return `wrote ${what}${detail ? ` (${detail})` : ""}\n`;
}

/**
 * Writes the command's output files as a set: none may be one of `inputs` or another of the outputs; every
 * regular file is written and synced to a temporary file first, and only when all are complete are they renamed
 * into place. If a rename fails, the ones done are undone (the old files were kept as hard links), so the old set
 * stays as it was; no temporary file is left, also on Ctrl-C. A device, a FIFO or /dev/stdout is written directly
 * (it cannot be replaced) before the renames. Then `told` hears the one `wrote` line. Throws OutputError.
 */
export function writeOutputs(
  files: readonly { path: string; data: OutputData }[],
  inputs: readonly (string | undefined)[] = [],
  told?: Told,
): void {
  checkOutputs(
    files.map((f) => f.path),
    inputs,
  );
  const plan = files.map((f) => planOutput(f.path, f.data));
  // While a listener is installed, Ctrl-C no longer kills the process mid-write: it is handled after the write.
  const guard = !process.listeners("SIGINT").includes(onInterrupt);
  if (guard) process.on("SIGINT", onInterrupt);
  const renamed: Planned[] = [];
  try {
    for (const p of plan) if (!p.stream) stage(p);
    for (const p of plan) if (p.stream) writeStream(p);
    for (const p of plan) {
      if (p.stream) continue;
      if (p.mode !== undefined) {
        // the old file under a second name, to put back if a later rename fails (a file system without hard links: none)
        const backup = scratchName(p.target, "old");
        try {
          linkSync(p.target, backup);
          p.backup = backup;
          pending.add(backup);
        } catch {
          /* no backup: this file cannot be rolled back */
        }
      }
      try {
        lowLevel.renameSync(p.tmp as string, p.target);
      } catch (e) {
        throw cannot(p.shown, e);
      }
      pending.delete(p.tmp as string);
      renamed.push(p);
    }
  } catch (e) {
    for (const p of renamed.reverse()) {
      try {
        if (p.backup) renameSync(p.backup, p.target);
        else if (p.mode === undefined) unlinkSync(p.target);
      } catch {
        /* as much of the old set as can be put back */
      }
    }
    throw e;
  } finally {
    for (const p of plan) {
      if (p.tmp) removeQuietly(p.tmp);
      if (p.backup) removeQuietly(p.backup);
    }
    // removed after the loop's next poll, which delivers a Ctrl-C that came during the write to onInterrupt
    if (guard) setImmediate(() => process.removeListener("SIGINT", onInterrupt));
  }
  told?.io.err(wroteLine(told.shown ?? files.map((f) => f.path), told.detail));
}

/** Writes `data` to `path` atomically (see writeOutputs): the old file stays as it was unless the new one is complete. */
export function writeFileAtomic(path: string, data: OutputData, inputs: readonly (string | undefined)[] = [], told?: Told): void {
  writeOutputs([{ path, data }], inputs, told);
}

/** Creates a folder for outputs (and its parents); throws OutputError. */
export function makeOutputDir(path: string): void {
  // one level at a time from the nearest existing folder: Node's recursive mkdirSync never returns under /proc
  const missing: string[] = [];
  for (let p = resolve(path); !statOrNull(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
  try {
    for (const d of missing) mkdirSync(d);
  } catch (e) {
    throw cannot(path, e);
  }
  if (!statOrNull(path)?.isDirectory()) throw new OutputError(`cannot write ${path}: it exists and is not a directory`);
  // a folder no file can be made in (read-only, immutable, /sys) is found now, before the work whose files it would hold
  probeFolder(join(path, "probe"));
}

/** Writes a set of files into `dir` (created if needed) as a whole, as writeOutputs does. Throws OutputError. */
export function writeFileSet(
  dir: string,
  files: ReadonlyMap<string, string | Uint8Array>,
  inputs: readonly (string | undefined)[] = [],
  told?: Told,
): void {
  makeOutputDir(dir);
  writeOutputs(
    [...files].map(([name, data]) => ({ path: join(dir, name), data })),
    inputs,
    told,
  );
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
  probeFolder(output);
}

/**
 * Refuses, before any work, an output whose folder exists but takes no new file: read-only or immutable (which stop
 * root too), a path through a regular file, or /proc — found by making and removing a temporary file there, so that
 * `train` or `derive` does not compute for minutes only to fail at the write. A device or FIFO is written directly.
 */
function probeFolder(output: string): void {
  const existing = statOrNull(output);
  if (existing?.isCharacterDevice() || existing?.isFIFO()) return;
  const folder = statOrNull(dirname(resolve(output)));
  if (!folder) return; // a folder the command makes, or whose absence the write reports
  if (!folder.isDirectory()) throw new OutputError(`cannot write ${dirname(output)}: it exists and is not a directory`);
  if (throughProcess(output)) {
    if (!existing) throw cannot(output, Object.assign(new Error("no such file"), { code: "ENOENT" }));
    return;
  }
  const probe = scratchName(resolve(output), "tmp");
  try {
    pending.add(probe);
    closeSync(openSync(probe, "wx", 0o600));
  } catch (e) {
    throw cannot(output, e);
  } finally {
    removeQuietly(probe);
  }
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
