// eval --points with worker threads: the same bytes as one thread, rows in input order, the same error.
// The workers run dist/src/cli/eval-worker.js, which pretest's build has just compiled.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, rng, uniform } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-eval-threads-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const r = rng(15);
const pts = Array.from({ length: 2500 }, () => [uniform(r, -2, 2), uniform(r, -2, 2)]);
const csv = file("points.csv", `x,y\n${pts.map((p) => p.join(",")).join("\n")}\n`);
const spec = "examples/deep-resnet.rgnn"; // its weights file is found beside it by the workers too

describe("rgnn eval --points --threads", () => {
  for (const format of ["csv", "json", "text"]) {
    it(`--threads 2 writes the bytes of --threads 1 (${format}, 2500 points, 3 chunks)`, async () => {
      const one = await cli(["eval", spec, "--points", csv, "--format", format, "--threads", "1"]);
      const two = await cli(["eval", spec, "--points", csv, "--format", format, "--threads", "2"]);
      expect(one.code).toBe(0);
      expect(two).toEqual(one);
    });
  }

  it("keeps the input order: row k is point k, with the output --at gives for it", async () => {
    const out = (await cli(["eval", spec, "--points", csv, "--format", "json", "--threads", "3"])).out;
    const rows: { point: number[]; output: number[] }[] = JSON.parse(out).points;
    expect(rows.map((row) => row.point)).toEqual(pts);
    for (const k of [0, 999, 1000, 2001, 2499]) {
      const at = JSON.parse((await cli(["eval", spec, "--at", pts[k].join(","), "--format", "json"])).out).points[0];
      expect(rows[k].output).toEqual(at.output);
    }
  });

  it("--set reaches the workers: u = c·x with c = 3", async () => {
    const lin = file("lin.rgnn", "manifold M (x, y)\nmanifold P (u, v)\nconstant c = 2\nmap f : M -> P {\n  u = c * x\n  v = y\n}\n");
    const res = await cli(["eval", lin, "--points", csv, "--format", "json", "--threads", "2", "--set", "c=3"]);
    const rows: { point: number[]; jacobian: number[][] }[] = JSON.parse(res.out).points;
    expect(rows).toHaveLength(pts.length);
    for (const row of [rows[0], rows[2400]])
      expect(row.jacobian).toEqual([
        [3, 0],
        [0, 1],
      ]);
  });

  it("a point where the map is not finite gives the one-thread message and rows, after the points before it", async () => {
    const logmap = file("log.rgnn", "manifold M (x, y)\nmanifold P (u, v)\nmap f : M -> P {\n  u = log(x)\n  v = y\n}\n");
    const good = pts.map(([x, y]) => [Math.abs(x) + 0.5, y]);
    good[1700] = [-1, 0.25];
    const bad = file("bad.csv", `${good.map((p) => p.join(",")).join("\n")}\n`);
    const one = await cli(["eval", logmap, "--points", bad, "--format", "csv", "--threads", "1"]);
    const two = await cli(["eval", logmap, "--points", bad, "--format", "csv", "--threads", "2"]);
    expect(one.code).toBe(1);
    expect(one.err).toBe(`${logmap}: error: 'f' is not finite at (-1, 0.25): output[1] = NaN\n`);
    expect(two).toEqual(one);
  });

  it("-o FILE: the bytes of standard output, streamed chunk by chunk; a point that fails leaves the old file alone", async () => {
    for (const [format, threads] of [
      ["csv", "1"],
      ["json", "1"],
      ["csv", "2"],
    ]) {
      const out = join(tmp, `out-${format}-${threads}`);
      const shown = await cli(["eval", spec, "--points", csv, "--format", format, "--threads", threads]);
      const written = await cli(["eval", spec, "--points", csv, "--format", format, "--threads", threads, "-o", out]);
      expect(written).toEqual({ code: 0, out: "", err: `wrote ${out} (2500 points)\n` });
      expect(readFileSync(out, "utf8")).toBe(shown.out);
    }
    const logmap = file("log2.rgnn", "manifold M (x, y)\nmanifold P (u, v)\nmap f : M -> P {\n  u = log(x)\n  v = y\n}\n");
    const good = pts.map(([x, y]) => [Math.abs(x) + 0.5, y]);
    good[1700] = [-1, 0.25];
    const bad = file("bad2.csv", `${good.map((p) => p.join(",")).join("\n")}\n`);
    const dir = mkdtempSync(join(tmp, "keep-"));
    for (const format of ["csv", "npy"]) {
      const out = join(dir, `old.${format}`);
      writeFileSync(out, "the old file\n");
      const r = await cli(["eval", logmap, "--points", bad, "--format", format, "--threads", "1", "-o", out]);
      expect(r).toEqual({ code: 1, out: "", err: `${logmap}: error: 'f' is not finite at (-1, 0.25): output[1] = NaN\n` });
      expect(readFileSync(out, "utf8")).toBe("the old file\n");
    }
    expect(readdirSync(dir).sort()).toEqual(["old.csv", "old.npy"]); // no temporary file left
  });

  it("--threads must be a whole number ≥ 1, with --points", async () => {
    expect((await cli(["eval", spec, "--points", csv, "--threads", "0"])).code).toBe(2);
    expect((await cli(["eval", spec, "--points", csv, "--threads", "1.5"])).code).toBe(2);
    expect((await cli(["eval", spec, "--at", "0,0", "--threads", "2"])).code).toBe(2);
  });
});
