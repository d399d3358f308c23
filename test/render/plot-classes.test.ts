// Figures of data with many classes: the palette and legend, the decision boundary only for a classifier, a layout
// whose texts never overlap or leave the canvas, and `rgnn plot --pairs` on the digits VAE's decoder.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/numeric/data.js";
import { figure, isClassifier, PLOT_KINDS, type PlotInput } from "../../src/render/plot/figures.js";
import { CATEGORICAL_COLORS, classColour, textWidth } from "../../src/render/plot/svg.js";
import type { Metric, Network } from "../../src/semantics/model.js";
import { atLayer } from "../../src/api/metric.js";
import { cli, model } from "../helpers.js";

const net = (head: string, out: number) => `
manifold I (x, y)
network n : I -> R^${out} {
  residual tanh with h = 0.5, W = [[0.9, -1.3], [1.1, 0.4]], b = [0.1, -0.1]
  ${head}
}
metric g = pullback along n
`;
const CLASSIFIER3 = net("dense 3 linear with W = [[1, 0], [0, 1], [-1, -1]], b = [0, 0, 0]", 3);
const DECODER3 = net("dense 3 tanh with W = [[1, 0], [0, 1], [0.7, -0.6]], b = [0, 0, 0.1]", 3);
const SOFTMAX3 = `
manifold I (x, y)
network n : I -> R^3 {
  dense 3 linear with W = [[1, 0], [0, 1], [-1, -1]], b = [0, 0, 0]
  softmax
}
metric g = pullback along n
`;

/** Six panels (input and five layers), two too wide for ellipses: titles longer than their panels, side by side. */
const DEEP = net(
  [
    "dense 3 tanh with W = [[0.5, -0.3], [0.2, 0.4], [0.3, 0.3]], b = [0, 0.1, 0]",
    "dense 2 linear with W = [[1, 0, 0.2], [0, 1, -0.2]], b = [0, 0]",
    "residual tanh with h = 0.5, W = [[0.3, 0.2], [-0.2, 0.5]], b = [0, 0]",
    "dense 3 linear with W = [[1, 0], [0, 1], [-1, -1]], b = [0, 0, 0]",
  ].join("\n  "),
  3,
);

/** n points in k clusters on a circle, labelled by `labels` (one per cluster). */
function clusters(labels: number[], per = 8): Dataset {
  const x: number[] = [],
    y: number[] = [];
  labels.forEach((c, k) => {
    for (let i = 0; i < per; i++) {
      const a = (2 * Math.PI * k) / labels.length;
      x.push(Math.cos(a) + 0.05 * Math.cos(i), Math.sin(a) + 0.05 * Math.sin(i));
      y.push(c);
    }
  });
  return { name: "clusters", x: Float64Array.from(x), y: Int32Array.from(y), count: y.length };
}

function input(spec: string, data: Dataset, extra: Partial<PlotInput> = {}): PlotInput {
  const m = model(spec);
  return {
    net: m.mappings.get("n") as Network,
    metric: m.metrics.get("g") as Metric,
    data,
    env: new Map(),
    title: "test",
    ...extra,
  };
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  text: string;
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

/** Every <text>'s box, recomputed from the SVG: advance widths of DejaVu Sans, ascent 0.8 and descent 0.25 em. */
function textBoxes(svg: string): Box[] {
  return [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, raw]) => {
    const num = (k: string) => Number(new RegExp(` ?${k}="([^"]*)"`).exec(attrs)![1]);
    const text = unescapeXml(raw);
    const x = num("x"),
      y = num("y"),
      size = num("font-size");
    const anchor = /text-anchor="(\w+)"/.exec(attrs)![1];
    const w = size * textWidth(text, /bold/.test(attrs));
    const start = anchor === "start" ? 0 : anchor === "middle" ? -w / 2 : -w;
    return /rotate\(-90/.test(attrs)
      ? { x0: x - 0.8 * size, x1: x + 0.25 * size, y0: y - start - w, y1: y - start, text }
      : { x0: x + start, x1: x + start + w, y0: y - 0.8 * size, y1: y + 0.25 * size, text };
  });
}

