// `rgnn plot --metric NAME --layer K`: the figure draws the chosen metric on layer K's coordinates. Each check recomputes
// what the figure should show through the public API (the images of the input lattice by the sub-network n[1..K], the
// metric by `atLayer` and metricBatch, eigenvalues in closed form) and reads it back from the SVG; and each panel of
// the ellipse figure is scaled to its own lattice spacing, as the caption under it says.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { metricBatch } from "../../src/api/batch.js";
import { figure } from "../../src/api/learn.js";
import { evaluateAt } from "../../src/api/mapping.js";
import { atLayer } from "../../src/api/metric.js";
import { pickMapping, pickMetric } from "../../src/api/spec.js";
import { generate } from "../../src/numeric/data.js";
import { boundingBox } from "../../src/render/plot/svg.js";
import { cli, model } from "../helpers.js";

const SPEC = `
manifold I (x, y)
network n : I -> R^2 {
  residual tanh with h = 0.5, W = [[0.9, -1.3], [1.1, 0.4]], b = [0.1, -0.1]
  residual tanh with h = 0.5, W = [[-0.6, 1.0], [0.8, 0.5]], b = [0, 0.2]
  dense 3 tanh with W = [[1, -1], [0.5, 1], [0.3, 0.2]], b = [0, 0, 0.1]
  dense 2 linear with W = [[1, -1, 0.4], [0.5, 1, -0.2]], b = [0, 0]
}
metric g = pullback along n
metric g1 = pullback along n to layer 1
network other : I -> R^2 {
  dense 2 tanh with W = [[1, 0], [0, 1]], b = [0, 0]
}
metric h = pullback along other
`;

interface Glyph {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  angle: number;
  stroke: string;
}

/** An ellipse as Svg.ellipse writes it: centre, semi-axes, rotation and stroke. */
const ELLIPSE =
  /<ellipse cx="([^"]+)" cy="([^"]+)" rx="([^"]+)" ry="([^"]+)" transform="rotate\(([^ ]+) [^"]+\)" fill="[^"]+" stroke="([^"]+)"/g;

/** The ellipses of each panel of an ellipse figure, by layer (each panel's ellipses follow its clip path `e<layer>`). */
function glyphs(svg: string): Map<number, Glyph[]> {
  const out = new Map<number, Glyph[]>();
  const parts = svg.split(/<clipPath id="e(\d+)"/);
  for (let i = 1; i < parts.length; i += 2)
    out.set(
      Number(parts[i]),
      [...parts[i + 1].matchAll(ELLIPSE)].map((m) => ({ cx: +m[1], cy: +m[2], rx: +m[3], ry: +m[4], angle: +m[5], stroke: m[6] })),
    );
  return out;
}

/** The figure's input lattice: 11 × 11 cell centres of the data's padded square, x-major. */
function inputLattice(pts: number[][]): number[][] {
  const box = boundingBox(pts, 0.1, true),
    n = 11;
  return Array.from({ length: n * n }, (_, k) => [
    box.x0 + ((Math.floor(k / n) + 0.5) * (box.x1 - box.x0)) / n,
    box.y0 + (((k % n) + 0.5) * (box.y1 - box.y0)) / n,
  ]);
}

/** Eigenvalues of [[a, b], [b, c]] (largest first) and the major axis's angle, y up: the closed form. */
function eigen2(a: number, b: number, c: number): { big: number; small: number; theta: number } {
  const mid = (a + c) / 2,
    rad = Math.hypot((a - c) / 2, b);
  return { big: mid + rad, small: mid - rad, theta: 0.5 * Math.atan2(2 * b, a - c) };
}

/** The median distance from each centre to its nearest neighbour, in pixels. */
function medianSpacing(g: Glyph[]): number {
  const d = g
    .map((p, i) => Math.min(...g.filter((_, j) => j !== i).map((q) => Math.hypot(q.cx - p.cx, q.cy - p.cy))))
    .sort((a, b) => a - b);
  return d[Math.floor((d.length - 1) / 2)];
}

/** The caption under a panel: its semi-axes in axis units per unit of √λ. */
const captions = (svg: string) => [...svg.matchAll(/>semi-axes ([^·<]+)·√λᵢ</g)].map((m) => Number(m[1]));

const m = model(SPEC);
const data = generate("moons", { points: 120, seed: 3 });
const pts = Array.from({ length: data.count }, (_, i) => [data.x[2 * i], data.x[2 * i + 1]]);
const env = new Map<string, number>();

