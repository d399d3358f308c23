import { commandEnv } from "../env.js";
import { geodesic } from "../../api/geodesic.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { fmt, json } from "../format.js";
import { choice, parsePoint } from "../options.js";
import { FORMATS } from "../formats.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { pickMetric } from "../../api/spec.js";

export interface GeodesicOptions {
  metric?: string;
  from: string;
  to?: string;
  velocity?: string;
  log?: boolean;
  samples: string;
  format: string;
  set?: string;
  weights?: string;
}

export function geodesicCommand(io: IO, file: string, opts: GeodesicOptions): number {
  const format = choice(opts.format, FORMATS.geodesic, "--format");
  if ((opts.to === undefined) === (opts.velocity === undefined))
    throw new UsageError("give exactly one of --to POINT and --velocity VECTOR");
  if (opts.log && opts.to === undefined) throw new UsageError("--log needs --to POINT: it is the initial velocity of the geodesic there");
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
    if (opts.log) {
      // log_from(to): the boundary-value geodesic's initial velocity, as geomstats' metric.log(point, base_point)
      if (format === "json") io.out(json({ metric: metric.name, coords, from: path.from, to: target, log: path.velocity }));
      else if (format === "csv") io.out(`${coords.join(",")}\n${path.velocity.join(",")}\n`);
      else io.out(`log_(${path.from.map(fmt).join(", ")}) (${target!.map(fmt).join(", ")}) = (${path.velocity.map(fmt).join(", ")})\n`);
      return EXIT.ok;
    }
    if (format === "json") {
      io.out(
        json({
          metric: metric.name,
          coords,
          from: path.from,
          to: path.to,
          target: target ?? null,
          velocity: path.velocity,
          log: target ? path.velocity : null,
          length: path.length,
          ...(path.definite ? {} : { interval: path.length, type: path.type }),
          chartDistance: path.chartDistance,
          iterations: path.iterations,
          energyIterations: path.energyIterations,
          samples: path.samples,
        }),
      );
    } else if (format === "csv") {
      io.out(`${["t", ...coords, ...coords.map((c) => `d${c}/dt`)].join(",")}\n`);
      for (const s of path.samples) io.out(`${[s.t, ...s.x, ...s.v].join(",")}\n`);
    } else {
      io.out(`geodesic of ${metric.name} from (${path.from.map(fmt).join(", ")}) to (${(target ?? path.to).map(fmt).join(", ")})\n`);
      const found = [
        path.energyIterations ? `minimising the curve energy in ${path.energyIterations} steps` : "",
        path.iterations ? `shooting in ${path.iterations} Newton steps` : "",
      ].filter(Boolean);
      io.out(`  initial velocity (${path.velocity.map(fmt).join(", ")})${found.length ? `, found by ${found.join(", then ")}` : ""}\n`);
      io.out(
        path.definite
          ? `  length ${fmt(path.length)} (as ${metric.name} measures it); straight-line distance in the chart ` +
              `${fmt(path.chartDistance)}; ratio ${fmt(path.length / path.chartDistance)}\n`
          : `  ${metric.name} is indefinite: interval ∫√|g(v,v)| dt = ${fmt(path.length)}, ${path.type}; straight-line ` +
              `distance in the chart ${fmt(path.chartDistance)}\n`,
      );
    }
    return EXIT.ok;
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
}