/** The panels' frames: the unfilled rectangles stroked #444 wider than the colour bar's 14 px. */
function frames(svg: string): Box[] {
  return [...svg.matchAll(/<rect x="([^"]*)" y="([^"]*)" width="([^"]*)" height="([^"]*)" fill="none" stroke="#444"/g)]
    .map((m) => m.slice(1, 5).map(Number))
    .filter(([, , w]) => w > 14)
    .map(([x, y, w, h], k) => ({ x0: x, y0: y, x1: x + w, y1: y + h, text: `frame ${k}` }));
}

/** The pairs of texts whose boxes intersect, the texts that leave the canvas, and the texts across a panel's frame. */
function layoutProblems(svg: string): string[] {
  const [, W, H] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
  const boxes = textBoxes(svg);
  const out: string[] = [];
  boxes.forEach((a, i) => {
    if (a.x0 < 0 || a.y0 < 0 || a.x1 > W || a.y1 > H) out.push(`'${a.text}' leaves the ${W}×${H} canvas`);
    for (const p of frames(svg)) {
      const meets = a.x0 < p.x1 && p.x0 < a.x1 && a.y0 < p.y1 && p.y0 < a.y1,
        inside = a.x0 >= p.x0 && a.x1 <= p.x1 && a.y0 >= p.y0 && a.y1 <= p.y1;
      if (meets && !inside) out.push(`'${a.text}' crosses ${p.text}`);
    }
    for (const b of boxes.slice(i + 1))
      if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) out.push(`'${a.text}' overlaps '${b.text}'`);
  });
  return out;
}

const fills = (svg: string) => [...svg.matchAll(/<circle [^>]*fill="([^"]+)"/g)].map((m) => m[1]);

