// The paper's figures from a spec: the data and a coordinate grid carried through every layer;
// the pulled-back metric as ellipses; the volume element √det g as a heat map with the decision
// boundary; geodesics between data points. Every number comes from rgnn's compiled evaluators.
import { rounded } from "../../core/numbers.js";
import type { Metric, Network } from "../../semantics/model.js";
import { chartLayer, subNetwork } from "../../semantics/networks.js";
import { clip } from "../../syntax/text.js";
import type { Dataset } from "../../numeric/data.js";
import { EvaluationError, mappingEvaluator } from "../../numeric/evaluate.js";
import { earlierStates, forwardMetric, forwardNetwork, layerJacobian } from "../../numeric/forward.js";
import { layerStates, mappingRoute, pointMapping, pointMetric } from "../../numeric/route.js";
import { geodesicSolver } from "../../numeric/geodesic.js";
import { congruenceN, detN, identityN, type Mat, symmetricEigen } from "../../numeric/linalg.js";
import { rng } from "../../core/random.js";
import { boundingBox, type Box, classColour, colorBar, Panel, pngDataUri, Svg, textWidth, viridis, viridisRGB } from "./svg.js";
import { layerLabel } from "../../semantics/labels.js";

export const PLOT_KINDS = ["grid", "data", "ellipses", "volume", "geodesics"] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

export interface PlotInput {
  net: Network;
  metric: Metric;
  data: Dataset;
  env: ReadonlyMap<string, number>;
  title: string;
  seed?: number;
  /** The volume figure's geodesics: pairs of class labels, each joined between its classes' typical points. */
  pairs?: [number, number][];
  /** The square drawn (volume figure), instead of the data's bounding box. */
  domain?: Box;
  /** The ellipses figure: this layer's panel only (default: every layer's). */
  layer?: number;
}

/** The classes of a data set: its distinct labels, sorted; a label's colour is its place here. */
export function classesOf(d: Dataset): number[] {
  return [...new Set(d.y)].sort((a, b) => a - b);
}

/**
 * Whether the figures treat the network as a classifier of the data's classes, and draw its decision boundary: its last
 * layer is a softmax or log-softmax, or it has one output per class (output k scores the k-th class in label order, as
 * `rgnn train` makes it). A decoder, an embedding or a hidden representation of another width is no classifier.
 */
export function isClassifier(net: Network, classes: readonly number[]): boolean {
  const last = net.layers[net.layers.length - 1];
  return (last !== undefined && (last.kind === "softmax" || last.kind === "log_softmax")) || net.target.dim === classes.length;
}

/** The member of each class nearest the class's mean point: the typical points that `pairs` joins. */
export function typicalPoints(d: Dataset): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const c of classesOf(d)) {
    const idx = Array.from({ length: d.count }, (_, i) => i).filter((i) => d.y[i] === c);
    const mx = idx.reduce((s, i) => s + d.x[2 * i], 0) / idx.length,
      my = idx.reduce((s, i) => s + d.x[2 * i + 1], 0) / idx.length;
    const best = idx.reduce((a, i) =>
      Math.hypot(d.x[2 * i] - mx, d.x[2 * i + 1] - my) < Math.hypot(d.x[2 * a] - mx, d.x[2 * a + 1] - my) ? i : a,
    );
    out.set(c, [d.x[2 * best], d.x[2 * best + 1]]);
  }
  return out;
}

const points = (d: Dataset) => Array.from({ length: d.count }, (_, i) => [d.x[2 * i], d.x[2 * i + 1]]);

/** Each label's colour, by its place among the sorted classes. */
function colourer(labels: Int32Array): (label: number) => string {
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const at = new Map(classes.map((c, k) => [c, k]));
  return (label) => classColour(at.get(label) ?? 0, classes.length);
}

function scatter(p: Panel, pts: number[][], labels: Int32Array, r = 2.2, clip = "", extra = ` fill-opacity="0.8"`): void {
  const svg = p.svg;
  const colour = colourer(labels);
  svg.add(`<g${clip}>`);
  pts.forEach(([x, y], i) => {
    if (Number.isFinite(x) && Number.isFinite(y)) svg.circle(p.X(x), p.Y(y), r, colour(labels[i]), extra);
  });
  svg.add("</g>");
}

/** Rows the class legend takes in `columns` columns. */
const legendRows = (classes: readonly number[], columns: number) => Math.ceil(classes.length / columns);
const LEGEND_ROW = 16;
/** The width of one column of the class legend. */
const legendColumn = (classes: readonly number[]) => Math.max(...classes.map((c) => 14 + 11 * 0.64 * `class ${c}`.length)) + 12;

