// The playground's computations (src/web/playground.ts) against the CLI's own routes: the same diagnostics as
// `rgnn check`, the closed form `rgnn metric --format latex` writes, values from metricAt, clicks mapped back
// through the figure's own panel. The page itself is tested in Chromium (browser.test.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/api/spec.js";
import { metricAt, valuesOf } from "../../src/api/metric.js";
import { evaluateAt } from "../../src/api/mapping.js";
import type { Network } from "../../src/semantics/model.js";
import { subNetwork } from "../../src/semantics/networks.js";
import { Panel, Svg } from "../../src/render/plot/svg.js";
import {
  checkText,
  closedFormTex,
  frameOfPoint,
  gridFigure,
  metricView,
  PLAYGROUND_DATA,
  PLAYGROUND_FILE,
  pointOnFrame,
  valueAt,
} from "../../src/web/playground.js";
import { currentGraph } from "../../src/symbolic/expr.js";
import { cli } from "../helpers.js";

const toy = readFileSync("examples/paper-toy.rgnn", "utf8");
const modelOf = (text: string) => {
  const r = checkText(text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.model;
};

describe("the playground's checker", () => {
  const broken = [
    toy.replace("dense 2 tanh", "dense 2 tahn"), // unknown activation: a "did you mean" note
    toy.replace("b = [0.1, -0.2]", "b = [0.1, -0."), // a parse error
    toy.replace("along toy to layer 2", "along toy to layer 9"), // a range error
    `${toy}\nmetric g = pullback of euclidean along toyy\n`, // two errors: redeclared, unknown network
  ];
  it.each(broken.map((t, i) => [i, t]))("reports case %i with the CLI's words at the CLI's places", (_, text) => {
    const cli = checkSpec(text, PLAYGROUND_FILE, { baseDir: process.cwd() });
    const web = checkText(text);
    expect(cli.ok).toBe(false);
    expect(web.ok).toBe(false);
    if (cli.ok || web.ok) return;
    expect(web.diagnostics.map((d) => [d.from, d.line, d.col, d.message])).toEqual(
      cli.diagnostics.map((d) => [d.span.offset, d.span.line, d.span.col, [d.message, ...(d.notes ?? [])].join("\n")]),
    );
    for (const d of web.diagnostics) expect(d.to).toBeGreaterThan(d.from);
  });

  it("refuses a weights clause at the clause, saying what works instead", () => {
    const text = 'manifold I (x, y)\nnetwork f : I -> R^2 weights "w.json" {\n  dense 2 tanh\n}\n';
    const r = checkText(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toHaveLength(1);
    expect(text.slice(r.diagnostics[0].from, r.diagnostics[0].to)).toContain("w.json");
    expect(r.diagnostics[0].message).toMatch(/^cannot read weights file 'w\.json': the playground has no files; give the weights inline/);
  });

  it("checks every example without weights files as the CLI does", () => {
    for (const f of readdirSync("examples").filter((f) => f.endsWith(".rgnn"))) {
      const text = readFileSync(join("examples", f), "utf8");
      if (/weights\s+"/.test(text)) continue;
      const cli = checkSpec(text, f, { baseDir: "examples" });
      const web = checkText(text, f);
      expect(web.ok, f).toBe(cli.ok);
      if (cli.ok && web.ok) expect([...web.model.metrics.keys()], f).toEqual([...cli.model.metrics.keys()]);
    }
  });
});

describe("what the playground shows for paper-toy", () => {
  const model = modelOf(toy);

  it("the closed form is `rgnn metric --format latex`'s, and the figures are drawn", async () => {
    const view = metricView(model, "g");
    const out = (await cli(["metric", "examples/paper-toy.rgnn", "--metric", "g", "--format", "latex"])).out;
    // the CLI's align* lines are the page's aligned lines, up to the environment and its comment line
    const body = (s: string) =>
      s
        .replace(/^%.*\n/, "")
        .replace(/\\(begin|end)\{align\*?\}|\\(begin|end)\{aligned\}/g, "")
        .trim();
    if (out.includes("\\begin{align")) expect(body(view.tex!)).toBe(body(out));
    else expect(view.tex).toContain("\\begin{pmatrix}");
    expect(view.tex).toMatch(/z_\{?1\}?\^\{\(1\)\}|z\^\{\(1\)\}_\{?1\}?/);
    expect((view.ellipses!.svg.match(/<ellipse /g) ?? []).length).toBeGreaterThan(150);
    const grid = gridFigure(model, "g");
    // 13 lines each way through the input and the 5 layers, one panel each
    expect("svg" in grid && (grid.svg.match(/<path /g) ?? []).length).toBe(26 * 6);
  });

  it("a click maps back through the figure's panel to the point evaluated, with metricAt's value", () => {
    const { frame } = metricView(model, "g").ellipses!;
    const panel = new Panel(new Svg(frame.width, frame.height), frame.x, frame.y, frame.size, frame.size, frame.box);
    const point = [0.3, -0.7];
    const back = pointOnFrame(frame, panel.X(point[0]), panel.Y(point[1]))!;
    expect(back[0]).toBeCloseTo(point[0], 12);
    expect(back[1]).toBeCloseTo(point[1], 12);
    expect(pointOnFrame(frame, frame.x - 1, frame.y + 10)).toBeNull();
    const [sx, sy] = frameOfPoint(frame, point);
    expect(sx).toBeCloseTo(panel.X(point[0]), 9);
    expect(sy).toBeCloseTo(panel.Y(point[1]), 9);
    const v = valueAt(model, "g", point);
    if ("error" in v) throw new Error(v.error);
    const [g] = metricAt(model.metrics.get("g")!, [point], valuesOf(model));
    // g = JᵀJ: its entries, eigenvalues and determinant appear as the page prints them (6 significant digits)
    for (const x of [...g.metric.flat(), ...g.eigenvalues, g.determinant]) expect(v.tex).toContain(String(Number(x.toPrecision(6))));
    expect(g.determinant).toBeCloseTo(g.eigenvalues[0] * g.eigenvalues[1], 10);
  });

  it("the ellipses' legend names the metric and its layer, its lines stacked; a metric on layer 2 sees the data there", () => {
    const texts = (svg: string) =>
      [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="([\d.]+)"[^>]*>([^<]*)<\/text>/g)].map((m) => ({
        x: Number(m[1]),
        y: Number(m[2]),
        size: Number(m[3]),
        s: m[4],
      }));
    for (const [name, where] of [
      ["g", "at the input"],
      ["g2", "on layer 2 of toy"],
    ]) {
      const { svg } = metricView(model, name).ellipses!;
      const legend = texts(svg).filter((t) => t.x >= 545);
      expect(legend.slice(0, 4).map((t) => t.s)).toEqual([
        `metric ${name}`,
        where,
        "semi-axes ∝ √λᵢ along",
        `the eigenvectors of ${name}:`,
      ]);
      // no two lines of the legend share a band of the font's height, and the reference circle sits between lines
      // (the class legend sets two classes a row: entries of one row are one line, side by side and apart)
      for (const y of new Set(legend.map((t) => t.y))) {
        const xs = legend.filter((t) => t.y === y).map((t) => t.x);
        xs.sort((a, b) => a - b);
        for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1], `row at y ${y}`).toBeGreaterThanOrEqual(40);
      }
      const ys = [...new Set(legend.map((t) => t.y))].sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1], `${name}: ${ys[i - 1]} → ${ys[i]}`).toBeGreaterThanOrEqual(12);
      const circle = /<circle cx="575" cy="([\d.]+)" r="([\d.]+)"/.exec(svg);
      if (circle) {
        const [top, bottom] = [Number(circle[1]) - Number(circle[2]), Number(circle[1]) + Number(circle[2])];
        for (const t of legend) expect(t.y < top || t.y - t.size > bottom, `'${t.s}' at ${t.y} over the circle`).toBe(true);
      }
    }
    // g2 lives on layer 2's coordinates: its axes say so, and its frame holds the data carried through layers 1 and 2
    const g2 = metricView(model, "g2").ellipses!;
    expect(texts(g2.svg).map((t) => t.s)).toEqual(expect.arrayContaining(["x2_1", "x2_2"]));
    const d = PLAYGROUND_DATA;
    const pts = Array.from({ length: d.count }, (_, i) => [d.x[2 * i], d.x[2 * i + 1]]);
    const toyNet = model.mappings.get("toy") as Network;
    const images = evaluateAt(subNetwork(toyNet, 1, 2), pts, valuesOf(model)).map((r) => r.output);
    const { box } = g2.frame;
    for (const [u, v] of images) {
      expect(u).toBeGreaterThan(box.x0);
      expect(u).toBeLessThan(box.x1);
      expect(v).toBeGreaterThan(box.y0);
      expect(v).toBeLessThan(box.y1);
    }
    // the layers move the data: drawn at their input positions, some of layer 2's points would fall outside the frame
    const input = metricView(model, "g").ellipses!.frame.box;
    expect(images.some(([u, v]) => u < input.x0 || u > input.x1 || v < input.y0 || v > input.y1)).toBe(true);
  });

  it("a wide network's closed form is the matrix form, as the CLI writes it", async () => {
    const wide =
      "manifold I (x, y)\nnetwork f : I -> R^2 {\n  dense 128 tanh\n  dense 128 tanh\n  dense 2 linear\n}\n" +
      "metric g = pullback of euclidean along f\n";
    const dir = mkdtempSync(join(tmpdir(), "rgnn-wide-"));
    try {
      writeFileSync(join(dir, "wide.rgnn"), wide);
      const out = (await cli(["metric", join(dir, "wide.rgnn"), "--format", "latex"])).out;
      const tex = closedFormTex(modelOf(wide).metrics.get("g")!);
      const lines = (s: string) => s.split("\n").filter((l) => l.includes("&="));
      expect(lines(tex)).toEqual(lines(out));
      expect(tex).toContain("W_{2} \\, x_{1}"); // named weight matrices, nothing expanded
      expect(tex.length).toBeLessThan(5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the closed form of an explicit metric is its matrix", () => {
    const polar = modelOf("manifold P (r, theta)\nmetric g on P = [[1, 0], [0, r^2]]\n");
    expect(closedFormTex(polar.metrics.get("g")!)).toBe("g = \\begin{pmatrix} 1 & 0 \\\\ 0 & r^{2} \\end{pmatrix}");
    const view = metricView(polar, "g");
    expect(view.ellipses).toBeNull();
    expect(view.figureNote).toMatch(/network/);
  });
});

