// A worker of `rgnn distances` (commands/distances.ts): loads the spec once as the main thread did, builds one
// geodesic solver with the main thread's values, then solves the pairs it is sent, a chunk at a time in lockstep
// (geodesicDistances: their evaluations share block passes). Runs as dist/src/cli/distances-worker.js.
import { parentPort, workerData } from "node:worker_threads";
import { pickMetric } from "../api/spec.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { geodesicDistances } from "../api/geodesic.js";
import { loadSpec } from "../semantics/load.js";
import { servedWeights } from "../semantics/weights.js";
import { crashText, type WorkerSpec } from "./workers.js";

export interface DistancesWorkerInit extends WorkerSpec {
  metric?: string;
  points: number[][];
}

/** Pair number k (the order one thread solves them in): points i < j. */
export interface DistancePair {
  k: number;
  i: number;
  j: number;
}

/**
 * The pair's geodesic length; or `error`, the EvaluationError that stopped it (that pair's failure, or the solver's
 * own set-up failing, `fatal`); or `crash`, any other failure (a bug), rethrown by the main thread.
 */
export interface DistanceResult {
  k: number;
  length?: number;
  error?: string;
  fatal?: boolean;
  crash?: string;
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as DistancesWorkerInit;
  const metric = pickMetric(loadSpec(init.source, init.file, init.baseDir, undefined, servedWeights(init.weights)), init.metric);
  let distances: ((pairs: [number[], number[]][]) => (number | EvaluationError)[]) | undefined, setupError: string | undefined;
  try {
    distances = geodesicDistances(metric, init.env);
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e; // a bug: the main thread's 'error' handler rethrows it
    setupError = e.message;
  }
  /** A chunk of pairs in, their results out (one message each way). */
  port.on("message", (chunk: DistancePair[]) => {
    if (!distances) return port.postMessage(chunk.map(({ k }) => ({ k, error: setupError, fatal: true }) satisfies DistanceResult));
    try {
      const lengths = distances(chunk.map(({ i, j }) => [init.points[i], init.points[j]]));
      port.postMessage(
        chunk.map(({ k }, c) => {
          const d = lengths[c];
          return (d instanceof EvaluationError ? { k, error: d.message } : { k, length: d }) satisfies DistanceResult;
        }),
      );
    } catch (e) {
      // not one pair's failure (those are their entries): the chunk's points refused, or a bug
      const r = (k: number): DistanceResult => (e instanceof EvaluationError ? { k, error: e.message } : { k, crash: crashText(e) });
      port.postMessage(chunk.map(({ k }) => r(k)));
    }
  });
}