/** The classes as coloured dots with their labels, filled by rows; returns the y below the legend. */
function legendClasses(svg: Svg, x: number, y: number, classes: readonly number[], columns = 1): number {
  const w = legendColumn(classes);
  classes.forEach((c, k) => {
    const col = k % columns,
      row = Math.floor(k / columns);
    svg.circle(x + 5 + col * w, y + row * LEGEND_ROW, 4, classColour(k, classes.length));
    svg.text(x + 14 + col * w, y + 4 + row * LEGEND_ROW, `class ${c}`, 11);
  });
  return y + legendRows(classes, columns) * LEGEND_ROW;
}

/** Small multiples: layer 0 (the input) … layer L, the data (and the input grid) in each layer's coordinates. */
function layersFigure(inp: PlotInput, withGrid: boolean): string {
  const { net, data } = inp;
  const L = net.layers.length;
  const states = layerStates(net, inp.env);
  const pts = points(data);
  const dataStates = states(pts);
  const box0 = boundingBox(pts, 0.1, true);
  const lines: number[][][] = [];
  if (withGrid) {
    const K = 13,
      S = 80;
    for (let i = 0; i < K; i++) {
      const u = box0.x0 + ((box0.x1 - box0.x0) * i) / (K - 1),
        v = box0.y0 + ((box0.y1 - box0.y0) * i) / (K - 1);
      lines.push(Array.from({ length: S }, (_, k) => [u, box0.y0 + ((box0.y1 - box0.y0) * k) / (S - 1)]));
      lines.push(Array.from({ length: S }, (_, k) => [box0.x0 + ((box0.x1 - box0.x0) * k) / (S - 1), v]));
    }
  }
  const lineStates = lines.map((l) => states(l));
  const cols = Math.min(4, L + 1),
    rows = Math.ceil((L + 1) / cols);
  const cw = 230,
    ch = 230,
    m = 52;
  const classes = classesOf(data);
  const perRow = Math.max(1, Math.floor((cols * cw + 20) / legendColumn(classes)));
  const svg = new Svg(cols * cw + 40, rows * ch + 70 + legendRows(classes, perRow) * LEGEND_ROW + 8);
  svg.text(svg.width / 2, 24, inp.title, 15, "middle", ` font-weight="bold"`);
  for (let l = 0; l <= L; l++) {
    const col = l % cols,
      row = Math.floor(l / cols);
    const layerPts = dataStates.map((s) => s[l]);
    const box = boundingBox([...layerPts, ...lineStates.flatMap((ls) => ls.map((s) => s[l]))], 0.06, true);
    const p = new Panel(svg, 20 + col * cw + m, 50 + row * ch + 18, cw - m - 12, ch - m - 14, box);
    const clip = p.clip(`c${l}`);
    svg.add(`<g${clip}>`);
    for (const ls of lineStates)
      p.svg.path(
        ls.map((s) => [p.X(s[l][0]), p.Y(s[l][1] ?? 0)] as [number, number]),
        "#9aa3ad",
        0.6,
      );
    svg.add("</g>");
    scatter(
      p,
      layerPts.map((s) => [s[0], s[1] ?? 0]),
      data.y,
      1.6,
      clip,
    );
    const layer = l === 0 ? null : net.layers[l - 1];
    const what = layer ? layerLabel(layer, "short") : "input";
    const width = l === 0 ? net.source.dim : layer!.outWidth;
    const [u, v] = l === 0 ? net.source.coords : [`x${l}₁`, width > 1 ? `x${l}₂` : ""];
    p.axes(`layer ${l}: ${what}${width > 2 ? ` (2 of ${width})` : width < 2 ? " (1-d)" : ""}`, u, v ?? "", 10);
  }
  legendClasses(svg, 20, rows * ch + 78, classes, perRow);
  return svg.toString();
}

/**
 * The ellipse drawn for g at a point: semi-axes √λ₁ ≥ √λ₂ (unscaled) along the eigenvectors, and
 * the major axis's angle in degrees on screen (y pointing down), from g's eigen-decomposition.
 */
export function ellipseOf(e: { values: number[]; vectors: number[][] }): { major: number; minor: number; angle: number } {
  const v = e.vectors.map((r) => r[1]); // eigenvector of the largest eigenvalue
  return { major: e.values[1], minor: e.values[0], angle: (-Math.atan2(v[1], v[0]) * 180) / Math.PI };
}

/** Where the ellipses figure draws the input plane: its box in data units and its panel in SVG pixels. */
export function ellipsesFrame(data: Dataset): { width: number; height: number; x: number; y: number; size: number; box: Box } {
  return { width: 720, height: 600, x: 70, y: 60, size: 460, box: boundingBox(points(data), 0.1, true) };
}

/**
 * A metric alone as ellipses on a lattice of its chart (semi-axes √λᵢ along g's eigenvectors, one scale for all), drawn
 * in `ellipsesFrame` so that a click maps back to a point: the playground's interactive view, with `inp.data` given in
 * the metric's chart (the input, or layer K's coordinates for a metric pulled back to layer K). The legend names the
 * metric and its layer; its lines are stacked, never drawn over each other. `rgnn plot` draws every layer.
 */
