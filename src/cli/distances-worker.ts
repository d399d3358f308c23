// A worker of `rgnn distances` (commands/distances.ts): loads the spec once as the main thread did, builds one
// geodesic solver with the main thread's values, then solves the pairs it is sent. Runs as dist/src/cli/distances-worker.js.
import { parentPort, workerData } from "node:worker_threads";
import { pickMetric } from "../api/spec.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { geodesicDistance } from "../api/geodesic.js";
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
  let distance: ((from: number[], to: number[]) => number) | undefined, setupError: string | undefined;
  try {
    distance = geodesicDistance(metric, init.env);
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e; // a bug: the main thread's 'error' handler rethrows it
    setupError = e.message;
  }
  port.on("message", ({ k, i, j }: DistancePair) => {
    if (!distance) return port.postMessage({ k, error: setupError, fatal: true } satisfies DistanceResult);
    try {
      port.postMessage({ k, length: distance(init.points[i], init.points[j]) } satisfies DistanceResult);
    } catch (e) {
      if (e instanceof EvaluationError) port.postMessage({ k, error: e.message } satisfies DistanceResult);
      else port.postMessage({ k, crash: crashText(e) } satisfies DistanceResult);
    }
  });
}
