// Draws examples/figures/decoder-volume.png: the decoder's latent-space volume element log10 √det g
// (g = JᵀJ pulled back from the 784 pixels) as a heat map, with geodesics between a few latent points against
// straight lines. Every number comes from the matrix engine (numeric/engine) and the geodesic solver.
// Run after `npm run build`: node examples/tools/decoder-figures.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { loadSpec } from "../../dist/src/semantics/load.js";
import { metricsAt } from "../../dist/src/numeric/engine/geometry.js";
import { geodesicSolver } from "../../dist/src/numeric/geodesic.js";
import { colorBar, Panel, Svg, viridis } from "../../dist/src/render/plot/svg.js";
import { svgToPng } from "../../dist/src/render/plot/png.js";

const SPEC = "examples/decoder.rgnn";
const model = loadSpec(readFileSync(SPEC, "utf8"), SPEC, "examples");
const net = model.mappings.get("decoder"),
  metric = model.metrics.get("g");
const box = { x0: -2, x1: 2, y0: -2, y1: 2 };
const N = 90;
const lattice = new Float64Array((N + 1) * (N + 1) * 2);
for (let i = 0; i <= N; i++)
  for (let j = 0; j <= N; j++) {
    const k = i * (N + 1) + j;
    lattice[2 * k] = box.x0 + ((box.x1 - box.x0) * i) / N;
    lattice[2 * k + 1] = box.y0 + ((box.y1 - box.y0) * j) / N;
  }
const G = metricsAt(net, lattice, 2);
const vol = Array.from({ length: (N + 1) ** 2 }, (_, k) => {
  const g = G.subarray(4 * k, 4 * k + 4);
  return Math.log10(Math.sqrt(Math.max(g[0] * g[3] - g[1] * g[2], 1e-300)));
});
const sorted = [...vol].sort((a, b) => a - b);
const lo = sorted[Math.floor(0.01 * sorted.length)],
  hi = sorted[Math.floor(0.99 * sorted.length)];

const svg = new Svg(720, 600);
const p = new Panel(svg, 70, 60, 460, 460, box);
const cw = p.pw / (N + 1),
  ch = p.ph / (N + 1);
for (let i = 0; i <= N; i++)
  for (let j = 0; j <= N; j++) {
    const t = (vol[i * (N + 1) + j] - lo) / (hi - lo || 1);
    svg.rect(p.px + i * cw, p.py + p.ph - (j + 1) * ch, cw + 0.6, ch + 0.6, viridis(t));
  }
const solver = geodesicSolver(metric, new Map());
const pairs = [
  [
    [-1.5, -1.2],
    [1.4, 1.3],
  ],
  [
    [-1.6, 1.1],
    [1.5, -1.0],
  ],
  [
    [-0.2, -1.7],
    [0.3, 1.6],
  ],
  [
    [-1.7, 0.2],
    [1.6, 0.5],
  ],
];
const clip = p.clip("g");
const rows = [];
for (const [a, b] of pairs) {
  const t0 = performance.now();
  const path = solver.bvp(a, b, { samples: 150 });
  const ms = performance.now() - t0;
  rows.push(
    `(${a}) -> (${b}): length ${path.length.toFixed(4)}, straight-line distance ${path.chartDistance.toFixed(4)}, ${ms.toFixed(0)} ms`,
  );
  svg.add(`<g${clip}>`);
  svg.path(
    [a, b].map(([x, y]) => [p.X(x), p.Y(y)]),
    "#fff",
    1.2,
    ` stroke-dasharray="5 4"`,
  );
  svg.path(
    path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])]),
    "#fff",
    3.2,
  );
  svg.path(
    path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])]),
    "#c8322c",
    1.8,
  );
  svg.add("</g>");
  for (const [x, y] of [a, b]) svg.circle(p.X(x), p.Y(y), 4, "#c8322c", ` stroke="white" stroke-width="1"`);
}
p.axes("decoder 2-256-256-784: latent volume and geodesics", "u", "v");
colorBar(svg, 600, 80, 360, lo, hi, "log10 sqrt(det g)", (v) => v.toFixed(1));
svg.line(545, 480, 575, 480, "#c8322c", 1.8);
svg.text(580, 484, "geodesic of g", 10);
svg.line(545, 500, 575, 500, "#555", 1.2, ` stroke-dasharray="5 4"`);
svg.text(580, 504, "straight line", 10);
const text = svg.toString();
writeFileSync("examples/figures/decoder-volume.png", svgToPng(text, 900));
for (const r of rows) console.log(r);