export function inputEllipsesFigure(inp: PlotInput): string {
  const pts = points(inp.data);
  const frame = ellipsesFrame(inp.data),
    box = frame.box;
  const ev = pointMetric(inp.metric, inp.env);
  const N = 15;
  const cells: { x: number; y: number; values: number[]; vectors: number[][] }[] = [];
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const x = box.x0 + ((i + 0.5) * (box.x1 - box.x0)) / N,
        y = box.y0 + ((j + 0.5) * (box.y1 - box.y0)) / N;
      try {
        const e = symmetricEigen(ev.at([x, y]));
        cells.push({ x, y, values: e.values.map((v) => Math.sqrt(Math.max(v, 0))), vectors: e.vectors });
      } catch (e) {
        if (!(e instanceof EvaluationError)) throw e;
      }
    }
  // the stretch varies over orders of magnitude: one scale, set by the 85th percentile, with
  // ellipses capped at the lattice cell (drawn darker where capped)
  const stretches = cells.map((c) => c.values[1]).sort((a, b) => a - b);
  const maxStretch = Math.max(stretches[Math.floor(0.85 * (stretches.length - 1))] ?? 1, 1e-300);
  const svg = new Svg(frame.width, frame.height);
  const p = new Panel(svg, frame.x, frame.y, frame.size, frame.size, box);
  const spacing = ((box.x1 - box.x0) / N) * p.scaleX;
  const k = (0.48 * spacing) / maxStretch; // pixels per unit of √λ
  scatter(p, pts, inp.data.y, 2, "");
  for (const c of cells) {
    const { angle } = ellipseOf(c);
    const capped = k * c.values[1] > 0.5 * spacing,
      cap = capped ? (0.5 * spacing) / (k * c.values[1]) : 1;
    svg.ellipse(
      p.X(c.x),
      p.Y(c.y),
      Math.max(0.4, cap * k * c.values[1]),
      Math.max(0.4, cap * k * c.values[0]),
      angle,
      capped ? "#7a1010" : "#111",
      "rgba(255,255,255,0.35)",
    );
  }
  const [cx, cy] = inp.metric.manifold.coords;
  p.axes(inp.title, cx, cy);
  // legend: which metric on which layer, then the ellipse of the identity metric (a circle of radius √λ = 1) if it is
  // drawable; each line below the one before
  const chart = chartLayer(inp.metric);
  const name = clip(inp.metric.name, 12);
  let y = 80;
  const line = (s: string, size = 10, gap = 14) => {
    svg.text(545, y, s, size);
    y += gap;
  };
  line(`metric ${name}`, 11, 15);
  line(chart?.layer ? `on layer ${chart.layer} of ${clip(chart.network.name, 12)}` : "at the input", 11, 17);
  line("semi-axes ∝ √λᵢ along");
  line(`the eigenvectors of ${name}:`);
  line("how much the network");
  line("stretches each direction", 10, 20);
  const ref = k * 1;
  if (ref > 1 && ref < 60) {
    svg.circle(575, y + ref, ref, "none", ` stroke="#111"`);
    y += 2 * ref + 16;
    line("√λ = 1 (isometry)", 10, 20);
  }
  line(`largest √λ: ${stretches[stretches.length - 1].toPrecision(3)}`);
  line("dark red: capped at the cell", 10, 26);
  legendClasses(svg, 545, y, classesOf(inp.data), 2);
  return svg.toString();
}

/** Lattice points of a box, n per axis, at cell centres. */
const lattice = (box: Box, n: number) =>
  Array.from({ length: n * n }, (_, k) => [
    box.x0 + ((Math.floor(k / n) + 0.5) * (box.x1 - box.x0)) / n,
    box.y0 + (((k % n) + 0.5) * (box.y1 - box.y0)) / n,
  ]);

/**
 * The metric on every layer's coordinates at the images of input points, backpropagated as the paper does:
 * g_L is the metric the input metric pulls back (Euclidean, or the given one, at the output), and
 * g_{l−1} = J_lᵀ g_l J_l with J_l the layer's Jacobian at x_{l−1}. null where a state is not finite.
 */
function layerMetrics(inp: PlotInput, pts: number[][]): ({ x: number[]; g: Mat }[] | null)[] {
  const { net, env } = inp;
  const def = inp.metric.def;
  return pts.map((p) => {
    const s = forwardNetwork(net, p, env);
    if (!s.every((st) => st.x.every(Number.isFinite))) return null;
    const L = net.layers.length;
    const out: { x: number[]; g: Mat }[] = new Array(L + 1);
    let g = def.kind === "pullback" && def.of.def.kind !== "euclidean" ? forwardMetric(def.of, s[L].x, env) : identityN(s[L].x.length);
    out[L] = { x: s[L].x, g };
    for (let l = L; l >= 1; l--) {
      g = congruenceN(layerJacobian(net.layers[l - 1], s[l - 1].x, earlierStates(s, l - 1), env), g);
      out[l - 1] = { x: s[l - 1].x, g };
    }
    return out;
  });
}

