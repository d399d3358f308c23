import { pointMapping } from "../../numeric/route.js";
import { classifyMetric } from "../../numeric/linalg.js";
import type { MappingValue } from "../../api/compute.js";
import { pickMapping } from "../../api/spec.js";
import { commandEnv } from "../env.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json, matrixText } from "../format.js";
import { choice, parsePoint } from "../options.js";
import { readPointsFile } from "../csv.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";

export interface EvalOptions {
  network?: string;
  at?: string;
  points?: string;
  format: string;
  set?: string;
  weights?: string;
}

export function evalCommand(io: IO, file: string, opts: EvalOptions): number {
  const format = choice(opts.format, ["text", "json", "csv"] as const, "--format");
  if ((opts.at === undefined) === (opts.points === undefined)) throw new UsageError("give exactly one of --at POINT and --points FILE.csv");
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
    // Each point is written as soon as it is evaluated (as api evaluateAt would give it), so that a million stream out.
    const ev = pointMapping(mapping, env); // the matrix engine where the symbolic route would be large
    const results = function* (): Generator<MappingValue> {
      for (const point of points) {
        const r = ev.at(point);
        yield { point, ...r, rank: classifyMetric(r.metric).rank };
      }
    };
    // Output goes out in pieces of about 64 kB: streaming, without a write per line.
    let pending = "";
    const out = (text: string) => {
      pending += text;
      if (pending.length >= 1 << 16) {
        io.out(pending);
        pending = "";
      }
    };
    const coords = mapping.source.coords,
      m = mapping.target.dim,
      n = coords.length;
    if (format === "json") {
      // json() of the whole object, written piece by piece: the same bytes without one giant string.
      const head = json({ mapping: mapping.name, source: mapping.source.name, coords, target: mapping.target.name, points: [0] });
      const [before, after] = head.split(/\n {4}0\n/);
      out(`${before}\n`);
      let first = true;
      for (const r of results()) {
        out(`${first ? "" : ",\n"}${JSON.stringify(r, null, 2).replace(/^/gm, "    ")}`);
        first = false;
      }
      out(`\n${after}`);
    } else if (format === "csv") {
      const header = [...coords, ...Array.from({ length: m }, (_, i) => `out_${i + 1}`)];
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) header.push(`J_${i + 1}${j + 1}`);
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) header.push(`g_${i + 1}${j + 1}`);
      header.push("rank");
      out(`${header.join(",")}\n`);
      for (const r of results()) {
        const g: number[] = [];
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) g.push(r.metric[i][j]);
        out(`${[...r.point, ...r.output, ...r.jacobian.flat(), ...g, r.rank].join(",")}\n`);
      }
    } else {
      for (const r of results()) {
        out(`${mapping.name} at (${r.point.map(fmt).join(", ")}):\n  output (${r.output.map(fmt).join(", ")})\n`);
        out(
          `${matrixText(
            "  J",
            r.jacobian.map((row) => row.map(fmt)),
          )}\n`,
        );
        out(
          `${matrixText(
            "  g",
            r.metric.map((row) => row.map(fmt)),
          )}\n  rank ${r.rank}\n\n`,
        );
      }
    }
    io.out(pending);
    return EXIT.ok;
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
}
