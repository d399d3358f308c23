// `rgnn metric FILE`: a metric's components, symbolically (text, LaTeX or JSON) or at a point.
import type { Metric, Model } from "../../semantics/model.js";
import { LAYER_KINDS } from "../../core/layers/index.js";
import { commandEnv } from "../env.js";
import { latexSymbol } from "../../render/latex-expr.js";
import {
  atLayer,
  closedFormLines,
  type MatrixMetric,
  metricAt,
  type MetricValue,
  metricHeader,
  metricSymbolic,
  type SymbolicMetric,
} from "../../api/metric.js";
import { pickMetric } from "../../api/spec.js";
import { EXIT, type IO, UsageError } from "../io.js";
import { readPointsFile } from "../csv.js";
import { csvRows } from "../csv-rows.js";
import { fmt, json, matrixText } from "../format.js";
import { choice, parseAssignments, parseLayer, parsePoint } from "../options.js";
import { FORMATS } from "../formats.js";
import { evaluationFailure } from "../failure.js";
import { readSpec } from "../spec.js";
import { type ChartPoint, chartPoint, chartPointText } from "../chart-point.js";

export interface MetricOptions {
  metric?: string;
  layer?: string;
  format: string;
  at?: string;
  atInput?: string;
  /** A CSV file of points of the metric's chart: the metric at each. */
  points?: string;
  set?: string;
  weights?: string;
  form: string;
}

function describe(metric: Metric): string {
  const d = metric.def;
  const chart = `${metric.manifold.name} (${metric.manifold.coords.join(", ")})`;
  if (d.kind === "euclidean") return `metric ${metric.name} on ${chart}: Euclidean`;
  if (d.kind === "components") return `metric ${metric.name} on ${chart}: given by its components`;
  const of =
    d.of.def.kind === "euclidean" && d.of.name === "euclidean" ? `the Euclidean metric on ${d.along.target.name}` : `'${d.of.name}'`;
  const along =
    d.along.kind === "network"
      ? `network ${d.along.name} (${
          d.along.slice
            ? `layers ${d.along.slice.first} to ${d.along.slice.last} of ${d.along.slice.of.name}`
            : `${d.along.layers.length} layer${d.along.layers.length === 1 ? "" : "s"}`
        })${d.layer ? `, down to layer ${d.layer}` : ""}`
      : `'${d.along.name}'`;
  const layers = d.along.kind === "network" ? d.along.layers.slice(d.layer) : [];
  const narrowest = d.along.kind === "network" ? Math.min(...layers.map((l) => l.outWidth)) : d.along.target.dim;
  // a layer whose Jacobian is singular everywhere (softmax, layer_norm) passes at most its width − 1 dimensions
  const singular = layers.find((l) => LAYER_KINDS[l.kind].singular && l.outWidth - 1 < narrowest && l.outWidth - 1 < metric.manifold.dim);
  const degenerate = singular
    ? `\n(degenerate: its rank is at most ${singular.outWidth - 1}: layer ${singular.index}: ${LAYER_KINDS[singular.kind].singular})`
    : narrowest < metric.manifold.dim
      ? `\n(degenerate: its rank is at most ${narrowest}, the narrowest width it passes through)`
      : "";
  return `metric ${metric.name} on ${chart}: pullback of ${of} along ${along}${degenerate}`;
}

