// `rgnn distances FILE --points pts.csv`: the symmetric matrix of geodesic distances between points, one
// boundary-value geodesic per pair with the metric's evaluators compiled once. One thread: workers would each
// recompile the spec's geometry first, and their gain on the shared two cores was not measured.
import cliProgress from "cli-progress";
import { EvaluationError } from "../../numeric/evaluate.js";
import { geodesicSolver } from "../../numeric/geodesic.js";
import { commandEnv } from "../env.js";
import { fmt, json } from "../format.js";
import { EXIT, type IO } from "../io.js";
import { readPointsFile } from "../csv.js";
import { choice } from "../options.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { pickMetric } from "./metric.js";

export interface DistancesOptions {
  metric?: string;
  points: string;
  format: string;
  set?: string;
  weights?: string;
}

export function distancesCommand(io: IO, file: string, opts: DistancesOptions): number {
  const format = choice(opts.format, ["text", "json", "csv"] as const, "--format");
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
  const m = points.length;
  const D: (number | null)[][] = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => (i === j ? 0 : null)));
  const failures: string[] = [];
  const pairs = (m * (m - 1)) / 2;
  const bar =
    process.stderr.isTTY && pairs > 1
      ? new cliProgress.SingleBar(
          { format: "geodesics {bar} {value}/{total} pairs | {eta_formatted} left", stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  bar?.start(pairs, 0);
  try {
    const solver = geodesicSolver(metric, env);
    let done = 0;
    for (let i = 0; i < m; i++)
      for (let j = i + 1; j < m; j++) {
        try {
          D[i][j] = D[j][i] = solver.bvp(points[i], points[j], { samples: 2 }).length;
        } catch (e) {
          if (!(e instanceof EvaluationError)) throw e;
          failures.push(`points ${i + 1} and ${j + 1}: ${e.message}`);
        }
        bar?.update(++done);
      }
  } catch (e) {
    bar?.stop();
    return evaluationFailure(io, loaded.model.file, e);
  }
  bar?.stop();
  if (format === "json") io.out(json({ metric: metric.name, coords, points, distances: D }));
  else if (format === "csv") for (const row of D) io.out(`${row.map((d) => (d === null ? "" : String(d))).join(",")}\n`);
  else {
    io.out(`geodesic distances of ${metric.name} between ${m} points (row and column i: point i of ${opts.points})\n`);
    const cells = D.map((row) => row.map((d) => (d === null ? "—" : fmt(d))));
    const width = Math.max(...cells.flat().map((c) => c.length));
    for (const row of cells) io.out(`  ${row.map((c) => c.padStart(width)).join("  ")}\n`);
  }
  for (const f of failures) io.err(`${loaded.model.file}: error: no geodesic between ${f}\n`);
  return failures.length ? EXIT.failure : EXIT.ok;
}
