// The digits VAE example (examples/digits-vae/digits.rgnn: the trained convolutional decoder from a 2-D latent space
// to 8×8 images) against the independent torch computation of examples/tools/digits_vae_reference.py
// (test/fixtures/digits-vae/reference.json): the metric and Jacobian by torch.autograd from decoder.onnx, and
// geodesic lengths from minimising the discrete curve energy in torch, extrapolated to infinitely many chords.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli, expectClose } from "../helpers.js";

const SPEC = "examples/digits-vae/digits.rgnn";
interface Reference {
  metric: { point: number[]; image: number[]; jacobian: number[][]; metric: number[][]; volume: number }[];
  geodesics: {
    from: { label: number; point: number[] };
    to: { label: number; point: number[] };
    straightLength: number;
    extrapolatedLength: number;
    convergenceRatio: number;
    geodesic: { curve: number[][]; length: number };
  }[];
}
const ref = JSON.parse(readFileSync("test/fixtures/digits-vae/reference.json", "utf8")) as Reference;
const point = (p: number[]) => `--at=${p.join(",")}`;
/** max |a − b| over max |b|: the metric's entries relative to its largest. */
const relative = (a: number[][], b: number[][]) =>
  Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j])))) / Math.max(...b.flat().map(Math.abs));

describe("examples/digits-vae/digits.rgnn against torch", () => {
  it("metric --at equals torch.autograd's JᵀJ to 1e-10 at the 8 reference points, and its determinant (√det g)²", async () => {
    for (const m of ref.metric) {
      const r = await cli(["metric", SPEC, point(m.point), "--format", "json"]);
      expect(r.code, r.err).toBe(0);
      const out = JSON.parse(r.out);
      expect(relative(out.metric, m.metric)).toBeLessThan(1e-10);
      expect(Math.abs(Math.sqrt(out.determinant) - m.volume) / m.volume).toBeLessThan(1e-9);
    }
  });

  it("eval --at gives torch's 64 pixels and its 64×2 Jacobian", async () => {
    const m = ref.metric[0];
    const r = await cli(["eval", SPEC, point(m.point), "--format", "json"]);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out).points[0];
    expectClose([p.output], [m.image], 1e-12, "image");
    expectClose(p.jacobian, m.jacobian, 1e-11, "J");
  });

  it("geodesics between encoded digits have torch's length and path, shorter than the straight line", async () => {
    // the torch discretisation converged as chords⁻² (ratio of successive differences ≈ 4), so its extrapolated
    // length is good to ~1e-6; rgnn's solver to ~1e-8
    for (const gd of ref.geodesics.slice(0, 2)) {
      expect(Math.abs(gd.convergenceRatio - 4)).toBeLessThan(0.1);
      const r = await cli([
        "geodesic",
        SPEC,
        `--from=${gd.from.point.join(",")}`,
        `--to=${gd.to.point.join(",")}`,
        "--samples",
        "3",
        "--format",
        "json",
      ]);
      expect(r.code, r.err).toBe(0);
      const out = JSON.parse(r.out);
      expect(Math.abs(out.length - gd.extrapolatedLength) / gd.extrapolatedLength).toBeLessThan(1e-5);
      expect(out.length).toBeLessThan(gd.straightLength);
      // the midpoint of a constant-speed geodesic: sample 1 of 3 here, chord 16 of the torch curve's 32
      const mid = gd.geodesic.curve[(gd.geodesic.curve.length - 1) / 2];
      const ours = out.samples[1].x;
      expect(Math.hypot(ours[0] - mid[0], ours[1] - mid[1])).toBeLessThan(2e-3);
    }
  });
});
