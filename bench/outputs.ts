// The outputs suite: `rgnn eval --points` end to end (read the points, evaluate, write the table) against NumPy doing
// the same (bench/outputs.py: np.loadtxt, batched forward mode, np.savetxt or np.save), on the 2→64×8 tanh MLP with a
// linear read-out to 64 (≈ 200 numbers a row), weights from safetensors. Both sides are whole processes, measured in
// CPU time (user + system, /usr/bin/time), one thread each, in turn, best of the rounds; the tables are checked equal.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../src/semantics/safetensors.js";
import { rng } from "./networks.js";
import { printTable, printTargets, writeResults } from "./table.js";

const PYTHON = "/usr/bin/python3";
const HERE = new URL(".", import.meta.url);
/** bin/rgnn.js of this checkout, from bench/ or dist/bench/. */
const RGNN = new URL(import.meta.url.includes("/dist/bench/") ? "../../bin/rgnn.js" : "../bin/rgnn.js", import.meta.url).pathname;
const PEER = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/outputs.py" : "./outputs.py", HERE).pathname;

/** CPU seconds (user + system) of a whole command, by /usr/bin/time. */
function cpuOf(cmd: string, args: string[], dir: string): number {
  const report = join(dir, "time.txt");
  const run = spawnSync("/usr/bin/time", ["-f", "%U %S", "-o", report, cmd, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  if (run.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${run.stderr}`);
  const [user, system] = readFileSync(report, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  return user + system;
}

export function outputsSuite(points = 100_000, rounds = 3): void {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-bench-outputs-"));
  const loadBefore = loadavg()[0];
  const r = rng(64);
  const widths = [2, 64, 64, 64, 64, 64, 64, 64, 64, 64];
  const tensors: Record<string, { shape: number[]; values: Float64Array }> = {};
  for (let l = 1; l < widths.length; l++) {
    const [i, o] = [widths[l - 1], widths[l]];
    tensors[`W${l}`] = { shape: [o, i], values: Float64Array.from({ length: o * i }, () => ((2 * r() - 1) * 1.5) / Math.sqrt(i)) };
    tensors[`b${l}`] = { shape: [o], values: Float64Array.from({ length: o }, () => (2 * r() - 1) * 0.2) };
  }
  writeFileSync(join(dir, "w.safetensors"), writeSafetensors(tensors));
  const layers = [...Array(widths.length - 2).fill("  dense 64 tanh"), "  dense 64 linear"];
  writeFileSync(join(dir, "net.rgnn"), `manifold I = R^2\nnetwork n : I -> R^64 weights "w.safetensors" {\n${layers.join("\n")}\n}\n`);
  let csv = "";
  for (let k = 0; k < points; k++) csv += `${2 * r() - 1},${2 * r() - 1}\n`;
  writeFileSync(join(dir, "points.csv"), csv);
  const rgnn = (format: string) => [
    RGNN,
    "eval",
    join(dir, "net.rgnn"),
    "--points",
    join(dir, "points.csv"),
    "--threads",
    "1",
    "--format",
    format,
    "-o",
    join(dir, `rgnn.${format}`),
  ];
  const numpy = (format: string) => [PEER, join(dir, "w.safetensors"), join(dir, "points.csv"), join(dir, `numpy.${format}`), format];
  const seconds: Record<string, number> = {};
  for (let round = 0; round < rounds; round++)
    for (const format of ["csv", "npy"]) {
      const runs: [string, string, string[]][] = [
        ["rgnn", process.execPath, rgnn(format)],
        ["numpy", PYTHON, numpy(format)],
      ];
      for (const [side, cmd, args] of runs) {
        const key = `${side} ${format}`;
        seconds[key] = Math.min(seconds[key] ?? Infinity, cpuOf(cmd, args, dir));
      }
    }
  // the same table on both sides (to round-off: NumPy sums in its own order)
  const check = spawnSync(
    PYTHON,
    [
      "-c",
      `import numpy as np,sys
a=np.load(sys.argv[1]);b=np.load(sys.argv[2]);c=np.loadtxt(sys.argv[3],delimiter=",",skiprows=1)
print(a.shape==b.shape and np.allclose(a,b,rtol=1e-9,atol=1e-12) and np.array_equal(a,c))`,
      join(dir, "rgnn.npy"),
      join(dir, "numpy.npy"),
      join(dir, "rgnn.csv"),
    ],
    { encoding: "utf8" },
  );
  const agree = check.stdout.trim() === "True";
  rmSync(dir, { recursive: true, force: true });
  const ratio = (f: string) => seconds[`numpy ${f}`] / seconds[`rgnn ${f}`];
  printTable(
    `eval --points, ${points} points, 2→64×8→64 tanh MLP (CPU s, best of ${rounds})`,
    ["format", "rgnn", "NumPy", "NumPy/rgnn"],
    ["csv", "npy"].map((f) => [f, seconds[`rgnn ${f}`].toFixed(2), seconds[`numpy ${f}`].toFixed(2), ratio(f).toFixed(2)]),
  );
  const targets = {
    "csv: NumPy + savetxt / rgnn (≥ 1)": ratio("csv"),
    "npy: NumPy + savetxt / rgnn npy (≥ 5)": seconds["numpy csv"] / seconds["rgnn npy"],
  };
  printTargets(targets);
  console.log(`tables agree: ${agree}`);
  const load = [loadBefore, loadavg()[0]].map((l) => Math.round(l * 10) / 10);
  console.log(`load average (1 min) before and after: ${load.join(", ")} on ${availableParallelism()} cores`);
  writeResults("outputs", { points, rounds, load, seconds, targets, tablesAgree: agree });
}