/** log₁₀ √det g, or NaN where g is degenerate or not finite. */
const logVolume = (g: Mat) => {
  const d = detN(g);
  return d > 0 && Number.isFinite(d) ? 0.5 * Math.log10(d) : Number.NaN;
};

/** Percentiles of the finite values: the colour range, clipped so that a few extreme points do not wash it out. */
function colourRange(values: number[], lo = 0.01, hi = 0.99): { lo: number; hi: number; min: number; max: number } {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return { lo: 0, hi: 1, min: 0, max: 1 };
  const a = v[Math.floor(lo * (v.length - 1))],
    b = v[Math.ceil(hi * (v.length - 1))];
  return { lo: a, hi: b > a ? b : a + 1, min: v[0], max: v[v.length - 1] };
}

/** The narrowest axis ratio drawn: thinner ellipses (near-degenerate g) are widened to it, so they stay visible. */
const MIN_RATIO = 0.08;

/**
 * One panel's ellipse scale: `k` pixels per unit of √λ, so that the 85th percentile of the panel's largest √λ fills
 * 0.45 of `spacing`, the median distance in pixels from a lattice image to its nearest neighbour (at least 3 px);
 * an ellipse is capped at half the spacing, so that neighbours never meet and the data between them stays visible,
 * and drawn at least a fifth of it long (its axis ratio kept), so that its shape shows.
 * Each panel gets its own: the images of the lattice crowd in one layer and spread in another, and √λ ranges
 * differ by orders of magnitude between layers.
 */
export function panelEllipseScale(
  centres: [number, number][],
  stretches: number[],
): { k: number; cap: number; floor: number; spacing: number } {
  const nearest = centres.map(([x, y], i) =>
    centres.reduce((d, [u, v], j) => (j === i ? d : Math.min(d, Math.hypot(u - x, v - y))), Number.POSITIVE_INFINITY),
  );
  const finite = nearest.filter(Number.isFinite).sort((a, b) => a - b);
  const spacing = Math.max(3, finite.length ? finite[Math.floor((finite.length - 1) / 2)] : 3);
  const s = stretches.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  const typical = s.length ? s[Math.floor(0.85 * (s.length - 1))] : 1;
  return { k: (0.45 * spacing) / typical, cap: 0.5 * spacing, floor: 0.2 * spacing, spacing };
}

/** A positive number to two significant digits, as text: the panels' scale captions. */
const twoDigits = (v: number) => (v >= 1e-4 && v < 1e5 ? String(Number(v.toPrecision(2))) : v.toExponential(1));

/**
 * The metric on every layer as ellipses, one panel per layer (or only `inp.layer`): at the image x_l of each input
 * lattice point, an ellipse with semi-axes c_l·√λᵢ along g_l's eigenvectors, c_l chosen per panel
 * (`panelEllipseScale`) and printed under it in the panel's axis units; filled by log₁₀ √det g_l on one colour scale
 * for all layers (how much the rest of the network magnifies area there).
 */
