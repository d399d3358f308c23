// `rgnn data`, `rgnn train`, `rgnn plot` and `rgnn experiment`: the paper's toy experiments.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import cliProgress from "cli-progress";
import type { Model } from "../../semantics/model.js";
import { WeightsError } from "../../semantics/bind.js";
import { weightsPathInside } from "../../semantics/weights.js";
import { clip } from "../../syntax/text.js";
import { commandEnv, setAssignments } from "../env.js";
import { EvaluationError } from "../../numeric/evaluate.js";
import { diffeoText } from "./flow.js";
import { svgToPng } from "../../render/plot/png.js";
import { type Dataset, datasetCsv, DATASETS, type DatasetName } from "../../api/data.js";
import {
  figure,
  figureMetric,
  METRIC_PLOT_KINDS,
  pickNetwork,
  PLOT_KINDS,
  type PlotKind,
  train,
  type TrainedNetwork,
} from "../../api/learn.js";
import { diffeomorphism } from "../../api/flow.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { choice, InputFileError, parseLayer } from "../options.js";
import { checkOutputs, makeOutputDir, OutputError, refuseInput, writeFileAtomic, writeFileSet, writeOutputs } from "../output.js";
import { readSpec } from "../spec.js";
import { type DataOptions, loadData } from "../data.js";

function handled(io: IO, file: string, run: () => number): number {
  try {
    return run();
  } catch (e) {
    if (e instanceof EvaluationError) {
      io.err(`${file}: error: ${e.message}\n`);
      return EXIT.failure;
    }
    if (e instanceof WeightsError || e instanceof InputFileError) {
      io.err(`${e.message}\n`);
      return EXIT.failure;
    }
    throw e;
  }
}

const positive = (text: string | undefined, fallback: number, what: string, integer = true): number => {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || (integer && !Number.isInteger(v)))
    throw new UsageError(`${what} must be a positive ${integer ? "whole number" : "number"}, not '${text}'`);
  return v;
};

export function dataCommand(io: IO, name: string, opts: { points?: string; noise?: string; seed?: string; output?: string }): number {
  const d = loadData(
    io,
    {
      data: choice(name, DATASETS, "the data set"),
      points: opts.points,
      noise: opts.noise,
      dataSeed: opts.seed ?? "7",
    },
    "--seed",
  );
  const csv = datasetCsv(d);
  if (opts.output) writeFileAtomic(opts.output, csv, [], { io, detail: `${d.count} points` });
  else io.out(csv);
  return EXIT.ok;
}

export interface TrainOptions extends DataOptions {
  network?: string;
  epochs?: string;
  seed?: string;
  lr?: string;
  batch?: string;
  patience?: string;
  output?: string;
  set?: string;
  quiet?: boolean;
  force?: boolean;
  stepBound?: string;
}

/** A trained network and the data it was trained on. */
interface Trained extends TrainedNetwork {
  data: Dataset;
  test?: Dataset;
}

function runTraining(io: IO, model: Model, opts: TrainOptions, progress: boolean, test?: DataOptions): Trained {
  pickNetwork(model, opts.network); // a wrong name is reported before the data is read, as it always was
  const data = loadData(io, opts);
  const values = setAssignments(model, opts.set);
  const epochs = positive(opts.epochs, 1500, "--epochs");
  const bar =
    progress && !opts.quiet && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: "training {bar} {value}/{total} epochs | loss {loss} | accuracy {acc}", stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const options = {
    network: opts.network,
    epochs,
    seed: positive(opts.seed, 1, "--seed"),
    learningRate: positive(opts.lr, 0.01, "--lr", false),
    batch: positive(opts.batch, 32, "--batch"),
    patience: positive(opts.patience, 400, "--patience"),
    stepBound: opts.stepBound === undefined ? undefined : positive(opts.stepBound, 1, "--step-bound", false),
    test: test && loadData(io, test),
  };
  bar?.start(epochs, 0, { loss: "-", acc: "-" });
  const result = train(model, data, values, {
    ...options,
    onEpoch: (r) => {
      if (bar) bar.update(r.epoch, { loss: r.loss.toFixed(4), acc: `${(100 * r.accuracy).toFixed(1)}%` });
      else if (progress && !opts.quiet && (r.epoch % 100 === 0 || r.epoch === 1))
        io.err(
          `epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(1)}%, validation ` +
            `${(100 * r.valAccuracy).toFixed(1)}%\n`,
        );
    },
  });
  bar?.stop();
  return { ...result, data, test: options.test };
}