describe("figures of many classes", () => {
  it("colours each class by its place among the sorted labels, and the legend names every label", () => {
    const labels = [12, -3, 0, 7, 4, 5, 6, 1, 2, 9, 30]; // eleven classes, not 0 … k−1
    const sorted = [...labels].sort((a, b) => a - b);
    const svg = figure("data", input(DECODER3, clusters(labels)));
    for (const c of labels) expect(svg).toContain(`>class ${c}</text>`);
    // the data points: eight per cluster, each in its class's colour (the legend's dots come after the data)
    const f = fills(svg);
    labels.forEach((c, k) => {
      const want = classColour(sorted.indexOf(c), labels.length);
      // every panel (input and layers 1, 2) draws the cluster in the same colour
      for (let panel = 0; panel < 3; panel++) for (let i = 0; i < 8; i++) expect(f[panel * labels.length * 8 + k * 8 + i]).toBe(want);
    });
    // Tableau 10 for the first ten, a distinct hue past them; all eleven differ
    expect(sorted.slice(0, 10).map((_, k) => classColour(k, 11))).toEqual(CATEGORICAL_COLORS);
    expect(new Set(sorted.map((_, k) => classColour(k, 11))).size).toBe(11);
    // two classes keep the paper's blue and red
    expect([classColour(0, 2), classColour(1, 2)]).toEqual(["#1f5fa8", "#c8322c"]);
  });

  it("draws a decision boundary only for a classifier of the data's classes", () => {
    const three = clusters([0, 1, 2]);
    expect(isClassifier(input(CLASSIFIER3, three).net, [0, 1, 2])).toBe(true); // one output per class
    expect(isClassifier(input(SOFTMAX3, three).net, [0, 1])).toBe(true); // ends in softmax
    expect(isClassifier(input(DECODER3, three).net, [0, 1])).toBe(false); // 3 outputs, 2 classes
    const boundary = (svg: string) => (svg.match(/stroke="#000" stroke-width="1.1"/g) ?? []).length;
    const yes = figure("volume", input(CLASSIFIER3, three));
    expect(yes).toContain("decision boundary");
    expect(boundary(yes)).toBeGreaterThan(20); // the three regions' boundaries, segment by segment
    const no = figure("volume", input(DECODER3, clusters([0, 1])));
    expect(no).not.toContain("decision boundary");
    expect(boundary(no)).toBe(0);
  });

  it("places every text of every figure kind inside the canvas, none overlapping, for 3 and 6 panels and 1–21 classes", () => {
    for (const n of [1, 2, 3, 10, 21]) {
      const data = clusters(
        Array.from({ length: n }, (_, k) => k),
        4,
      );
      for (const kind of PLOT_KINDS)
        for (const [name, spec] of [
          ["2 layers", CLASSIFIER3],
          ["5 layers", DEEP],
        ]) {
          if (name === "5 layers" && (kind === "volume" || kind === "geodesics")) continue; // one panel, as above
          const problems = layoutProblems(figure(kind, input(spec, data)));
          expect(problems, `${kind}, ${name}, ${n} classes`).toEqual([]);
        }
    }
    // the volume figure with geodesic pairs: the lengths' lines join the column
    const data = clusters([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const svg = figure(
      "volume",
      input(DECODER3, data, {
        pairs: [
          [0, 5],
          [2, 7],
        ],
      }),
    );
    expect(svg).toContain("0 → 5: ");
    expect(layoutProblems(svg)).toEqual([]);
  });

  it("lays out a chosen layer's figures (one panel) and 21 panels without overlapping or clipped text", () => {
    const data = clusters([0, 1, 2]);
    for (const kind of ["ellipses", "volume", "geodesics"] as const) {
      const svg = figure(kind, input(CLASSIFIER3, data, { layer: 1, metric: atLayer(model(CLASSIFIER3).metrics.get("g")!, 1) }));
      expect(svg).toContain(kind === "ellipses" ? ">layer 1: residual tanh</text>" : ">x1₁</text>");
      expect(layoutProblems(svg), kind).toEqual([]);
    }
    const deep = net(
      Array.from({ length: 19 }, () => "residual tanh with h = 0.25, W = [[0.9, -1.3], [1.1, 0.4]], b = [0.1, -0.1]").join("\n  "),
      2,
    );
    const svg = figure("ellipses", input(deep, data));
    expect(svg.match(/<clipPath id="e\d+"/g)).toHaveLength(21);
    expect(layoutProblems(svg)).toEqual([]);
  });

  it("the layout check catches an overlap, a clipped text and a text across a frame", () => {
    const svg =
      '<svg width="100" height="50"><text x="10" y="20" font-size="10" text-anchor="start">abcdef</text>' +
      '<text x="30" y="24" font-size="10" text-anchor="start">ghi</text>' +
      '<text x="95" y="40" font-size="10" text-anchor="start">edge</text>' +
      '<rect x="25" y="23" width="40" height="20" fill="none" stroke="#444" stroke-width="0.8"/></svg>';
    expect(layoutProblems(svg)).toEqual(["'abcdef' overlaps 'ghi'", "'ghi' crosses frame 0", "'edge' leaves the 100×50 canvas"]);
  });
});

describe("rgnn plot on the digits VAE's decoder", () => {
  it("draws the volume without a decision boundary, and the 0 → 1 geodesic of the torch reference", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-digits-plot-"));
    // one point per class (the typical digits): each is its class's typical point, the reference's endpoints
    const typical = readFileSync("examples/digits-vae/typical.csv", "utf8").trim().split("\n").slice(1);
    const csv = join(dir, "typical.csv");
    writeFileSync(csv, `x,y,label\n${typical.map((l, k) => `${l},${k}`).join("\n")}\n`);
    const out = join(dir, "v.svg");
    const r = await cli([
      "plot",
      "examples/digits-vae/digits.rgnn",
      "-k",
      "volume",
      "--data",
      csv,
      "--pairs",
      "0:1",
      "--domain=-2.8,2.8",
      "-o",
      out,
    ]);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg).not.toContain("decision boundary"); // 64 outputs, 10 classes: a decoder
    for (let c = 0; c < 10; c++) expect(svg).toContain(`>class ${c}</text>`);
    expect(svg).toContain("log₁₀ √det g");
    const ref = JSON.parse(readFileSync("test/fixtures/digits-vae/reference.json", "utf8")).geodesics[0];
    const [, geo, straight] = /0 → 1: ([\d.]+) \/ ([\d.]+)/.exec(svg)!.map(Number);
    expect(Math.abs(geo - ref.extrapolatedLength)).toBeLessThan(6e-4); // printed to 3 decimals
    expect(Math.abs(straight - ref.straightLength)).toBeLessThan(6e-4);
    expect(layoutProblems(svg)).toEqual([]);
    // a pair naming a class the data lacks, and --pairs on another kind, are usage errors
    const bad = await cli(["plot", "examples/digits-vae/digits.rgnn", "-k", "volume", "--data", csv, "--pairs", "0:11", "-o", out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--pairs: typical\.csv has no class 11/);
    const other = await cli(["plot", "examples/digits-vae/digits.rgnn", "-k", "data", "--data", csv, "--pairs", "0:1", "-o", out]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/--pairs is drawn on the volume figure only/);
  });
});
