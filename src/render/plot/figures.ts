// The paper's figures from a spec: the data and a coordinate grid carried through every layer;
// the pulled-back metric as ellipses; the volume element √det g as a heat map with the decision
// boundary; geodesics between data points. Every number comes from rgnn's compiled evaluators.
import { rounded } from "../../core/numbers.js";
import { LAYER_KINDS } from "../../core/layers/index.js";
import type { Metric, Network } from "../../semantics/model.js";
import type { Dataset } from "../../numeric/data.js";
import { EvaluationError, mappingEvaluator } from "../../numeric/evaluate.js";
import { layerStates, mappingRoute, pointMapping, pointMetric } from "../../numeric/route.js";
import { geodesicBVP } from "../../numeric/geodesic.js";
import { symmetricEigen } from "../../numeric/linalg.js";
import { rng } from "../../numeric/random.js";
import { boundingBox, type Box, CLASS_COLORS, colorBar, Panel, Svg, viridis } from "./svg.js";

export const PLOT_KINDS = ["grid", "data", "ellipses", "volume", "geodesics"] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

export interface PlotInput {
  net: Network;
  metric: Metric;
  data: Dataset;
  env: ReadonlyMap<string, number>;
  title: string;
  seed?: number;
}

const points = (d: Dataset) => Array.from({ length: d.count }, (_, i) => [d.x[2 * i], d.x[2 * i + 1]]);

function scatter(p: Panel, pts: number[][], labels: Int32Array, r = 2.2, clip = ""): void {
  const svg = p.svg;
  svg.add(`<g${clip}>`);
  pts.forEach(([x, y], i) => {
    if (Number.isFinite(x) && Number.isFinite(y)) svg.circle(p.X(x), p.Y(y), r, CLASS_COLORS[labels[i]], ` fill-opacity="0.8"`);
  });
  svg.add("</g>");
}

function legendClasses(svg: Svg, x: number, y: number): void {
  ["class 0", "class 1"].forEach((s, i) => {
    svg.circle(x + 5, y + i * 16, 4, CLASS_COLORS[i]);
    svg.text(x + 14, y + 4 + i * 16, s, 11);
  });
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
  const svg = new Svg(cols * cw + 40, rows * ch + 70);
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
    const labels = layer && LAYER_KINDS[layer.kind].labels;
    const what = layer && labels ? `${labels.short}${labels.activation ? ` ${layer.activation}` : ""}` : "input";
    const width = l === 0 ? net.source.dim : layer!.outWidth;
    p.axes(`layer ${l}: ${what}${width > 2 ? ` (2 of ${width})` : width < 2 ? " (1-d)" : ""}`, "", "", 10);
  }
  legendClasses(svg, svg.width - 90, 20);
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