function ellipsesFigure(inp: PlotInput): string {
  const { net, data } = inp;
  const L = net.layers.length;
  const shown = inp.layer === undefined ? Array.from({ length: L + 1 }, (_, l) => l) : [inp.layer];
  const pts = points(data);
  const box0 = boundingBox(pts, 0.1, true);
  const N = 11;
  const cells = layerMetrics(inp, lattice(box0, N));
  const dataStates = layerStates(net, inp.env)(pts);
  const vols = cells.flatMap((c) => (c ? shown.filter((l) => c[l].g.length === 2).map((l) => logVolume(c[l].g)) : []));
  const range = colourRange(vols);
  const cols = Math.min(4, shown.length),
    rows = Math.ceil(shown.length / cols);
  // one panel (a chosen layer) is drawn as large as the volume figure's
  const cw = shown.length === 1 ? 480 : 240,
    ch = cw,
    m = 56;
  const classes = classesOf(data);
  const svg = new Svg(cols * cw + 200, Math.max(rows * ch + 70, 540 + legendRows(classes, 2) * LEGEND_ROW));
  // the title is centred over the panels, and set smaller if it would leave the canvas
  const centre = (cols * cw) / 2 + 20;
  const titleSize = Math.min(15, (2 * Math.min(centre, svg.width - centre) - 10) / textWidth(inp.title, true));
  svg.text(centre, 24, inp.title, Math.round(titleSize * 10) / 10, "middle", ` font-weight="bold"`);
  shown.forEach((l, at) => {
    const col = at % cols,
      row = Math.floor(at / cols);
    const width = l === 0 ? net.source.dim : net.layers[l - 1].outWidth;
    const here = cells.flatMap((c) => (c ? [c[l]] : []));
    const layerPts = dataStates.map((st) => [st[l][0], st[l][1] ?? 0]);
    const box = boundingBox([...layerPts, ...here.map((c) => [c.x[0], c.x[1] ?? 0])], 0.08, true);
    const p = new Panel(svg, 20 + col * cw + m, 50 + row * ch + 18, cw - m - 14, ch - m - 14, box);
    const clip = p.clip(`e${l}`);
    scatter(p, layerPts, data.y, 1.2, clip);
    if (width === 2) {
      const eig = here.map((c) => {
        const e = symmetricEigen(c.g);
        return { sq: e.values.map((v) => Math.sqrt(Math.max(v, 0))), vectors: e.vectors };
      });
      const scale = panelEllipseScale(
        here.map((c) => [p.X(c.x[0]), p.Y(c.x[1])]),
        eig.map((e) => e.sq[1]),
      );
      svg.add(`<g${clip}>`);
      here.forEach((c, i) => {
        const { sq, vectors } = eig[i];
        const { angle } = ellipseOf({ values: sq, vectors });
        const major = scale.k * sq[1],
          capped = major > scale.cap,
          rx = Math.max(scale.floor, capped ? scale.cap : major);
        const ry = rx * (sq[1] > 0 ? Math.max(MIN_RATIO, sq[0] / sq[1]) : MIN_RATIO);
        const v = logVolume(c.g);
        const fill = Number.isFinite(v) ? viridis((v - range.lo) / (range.hi - range.lo)) : "#bbb";
        svg.ellipse(p.X(c.x[0]), p.Y(c.x[1]), rx, ry, angle, capped ? "#7a1010" : "#222", fill, capped ? 0.8 : 0.4);
      });
      svg.add("</g>");
      svg.text(p.px + p.pw / 2, p.py + p.ph + 44, `semi-axes ${twoDigits(scale.k / p.scaleX)}·√λᵢ`, 9, "middle");
    }
    const layer = l === 0 ? null : net.layers[l - 1];
    const what = layer ? layerLabel(layer, "short") : "input";
    const [u, v] = l === 0 ? net.source.coords : [`x${l}₁`, `x${l}₂`];
    p.axes(`layer ${l}: ${what}${width !== 2 ? ` (width ${width}: no ellipses)` : ""}`, u, v ?? "", 10);
  });
  const lx = cols * cw + 20;
  // the bar's title is centred over it: 40 px in, it clears the last column's frame
  colorBar(svg, lx + 40, 90, 235, range.lo, range.hi, "log₁₀ √det g_l", (v) => rounded(v, 3));
  let y = 350;
  const note = (s: string, gap = 13) => {
    svg.text(lx, y, s, 10);
    y += gap;
  };
  note("fill: log₁₀ √det g_l, one");
  note(shown.length > 1 ? "scale for all layers, clipped" : "scale, clipped to its");
  note(shown.length > 1 ? "to its 1st–99th percentile" : "1st–99th percentile");
  note(`(all: ${rounded(range.min, 3)} … ${rounded(range.max, 3)})`, 18);
  note("shape: semi-axes c·√λᵢ");
  note("along g_l's eigenvectors;");
  note("c (in axis units) under each");
  note("panel, set to its lattice");
  note("spacing; axis ratio drawn");
  note(`at least 1 : ${Math.round(1 / MIN_RATIO)}`, 18);
  note("dark red outline: capped");
  note("at half the spacing", 22);
  legendClasses(svg, lx, y, classes, 2);
  return svg.toString();
}

/** A coordinate as an axis label: layer K's `xK_i` as the panels write it, xKᵢ with a subscript digit. */
const coordLabel = (c: string) => c.replace(/^(x\d+)_(\d)$/, (_, x: string, i: string) => x + String.fromCharCode(0x2080 + Number(i)));

/** The layer whose coordinates a metric pulled back along the drawn network lives on (0: the input). */
const chartLayerOf = (metric: Metric) => (metric.def.kind === "pullback" ? metric.def.layer : 0);

/** The data in layer `layer`'s coordinates: the images of the input points there (the input's own for layer 0). */
function inChart(inp: PlotInput, layer: number): Dataset {
  if (layer === 0) return inp.data;
  const states = layerStates(inp.net, inp.env)(points(inp.data));
  return { ...inp.data, x: Float64Array.from(states.flatMap((s) => [s[layer][0], s[layer][1]])) };
}

/** Marching squares: segments of the level set {f = 0} on a grid of values. */
function contour(f: number[][], box: Box): [number, number][][] {
  const n = f.length - 1,
    m = f[0].length - 1,
    segs: [number, number][][] = [];
  const X = (i: number) => box.x0 + ((box.x1 - box.x0) * i) / n,
    Y = (j: number) => box.y0 + ((box.y1 - box.y0) * j) / m;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      const c = [
        [i, j],
        [i + 1, j],
        [i + 1, j + 1],
        [i, j + 1],
      ];
      const v = c.map(([a, b]) => f[a][b]);
      const pts: [number, number][] = [];
      for (let e = 0; e < 4; e++) {
        const [a, b] = [e, (e + 1) % 4];
        if (v[a] > 0 !== v[b] > 0) {
          const t = v[a] / (v[a] - v[b]);
          pts.push([X(c[a][0] + t * (c[b][0] - c[a][0])), Y(c[a][1] + t * (c[b][1] - c[a][1]))]);
        }
      }
      if (pts.length >= 2) segs.push([pts[0], pts[1]]);
      if (pts.length === 4) segs.push([pts[2], pts[3]]);
    }
  return segs;
}