const curveCsv = (r: TrainedNetwork) =>
  `${[
    "epoch,loss,accuracy,val_loss,val_accuracy",
    ...r.curve.map((c) => [c.epoch, c.loss, c.accuracy, c.valLoss, c.valAccuracy].join(",")),
  ].join("\n")}\n`;

const weightsText = (weights: Record<string, unknown>) =>
  `{\n${Object.entries(weights)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(",\n")}\n}\n`;

/** Where `train` writes when -o is not given: SPEC.weights.json beside the spec (never ./weights.json). */
export function defaultWeightsPath(spec: string): string {
  return join(dirname(spec), `${basename(spec, extname(spec))}.weights.json`);
}

export function trainCommand(io: IO, file: string, opts: TrainOptions): number {
  const loaded = readSpec(io, file);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  if (opts.output === undefined && file === "-") throw new UsageError("-o is required when the spec is read from standard input");
  const out = opts.output ?? defaultWeightsPath(file);
  const curve = `${out.replace(/\.json$/, "")}.curve.csv`;
  checkOutputs([out, curve], [file, opts.data]); // before the training, not after
  // An explicit -o is the user's choice; the derived name may hold weights trained earlier.
  if (opts.output === undefined && !opts.force && existsSync(out))
    throw new OutputError(`cannot write ${out}: it exists; give --force to replace it, or -o another file`);
  return handled(io, loaded.model.file, () => {
    const tr = runTraining(io, loaded.model, opts, true);
    // as a set: a failure leaves the old weights beside their old curve
    writeOutputs(
      [
        { path: out, data: weightsText(tr.weights) },
        { path: curve, data: curveCsv(tr) },
      ],
      [file, opts.data],
      { io },
    );
    io.out(
      `${tr.network.name} on ${tr.data.name}: accuracy ${(100 * tr.accuracy).toFixed(1)}% (best epoch ` +
        `${tr.bestEpoch}${tr.stoppedEarly ? ", stopped early" : ""})\n`,
    );
    return EXIT.ok;
  });
}

export interface PlotOptions extends DataOptions {
  kind: string;
  output?: string;
  weights?: string;
  network?: string;
  set?: string;
  width?: string;
  pairs?: string;
  domain?: string;
  metric?: string;
  layer?: string;
}

/** A PNG's width when --width is not given: three pixels per SVG unit, some 300 dpi at the SVG's size in points. */
export const PRINT_SCALE = 3;