describe("a page open for a long session", () => {
  it("keeps none of an edit's expressions once the next is shown", () => {
    const root = currentGraph().size;
    for (let k = 0; k < 40; k++) {
      const model = modelOf(`${toy.replace(/0\.3/g, String(0.3 + k * 1e-3))}\n# edit ${k}\n`);
      expect(metricView(model, "g").tex).toContain("\\tanh");
      expect("svg" in gridFigure(model, "g")).toBe(true);
      expect("tex" in valueAt(model, "g", [0.3, -0.7])).toBe(true);
    }
    expect(currentGraph().size).toBe(root); // each view built in a graph of its own, dropped with it
  });
});

describe("rgnn playground", () => {
  it("writes the page, the bundle and the stylesheet; a FILE replaces the example", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-playground-"));
    try {
      const r = await cli(["playground", "examples/polar.rgnn", "-o", dir]);
      expect(r.code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(["index.html", "playground.css", "playground.js"]);
      const html = readFileSync(join(dir, "index.html"), "utf8");
      expect(html).toContain('<textarea id="spec" hidden>');
      expect(html).toContain(
        readFileSync("examples/polar.rgnn", "utf8").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
      );
      const js = readFileSync(join(dir, "playground.js"), "utf8");
      expect(js).not.toMatch(/require\(["']node:|from ["']node:/);
      const css = readFileSync(join(dir, "playground.css"), "utf8");
      expect(css).toContain("data:font/woff2;base64,");
      expect(css).not.toMatch(/url\(fonts\//);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
