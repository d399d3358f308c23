// A worker of `rgnn eval --points` (commands/eval.ts): loads the spec once, with the main thread's --set and
// values, then evaluates and formats the chunks of points it is sent. Runs as dist/src/cli/eval-worker.js.
import { parentPort, workerData } from "node:worker_threads";
import { pickMapping } from "../api/spec.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { eachFlat, pointMapping } from "../numeric/route.js";
import { inRequestGraph } from "../symbolic/expr.js";
import { loadSpec } from "../semantics/load.js";
import { servedWeights } from "../semantics/weights.js";
import { type EvalFormat, type EvalText, evalColumns, evalFormatter, evalTable, isBinary } from "./eval-format.js";
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
 * The points evaluated, formatted (`text`) or as rows of the binary table (`table`, `count` rows); the main thread
 * writes them as one thread would, so even a failed run's partial output is the same. `error`: the EvaluationError
 * that stopped the chunk after them.
 */
export interface EvalChunkResult {
  id: number;
  text: EvalText[];
  table?: Float64Array;
  count: number;
  error?: string;
  /** Any other failure (a bug): its stack, rethrown by the main thread. */
  crash?: string;
}

if (parentPort) {
  const port = parentPort;
  const init = workerData as EvalWorkerInit;
  const mapping = pickMapping(
    loadSpec(init.source, init.file, init.baseDir, parseAssignments(init.set), servedWeights(init.weights)),
    init.network,
  );
  const ev = inRequestGraph(mapping, () => pointMapping(mapping, init.env));
  const dims = { n: mapping.source.dim, m: mapping.target.dim };
  const binary = isBinary(init.format);
  const format = isBinary(init.format) ? null : evalFormatter(init.format, mapping);
  const columns = evalColumns(mapping).length;
  port.on("message", ({ id, start, points }: EvalChunk) => {
    const text: EvalText[] = [];
    let count = 0;
    const table = binary ? new Float64Array(points.length * columns) : undefined;
    const reply = (extra: Partial<EvalChunkResult>) =>
      port.postMessage({ id, text, table, count, ...extra } satisfies EvalChunkResult, table ? [table.buffer] : []);
    try {
      for (const v of eachFlat(ev, points, dims)) {
        const part = points.slice(count, count + v.count);
        if (table) evalTable(part, v, table, count);
        else text.push(format!.rows(part, v, start + count));
        count += v.count;
      }
      reply({});
    } catch (e) {
      if (e instanceof EvaluationError) reply({ error: e.message });
      else reply({ crash: crashText(e) });
    }
  });
}
