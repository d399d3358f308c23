// `rgnn distances FILE --points pts.csv`: the symmetric matrix of geodesic distances between points, one
// boundary-value geodesic per pair with the metric's evaluators compiled once per thread, the pairs solved in lockstep
// (geodesicDistances). From THREADED_MIN_PAIRS pairs on, worker threads (distances-worker.ts) solve the pairs in
// chunks as they are handed out, two chunks in flight each.
import { availableParallelism } from "node:os";
import cliProgress from "cli-progress";
import { EvaluationError } from "../../numeric/evaluate.js";
import { assertDefiniteForDistances, assertDistancesFeasible, geodesicDistances } from "../../api/geodesic.js";
import { assertInChart } from "../../api/chart.js";
import { escapeControls } from "../../syntax/diagnostics.js";
import { commandEnv } from "../env.js";
import { fmt, json } from "../format.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { npyFile } from "../npy.js";
import { refuseInput, writeFileAtomic } from "../output.js";
import { readPointsFile } from "../csv.js";
import { choice } from "../options.js";
import { FORMATS } from "../formats.js";
import { evaluationFailure, wrapMessage } from "../failure.js";
import { readSpec } from "../spec.js";
import { inWorkers, threadsOption, workerSpec } from "../workers.js";
import type { DistancePair, DistanceResult, DistancesWorkerInit } from "../distances-worker.js";
import { pickMetric } from "../../api/spec.js";

export interface DistancesOptions {
  metric?: string;
  points: string;
  format: string;
  /** Where to write (npy, binary, needs a file); standard output by default. */
  output?: string;
  set?: string;
  weights?: string;
  /** Worker threads (default: one per core, at most 4, from THREADED_MIN_PAIRS pairs on; 1: none). */
  threads?: string;
}

/**
 * Fewest pairs for which distances starts workers by default. Measured under load ≈ 6 on the 2 cores: a worker takes
 * 0.22–0.26 s (examples/sphere.rgnn) to 0.54–0.83 s (examples/decoder.rgnn, weights 0.3 s) from start to its first
 * reply (isolate, modules, spec load, solver set-up), and one geodesic 0.03–0.05 s (the sphere) to 1–3 s (the
 * decoder). Two workers gain once pairs × t / 2 exceeds the start-up: from ≈ 17 pairs on the sphere; 24 (7 points)
 * leaves a margin for the cheapest metrics.
 */
export const THREADED_MIN_PAIRS = 24;
/** Chunks sent to each worker ahead: one being solved, one waiting, so no worker waits for the main thread. */
const IN_FLIGHT = 2;
/**
 * Most pairs in a chunk: a worker solves a chunk's pairs in lockstep (their evaluations share block passes through the
 * network), so a chunk should be large; but each worker should get several, so that one that runs slower (a loaded
 * core, harder pairs) leaves little for the other to wait on: pairs / (4 · threads), at most this many.
 */
const CHUNK = 64;

function threadCount(opts: DistancesOptions, pairs: number): number {
  const n = threadsOption(opts.threads);
  if (n === undefined) return pairs < THREADED_MIN_PAIRS ? 1 : Math.min(availableParallelism(), 4);
  return Math.max(1, Math.min(n, pairs));
}

