// What the playground shows for a spec's text, as plain data and without the DOM or any node: import, so that
// the browser page (main.ts) only draws it and node tests can check it: the checker's diagnostics (the CLI's
// words and ranges), a metric's closed form in LaTeX, its value at a point, and the ellipse and grid figures.
import { closedFormTex as formTex, interactiveForm, metricAt, metricSymbolic, valuesOf } from "../api/metric.js";
import { rounded } from "../core/numbers.js";
import { type Dataset, generate } from "../numeric/data.js";
import { EvaluationError } from "../numeric/evaluate.js";
import { ellipsesFrame, figure, inputEllipsesFigure } from "../render/plot/figures.js";
import { analyze } from "../semantics/analyze.js";
import type { Metric, Model, Network } from "../semantics/model.js";
import { chartLayer, pullbackNetwork, subNetwork } from "../semantics/networks.js";
import { evaluateAt } from "../api/mapping.js";
import { noWeightsFiles } from "../semantics/weights-access.js";
import { inRequestGraph } from "../symbolic/expr.js";
import { latexSymbol } from "../symbolic/notation.js";
import { SymbolicSizeError } from "../symbolic/size.js";
import { parse } from "../syntax/parse.js";
import { DiagnosticError } from "../syntax/diagnostics.js";

/** The file name the page's spec is checked under (it names the spec in messages, as a path would). */
export const PLAYGROUND_FILE = "playground.rgnn";

export interface WebDiagnostic {
  /** Character offsets of the span in the text (at least one character, as the language server marks it). */
  from: number;
  to: number;
  line: number;
  col: number;
  /** The message and its notes, as `rgnn check` prints them under the caret. */
  message: string;
}

/** A spec file's limit, DEFAULT_INPUT_LIMITS.spec (syntax/input.ts reads files with node:fs, which the page's bundle
 *  has not; test/hostile/playground-limits.test.ts keeps the two equal). */
export const PLAYGROUND_SPEC_LIMIT = 16 * 2 ** 20;

export type CheckOutcome = { ok: true; model: Model } | { ok: false; diagnostics: WebDiagnostic[] };

/** Check a spec as `rgnn check` does, with no files to read: a `weights "PATH"` clause is reported as such. */
export function checkText(text: string, file = PLAYGROUND_FILE): CheckOutcome {
  // a pasted spec is held to the limit of a spec file (docs/security.md), before the checker reads it
  const limit = PLAYGROUND_SPEC_LIMIT;
  const bytes = text.length > limit / 4 ? new TextEncoder().encode(text).length : text.length;
  if (bytes > limit) {
    const mb = (bytes / 2 ** 20).toFixed(1);
    const cap = limit / 2 ** 20;
    const message = `the spec is ${mb} MiB: more than the ${cap} MiB a spec may be (see docs/security.md); check it with rgnn check`;
    return { ok: false, diagnostics: [{ from: 0, to: 1, line: 1, col: 1, message }] };
  }
  try {
    return { ok: true, model: analyze(parse(text, file), { baseDir: "", weights: noWeightsFiles("the playground") }) };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return {
      ok: false,
      diagnostics: e.diagnostics.map((d) => {
        const here = d.source === text;
        const message = [d.message, ...(d.notes ?? [])].join("\n");
        return here
          ? { from: d.span.offset, to: Math.max(d.span.end, d.span.offset + 1), line: d.span.line, col: d.span.col, message }
          : { from: 0, to: 1, line: 1, col: 1, message: `${d.file}:${d.span.line}:${d.span.col}: ${message}` };
      }),
    };
  }
}

/** The data the figures draw (as `rgnn plot --data spirals` with its default points and seed). */
export const PLAYGROUND_DATA: Dataset = generate("spirals", { points: 400, seed: 7 });

/** The network a metric is pulled back along, else the model's first network; figures need one with a 2-d input. */
function networkFor(model: Model, metric: Metric | undefined): Network | undefined {
  const along = metric && pullbackNetwork(metric);
  if (along) return along;
  return [...model.mappings.values()].find((m): m is Network => m.kind === "network");
}

export interface MetricView {
  name: string;
  coords: string[];
  /** Its closed form as display LaTeX (the matrix form for wide networks), or why there is none. */
  tex: string | null;
  texNote: string | null;
  /** The ellipses of g over its chart (2-d metrics: the input plane, or layer K's for a metric on layer K) with the data
   *  carried there, and where the plane is drawn, for clicks. */
  ellipses: { svg: string; frame: ReturnType<typeof ellipsesFrame> } | null;
  /** Why a figure is missing, if one is. */
  figureNote: string | null;
}

/** g in closed form as display LaTeX, in the form an interactive view takes (the matrix form for wide networks). */
export function closedFormTex(metric: Metric): string {
  return formTex(metricSymbolic(metric, interactiveForm(metric)));
}

/** LaTeX characters the page typesets in one formula (a 1,000-layer network's matrix form is 2.2·10⁵; 10,000 layers'
 *  2.4·10⁶ would hold the page's thread while KaTeX and the layout set it). */
export const PLAYGROUND_TEX_LIMIT = 200_000;

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** Failures that belong to the spec (too large to print, not finite somewhere), shown rather than thrown. */
const expected = (e: unknown) => e instanceof SymbolicSizeError || e instanceof EvaluationError;

/** Everything shown beside the editor for one metric of a model that checked clean (in a graph of its own: the
 *  page lives for hours of edits, and the nodes of each are dropped with it). */
export function metricView(model: Model, metricName: string): MetricView {
  return inRequestGraph(model, () => viewOf(model, metricName));
}

