import { availableParallelism } from "node:os";
import { pickMapping } from "../../api/spec.js";
import { assertInChart } from "../../api/chart.js";
import { commandEnv } from "../env.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { choice, parsePoint } from "../options.js";
import { FORMATS } from "../formats.js";
import { readPointsFile } from "../csv.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { type EvalText, evalColumns, evalFormatter, evalTable, isBinary } from "../eval-format.js";
import { npyBody, npyFile, npyHeader } from "../npy.js";
import { refuseInput, writeFileAtomic } from "../output.js";
import { eachFlat, type FlatMappingValues, pointMapping } from "../../numeric/route.js";
import { inRequestGraph } from "../../symbolic/expr.js";
import type { EvalChunk, EvalChunkResult, EvalWorkerInit } from "../eval-worker.js";
import { EvaluationError } from "../../numeric/evaluate.js";
import { inWorkers, threadsOption, workerSpec } from "../workers.js";

export interface EvalOptions {
  network?: string;
  at?: string;
  points?: string;
  format: string;
  set?: string;
  weights?: string;
  /** Where to write (the binary formats need a file); standard output by default. */
  output?: string;
  /** Worker threads for --points (default: one per core, at most 4, from THREADED_MIN_POINTS points on). */
  threads?: string;
}

/**
 * Fewest points for which eval --points starts workers by default. Measured on the width-8 depth-64 residual net
 * (bench/networks.ts, a 100 kB spec): a worker takes 0.6–1.0 s from start to its first row (isolate, modules, spec
 * load 0.3–0.45 s, engine set-up), and one thread spends ≈ 330 µs of CPU per point with its csv row, so two workers
 * break even near 4·10³ points on free cores; 10⁴ leaves room for a loaded machine and bigger specs.
 */
export const THREADED_MIN_POINTS = 10_000;
/** Points per message to a worker, and chunks in flight per worker (the rows waiting to be written stay bounded). */
const CHUNK = 1000,
  IN_FLIGHT = 2;

function threadCount(opts: EvalOptions, points: number): number {
  const n = threadsOption(opts.threads);
  if (n === undefined) return points < THREADED_MIN_POINTS ? 1 : Math.min(availableParallelism(), 4);
  return Math.min(n, Math.ceil(points / CHUNK));
}

