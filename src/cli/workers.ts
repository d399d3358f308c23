// Worker threads for the batch commands (eval --points, distances): where a worker script lives, --threads, and
// one dispatcher that keeps a few jobs in flight per worker and hands out the next as each result comes back.
import { Worker } from "node:worker_threads";
import { UsageError } from "./io.js";

/** A worker script (eval-worker, distances-worker): beside this module's dist/ copy; from the TS sources (vitest) that one. */
export function workerUrl(name: string): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL(`../../dist/src/cli/${name}.js`, import.meta.url)
    : new URL(`./${name}.js`, import.meta.url);
}

/** What every worker loads first: the spec as the main thread read it (stdin included) and its parameter values. */
export interface WorkerSpec {
  source: string;
  file: string;
  /** The folder weights files are read from, for a spec from standard input (else the spec file's own). */
  baseDir?: string;
  env: Map<string, number>;
  /** The weights files' bytes as the main thread read them (servedWeights): never read again from disk. */
  weights: Map<string, Uint8Array>;
}

/** The WorkerSpec of a loaded spec (`file` as given on the command line, "-" for standard input). */
export function workerSpec(
  loaded: { source: string; model: { file: string }; weights: Map<string, Uint8Array> },
  file: string,
  env: Map<string, number>,
): WorkerSpec {
  const baseDir = file === "-" ? process.cwd() : undefined;
  return { source: loaded.source, file: loaded.model.file, baseDir, env, weights: loaded.weights };
}

/** --threads N: a whole number from 1 to 64; undefined when not given (the command's default). */
export function threadsOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--threads ${text}: expected a whole number from 1 to 64`);
  return n;
}

/** What a worker reports for a failure that is not the input's (a bug): its stack, rethrown by the main thread. */
export function crashText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export interface Dispatch<Job, Reply, T> {
  /** The worker script's name under dist/src/cli/ (workerUrl). */
  script: string;
  /** Each worker's workerData (structured-cloned). */
  init: unknown;
  threads: number;
  /** Jobs sent to each worker before its first reply: it never waits for the main thread while they last. */
  inFlight: number;
  /** The next job to send, or undefined when none is left. */
  next(): Job | undefined;
  /** Takes each reply as it arrives: a value ends the run with it; undefined waits for more; a throw rejects. */
  reply(r: Reply): T | undefined;
}

/**
 * Runs jobs on `threads` workers until `reply` gives a value; rejects with what `reply` throws, a worker's error
 * or a worker's exit. The workers are terminated either way and replies after the end are dropped.
 */
export function inWorkers<Job, Reply, T>(d: Dispatch<Job, Reply, T>): Promise<T> {
  const workers = Array.from({ length: d.threads }, () => new Worker(workerUrl(d.script), { workerData: d.init }));
  const send = (w: Worker) => {
    const job = d.next();
    if (job !== undefined) w.postMessage(job);
  };
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      f();
    };
    for (const w of workers) {
      w.on("message", (r: Reply) => {
        if (settled) return;
        let value: T | undefined;
        try {
          value = d.reply(r);
        } catch (e) {
          return finish(() => reject(e));
        }
        if (value !== undefined) return finish(() => resolve(value));
        send(w);
      });
      w.on("error", (e) => finish(() => reject(e)));
      w.on("exit", (code) => {
        if (code !== 0) finish(() => reject(new Error(`${d.script} exited with code ${code}`)));
      });
      for (let k = 0; k < d.inFlight; k++) send(w);
    }
  });
}
