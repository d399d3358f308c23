import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/numeric/data.js";
import { symmetricEigen } from "../../src/numeric/linalg.js";
import { ellipseOf, figure, PLOT_KINDS } from "../../src/render/plot/figures.js";
import { svgToPng } from "../../src/render/plot/png.js";
import type { Metric, Network } from "../../src/semantics/model.js";
import { cli, model } from "../helpers.js";

const SPEC = `
manifold I (x, y)
network n : I -> R^2 {
  residual tanh with h = 0.5, W = [[0.9, -1.3], [1.1, 0.4]], b = [0.1, -0.1]
  residual tanh with h = 0.5, W = [[-0.6, 1.0], [0.8, 0.5]], b = [0, 0.2]
  dense 2 linear with W = [[1, -1], [0.5, 1]], b = [0, 0]
}
metric g = pullback along n
`;

describe("plots", () => {
  const m = model(SPEC);
  const inp = {
    net: m.mappings.get("n") as Network,
    metric: m.metrics.get("g") as Metric,
    data: generate("moons", { points: 120, seed: 3 }),
    env: new Map<string, number>(),
    title: "test",
  };

  it("every kind is a valid SVG (parsed by an SVG renderer) with axes and data", async () => {
    for (const kind of PLOT_KINDS) {
      const svg = figure(kind, inp);
      expect(svg.startsWith("<?xml")).toBe(true);
      expect(() => new Resvg(svg, { font: { loadSystemFonts: false } })).not.toThrow();
      expect(svg.match(/<circle /g)!.length).toBeGreaterThanOrEqual(120); // every data point
      expect(svg).toContain("<text");
    }
  });

  it("renders a PNG of the requested width", async () => {
    const png = svgToPng(figure("volume", inp), 900);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    const width = png.readUInt32BE(16),
      height = png.readUInt32BE(20);
    expect(width).toBe(900);
    expect(height).toBe(Math.round((900 * 600) / 820)); // the volume figure: 820 × 600
  });

  it("an ellipse's axes are g's eigen-decomposition at that point", async () => {
    // g = [[a, b], [b, c]]: eigenvalues (a+c)/2 ± √(((a−c)/2)² + b²); the major axis at ½·atan2(2b, a−c)
    for (const [a, b, c] of [
      [3, 1, 2],
      [1, -0.4, 5],
      [2, 0, 2],
      [0.3, 0.1, 0.2],
    ]) {
      const e = symmetricEigen([
        [a, b],
        [b, c],
      ]);
      const got = ellipseOf({ values: e.values.map(Math.sqrt), vectors: e.vectors });
      const mid = (a + c) / 2,
        rad = Math.hypot((a - c) / 2, b);
      expect(got.major).toBeCloseTo(Math.sqrt(mid + rad), 12);
      expect(got.minor).toBeCloseTo(Math.sqrt(mid - rad), 12);
      if (rad > 1e-12) {
        const theta = 0.5 * Math.atan2(2 * b, a - c); // math convention, y up
        const d = ((-got.angle * Math.PI) / 180 - theta) / Math.PI; // equal modulo π
        expect(Math.abs(d - Math.round(d))).toBeLessThan(1e-9);
      }
    }
  });
});

describe("rgnn plot, data, train", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-plot-"));
  it("writes figures as SVG and PNG", async () => {
    writeFileSync(join(dir, "n.rgnn"), SPEC);
    expect((await cli(["plot", join(dir, "n.rgnn"), "--kind", "grid", "--data", "moons", "-o", join(dir, "g.svg")])).code).toBe(0);
    expect(readFileSync(join(dir, "g.svg"), "utf8")).toContain("layer 3: dense linear");
    expect((await cli(["plot", join(dir, "n.rgnn"), "--kind", "ellipses", "--data", "xor", "-o", join(dir, "e.png")])).code).toBe(0);
    expect((await cli(["plot", join(dir, "n.rgnn"), "--kind", "torus", "--data", "xor"])).code).toBe(2);
  });

  it("writes a data set as CSV, deterministically", async () => {
    const a = await cli(["data", "spirals", "--points", "10", "--seed", "4"]),
      b = await cli(["data", "spirals", "--points", "10", "--seed", "4"]);
    expect(a.out).toBe(b.out);
    expect(a.out.split("\n")[0]).toBe("x,y,label");
    expect(a.out.trim().split("\n")).toHaveLength(11);
  });

  it("trains, writes weights the language loads, and plots with them", async () => {
    const spec = join(dir, "sym.rgnn");
    writeFileSync(
      spec,
      "manifold I (x, y)\nnetwork n : I -> R^2 {\n  repeat 3 { residual tanh with h = 0.5 }\n  dense 2 linear\n}\nmetric g = pullback along n\n",
    );
    const w = join(dir, "w.json");
    const r = await cli(["train", spec, "--data", "moons", "--epochs", "30", "--points", "100", "-q", "-o", w]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^n on moons: accuracy [\d.]+%/);
    expect(Object.keys(JSON.parse(readFileSync(w, "utf8")))).toEqual(["W1", "b1", "h", "W2", "b2", "W3", "b3", "W4", "b4"]);
    expect(readFileSync(join(dir, "w.curve.csv"), "utf8").split("\n")[0]).toBe("epoch,loss,accuracy,val_loss,val_accuracy");
    // the same weights through the language: a spec that loads them
    writeFileSync(
      join(dir, "loaded.rgnn"),
      `manifold I (x, y)\nnetwork n : I -> R^2 weights "w.json" {\n  repeat 3 { residual tanh }\n  dense 2 linear\n}\nmetric g = pullback along n\n`,
    );
    const viaFile = JSON.parse((await cli(["metric", join(dir, "loaded.rgnn"), "--at", "0.2,0.1", "-f", "json"])).out).metric;
    const viaOption = JSON.parse((await cli(["metric", spec, "--weights", w, "--at", "0.2,0.1", "-f", "json"])).out).metric;
    expect(viaOption).toEqual(viaFile); // the two ways of supplying trained weights agree exactly
    expect((await cli(["plot", spec, "--kind", "volume", "--data", "moons", "--weights", w, "-o", join(dir, "v.svg")])).code).toBe(0);
    expect(viaFile[0][0]).toBeGreaterThan(0);
  });

  it("a weights file that does not fit the spec is a clear error", async () => {
    const spec = join(dir, "sym.rgnn");
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({
        W1: [
          [1, 0],
          [0, 1],
        ],
        b1: [0, 0],
      }),
    );
    const r = await cli(["plot", spec, "--kind", "grid", "--data", "moons", "--weights", join(dir, "bad.json"), "-o", join(dir, "x.svg")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.json: error: no entry 'W2' \(needed by layer 2 of 'n'\)/);
    const m = await cli(["metric", spec, "--weights", join(dir, "bad.json"), "--at", "0,0"]);
    expect(m.code).toBe(1);
    expect(m.err).toContain("no entry 'W2'");
  });
});