describe("plot --layer K: the metric on layer K's coordinates", () => {
  it.each([1, 2])("ellipses --layer %i: one panel, whose ellipses are g_K's eigen-decomposition at the lattice's images", (K) => {
    const svg = figure(m, "ellipses", data, {}, { layer: K });
    const panels = glyphs(svg);
    expect([...panels.keys()]).toEqual([K]); // that panel only
    const drawn = panels.get(K)!;
    const lattice = inputLattice(pts);
    // the images x_K of the lattice by the sub-network n[1..K], and g_K there by the API's metric on layer K
    const at = evaluateAt(pickMapping(m, `n[1..${K}]`), lattice, env).map((r) => r.output);
    const g = metricBatch(atLayer(pickMetric(m, "g"), K), at, env).data;
    expect(drawn).toHaveLength(at.length);
    // centres: x_K on one scale (pixels per unit), y pointing down
    const s = (drawn[at.length - 1].cx - drawn[0].cx) / (at[at.length - 1][0] - at[0][0]);
    for (let i = 0; i < at.length; i++) {
      expect(drawn[i].cx - drawn[0].cx).toBeCloseTo(s * (at[i][0] - at[0][0]), 1);
      expect(drawn[0].cy - drawn[i].cy).toBeCloseTo(s * (at[i][1] - at[0][1]), 1);
    }
    const [c] = captions(svg);
    const spacing = medianSpacing(drawn);
    let sized = 0;
    for (let i = 0; i < at.length; i++) {
      const e = eigen2(g[4 * i], g[4 * i + 1], g[4 * i + 3]);
      const d = drawn[i];
      // the axis ratio √(λ₂/λ₁), drawn at least 1 : 12.5 (two-decimal coordinates)
      expect(Math.abs(d.ry - d.rx * Math.max(0.08, Math.sqrt(e.small / e.big)))).toBeLessThan(0.011);
      if (e.small < 0.9 * e.big) {
        const turn = ((-d.angle * Math.PI) / 180 - e.theta) / Math.PI; // equal modulo π
        expect(Math.abs(turn - Math.round(turn))).toBeLessThan(1e-3);
      }
      // the size: c·√λ₁ in axis units, unless capped at half the spacing (dark red) or raised to a fifth of it
      const want = c * s * Math.sqrt(e.big);
      if (d.stroke === "#222" && want > 0.21 * spacing) {
        expect(Math.abs(d.rx / want - 1)).toBeLessThan(0.06); // c is printed to two significant digits
        sized++;
      }
      expect(d.rx).toBeLessThanOrEqual(0.5 * spacing + 0.01);
    }
    expect(sized).toBeGreaterThan(60);
  });

  it("a metric declared on layer 1 is drawn there without --layer; the panels' titles say which layer", () => {
    const svg = figure(m, "ellipses", data, {}, { metric: "g1" });
    expect([...glyphs(svg).keys()]).toEqual([1]);
    expect(svg).toContain(">layer 1: residual tanh</text>");
  });

  it("volume --layer 2 --pairs: the straight line's length is g_2's, between the typical points in layer 2's coordinates", () => {
    const svg = figure(m, "volume", data, {}, { layer: 2, pairs: [[0, 1]] });
    const x2 = evaluateAt(pickMapping(m, "n[1..2]"), pts, env).map((r) => r.output);
    // the typical point of a class: its member nearest the class's mean, in layer 2's coordinates
    const typical = (c: number) => {
      const idx = x2.map((_, i) => i).filter((i) => data.y[i] === c);
      const mean = [0, 1].map((k) => idx.reduce((sum, i) => sum + x2[i][k], 0) / idx.length);
      return x2[
        idx.reduce((a, i) =>
          Math.hypot(x2[i][0] - mean[0], x2[i][1] - mean[1]) < Math.hypot(x2[a][0] - mean[0], x2[a][1] - mean[1]) ? i : a,
        )
      ];
    };
    const [a, b] = [typical(0), typical(1)];
    // ∫ √(ȧᵀ g_2 ȧ) dt along the chord by the midpoint rule on 2000 pieces
    const n = 2000,
      mids = Array.from({ length: n }, (_, k) => [0, 1].map((j) => a[j] + ((k + 0.5) / n) * (b[j] - a[j])));
    const g = metricBatch(atLayer(pickMetric(m, "g"), 2), mids, env).data;
    const d = [b[0] - a[0], b[1] - a[1]];
    let length = 0;
    for (let k = 0; k < n; k++)
      length += Math.sqrt(g[4 * k] * d[0] * d[0] + 2 * g[4 * k + 1] * d[0] * d[1] + g[4 * k + 3] * d[1] * d[1]) / n;
    const shown = /0 → 1: (?:[\d.]+|not found) \/ ([\d.]+)</.exec(svg)!;
    expect(Number(shown[1])).toBeCloseTo(length, 3);
    // and it differs from the input metric's: the layer matters
    const input = /0 → 1: (?:[\d.]+|not found) \/ ([\d.]+)</.exec(figure(m, "volume", data, {}, { pairs: [[0, 1]] }))!;
    expect(Math.abs(Number(input[1]) - length)).toBeGreaterThan(0.05);
    // the axes are layer 2's coordinates
    expect(svg).toContain(">x2₁</text>");
    expect(svg).toContain(">x2₂</text>");
  });
});

