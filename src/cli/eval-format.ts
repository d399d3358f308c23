// How `rgnn eval` writes its results, shared by the main thread and its workers (eval-worker.ts), so that every
// thread count gives the same bytes: a head, one piece per point, a tail.
import type { MappingValue } from "../api/mapping.js";
import type { Mapping } from "../semantics/model.js";
import { fmt, json, matrixText } from "./format.js";

export type EvalFormat = "text" | "json" | "csv";

export interface EvalFormatter {
  head: string;
  /** One point's result; `first` is whether it is the first point of the file (json puts a comma before the others). */
  row(r: MappingValue, first: boolean): string;
  tail: string;
}

export function evalFormatter(format: EvalFormat, mapping: Mapping): EvalFormatter {
  const coords = mapping.source.coords,
    m = mapping.target.dim,
    n = coords.length;
  if (format === "json") {
    // json() of the whole object, written piece by piece: the same bytes without one giant string.
    const head = json({ mapping: mapping.name, source: mapping.source.name, coords, target: mapping.target.name, points: [0] });
    const [before, after] = head.split(/\n {4}0\n/);
    return {
      head: `${before}\n`,
      row: (r, first) => `${first ? "" : ",\n"}${JSON.stringify(r, null, 2).replace(/^/gm, "    ")}`,
      tail: `\n${after}`,
    };
  }
  if (format === "csv") {
    const header = [...coords, ...Array.from({ length: m }, (_, i) => `out_${i + 1}`)];
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) header.push(`J_${i + 1}${j + 1}`);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) header.push(`g_${i + 1}${j + 1}`);
    header.push("rank");
    return {
      head: `${header.join(",")}\n`,
      row(r) {
        const g: number[] = [];
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) g.push(r.metric[i][j]);
        return `${[...r.point, ...r.output, ...r.jacobian.flat(), ...g, r.rank].join(",")}\n`;
      },
      tail: "",
    };
  }
  return {
    head: "",
    row: (r) =>
      `${mapping.name} at (${r.point.map(fmt).join(", ")}):\n  output (${r.output.map(fmt).join(", ")})\n` +
      `${matrixText(
        "  J",
        r.jacobian.map((row) => row.map(fmt)),
      )}\n` +
      `${matrixText(
        "  g",
        r.metric.map((row) => row.map(fmt)),
      )}\n  rank ${r.rank}\n\n`,
    tail: "",
  };
}
