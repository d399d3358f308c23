// Every command that writes files says so in one line, in the same words, on standard error: "wrote PATH"
// (wroteLine in src/cli/output.ts, printed by writeOutputs once the whole set is in place). The commands that take
// -o are read from the command table, so a new writer without an entry here fails the test.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/main.js";
import { wroteLine } from "../../src/cli/output.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rgnn-writers-"));
const at = (name: string) => join(dir, name);
const points = at("points.csv");
writeFileSync(points, "x,y\n0.3,-0.7\n0.1,0.2\n-0.5,0.4\n");
const spherePoints = at("sphere.csv");
writeFileSync(spherePoints, "1,0\n1.2,0.5\n");
const experiment = at("experiment");
mkdirSync(experiment);
writeFileSync(join(experiment, "dense10.rgnn"), readFileSync("examples/paper-experiments/dense10.rgnn"));
writeFileSync(
  join(experiment, "experiments.json"),
  JSON.stringify({ runs: [{ spec: "dense10.rgnn", data: "xor", points: 20, epochs: 2 }] }),
);

/** For each command with -o: its arguments writing into the scratch folder, and the line it must print. */
const WRITERS: Record<string, { args: string[]; line: string; files: string[] }> = {
  eval: {
    args: ["eval", "examples/paper-toy.rgnn", "--points", points, "-f", "csv", "-o", at("e.csv")],
    line: `wrote ${at("e.csv")} (3 points)`,
    files: [at("e.csv")],
  },
  geometry: {
    args: ["geometry", "examples/sphere.rgnn", "--points", spherePoints, "-q", "christoffel", "-f", "npy", "-o", at("g.npy")],
    line: `wrote ${at("g.npy")} (2 points)`,
    files: [at("g.npy")],
  },
  distances: {
    args: ["distances", "examples/sphere.rgnn", "--points", spherePoints, "-f", "npy", "-o", at("d.npy")],
    line: `wrote ${at("d.npy")} (2×2 distances)`,
    files: [at("d.npy")],
  },
  data: {
    args: ["data", "moons", "--points", "10", "-o", at("moons.csv")],
    line: `wrote ${at("moons.csv")} (10 points)`,
    files: [at("moons.csv")],
  },
  train: {
    args: ["train", "examples/symbolic-resnet.rgnn", "--data", "xor", "--points", "20", "--epochs", "2", "--set", "h=0.5", "-q"].concat([
      "-o",
      at("w.json"),
    ]),
    line: `wrote ${at("w.json")} and ${at("w.curve.csv")}`,
    files: [at("w.json"), at("w.curve.csv")],
  },
  plot: {
    args: ["plot", "examples/paper-toy.rgnn", "-k", "ellipses", "--data", "xor", "--points", "20", "-o", at("p.svg")],
    line: `wrote ${at("p.svg")}`,
    files: [at("p.svg")],
  },
  experiment: {
    args: ["experiment", experiment, "-q", "-o", at("figures")],
    line: "", // the number of files: counted in the folder below
    files: [at("figures/summary.txt")],
  },
  derive: {
    args: ["derive", "examples/polar.rgnn", "-o", at("polar.md")],
    line: `wrote ${at("polar.md")} (`,
    files: [at("polar.md")],
  },
  import: {
    args: ["import", "test/fixtures/onnx/mlp.onnx", "-o", at("mlp.rgnn")],
    line: `wrote ${at("mlp.rgnn")} and ${at("mlp.safetensors")} (`,
    files: [at("mlp.rgnn"), at("mlp.safetensors")],
  },
  export: {
    args: ["export", "examples/polar.rgnn", "-t", "numpy", "-o", at("polar.py")],
    line: `wrote ${at("polar.py")}`,
    files: [at("polar.py")],
  },
  playground: {
    args: ["playground", "examples/polar.rgnn", "-o", at("site")],
    line: `wrote ${at("site/index.html")}, ${at("site/playground.js")} and ${at("site/playground.css")} (open ${at("site/index.html")} in a browser)`,
    files: [at("site/index.html")],
  },
};

describe("every command that writes a file says 'wrote PATH', once, in the same words", () => {
  it("the table covers every command with -o", () => {
    const writers = COMMANDS.filter((c) => c.options?.some((o) => o.flags.startsWith("-o,"))).map((c) => c.name);
    expect(writers.sort()).toEqual(Object.keys(WRITERS).sort());
  });

  for (const [name, w] of Object.entries(WRITERS))
    it(`${name}`, async () => {
      const r = await cli(w.args);
      expect(r.code, r.err).toBe(0);
      for (const f of w.files) expect(existsSync(f), f).toBe(true);
      const lines = `${r.out}${r.err}`.split("\n").filter((l) => /\bwrote\b/.test(l));
      expect(lines).toHaveLength(1);
      // on standard error: standard output is the command's data (or its summary), never the status line
      expect(r.err).toContain(`${lines[0]}\n`);
      expect(lines[0]).toMatch(/^wrote \S/);
      if (name === "experiment")
        expect(lines[0]).toBe(`wrote ${readdirSync(at("figures")).length} files in ${at("figures")} (summary.txt lists the runs)`);
      else expect(lines[0].startsWith(w.line), lines[0]).toBe(true);
    });
});

describe("wroteLine", () => {
  it("names one, two or three paths, and counts a larger set in one folder", () => {
    expect(wroteLine(["a.svg"])).toBe("wrote a.svg\n");
    expect(wroteLine(["a.rgnn", "a.safetensors"], "3 layers")).toBe("wrote a.rgnn and a.safetensors (3 layers)\n");
    expect(wroteLine(["s/a", "s/b", "s/c"])).toBe("wrote s/a, s/b and s/c\n");
    expect(wroteLine(["s/a", "s/b", "s/c", "s/d"], "x")).toBe("wrote 4 files in s (x)\n");
    expect(wroteLine(["s/a", "s/b", "t/c", "t/d"])).toBe("wrote s/a, s/b, t/c and t/d\n");
  });

  it("is the only place the CLI spells 'wrote'", () => {
    const files = readdirSync("src/cli", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const spelled = files.filter((f) => f !== "output.ts" && /[`"']wrote /.test(readFileSync(join("src/cli", f), "utf8")));
    expect(spelled).toEqual([]);
  });
});