/** The command's result: a Promise where workers run (more than one pair and threads > 1). */
export function distancesCommand(io: IO, file: string, opts: DistancesOptions): number | Promise<number> {
  const format = choice(opts.format, FORMATS.distances, "--format");
  if (format === "npy" && opts.output === undefined) throw new UsageError("--format npy is binary: give -o FILE.npy");
  if (opts.output !== undefined) refuseInput(opts.output, [file, opts.points, opts.weights]);
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const metric = pickMetric(loaded.model, opts.metric);
  const coords = metric.manifold.coords;
  const points = readPointsFile(io, opts.points, coords.length);
  if (!points) return EXIT.failure;
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    assertDistancesFeasible(points.length); // before the pairs and the matrix exist
    assertInChart(metric.manifold, points); // one message, not one per pair
    assertDefiniteForDistances(metric, env, points); // Minkowski's intervals are not distances
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
  const m = points.length;
  const D: (number | null)[][] = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 0 : null)));
  const pairs: [number, number][] = [];
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) pairs.push([i, j]);
  const threads = threadCount(opts, pairs.length);
  const bar =
    process.stderr.isTTY && pairs.length > 1
      ? new cliProgress.SingleBar(
          { format: "geodesics {bar} {value}/{total} pairs | {eta_formatted} left", stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(pairs.length, 0);
  /** [pair number, message]: written in pair order, whichever thread finished first. */
  const failures: [number, string][] = [];
  const record = (k: number, r: { length?: number; error?: string }) => {
    const [i, j] = pairs[k];
    if (r.error !== undefined) failures.push([k, `points ${i + 1} and ${j + 1}: ${r.error}`]);
    else D[i][j] = D[j][i] = r.length!;
    bar?.increment();
  };
  const report = () => {
    bar?.stop();
    const text: string[] = [];
    const write = opts.output === undefined ? (t: string) => io.out(t) : (t: string) => text.push(t);
    const told = { io, detail: `${m}×${m} distances` };
    if (format === "npy")
      writeFileAtomic(
        opts.output!,
        npyFile(
          [m, m],
          Float64Array.from(D.flat(), (d) => d ?? NaN),
        ),
        [],
        told,
      );
    else if (format === "json") write(json({ metric: metric.name, coords, points, distances: D }));
    else if (format === "csv") for (const row of D) write(`${row.map((d) => (d === null ? "" : String(d))).join(",")}\n`);
    else {
      const source = escapeControls(opts.points); // a file name's ESC or BEL must not reach a terminal that shows the file
      write(`geodesic distances of ${metric.name} between ${m} points (row and column i: point i of ${source})\n`);
      const cells = D.map((row) => row.map((d) => (d === null ? "—" : fmt(d))));
      const width = Math.max(...cells.flat().map((c) => c.length));
      for (const row of cells) write(`  ${row.map((c) => c.padStart(width)).join("  ")}\n`);
    }
    if (opts.output !== undefined && format !== "npy") writeFileAtomic(opts.output, text.join(""), [], told);
    failures.sort((a, b) => a[0] - b[0]);
    for (const [, f] of failures) io.err(`${wrapMessage(`${loaded.model.file}: error: no geodesic between ${f}`)}\n`);
    return failures.length ? EXIT.failure : EXIT.ok;
  };
  const failed = (e: unknown) => {
    bar?.stop();
    return evaluationFailure(io, loaded.model.file, e);
  };
  if (threads > 1) {
    const init: DistancesWorkerInit = { ...workerSpec(loaded, file, env), metric: opts.metric, points };
    let sent = 0,
      done = 0;
    const chunk = Math.max(1, Math.min(CHUNK, Math.ceil(pairs.length / (4 * threads))));
    return inWorkers<DistancePair[], DistanceResult[], true>({
      script: "distances-worker",
      init,
      threads,
      inFlight: IN_FLIGHT,
      next() {
        if (sent >= pairs.length) return undefined;
        const jobs = pairs.slice(sent, sent + chunk).map(([i, j], c) => ({ k: sent + c, i, j }));
        sent += jobs.length;
        return jobs;
      },
      reply(rs) {
        for (const r of rs) {
          if (r.crash !== undefined) throw new Error(`distances worker: ${r.crash}`);
          if (r.fatal) throw new EvaluationError(r.error); // the solver could not be set up: what one thread reports
          record(r.k, r);
        }
        done += rs.length;
        return done === pairs.length ? true : undefined;
      },
    }).then(report, failed);
  }
  try {
    const lengths = geodesicDistances(metric, env)(pairs.map(([i, j]) => [points[i], points[j]]));
    for (const [k, d] of lengths.entries()) record(k, d instanceof EvaluationError ? { error: d.message } : { length: d });
  } catch (e) {
    return failed(e);
  }
  return report();
}
