// Draws examples/digits-vae/volume.png: the latent plane of the digits VAE (examples/digits-vae/digits.rgnn) with the
// decoder's volume element log10 √det g (g = JᵀJ pulled back from the 64 pixels) as a heat map, the encoded means of
// all 1,797 digits coloured by class, and geodesics between typical digits of different classes (each the digit whose
// encoded mean is nearest its class's mean, the pairs of examples/tools/digits_vae_reference.py) against straight
// lines. Every number comes from rgnn's public API (metricBatch) and its geodesic solver. Also writes
// examples/digits-vae/typical.csv: those typical digits' latent points, one per class 0 … 9, for `rgnn distances`.
// Run after `npm run build`: node examples/tools/digits-vae-figures.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { metricBatch, pickMetric, valuesOf } from "../../dist/src/index.js";
import { loadSpec } from "../../dist/src/semantics/load.js";
import { geodesicSolver } from "../../dist/src/numeric/geodesic.js";
import { colorBar, Panel, pngDataUri, Svg, viridisRGB } from "../../dist/src/render/plot/svg.js";
import { svgToPng } from "../../dist/src/render/plot/png.js";

const DIR = "examples/digits-vae";
const model = loadSpec(readFileSync(`${DIR}/digits.rgnn`, "utf8"), `${DIR}/digits.rgnn`, DIR);
const metric = pickMetric(model),
  env = valuesOf(model);
const rows = readFileSync(`${DIR}/latents.csv`, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split(",").map(Number));
const PAIRS = [
  [0, 1],
  [0, 6],
  [3, 4],
  [2, 7],
  [6, 9],
];
// Tableau 10, as the training script's figure
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

const box = { x0: -2.8, x1: 2.8, y0: -2.8, y1: 2.8 };
const N = 140;
const lattice = new Float64Array((N + 1) * (N + 1) * 2);
for (let i = 0; i <= N; i++)
  for (let j = 0; j <= N; j++) {
    const k = i * (N + 1) + j;
    lattice[2 * k] = box.x0 + ((box.x1 - box.x0) * i) / N;
    lattice[2 * k + 1] = box.y0 + ((box.y1 - box.y0) * j) / N;
  }
const t0 = performance.now();
const G = metricBatch(metric, lattice, env).data;
const latticeMs = performance.now() - t0;
const vol = Array.from({ length: (N + 1) ** 2 }, (_, k) => {
  const g = G.subarray(4 * k, 4 * k + 4);
  return 0.5 * Math.log10(Math.max(g[0] * g[3] - g[1] * g[2], 1e-300));
});
const sorted = [...vol].sort((a, b) => a - b);
const lo = sorted[Math.floor(0.01 * sorted.length)],
  hi = sorted[Math.floor(0.99 * sorted.length)];

const svg = new Svg(760, 600);
const p = new Panel(svg, 70, 60, 480, 480, box);
const cell = p.pw / N;
const img = pngDataUri(N + 1, N + 1, (i, row) => viridisRGB(Math.min(1, Math.max(0, (vol[i * (N + 1) + (N - row)] - lo) / (hi - lo)))));
const clip = p.clip("v");
svg.add(
  `<g${clip}><image x="${p.px - cell / 2}" y="${p.py - cell / 2}" width="${p.pw + cell}" height="${p.ph + cell}" ` +
    `preserveAspectRatio="none" image-rendering="optimizeQuality" href="${img}"/></g>`,
);
svg.add(`<g${clip}>`);
for (const [x, y, c] of rows) svg.circle(p.X(x), p.Y(y), 1.7, COLOURS[c], ` stroke="white" stroke-width="0.3"`);
svg.add("</g>");

