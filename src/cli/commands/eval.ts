// `rgnn eval FILE`: a network's (or map's) output coordinates, Jacobian and pulled-back
// Euclidean metric at one point or at every point of a CSV file.
import { EvaluationError } from "../../numeric/evaluate.js";
import { evaluateAt } from "../../api/compute.js";
import { pickMapping } from "../../api/spec.js";
import { commandEnv } from "../env.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json, matrixText } from "../format.js";
import { choice, InputFileError, parsePoint, parsePointsCsv } from "../options.js";
import { readSpec } from "../spec.js";
import { InputError } from "../../syntax/input.js";

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
  try {
    points =
      opts.at !== undefined
        ? [parsePoint(opts.at, mapping.source)]
        : parsePointsCsv(io.readFile(opts.points!, "data"), opts.points!, mapping.source.dim);
  } catch (e: any) {
    if (e instanceof InputFileError) {
      io.err(`${e.message}\n`);
      return EXIT.failure;
    }
    if (e instanceof InputError) {
      io.err(`${opts.points}: error: cannot read: ${e.message}\n`);
      return EXIT.failure;
    }
    if (e?.code === "ENOENT") {
      io.err(`${opts.points}: error: cannot read: no such file\n`);
      return EXIT.failure;
    }
    throw e;
  }
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    const results = evaluateAt(mapping, points, env);
    const coords = mapping.source.coords,
      m = mapping.target.dim,
      n = coords.length;
    if (format === "json") {
      io.out(json({ mapping: mapping.name, source: mapping.source.name, coords, target: mapping.target.name, points: results }));
    } else if (format === "csv") {
      const header = [...coords, ...Array.from({ length: m }, (_, i) => `out_${i + 1}`)];
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) header.push(`J_${i + 1}${j + 1}`);
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) header.push(`g_${i + 1}${j + 1}`);
      header.push("rank");
      io.out(`${header.join(",")}\n`);
      for (const r of results) {
        const g: number[] = [];
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) g.push(r.metric[i][j]);
        io.out(`${[...r.point, ...r.output, ...r.jacobian.flat(), ...g, r.rank].join(",")}\n`);
      }
    } else {
      for (const r of results) {
        io.out(`${mapping.name} at (${r.point.map(fmt).join(", ")}):\n  output (${r.output.map(fmt).join(", ")})\n`);
        io.out(
          `${matrixText(
            "  J",
            r.jacobian.map((row) => row.map(fmt)),
          )}\n`,
        );
        io.out(
          `${matrixText(
            "  g",
            r.metric.map((row) => row.map(fmt)),
          )}\n  rank ${r.rank}\n\n`,
        );
      }
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof EvaluationError) {
      io.err(`${loaded.model.file}: error: ${e.message}\n`);
      return EXIT.failure;
    }
    throw e;
  }
}