/** --pairs A:B,C:D: pairs of class labels (whole numbers). */
export function parsePairs(text: string): [number, number][] {
  return text.split(",").map((part) => {
    const m = /^\s*(-?\d+)\s*:\s*(-?\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--pairs: expected pairs of class labels like 0:1,3:4, found '${part}'`);
    return [Number(m[1]), Number(m[2])];
  });
}

/** --domain: a square A,B (A ≤ u, v ≤ B) or a box U0,U1,V0,V1. */
export function parseDomain(text: string): { x0: number; x1: number; y0: number; y1: number } {
  const v = text.split(",").map((s) => (s.trim() === "" ? Number.NaN : Number(s)));
  if ((v.length !== 2 && v.length !== 4) || !v.every(Number.isFinite))
    throw new UsageError(`--domain ${text}: expected A,B (the square [A, B]²) or U0,U1,V0,V1, as finite numbers`);
  const [x0, x1, y0, y1] = v.length === 2 ? [v[0], v[1], v[0], v[1]] : v;
  if (!(x1 > x0 && y1 > y0)) throw new UsageError(`--domain ${text}: each upper end must be above its lower end`);
  return { x0, x1, y0, y1 };
}

/** The widest PNG `plot` draws: about 0.8 × 8192² pixels of 4 bytes, some 200 MB in memory. */
export const MAX_PNG_WIDTH = 8192;

const isPng = (out: string) => out.toLowerCase().endsWith(".png");

/** -o for a figure: a file ending in .svg or .png (any case). */
/** Whether `path` is a folder; a path through a file (ENOTDIR) or unreadable is not: the writer then says what it is. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function figureOutput(out: string): void {
  if (/[/\\]$/.test(out) || isDirectory(out))
    throw new UsageError(`-o ${out} is a directory; name a file in it, e.g. ${join(out, "figure.svg")}`);
  if (!/\.(svg|png)$/i.test(out))
    throw new UsageError(
      `-o ${out}: plot writes .svg or .png files${extname(out) ? `, not ${extname(out)}` : "; the name has no extension"}`,
    );
}

export function plotCommand(io: IO, file: string, opts: PlotOptions): number {
  const kind = choice(opts.kind, PLOT_KINDS, "--kind") as PlotKind;
  const out = opts.output ?? `${kind}.svg`;
  figureOutput(out);
  const width = opts.width === undefined ? undefined : positive(opts.width, 1200, "--width");
  if (width !== undefined && width > MAX_PNG_WIDTH)
    throw new UsageError(
      `--width ${width} is more than the limit of ${MAX_PNG_WIDTH} pixels (the image would not fit in memory); ` +
        "write an .svg instead, which scales to any size",
    );
  for (const [given, flag] of [
    [opts.pairs, "--pairs"],
    [opts.domain, "--domain"],
  ] as const)
    if (given !== undefined && kind !== "volume") throw new UsageError(`${flag} is drawn on the volume figure only (--kind volume)`);
  const pairs = opts.pairs === undefined ? undefined : parsePairs(opts.pairs);
  const domain = opts.domain === undefined ? undefined : parseDomain(opts.domain);
  const layer = parseLayer(opts.layer);
  if ((opts.metric !== undefined || layer !== undefined) && !METRIC_PLOT_KINDS.includes(kind))
    throw new UsageError(`the ${kind} figure draws no metric: --metric and --layer are for --kind ${METRIC_PLOT_KINDS.join(", ")}`);
  refuseInput(out, [file, opts.data, opts.weights]);
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  return handled(io, loaded.model.file, () => {
    const model = loaded.model;
    // the network and the metric before the weights and the data are read, as the network always was
    const { net, metric } = figureMetric(model, kind, { network: opts.network, metric: opts.metric, layer });
    const env = commandEnv(io, model, opts);
    if (!env) return EXIT.failure;
    const data = loadData(io, opts, "--data-seed", true);
    for (const c of pairs?.flat() ?? []) if (!data.y.includes(c)) throw new UsageError(`--pairs: ${basename(data.name)} has no class ${c}`);
    // the title names a chosen metric and its layer (a spec's metric may live on a layer without --layer)
    const on = metric.def.kind === "pullback" ? metric.def.layer : 0;
    const chosen = opts.metric === undefined && layer === undefined ? "" : ` of ${metric.name}${on ? ` on layer ${on}` : " at the input"}`;
    const svg = figure(model, kind, data, env, {
      network: opts.network,
      title: `${net.name} on ${basename(data.name)}: ${kind}${chosen}`,
      pairs,
      domain,
      metric: opts.metric,
      layer,
    });
    const svgWidth = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1] ?? 720);
    const png = () => svgToPng(svg, width ?? Math.min(MAX_PNG_WIDTH, PRINT_SCALE * svgWidth));
    writeFileAtomic(out, isPng(out) ? png() : svg, [file, opts.data, opts.weights], { io });
    return EXIT.ok;
  });
}

/** A run's seeds when the manifest leaves them out: training, and the data set's. */
export const RUN_SEEDS = { seed: 1, dataSeed: 7 } as const;

/** The held-out test set's seed: the run's own, else the data seed + 1 (the same generator and size, other points). */
export const heldOutSeed = (run: ExperimentRun): number => run.testSeed ?? (run.dataSeed ?? RUN_SEEDS.dataSeed) + 1;

/** One run of a paper-experiments manifest (`experiments.json`): what `rgnn experiment` trains and draws. */
export interface ExperimentRun {
  spec: string;
  data: DatasetName;
  points?: number;
  noise?: number;
  dataSeed?: number;
  seed?: number;
  epochs?: number;
  lr?: number;
  /** c·sup|σ′|·‖W‖₂ cap of every residual step during training (below 1: the flow regime). */
  stepBound?: number;
  /** Seed of the held-out test set: the same generator and size, another seed (default dataSeed + 1). */
  testSeed?: number;
  /** Where the summary tests that every step is a diffeomorphism (default [−1.5, 1.5] per axis). */
  domain?: [number, number][];
}

/** The files `rgnn experiment` writes for one run. */
const runFileNames = (tag: string) => [
  `${tag}.diffeo.txt`,
  `${tag}.weights.json`,
  `${tag}.curve.csv`,
  `${tag}.data.csv`,
  ...PLOT_KINDS.flatMap((kind) => [`${tag}-${kind}.svg`, `${tag}-${kind}.png`]),
];

const RUN_NUMBERS = ["points", "noise", "dataSeed", "seed", "epochs", "lr", "stepBound", "testSeed"] as const;

/** What is wrong with one run of a manifest, or null; `spec` is confined to the manifest's folder by the caller. */
function runProblem(run: unknown): string | null {
  if (run === null || typeof run !== "object" || Array.isArray(run)) return "is not an object";
  const r = run as Record<string, unknown>;
  if (typeof r.spec !== "string") return 'has no "spec" (a file name)';
  if (typeof r.data !== "string" || !(DATASETS as readonly string[]).includes(r.data))
    return `has no "data" (one of ${DATASETS.join(", ")})`;
  for (const k of RUN_NUMBERS)
    if (r[k] !== undefined && !(typeof r[k] === "number" && Number.isFinite(r[k])))
      return `has "${k}": ${clip(JSON.stringify(r[k]) ?? "")}, not a number`;
  const d = r.domain;
  if (d !== undefined && !(Array.isArray(d) && d.every((a) => Array.isArray(a) && a.length === 2 && a.every(Number.isFinite))))
    return `has a "domain" that is not a list of [low, high] pairs`;
  return null;
}

/** `rgnn experiment DIR -o OUT`: every run of DIR/experiments.json trained, saved and drawn. */
export function experimentCommand(io: IO, dir: string, opts: { output?: string; quiet?: boolean }): number {
  const out = opts.output ?? "figures";
  const manifestPath = join(dir, "experiments.json");
  const invalid = (why: string) => {
    io.err(`${manifestPath}: error: ${why}\n`);
    return EXIT.failure;
  };
  let manifest: { runs: ExperimentRun[] };
  try {
    manifest = JSON.parse(io.readFile(manifestPath, "spec"));
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException;
    return invalid(e instanceof SyntaxError ? "not valid JSON" : String(e?.message ?? e));
  }
  if (manifest === null || typeof manifest !== "object" || !Array.isArray(manifest.runs))
    return invalid('not a manifest: expected { "runs": [ { "spec": …, "data": … }, … ] }');
  // Every run checked, and every spec confined to the manifest's folder (as a spec's weights are), before any training.
  const specPaths: string[] = [];
  for (const [i, run] of manifest.runs.entries()) {
    const problem = runProblem(run);
    if (problem) return invalid(`run ${i + 1} ${problem}`);
    const inside = weightsPathInside(dir, run.spec, { what: "spec", owner: "manifest", instead: "copy the spec there" });
    if ("error" in inside) return invalid(`run ${i + 1}: ${inside.error}`);
    specPaths.push(join(dir, run.spec));
  }
  const inputs = [manifestPath, ...specPaths];
  // the whole set's names are known now: one that is an input (or two runs that would write the same files) is refused
  const tags = manifest.runs.map((run) => `${basename(run.spec, ".rgnn")}-${run.data}`);
  checkOutputs(
    ["summary.txt", ...tags.flatMap(runFileNames)].map((name) => join(out, name)),
    inputs,
  );
  makeOutputDir(out); // before hours of training, not after
  // The whole set is made in memory first, then written by writeFileSet: a failed run writes nothing.
  const files = new Map<string, string | Uint8Array>();
  const summary: string[] = [];
  for (const [i, run] of manifest.runs.entries()) {
    const specPath = specPaths[i];
    const loaded = readSpec(io, specPath);
    if (!loaded.ok) {
      io.err(`${loaded.message}\n`);
      return EXIT.failure;
    }
    const tag = tags[i];
    const testSeed = heldOutSeed(run);
    const status = handled(io, specPath, () => {
      const tr = runTraining(
        io,
        loaded.model,
        {
          data: run.data,
          points: run.points?.toString(),
          noise: run.noise?.toString(),
          dataSeed: run.dataSeed?.toString(),
          seed: String(run.seed ?? RUN_SEEDS.seed),
          epochs: String(run.epochs ?? 1500),
          lr: String(run.lr ?? 0.01),
          stepBound: run.stepBound?.toString(),
          quiet: opts.quiet,
        },
        !opts.quiet,
        // accuracy on data the training never saw (neither its batches nor its early-stopping split)
        { data: run.data, points: run.points?.toString(), noise: run.noise?.toString(), dataSeed: String(testSeed) },
      );
      const net = tr.network;
      const domain = run.domain ?? net.source.coords.map((): [number, number] => [-1.5, 1.5]);
      const diffeo = diffeomorphism(net, tr.values, domain);
      files.set(`${tag}.diffeo.txt`, diffeoText(diffeo));
      files.set(`${tag}.weights.json`, weightsText(tr.weights));
      files.set(`${tag}.curve.csv`, curveCsv(tr));
      files.set(`${tag}.data.csv`, datasetCsv(tr.data));
      for (const kind of PLOT_KINDS) {
        const title = `${net.name} (${basename(run.spec, ".rgnn")}) on ${run.data}: ${kind}`;
        const svg = figure(loaded.model, kind, tr.data, tr.values, { network: net.name, title });
        files.set(`${tag}-${kind}.svg`, svg);
        files.set(`${tag}-${kind}.png`, svgToPng(svg));
      }
      const box = domain.map(([a, b]) => `[${a}, ${b}]`).join("×");
      const verdict = diffeo.verdict
        ? `${diffeo.verdict === "homeomorphism" ? "a homeomorphism (bi-Lipschitz)" : "a diffeomorphism"} on ${box}` +
          (diffeo.layers.every((l) => l.sufficient === null || l.sufficient.certified) ? " (residual steps: by a certificate)" : "")
        : `not a diffeomorphism on ${box}: ${diffeo.reason}`;
      summary.push(
        `${tag}: held-out accuracy ${(100 * (tr.testAccuracy ?? 0)).toFixed(1)}% (${tr.test?.count} points, ` +
          `data seed ${testSeed}), training data ${(100 * tr.accuracy).toFixed(1)}%, best epoch ${tr.bestEpoch}; ${verdict}`,
      );
      io.out(`${summary[summary.length - 1]}\n`);
      return EXIT.ok;
    });
    if (status !== EXIT.ok) return status;
  }
  files.set("summary.txt", `${summary.join("\n")}\n`);
  writeFileSet(out, files, inputs, { io, detail: "summary.txt lists the runs" });
  return EXIT.ok;
}