/** The command's result: a Promise where workers run (--points with threads > 1). */
export function evalCommand(io: IO, file: string, opts: EvalOptions): number | Promise<number> {
  const format = choice(opts.format, FORMATS.eval, "--format");
  if ((opts.at === undefined) === (opts.points === undefined)) throw new UsageError("give exactly one of --at POINT and --points FILE.csv");
  if (opts.threads !== undefined && opts.points === undefined) throw new UsageError("--threads goes with --points");
  if (isBinary(format) && opts.output === undefined) throw new UsageError(`--format ${format} is binary: give -o FILE.${format}`);
  if (opts.output !== undefined) refuseInput(opts.output, [file, opts.points, opts.weights]);
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const mapping = pickMapping(loaded.model, opts.network);
  let points: number[][];
  if (opts.at !== undefined) points = [parsePoint(opts.at, mapping.source)];
  else {
    const read = readPointsFile(io, opts.points!, mapping.source.dim);
    if (!read) return EXIT.failure;
    points = read;
  }
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    assertInChart(mapping.source, points); // before any row is written
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
  const threads = threadCount(opts, points.length);
  const columns = evalColumns(mapping).length;
  const formatter = isBinary(format) ? null : evalFormatter(format, mapping);
  const detail = `${points.length} point${points.length === 1 ? "" : "s"}`;
  const dims = { n: mapping.source.dim, m: mapping.target.dim };
  if (threads === 1 && opts.output !== undefined) {
    // To a file on one thread: each chunk's rows go to the temporary file as they are made, from one reused table,
    // and the file replaces the old one when all are written (a point that cannot be evaluated leaves it as it was).
    let done = 0;
    function* file(): Generator<Uint8Array> {
      const ev = inRequestGraph(mapping, () => pointMapping(mapping, env!));
      if (formatter === null) yield npyHeader([points.length, columns]);
      else yield Buffer.from(formatter.head, "utf8");
      let chunk = new Float64Array(0);
      for (const v of eachFlat(ev, points, dims)) {
        const part = points.slice(done, done + v.count);
        if (formatter !== null) {
          const rows = formatter.rows(part, v, done);
          yield typeof rows === "string" ? Buffer.from(rows, "utf8") : rows;
        } else {
          if (chunk.length < v.count * columns) chunk = new Float64Array(v.count * columns);
          evalTable(part, v, chunk);
          yield npyBody(chunk.subarray(0, v.count * columns));
        }
        done += v.count;
      }
      if (formatter !== null) yield Buffer.from(formatter.tail, "utf8");
    }
    try {
      writeFileAtomic(opts.output, file(), [], { io, detail });
      return EXIT.ok;
    } catch (e) {
      return evaluationFailure(io, loaded.model.file, e);
    }
  }
  const table = isBinary(format) ? new Float64Array(points.length * columns) : null;
  let rowsDone = 0;
  // Text goes out in pieces of about 64 kB: streaming, without a write per line; to a file (-o) once, at the end, as
  // bytes (csv's rows are bytes already: no string of the whole table is ever made).
  const toFile: Uint8Array[] = [];
  let pending: EvalText[] = [],
    size = 0;
  const flush = () => {
    const pieces = pending;
    pending = [];
    size = 0;
    if (opts.output !== undefined) {
      for (const p of pieces) toFile.push(typeof p === "string" ? Buffer.from(p, "utf8") : p);
      return;
    }
    const text = pieces.map((p) => (typeof p === "string" ? p : Buffer.from(p.buffer, p.byteOffset, p.length).toString("latin1"))).join("");
    // in pieces of at most 64 kB (a chunk of json rows is larger), never between the halves of a surrogate pair
    for (let at = 0; at < text.length; ) {
      let end = Math.min(text.length, at + (1 << 16));
      if (end < text.length && (text.charCodeAt(end - 1) & 0xfc00) === 0xd800) end--;
      io.out(text.slice(at, end));
      at = end;
    }
  };
  const out = (text: EvalText) => {
    pending.push(text);
    size += text.length;
    if (size >= 1 << 16) flush();
  };
  out(formatter?.head ?? "");
  const done = () => {
    out(formatter?.tail ?? "");
    flush();
    if (opts.output !== undefined)
      writeFileAtomic(opts.output, table ? npyFile([points.length, columns], table) : toFile, [], { io, detail });
    return EXIT.ok;
  };
  /** A point that cannot be evaluated: the rows before it go out (not to a file), then the message. */
  const failed = (e: EvaluationError) => {
    if (opts.output === undefined) flush();
    return evaluationFailure(io, loaded.model.file, e);
  };
  /** A chunk's values, written as its format writes them. */
  const take = (part: readonly number[][], v: FlatMappingValues) => {
    if (table) evalTable(part, v, table, rowsDone);
    else out(formatter!.rows(part, v, rowsDone));
    rowsDone += v.count;
  };
  if (threads > 1) {
    const init: EvalWorkerInit = { ...workerSpec(loaded, file, env), set: opts.set, network: opts.network, format };
    const chunk = (r: EvalChunkResult) => {
      if (table && r.table) table.set(r.table.subarray(0, r.count * columns), rowsDone * columns);
      else for (const t of r.text) out(t);
      rowsDone += r.count;
    };
    return evalInWorkers(init, points, threads, chunk).then(
      (error) => (error === null ? done() : failed(new EvaluationError(error))),
      (e) => evaluationFailure(io, loaded.model.file, e),
    );
  }
  try {
    // Rows are written as their chunk is evaluated, so that a million stream out.
    const ev = inRequestGraph(mapping, () => pointMapping(mapping, env));
    for (const v of eachFlat(ev, points, dims)) take(points.slice(rowsDone, rowsDone + v.count), v);
    return done();
  } catch (e) {
    return e instanceof EvaluationError ? failed(e) : evaluationFailure(io, loaded.model.file, e);
  }
}

/**
 * The points' values, evaluated by `threads` workers chunk by chunk and taken in input order as chunks complete;
 * resolves to null, or to the message of the first point (in input order) that could not be evaluated, after the
 * rows before it — what one thread writes.
 */
function evalInWorkers(
  init: EvalWorkerInit,
  points: number[][],
  threads: number,
  take: (r: EvalChunkResult) => void,
): Promise<string | null> {
  const chunks = Math.ceil(points.length / CHUNK);
  const ready = new Map<number, EvalChunkResult>();
  let sent = 0,
    written = 0;
  return inWorkers<EvalChunk, EvalChunkResult, string | null>({
    script: "eval-worker",
    init,
    threads,
    inFlight: IN_FLIGHT,
    next() {
      if (sent >= chunks) return undefined;
      const start = sent * CHUNK;
      return { id: sent++, start, points: points.slice(start, start + CHUNK) };
    },
    reply(r) {
      ready.set(r.id, r);
      for (let next = ready.get(written); next; next = ready.get(written)) {
        ready.delete(written++);
        take(next); // may throw: standard output closed (… | head), as on one thread
        if (next.crash !== undefined) throw new Error(`eval worker: ${next.crash}`);
        if (next.error !== undefined) return next.error;
        if (written === chunks) return null;
      }
      return undefined;
    },
  });
}
