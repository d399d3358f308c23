// `rgnn geodesic FILE --from a,b (--to c,d | --velocity u,v)`: a geodesic of a metric, its length
// as the metric sees it, and the straight-line distance in the chart for comparison.
import { EvaluationError } from "../../numeric/evaluate.js";
import { commandEnv } from "../env.js";
import { geodesic } from "../../api/compute.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json } from "../format.js";
import { choice, parsePoint } from "../options.js";
import { readSpec } from "../spec.js";
import { pickMetric } from "./metric.js";

export interface GeodesicOptions {
  metric?: string;
  from: string;
  to?: string;
  velocity?: string;
  samples: string;
  format: string;
  set?: string;
  weights?: string;
}

export function geodesicCommand(io: IO, file: string, opts: GeodesicOptions): number {
  const format = choice(opts.format, ["text", "json", "csv"] as const, "--format");
  if ((opts.to === undefined) === (opts.velocity === undefined))
    throw new UsageError("give exactly one of --to POINT and --velocity VECTOR");
  const samples = Number(opts.samples);
  if (!Number.isInteger(samples) || samples < 2 || samples > 100000)
    throw new UsageError(`--samples must be a whole number from 2 to 100000, not '${opts.samples}'`);
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const metric = pickMetric(loaded.model, opts.metric);
  const from = parsePoint(opts.from, metric.manifold, "--from");
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    const target = opts.to !== undefined ? parsePoint(opts.to, metric.manifold, "--to") : undefined;
    const velocity = target ? undefined : parsePoint(opts.velocity!, metric.manifold, "--velocity");
    const path = geodesic(metric, env, from, velocity ? { velocity, samples } : { to: target!, samples });
    const coords = metric.manifold.coords;
    if (format === "json") {
      io.out(
        json({
          metric: metric.name,
          coords,
          from: path.from,
          to: path.to,
          target: target ?? null,
          velocity: path.velocity,
          length: path.length,
          chartDistance: path.chartDistance,
          iterations: path.iterations,
          samples: path.samples,
        }),
      );
    } else if (format === "csv") {
      io.out(`${["t", ...coords, ...coords.map((c) => `d${c}/dt`)].join(",")}\n`);
      for (const s of path.samples) io.out(`${[s.t, ...s.x, ...s.v].join(",")}\n`);
    } else {
      io.out(`geodesic of ${metric.name} from (${path.from.map(fmt).join(", ")}) to (${(target ?? path.to).map(fmt).join(", ")})\n`);
      io.out(
        `  initial velocity (${path.velocity.map(fmt).join(", ")})${path.iterations ? `, found by shooting in ${path.iterations} Newton steps` : ""}\n`,
      );
      io.out(
        `  length ${fmt(path.length)} (as ${metric.name} measures it); straight-line distance in the chart ${fmt(path.chartDistance)}; ratio ${fmt(path.length / path.chartDistance)}\n`,
      );
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