function symbolic(io: IO, metric: Metric, format: "text" | "latex" | "json", sm: SymbolicMetric): void {
  const { coords, components: cells } = sm;
  const n = coords.length;
  const upper: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) upper.push([i, j]);
  if (format === "json") {
    io.out(
      json({
        name: sm.name,
        manifold: sm.manifold,
        coords,
        layer: sm.layer,
        form: sm.form,
        definitions: sm.definitions.map((d) => ({ name: d.name, group: d.group, expr: d.expr })),
        components: cells,
      }),
    );
    return;
  }
  if (format === "latex") {
    io.out(`% ${describe(metric)}\n\\begin{align*}\n${closedFormLines(sm).join(" \\\\\n")}\n\\end{align*}\n`);
    return;
  }
  io.out(`${describe(metric)}\n\n`);
  let group = "";
  for (const d of sm.definitions) {
    if (d.group !== group) {
      io.out(`${group ? "\n" : ""}${d.group}:\n`);
      group = d.group;
    }
    io.out(`  ${d.name} = ${d.expr}\n`);
  }
  if (sm.definitions.length) io.out("\n");
  if (cells.flat().every((c) => c.length <= 40)) io.out(`${matrixText(metric.name, cells)}\n`);
  else for (const [i, j] of upper) io.out(`${metric.name}[${coords[i]}][${coords[j]}] = ${cells[i][j]}\n`);
  if (n > 1 && !cells.flat().every((c) => c.length <= 40))
    io.out(`(${metric.name} is symmetric: the entries below the diagonal are the mirror images)\n`);
}

/** The matrix recursion: weights named, nothing expanded, so its size is independent of the widths. */
function matrixForm(io: IO, metric: Metric, format: "text" | "latex" | "json", mm: MatrixMetric): void {
  const { parameters, definitions } = mm;
  const shape = (s: number[]) => (s.length ? s.join("×") : "scalar");
  if (format === "json") {
    io.out(
      json({
        ...metricHeader(metric),
        form: "matrix",
        parameters,
        definitions: definitions.map((d) => ({ name: d.name, group: d.group, shape: d.shape, expr: d.expr, latex: d.latex })),
      }),
    );
    return;
  }
  if (format === "latex") {
    io.out(`% ${describe(metric)}\n\\begin{align*}\n${closedFormLines(mm).join(" \\\\\n")}\n\\end{align*}\n`);
    return;
  }
  io.out(`${describe(metric)}\n\nparameters:\n`);
  for (const p of parameters) {
    const what = p.value !== undefined ? ` = ${p.value}` : `: ${shape(p.shape)}${p.numeric ? "" : " (symbolic)"}`;
    io.out(`  ${p.name}${what}${p.source !== p.name ? ` (${p.source})` : ""}${p.operator ? `: ${p.operator}` : ""}\n`);
  }
  let group = "";
  for (const d of definitions) {
    if (d.group !== group) {
      io.out(`\n${d.group}:\n`);
      group = d.group;
    }
    io.out(`  ${d.name} = ${d.expr}    [${shape(d.shape)}]\n`);
  }
}