/** The length under g of the straight segment a → b: the midpoint rule on `pieces` pieces of ∫ √(ȧᵀ g ȧ) dt. */
function straightLength(at: (x: number[]) => Mat, a: number[], b: number[], pieces = 200): number {
  const d = [(b[0] - a[0]) / pieces, (b[1] - a[1]) / pieces];
  let sum = 0;
  for (let k = 0; k < pieces; k++) {
    const t = (k + 0.5) / pieces,
      g = at([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
    sum += Math.sqrt(Math.max(0, g[0][0] * d[0] * d[0] + 2 * g[0][1] * d[0] * d[1] + g[1][1] * d[1] * d[1]));
  }
  return sum;
}

/**
 * log₁₀ √det g over the input as a heat map with the data coloured by class; the decision boundary where the network
 * is a classifier of the data's classes (`isClassifier`); geodesics between the typical points of `pairs` of classes
 * against straight lines. The legend column is stacked from the top, each item below the one before.
 */
function volumeFigure(inp: PlotInput): string {
  const chart = chartLayerOf(inp.metric);
  const shownData = inChart(inp, chart);
  const pts = points(shownData);
  const classes = classesOf(inp.data);
  const classifier = isClassifier(inp.net, classes);
  const box = inp.domain ?? boundingBox(pts, 0.1, true);
  const N = 140;
  const grid: number[][] = [],
    scores: number[][][] = [];
  const lattice: number[][] = [];
  for (let i = 0; i <= N; i++)
    for (let j = 0; j <= N; j++) lattice.push([box.x0 + ((box.x1 - box.x0) * i) / N, box.y0 + ((box.y1 - box.y0) * j) / N]);
  // the compiled closed form on the whole lattice at once, or the matrix engine by blocks of points (a wide network);
  // another metric than the Euclidean one's pullback to the input: the metric point by point, and the scores by the
  // layers after its chart
  const at = (() => {
    const def = inp.metric.def;
    if (chart !== 0 || def.kind !== "pullback" || def.of.def.kind !== "euclidean") {
      const g = pointMetric(inp.metric, inp.env);
      const L = inp.net.layers.length;
      const rest = !classifier || chart === L ? null : pointMapping(chart === 0 ? inp.net : subNetwork(inp.net, chart + 1, L), inp.env);
      const nan = [
        [Number.NaN, Number.NaN],
        [Number.NaN, Number.NaN],
      ];
      return (k: number) => {
        const x = lattice[k];
        let metric = nan,
          output = classifier ? x.map(() => Number.NaN) : [];
        try {
          metric = g.at(x);
          if (classifier) output = rest ? rest.at(x).output : x;
        } catch (e) {
          if (!(e instanceof EvaluationError)) throw e;
        }
        return { metric, output };
      };
    }
    if (mappingRoute(inp.net) === "matrix") {
      const values = pointMapping(inp.net, inp.env).many(lattice);
      return (k: number) => values[k];
    }
    const out = mappingEvaluator(inp.net, inp.env);
    const res = out.run(Float64Array.from(lattice.flat()), lattice.length);
    return (k: number) => out.unpack(res, k);
  })();
  for (let i = 0; i <= N; i++) {
    grid.push([]);
    scores.push([]);
    for (let j = 0; j <= N; j++) {
      const k = i * (N + 1) + j,
        o = at(k);
      const g = o.metric,
        det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
      grid[i].push(det > 0 ? 0.5 * Math.log10(det) : Number.NaN);
      if (classifier) scores[i].push(o.output);
    }
  }
  const range = colourRange(grid.flat());
  const { lo, hi } = range;
  const degenerate = grid.some((r) => r.some((v) => !Number.isFinite(v)));

  // geodesics first: their lengths go into the legend
  const typical = inp.pairs?.length ? typicalPoints(shownData) : new Map<number, [number, number]>();
  const geodesics: { a: number[]; b: number[]; ca: number; cb: number; path?: number[][]; length?: number; straight: number }[] = [];
  if (inp.pairs?.length) {
    const solver = geodesicSolver(inp.metric, inp.env);
    const g = pointMetric(inp.metric, inp.env);
    for (const [ca, cb] of inp.pairs) {
      const a = typical.get(ca),
        b = typical.get(cb);
      if (!a || !b) throw new EvaluationError(`--pairs ${ca}:${cb}: the data has no class ${a ? cb : ca}`);
      const straight = straightLength((x) => g.at(x), a, b);
      try {
        const path = solver.bvp(a, b, { samples: 150 });
        geodesics.push({ a, b, ca, cb, path: path.samples.map((s) => s.x), length: path.length, straight });
      } catch (e) {
        if (!(e instanceof EvaluationError)) throw e;
        geodesics.push({ a, b, ca, cb, straight });
      }
    }
  }

  // the legend column, stacked: colour bar, its notes, then the boundary, geodesic and class legends
  const lx = 600;
  const items: ((y: number) => number)[] = [];
  const note = (s: string) =>
    items.push((y) => {
      svg.text(lx, y, s, 10);
      return y + 13;
    });
  const gap = (h: number) => items.push((y) => y + h);
  note("colours clipped to the 1st–99th");
  note("percentile of the lattice's values;");
  note(`all: ${rounded(range.min, 3)} … ${rounded(range.max, 3)}`);
  if (degenerate) note("grey: g degenerate (det g = 0)");
  if (classifier) {
    gap(10);
    items.push((y) => {
      svg.line(lx, y - 4, lx + 30, y - 4, "#fff", 2.2);
      svg.line(lx, y - 4, lx + 30, y - 4, "#000", 1.1);
      svg.text(lx + 36, y, "decision boundary", 10);
      return y + 16;
    });
  }
  if (geodesics.length) {
    gap(10);
    items.push((y) => {
      svg.line(lx, y - 4, lx + 30, y - 4, "#000", 3.4);
      svg.line(lx, y - 4, lx + 30, y - 4, "#fff", 1.8);
      svg.text(lx + 36, y, "geodesic of g", 10);
      svg.line(lx, y + 12, lx + 30, y + 12, "#000", 2.6);
      svg.line(lx, y + 12, lx + 30, y + 12, "#fff", 1.3, ` stroke-dasharray="5 4"`);
      svg.text(lx + 36, y + 16, "straight line", 10);
      return y + 34;
    });
    note("class pair: geodesic / straight");
    for (const q of geodesics)
      note(
        q.length === undefined
          ? `  ${q.ca} → ${q.cb}: not found / ${q.straight.toFixed(3)}`
          : `  ${q.ca} → ${q.cb}: ${q.length.toFixed(3)} / ${q.straight.toFixed(3)}`,
      );
  }
  gap(14);
  items.push((y) => legendClasses(svg, lx, y, classes, classes.length > 5 ? 2 : 1));
  // the height the column needs: the stack run on a scratch canvas
  const top = 80,
    barH = 260;
  let svg = new Svg(1, 1);
  const bottom = items.reduce((y, f) => f(y), top + barH + 30);
  svg = new Svg(820, Math.max(600, Math.ceil(bottom) + 20));
  const p = new Panel(svg, 70, 60, 480, 480, box);
  // one pixel per lattice point, scaled up smoothly (bilinear) by the renderer: lattice points sit at pixel centres,
  // so the image spans half a cell beyond the box on each side and is clipped to the panel
  const cell = p.pw / N;
  const img = pngDataUri(N + 1, N + 1, (i, row) => {
    const v = grid[i][N - row];
    return Number.isFinite(v) ? viridisRGB((v - lo) / (hi - lo)) : [187, 187, 187];
  });
  const clip = p.clip("v");
  svg.add(
    `<g${clip}><image x="${p.px - cell / 2}" y="${p.py - cell / 2}" width="${p.pw + cell}" height="${p.ph + cell}" ` +
      `preserveAspectRatio="none" image-rendering="optimizeQuality" href="${img}"/></g>`,
  );
  const many = pts.length > 400;
  // a dark rim: light classes (olive, cyan) stay visible on the bright end of the colour map
  scatter(p, pts, inp.data.y, many ? 1.9 : 2.3, clip, ` stroke="#000" stroke-opacity="0.7" stroke-width="${many ? 0.35 : 0.5}"`);
  if (classifier) {
    // the boundary of each class's region: the zero set of its score minus the best other score (for two classes,
    // output₀ − output₁, drawn once)
    const segs = (classes.length === 2 ? [0] : classes.map((_, c) => c)).flatMap((c) =>
      contour(
        scores.map((col) => col.map((o) => o[c] - Math.max(...o.filter((_, k) => k !== c && k < classes.length)))),
        box,
      ),
    );
    for (const [colour, w] of [
      ["#fff", 2.2],
      ["#000", 1.1],
    ] as const) {
      svg.add(`<g${clip}>`);
      for (const seg of segs)
        svg.path(
          seg.map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]),
          colour,
          w,
        );
      svg.add("</g>");
    }
  }
  const colour = colourer(inp.data.y);
  for (const q of geodesics) {
    svg.add(`<g${clip}>`);
    const chord = [q.a, q.b].map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]);
    svg.path(chord, "#000", 2.6, ` stroke-opacity="0.8"`);
    svg.path(chord, "#fff", 1.3, ` stroke-dasharray="5 4"`);
    if (q.path) {
      const line = q.path.map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]);
      svg.path(line, "#000", 3.4);
      svg.path(line, "#fff", 1.8);
    }
    svg.add("</g>");
    svg.circle(p.X(q.a[0]), p.Y(q.a[1]), 4.5, colour(q.ca), ` stroke="white" stroke-width="1.5"`);
    svg.circle(p.X(q.b[0]), p.Y(q.b[1]), 4.5, colour(q.cb), ` stroke="white" stroke-width="1.5"`);
  }
  const [u, v] = inp.metric.manifold.coords.map(coordLabel);
  p.axes(inp.title, u, v ?? "");
  colorBar(svg, lx + 10, top, barH, lo, hi, "log₁₀ √det g", (v) => rounded(v, 3));
  items.reduce((y, f) => f(y), top + barH + 30);
  return svg.toString();
}