/** The digit of class c whose encoded mean is nearest the class's mean latent point. */
function representative(c) {
  const members = rows.filter((r) => r[2] === c);
  const mx = members.reduce((s, r) => s + r[0], 0) / members.length,
    my = members.reduce((s, r) => s + r[1], 0) / members.length;
  return members.reduce((a, r) => (Math.hypot(r[0] - mx, r[1] - my) < Math.hypot(a[0] - mx, a[1] - my) ? r : a)).slice(0, 2);
}
const typical = Array.from({ length: 10 }, (_, c) => representative(c));
writeFileSync(`${DIR}/typical.csv`, `u,v\n${typical.map((p) => p.join(",")).join("\n")}\n`);
const solver = geodesicSolver(metric, env);
const lines = [];
for (const [ca, cb] of PAIRS) {
  const a = representative(ca),
    b = representative(cb);
  const s0 = performance.now();
  const path = solver.bvp(a, b, { samples: 150 });
  const ms = performance.now() - s0;
  // the straight segment's length under g: the midpoint rule on 400 pieces, ∫ √(ȧᵀ g ȧ) dt
  const K = 400;
  const mids = Float64Array.from({ length: 2 * K }, (_, k) => {
    const t = (Math.floor(k / 2) + 0.5) / K;
    return k % 2 === 0 ? a[0] + t * (b[0] - a[0]) : a[1] + t * (b[1] - a[1]);
  });
  const gm = metricBatch(metric, mids, env).data;
  const [dx, dy] = [(b[0] - a[0]) / K, (b[1] - a[1]) / K];
  let straight = 0;
  for (let k = 0; k < K; k++) straight += Math.sqrt(gm[4 * k] * dx * dx + 2 * gm[4 * k + 1] * dx * dy + gm[4 * k + 3] * dy * dy);
  lines.push(
    `${ca} → ${cb}: geodesic ${path.length.toFixed(4)}, straight line ${straight.toFixed(4)} ` +
      `(ratio ${(path.length / straight).toFixed(3)}), ${ms.toFixed(0)} ms`,
  );
  svg.add(`<g${clip}>`);
  svg.path(
    [a, b].map(([x, y]) => [p.X(x), p.Y(y)]),
    "#fff",
    1.3,
    ` stroke-dasharray="5 4"`,
  );
  svg.path(
    path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])]),
    "#000",
    3.4,
  );
  svg.path(
    path.samples.map((s) => [p.X(s.x[0]), p.Y(s.x[1])]),
    "#fff",
    1.8,
  );
  svg.add("</g>");
  for (const [[x, y], c] of [
    [a, ca],
    [b, cb],
  ])
    svg.circle(p.X(x), p.Y(y), 4.5, COLOURS[c], ` stroke="white" stroke-width="1.5"`);
}
p.axes("digits VAE decoder: latent volume, digits and geodesics", "u", "v");
colorBar(svg, 600, 80, 300, lo, hi, "log10 sqrt(det g)", (v) => v.toFixed(1));
svg.text(585, 410, "colours clipped to the 1st–99th", 10);
svg.text(585, 423, "percentile of the lattice", 10);
svg.line(585, 445, 615, 445, "#000", 3.4);
svg.line(585, 445, 615, 445, "#fff", 1.8);
svg.text(620, 449, "geodesic of g", 10);
svg.rect(583, 455, 34, 12, "#888");
svg.line(585, 461, 615, 461, "#fff", 1.3, ` stroke-dasharray="5 4"`);
svg.text(620, 465, "straight line", 10);
COLOURS.forEach((c, k) => {
  svg.circle(592 + (k % 5) * 30, 490 + Math.floor(k / 5) * 18, 4.5, c);
  svg.text(599 + (k % 5) * 30, 494 + Math.floor(k / 5) * 18, String(k), 10);
});
svg.text(585, 536, "encoded digits by class", 10);
writeFileSync(`${DIR}/volume.png`, svgToPng(svg.toString(), 760));
console.log(
  `g on a ${N + 1}×${N + 1} lattice: ${latticeMs.toFixed(0)} ms; ` +
    `log10 √det g from ${sorted[0].toFixed(3)} to ${sorted.at(-1).toFixed(3)}`,
);
for (const l of lines) console.log(l);
console.log(`wrote ${DIR}/volume.png`);
