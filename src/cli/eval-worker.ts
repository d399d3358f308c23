// A worker of `rgnn eval --points` (commands/eval.ts): loads the spec once, with the main thread's --set and
// values, then evaluates and formats the chunks of points it is sent. Runs as dist/src/cli/eval-worker.js.
import { parentPort, workerData } from "node:worker_threads";
import { pickMapping } from "../api/spec.js";
import { mappingEvaluator } from "../api/mapping.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { loadSpec } from "../semantics/load.js";
import { type EvalFormat, evalFormatter } from "./eval-format.js";
import { parseAssignments } from "./options.js";
import { crashText, type WorkerSpec } from "./workers.js";

export interface EvalWorkerInit extends WorkerSpec {
  set?: string;
  network?: string;
  format: EvalFormat;
}

export interface EvalChunk {
  id: number;
  /** Index in the file of the chunk's first point. */
  start: number;
  points: number[][];
}

/**
 * The formatted rows of the points evaluated, one string each (the main thread writes them as one thread would, so
 * even a failed run's partial output is the same); `error`: the EvaluationError that stopped the chunk after them.
 */
export interface EvalChunkResult {
  id: number;
  rows: string[];
  error?: string;
  /** Any other failure (a bug): its stack, rethrown by the main thread. */
  crash?: string;
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as EvalWorkerInit;
  const mapping = pickMapping(loadSpec(init.source, init.file, init.baseDir, parseAssignments(init.set)), init.network);
  const ev = mappingEvaluator(mapping, init.env);
  const format = evalFormatter(init.format, mapping);
  port.on("message", ({ id, start, points }: EvalChunk) => {
    const rows: string[] = [];
    try {
      let k = start;
      for (const r of ev.each(points)) rows.push(format.row(r, k++ === 0));
      port.postMessage({ id, rows } satisfies EvalChunkResult);
    } catch (e) {
      if (e instanceof EvaluationError) port.postMessage({ id, rows, error: e.message } satisfies EvalChunkResult);
      else port.postMessage({ id, rows, crash: crashText(e) } satisfies EvalChunkResult);
    }
  });
}