/** Geodesics of the input metric between pairs of data points, in one class and across classes, against straight lines. */
function geodesicsFigure(inp: PlotInput): string {
  const pts = points(inChart(inp, chartLayerOf(inp.metric)));
  const box = boundingBox(pts, 0.1, true);
  const svg = new Svg(720, 600);
  const p = new Panel(svg, 70, 60, 460, 460, box);
  const clip = p.clip("g");
  scatter(p, pts, inp.data.y, 1.8, clip);
  const r = rng(inp.seed ?? 1);
  const solver = geodesicSolver(inp.metric, inp.env);
  const size = box.x1 - box.x0;
  // up to 6 pairs of each kind, 0.05–0.25 of the box apart; a folding network's metric degenerates on the fold,
  // and no geodesic crosses it: those pairs are counted, not drawn
  const tally = { same: { drawn: 0, folded: 0, failed: 0 }, cross: { drawn: 0, folded: 0, failed: 0 } };
  const want = 6;
  for (
    let k = 0;
    k < 400 &&
    (tally.same.drawn + tally.same.folded + tally.same.failed < want || tally.cross.drawn + tally.cross.folded + tally.cross.failed < want);
    k++
  ) {
    const i = Math.floor(r() * pts.length),
      j = Math.floor(r() * pts.length);
    const a = pts[i],
      b = pts[j];
    const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    const t = tally[inp.data.y[i] === inp.data.y[j] ? "same" : "cross"];
    if (d < 0.05 * size || d > 0.25 * size || t.drawn + t.folded + t.failed >= want) continue;
    try {
      const path = solver.bvp(a, b, { samples: 120, maxIterations: 15, rtol: 1e-8, atol: 1e-10, maxSteps: 20000 });
      const colour = t === tally.same ? "#111" : "#b35806";
      svg.add(`<g${clip}>`);
      p.svg.path(
        [a, b].map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]),
        "#555",
        1,
        ` stroke-dasharray="4 3"`,
      );
      p.svg.path(
        path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])] as [number, number]),
        colour,
        1.8,
      );
      svg.add("</g>");
      svg.circle(p.X(a[0]), p.Y(a[1]), 3.5, colour);
      svg.circle(p.X(b[0]), p.Y(b[1]), 3.5, colour);
      t.drawn++;
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
      if (/degenerate/.test(e.message)) t.folded++;
      else t.failed++;
    }
  }
  const [u, v] = inp.metric.manifold.coords.map(coordLabel);
  p.axes(inp.title, u, v ?? "");
  svg.line(545, 80, 575, 80, "#111", 1.8);
  svg.text(580, 84, "geodesic, same class", 10);
  svg.line(545, 98, 575, 98, "#b35806", 1.8);
  svg.text(580, 102, "geodesic, across classes", 10);
  svg.line(545, 116, 575, 116, "#555", 1, ` stroke-dasharray="4 3"`);
  svg.text(580, 120, "straight line", 10);
  let y = 146;
  for (const [name, t] of [
    ["same class", tally.same],
    ["across classes", tally.cross],
  ] as const) {
    const lines: [number, string][] = [
      [0, `${name}: ${t.drawn} of ${t.drawn + t.folded + t.failed} joined`],
      ...(t.folded ? [[10, `${t.folded}: g degenerates (a fold)`] as [number, string]] : []),
      ...(t.failed ? [[10, `${t.failed}: not found`] as [number, string]] : []),
    ];
    for (const [indent, line] of lines) {
      svg.text(545 + indent, y, line, 10);
      y += 13;
    }
    y += 5;
  }
  legendClasses(svg, 545, y + 10, classesOf(inp.data), 2);
  return svg.toString();
}

export function figure(kind: PlotKind, inp: PlotInput): string {
  switch (kind) {
    case "grid":
      return layersFigure(inp, true);
    case "data":
      return layersFigure(inp, false);
    case "ellipses":
      return ellipsesFigure(inp);
    case "volume":
      return volumeFigure(inp);
    case "geodesics":
      return geodesicsFigure(inp);
  }
}