function viewOf(model: Model, metricName: string): MetricView {
  const metric = model.metrics.get(metricName);
  if (!metric) throw new Error(`no metric '${metricName}'`);
  const view: MetricView = {
    name: metric.name,
    coords: metric.manifold.coords,
    tex: null,
    texNote: null,
    ellipses: null,
    figureNote: null,
  };
  try {
    const tex = closedFormTex(metric);
    if (tex.length <= PLAYGROUND_TEX_LIMIT) view.tex = tex;
    else
      view.texNote =
        `the closed form of '${metric.name}' is ${Math.round(tex.length / 1000)} k characters of LaTeX, more than the page ` +
        `typesets (${PLAYGROUND_TEX_LIMIT / 1000} k); 'rgnn metric FILE --form matrix' prints it`;
  } catch (e) {
    if (!expected(e)) throw e;
    view.texNote = reason(e);
  }
  const net = networkFor(model, metric);
  const notes: string[] = [];
  try {
    if (metric.manifold.dim === 2 && net) {
      const env = valuesOf(model);
      const chart = chartLayer(metric);
      const where = chart?.layer ? ` at layer ${chart.layer}` : "";
      const data = chart?.layer ? carried(chart.network, chart.layer, env) : PLAYGROUND_DATA;
      const svg = inputEllipsesFigure({ net, metric, data, env, title: `${metric.name} on spirals${where}: ellipses` });
      view.ellipses = { svg, frame: ellipsesFrame(data) };
    } else if (!net) notes.push("the figures are drawn over data carried through a network; the spec has none");
    else notes.push(`ellipses are drawn for 2-dimensional metrics; '${metric.name}' is ${metric.manifold.dim}-dimensional`);
  } catch (e) {
    if (!expected(e)) throw e;
    notes.push(reason(e));
  }
  view.figureNote = notes.length ? notes.join("; ") : null;
  return view;
}

/** The playground's data carried through layers 1 … `layer` of a network: where a metric on that layer sees them. */
function carried(net: Network, layer: number, env: ReadonlyMap<string, number>): Dataset {
  const d = PLAYGROUND_DATA;
  const input = Array.from({ length: d.count }, (_, i) => [d.x[2 * i], d.x[2 * i + 1]]);
  const out = evaluateAt(subNetwork(net, 1, layer), input, env);
  return { ...d, x: Float64Array.from(out.flatMap((r) => r.output)) };
}

/** The coordinate grid and the data through the layers of the metric's network (one on the plane), or why not. */
export function gridFigure(model: Model, metricName: string): { svg: string } | { note: string } {
  return inRequestGraph(model, () => gridOf(model, metricName));
}

function gridOf(model: Model, metricName: string): { svg: string } | { note: string } {
  const metric = model.metrics.get(metricName);
  const net = networkFor(model, metric);
  if (!metric || !net) return { note: "no network to draw" };
  if (net.source.dim !== 2) return { note: `the grid is drawn for networks on the plane; '${net.name}' has ${net.source.dim} inputs` };
  try {
    return { svg: figure("grid", { net, metric, data: PLAYGROUND_DATA, env: valuesOf(model), title: `${net.name} on spirals: grid` }) };
  } catch (e) {
    if (!expected(e)) throw e;
    return { note: reason(e) };
  }
}

export interface PointValue {
  point: number[];
  /** g at the point, its eigenvalues and determinant, as display LaTeX. */
  tex: string;
}

const num = (x: number) => rounded(x, 6);

/** A metric's value at a point, as display LaTeX, or null where it is not finite (the message says why). */
export function valueAt(model: Model, metricName: string, point: number[]): PointValue | { error: string } {
  const metric = model.metrics.get(metricName);
  if (!metric) return { error: `no metric '${metricName}'` };
  try {
    const [v] = metricAt(metric, [point], valuesOf(model));
    const g = latexSymbol(metric.name);
    const at = `(${point.map(num).join(", ")})`;
    const m = `\\begin{pmatrix} ${v.metric.map((r) => r.map(num).join(" & ")).join(" \\\\ ")} \\end{pmatrix}`;
    const eig = v.eigenvalues.map(num).join(",\\ ");
    const tex = `${g}\\big|_{${at}} = ${m} \\\\ \\lambda = ${eig},\\quad \\det ${g} = ${num(v.determinant)}`;
    return { point, tex: `\\begin{gathered}${tex}\\end{gathered}` };
  } catch (e) {
    if (!(e instanceof EvaluationError)) throw e;
    return { error: e.message };
  }
}

/** The data coordinates under a click on the ellipses figure, given in the SVG's own pixels; null outside the plane. */
export function pointOnFrame(frame: ReturnType<typeof ellipsesFrame>, sx: number, sy: number): number[] | null {
  const u = (sx - frame.x) / frame.size,
    v = (sy - frame.y) / frame.size;
  if (!(u >= 0 && u <= 1 && v >= 0 && v <= 1)) return null;
  const { x0, x1, y0, y1 } = frame.box;
  return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
}

/** Where a point of the input plane is drawn in the ellipses figure, in the SVG's own pixels (pointOnFrame's inverse). */
export function frameOfPoint(frame: ReturnType<typeof ellipsesFrame>, point: number[]): [number, number] {
  const { x0, x1, y0, y1 } = frame.box;
  return [frame.x + ((point[0] - x0) / (x1 - x0)) * frame.size, frame.y + frame.size - ((point[1] - y0) / (y1 - y0)) * frame.size];
}