describe("each panel of the ellipse figure on its own scale", () => {
  // a flow-like network whose read-out stretches the plane onto a long thin band, as flow20's logits do: the images
  // of the lattice crowd there, and a size fixed by the input lattice would cover the data with overlapping discs
  const FLOW = `
manifold I (x, y)
network f : I -> R^2 {
  repeat 4 { residual tanh with h = 0.25, W = [[0.9, -1.3], [1.1, 0.4]], b = [0.1, -0.1] }
  dense 2 linear with W = [[8, 6], [-6.2, -4.4]], b = [0, 0]
}
metric g = pullback along f
`;
  it("the read-out's panel: circles (g = I) of c·1 in axis units, within half their own spacing (≥ 3 px)", () => {
    const svg = figure(model(FLOW), "ellipses", data);
    const panels = glyphs(svg);
    expect([...panels.keys()]).toEqual([0, 1, 2, 3, 4, 5]);
    const out = panels.get(5)!;
    const spacing = medianSpacing(out);
    const cs = captions(svg);
    expect(cs).toHaveLength(6);
    // pixels per unit of the read-out panel, from two centres far apart
    const first = evaluateAt(pickMapping(model(FLOW)), inputLattice(pts), env).map((r) => r.output);
    const s = (out[out.length - 1].cx - out[0].cx) / (first[first.length - 1][0] - first[0][0]);
    for (const e of out) {
      expect(e.ry).toBeCloseTo(e.rx, 2); // the Euclidean metric on the output: circles
      expect(e.rx).toBeLessThanOrEqual(0.5 * Math.max(3, spacing) + 0.01); // a spacing of at least 3 px
      expect(Math.abs(e.rx / (cs[5] * s) - 1)).toBeLessThan(0.06); // √λ = 1: the semi-axis is c in axis units
    }
    // the input panel's ellipses are larger than the read-out's: each panel has its own scale
    expect(medianSpacing(panels.get(0)!)).toBeGreaterThan(2 * spacing);
  });
});

describe("rgnn plot --metric, --layer: errors and help", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-plot-layer-"));
  const file = join(dir, "n.rgnn");
  writeFileSync(file, SPEC);
  const plot = (...args: string[]) => cli(["plot", file, "-d", "moons", "--points", "60", "-o", join(dir, "x.svg"), ...args]);

  it("draws a chosen metric at a chosen layer, and says so in the title", async () => {
    const r = await plot("-k", "ellipses", "--metric", "g", "--layer", "1");
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(dir, "x.svg"), "utf8")).toContain(">n on moons: ellipses of g on layer 1</text>");
    expect((await plot("-k", "ellipses", "--metric", "g1")).code).toBe(0);
    expect(readFileSync(join(dir, "x.svg"), "utf8")).toContain(">n on moons: ellipses of g1 on layer 1</text>");
    expect((await plot("-k", "volume", "--layer", "0")).code).toBe(0);
    expect(readFileSync(join(dir, "x.svg"), "utf8")).toContain(">n on moons: volume of g at the input</text>");
  });

  it.each([
    [["-k", "ellipses", "--metric", "nope"], "no metric 'nope' in", "its metrics: g, g1, h"],
    [["-k", "ellipses", "--layer", "9"], "--layer 9: 'n' has layers 0 to 4", ""],
    [["-k", "volume", "--layer", "3"], "layer 3 of 'n' has width 3; the volume figure draws a metric on a plane", ""],
    [
      ["-k", "grid", "--layer", "1"],
      "the grid figure draws no metric: --metric and --layer are for --kind ellipses, volume, geodesics",
      "",
    ],
    [["-k", "volume", "--metric", "h", "-n", "n"], "--metric h is pulled back along 'other', not along 'n' (--network)", ""],
    [["-k", "volume", "--layer", "-1"], "--layer must be a whole number ≥ 0, not '-1'", ""],
  ])("%j: one clear line, a usage error", async (args, message, more) => {
    const r = await plot(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain(more);
    expect(r.err).not.toMatch(/TypeError|internal error|at .*\.ts:\d+/);
  });

  it("plot --help documents --metric and --layer", async () => {
    const r = await cli(["plot", "--help"]);
    expect(r.out).toMatch(/-m, --metric <name>\s+ellipses, volume, geodesics: which metric/);
    expect(r.out).toMatch(/-l, --layer <k>\s+ellipses, volume, geodesics: the metric on layer\s+k's coordinates/);
  });
});