export function metricCommand(io: IO, file: string, opts: MetricOptions): number {
  const format = choice(opts.format, FORMATS.metric, "--format");
  const form = choice(opts.form, ["auto", "explicit", "layers", "matrix"] as const, "--form");
  const loaded = readSpec(io, file, opts.set);
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`);
    return EXIT.failure;
  }
  const metric = atLayer(pickMetric(loaded.model, opts.metric), parseLayer(opts.layer));
  if (opts.points !== undefined) return atPoints(io, loaded.model, metric, format, opts);
  if (format === "csv") throw new UsageError("--format csv goes with --points FILE.csv (a row per point)");
  if (opts.at === undefined && opts.atInput === undefined) {
    const closed = metricSymbolic(metric, form, parseAssignments(opts.set)); // --set values written into the formulas
    if (closed.form === "matrix") matrixForm(io, metric, format, closed);
    else symbolic(io, metric, format, closed);
    return EXIT.ok;
  }
  if (opts.at !== undefined) parsePoint(opts.at, metric.manifold); // a malformed point before the weights are read
  const env = commandEnv(io, loaded.model, opts);
  if (!env) return EXIT.failure;
  try {
    const at = chartPoint(opts, metric, env) as ChartPoint,
      point = at.point;
    const [v] = metricAt(metric, [point], env);
    const { point: _, ...value } = valueJson(v);
    if (format === "json") io.out(json({ ...metricHeader(metric), point, ...(at.input ? { input: at.input } : {}), ...value }));
    else if (format === "latex") {
      if (at.input) io.out(`% ${chartPointText(at, metric, fmt)}\n`);
      io.out(`${valueTex(metric, v)}\n`);
    } else io.out(`${describe(metric)}\n${chartPointText(at, metric, fmt)}:\n\n${valueText(metric, v)}${signatureLegend(metric)}\n`);
    return EXIT.ok;
  } catch (e) {
    return evaluationFailure(io, loaded.model.file, e);
  }
}

/** What the signature triple is, printed once under the values. */
export const signatureLegend = (metric: Metric) =>
  `(signature (n₊,n₋,n₀): how many eigenvalues of ${metric.name} are positive, negative and zero; rank = n₊ + n₋)`;

const valueJson = (v: MetricValue) => ({
  point: v.point,
  metric: v.metric,
  rank: v.rank,
  signature: v.signature,
  type: v.type,
  eigenvalues: v.eigenvalues,
  determinant: v.determinant,
});

const valueTex = (metric: Metric, v: MetricValue) =>
  `${latexSymbol(metric.name)}\\big|_{(${v.point.map(fmt).join(", ")})} = \\begin{pmatrix} ` +
  `${v.metric.map((r) => r.map(fmt).join(" & ")).join(" \\\\ ")} \\end{pmatrix}`;

function valueText(metric: Metric, v: MetricValue): string {
  const g = matrixText(
    metric.name,
    v.metric.map((r) => r.map(fmt)),
  );
  return (
    `${g}\n\nrank ${v.rank}, signature (${v.signature.join(",")}), ${v.type}, ` +
    `eigenvalues ${v.eigenvalues.map(fmt).join(", ")}, det ${fmt(v.determinant)}\n`
  );
}

/** The csv header of `metric --points`: the point, g's upper triangle (as eval names it), rank, signature, eigenvalues, det. */
export function metricColumns(coords: readonly string[]): string[] {
  const n = coords.length,
    sep = n > 9 ? "_" : "";
  const g: string[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) g.push(`g_${i + 1}${sep}${j + 1}`);
  const lambda = coords.map((_, i) => `lambda_${i + 1}`);
  return [...coords, ...g, "rank", "n_plus", "n_minus", "n_zero", ...lambda, "det"];
}

/** `--points FILE.csv`: the metric at every point of the file (as `eval --points` reads them), compiled once. */
function atPoints(io: IO, model: Model, metric: Metric, format: (typeof FORMATS.metric)[number], opts: MetricOptions): number {
  if (opts.at !== undefined || opts.atInput !== undefined) throw new UsageError("give one of --at, --at-input and --points");
  const points = readPointsFile(io, opts.points!, metric.manifold.dim);
  if (!points) return EXIT.failure;
  const env = commandEnv(io, model, opts);
  if (!env) return EXIT.failure;
  let values: MetricValue[];
  try {
    values = metricAt(metric, points, env);
  } catch (e) {
    return evaluationFailure(io, model.file, e);
  }
  if (format === "json") io.out(json({ ...metricHeader(metric), points: values.map(valueJson) }));
  else if (format === "latex") io.out(`% ${describe(metric)}\n${values.map((v) => `${valueTex(metric, v)}\n`).join("")}`);
  else if (format === "csv") {
    const n = metric.manifold.dim,
      columns = metricColumns(metric.manifold.coords);
    const table = new Float64Array(values.length * columns.length);
    values.forEach((v, k) => {
      const upper: number[] = [];
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) upper.push(v.metric[i][j]);
      table.set([...v.point, ...upper, v.rank, ...v.signature, ...v.eigenvalues, v.determinant], k * columns.length);
    });
    io.out(`${columns.join(",")}\n${csvRows(table, columns.length).toString("latin1")}`);
  } else {
    const blocks = values.map((v) => `at (${v.point.map(fmt).join(", ")}):\n\n${valueText(metric, v)}`);
    io.out(`${describe(metric)}\n${values.length} points of ${opts.points}\n\n${blocks.join("\n")}\n${signatureLegend(metric)}\n`);
  }
  return EXIT.ok;
}
