// How `rgnn eval` writes its results, shared by the main thread and its workers (eval-worker.ts), so that every
// thread count gives the same bytes: a head, the rows of each chunk of points, a tail. csv and npy hold the same
// table (one row per point: x, output, J row by row, g's upper triangle, rank), csv as text and npy as float64.
import type { Mapping } from "../semantics/model.js";
import type { FlatMappingValues } from "../numeric/route.js";
import { metricRank, metricRankAt } from "../numeric/linalg.js";
import { csvRows } from "./csv-rows.js";
import { fmt, json, matrixText } from "./format.js";

export type EvalFormat = "text" | "json" | "csv" | "npy";

/** A piece of a text format's output: a string, or ASCII bytes. */
export type EvalText = string | Uint8Array;

/** Formats that are text, written chunk by chunk; the others are one binary table. */
export type EvalTextFormat = Exclude<EvalFormat, "npy">;
export const isBinary = (format: EvalFormat): format is "npy" => format === "npy";

export interface EvalFormatter {
  head: string;
  /** The rows of a chunk of points; `start` is the index in the file of its first point (json puts a comma before
   *  every point but the file's first). csv's rows are ASCII bytes (csv-rows.ts), the others' text. */
  rows(points: readonly number[][], v: FlatMappingValues, start: number): EvalText;
  tail: string;
}

/** The table's column names: the csv header. */
export function evalColumns(mapping: Mapping): string[] {
  const coords = mapping.source.coords,
    m = mapping.target.dim,
    n = coords.length;
  // J_1_10 rather than J_110 once an index has two digits, so that every name reads one way
  const sep = Math.max(m, n) > 9 ? "_" : "";
  const header = [...coords, ...Array.from({ length: m }, (_, i) => `out_${i + 1}`)];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) header.push(`J_${i + 1}${sep}${j + 1}`);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) header.push(`g_${i + 1}${sep}${j + 1}`);
  header.push("rank");
  return header;
}

/** The metric of point k as rows (for its rank, and for the text and json formats). */
function metricRows(v: FlatMappingValues, k: number, n: number): number[][] {
  return Array.from({ length: n }, (_, a) => Array.from(v.metric.subarray((k * n + a) * n, (k * n + a + 1) * n)));
}

/**
 * The chunk's rows of the table into `out` from row `row` on (columns as evalColumns): the numbers csv prints and
 * npy holds. Returns the number of columns.
 */
export function evalTable(points: readonly number[][], v: FlatMappingValues, out: Float64Array, row = 0): number {
  const n = points[0]?.length ?? 0,
    m = (v.output.length * n * n) / v.metric.length; // the arrays may hold more points than count
  const columns = n + m + m * n + (n * (n + 1)) / 2 + 1;
  for (let k = 0; k < v.count; k++) {
    let o = (row + k) * columns;
    const p = points[k];
    for (let a = 0; a < n; a++) out[o++] = p[a];
    for (let i = 0; i < m; i++) out[o++] = v.output[k * m + i];
    const J = k * m * n;
    for (let e = 0; e < m * n; e++) out[o++] = v.jacobian[J + e];
    const g = k * n * n;
    for (let a = 0; a < n; a++) for (let b = a; b < n; b++) out[o++] = v.metric[g + a * n + b];
    out[o++] = metricRankAt(v.metric, g, n);
  }
  return columns;
}

export function evalFormatter(format: EvalTextFormat, mapping: Mapping): EvalFormatter {
  const coords = mapping.source.coords,
    m = mapping.target.dim,
    n = coords.length;
  if (format === "csv") {
    const columns = evalColumns(mapping).length;
    let table = new Float64Array(0);
    return {
      head: `${evalColumns(mapping).join(",")}\n`,
      rows(points, v) {
        if (table.length < v.count * columns) table = new Float64Array(v.count * columns);
        evalTable(points, v, table);
        return csvRows(table.subarray(0, v.count * columns), columns);
      },
      tail: "",
    };
  }
  const point = (points: readonly number[][], v: FlatMappingValues, k: number) => {
    const metric = metricRows(v, k, n);
    return {
      point: points[k],
      output: Array.from(v.output.subarray(k * m, (k + 1) * m)),
      jacobian: Array.from({ length: m }, (_, i) => Array.from(v.jacobian.subarray((k * m + i) * n, (k * m + i + 1) * n))),
      metric,
      rank: metricRank(metric),
    };
  };
  if (format === "json") {
    // json() of the whole object, written piece by piece: the same bytes without one giant string.
    const head = json({ mapping: mapping.name, source: mapping.source.name, coords, target: mapping.target.name, points: [0] });
    const [before, after] = head.split(/\n {4}0\n/);
    return {
      head: `${before}\n`,
      rows(points, v, start) {
        let s = "";
        for (let k = 0; k < v.count; k++)
          s += `${start + k === 0 ? "" : ",\n"}${JSON.stringify(point(points, v, k), null, 2).replace(/^/gm, "    ")}`;
        return s;
      },
      tail: `\n${after}`,
    };
  }
  return {
    head: "",
    rows(points, v) {
      let s = "";
      for (let k = 0; k < v.count; k++) {
        const r = point(points, v, k);
        s +=
          `${mapping.name} at (${r.point.map(fmt).join(", ")}):\n  output (${r.output.map(fmt).join(", ")})\n` +
          `${matrixText(
            "  J",
            r.jacobian.map((row) => row.map(fmt)),
          )}\n` +
          `${matrixText(
            "  g",
            r.metric.map((row) => row.map(fmt)),
          )}\n  rank ${r.rank}\n\n`;
      }
      return s;
    },
    tail: "",
  };
}