/** The input metric as ellipses on a lattice: semi-axes √λᵢ along g's eigenvectors, one scale for all. */
function ellipsesFigure(inp: PlotInput): string {
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
  p.axes(inp.title, "x", "y");
  // legend: the ellipse of the identity metric (a circle of radius √λ = 1), if it is drawable
  const ref = k * 1;
  svg.text(545, 80, "metric g at the input", 11);
  svg.text(545, 96, "semi-axes ∝ √λᵢ along", 10);
  svg.text(545, 110, "the eigenvectors of g:", 10);
  svg.text(545, 124, "how much the network", 10);
  svg.text(545, 138, "stretches each direction", 10);
  if (ref > 1 && ref < 60) {
    svg.circle(575, 175, ref, "none", ` stroke="#111"`);
    svg.text(545, 175 + ref + 16, "√λ = 1 (isometry)", 10);
  }
  svg.text(545, 220, `largest √λ: ${stretches[stretches.length - 1].toPrecision(3)}`, 10);
  svg.text(545, 234, "dark red: capped at the cell", 10);
  legendClasses(svg, 545, 260);
  return svg.toString();
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

/** log₁₀ √det g over the input as a heat map, with the decision boundary and the data. */
function volumeFigure(inp: PlotInput): string {
  const pts = points(inp.data);
  const box = boundingBox(pts, 0.1, true);
  const N = 110;
  const grid: number[][] = [],
    prob: number[][] = [];
  const lattice: number[][] = [];
  for (let i = 0; i <= N; i++)
    for (let j = 0; j <= N; j++) lattice.push([box.x0 + ((box.x1 - box.x0) * i) / N, box.y0 + ((box.y1 - box.y0) * j) / N]);
  // the compiled closed form on the whole lattice at once, or the matrix engine point by point (a wide network)
  const at = (() => {
    if (mappingRoute(inp.net) === "matrix") {
      const ev = pointMapping(inp.net, inp.env);
      return (k: number) => ev.at(lattice[k]);
    }
    const out = mappingEvaluator(inp.net, inp.env);
    const res = out.run(Float64Array.from(lattice.flat()), lattice.length);
    return (k: number) => out.unpack(res, k);
  })();
  for (let i = 0; i <= N; i++) {
    grid.push([]);
    prob.push([]);
    for (let j = 0; j <= N; j++) {
      const k = i * (N + 1) + j,
        o = at(k);
      const g = o.metric,
        det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
      grid[i].push(Math.log10(Math.sqrt(Math.max(det, 1e-300))));
      const [a, b] = o.output;
      prob[i].push(a - b); // class 0 where the first output wins
    }
  }
  const flat = grid.flat().filter(Number.isFinite);
  const sorted = [...flat].sort((a, b) => a - b);
  const lo = sorted[Math.floor(0.01 * sorted.length)],
    hi = sorted[Math.floor(0.99 * sorted.length)];
  const svg = new Svg(720, 600);
  const p = new Panel(svg, 70, 60, 460, 460, box);
  const cw = p.pw / (N + 1),
    chh = p.ph / (N + 1);
  for (let j = 0; j <= N; j++) {
    // run-length merge equal colours along each row
    let start = 0;
    const colour = (i: number) => viridis(Math.round(((grid[i][j] - lo) / (hi - lo || 1)) * 48) / 48);
    for (let i = 1; i <= N + 1; i++) {
      if (i === N + 1 || colour(i) !== colour(start)) {
        svg.rect(p.px + start * cw, p.py + p.ph - (j + 1) * chh, (i - start) * cw + 0.6, chh + 0.6, colour(start));
        start = i;
      }
    }
  }
  for (const seg of contour(prob, box))
    svg.path(
      seg.map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]),
      "#fff",
      2.2,
    );
  for (const seg of contour(prob, box))
    svg.path(
      seg.map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]),
      "#000",
      1.1,
    );
  pts.forEach(([x, y], i) => {
    svg.circle(p.X(x), p.Y(y), 2.2, CLASS_COLORS[inp.data.y[i]], ` stroke="white" stroke-width="0.5"`);
  });
  p.axes(inp.title, "x", "y");
  colorBar(svg, 560, 80, 360, lo, hi, "log₁₀ √det g", (v) => rounded(v, 3));
  svg.line(560, 470, 590, 470, "#000", 1.5);
  svg.text(595, 474, "decision boundary", 10);
  return svg.toString();
}

/** Geodesics of the input metric between data points, against straight lines in the chart. */
function geodesicsFigure(inp: PlotInput): string {
  const pts = points(inp.data);
  const box = boundingBox(pts, 0.1, true);
  const svg = new Svg(720, 600);
  const p = new Panel(svg, 70, 60, 460, 460, box);
  const clip = p.clip("g");
  scatter(p, pts, inp.data.y, 1.8, clip);
  const r = rng(inp.seed ?? 1);
  let drawn = 0,
    failed = 0,
    folded = 0;
  const size = box.x1 - box.x0;
  // nearby pairs in one class: a trained network's map may fold, and across a fold the metric
  // degenerates and no geodesic joins the points
  for (let k = 0; k < 150 && drawn < 8; k++) {
    const i = Math.floor(r() * pts.length),
      j = Math.floor(r() * pts.length);
    const a = pts[i],
      b = pts[j];
    const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (inp.data.y[i] !== inp.data.y[j] || d < 0.04 * size || d > 0.2 * size) continue;
    try {
      const path = geodesicBVP(inp.metric, inp.env, a, b, { samples: 120, maxIterations: 15, rtol: 1e-8, atol: 1e-10, maxSteps: 20000 });
      svg.add(`<g${clip}>`);
      p.svg.path(
        [a, b].map(([x, y]) => [p.X(x), p.Y(y)] as [number, number]),
        "#555",
        1,
        ` stroke-dasharray="4 3"`,
      );
      p.svg.path(
        path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])] as [number, number]),
        "#111",
        1.8,
      );
      svg.add("</g>");
      svg.circle(p.X(a[0]), p.Y(a[1]), 3.5, "#111");
      svg.circle(p.X(b[0]), p.Y(b[1]), 3.5, "#111");
      drawn++;
    } catch (e) {
      if (!(e instanceof EvaluationError)) throw e;
      if (/degenerate/.test(e.message)) folded++;
      else failed++;
    }
  }
  p.axes(inp.title, "x", "y");
  svg.line(545, 80, 575, 80, "#111", 1.8);
  svg.text(580, 84, "geodesic of g", 10);
  svg.line(545, 100, 575, 100, "#555", 1, ` stroke-dasharray="4 3"`);
  svg.text(580, 104, "straight line", 10);
  svg.text(545, 124, `${drawn} of ${drawn + failed + folded} pairs joined`, 10);
  if (folded) svg.text(545, 138, `${folded}: g degenerates on the way (a fold)`, 10);
  if (failed) svg.text(545, 152, `${failed}: shooting did not converge`, 10);
  legendClasses(svg, 545, 180);
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
