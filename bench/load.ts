// The loading suite: a spec whose dense tanh network 2→w→w→2 reads its float64 weights from safetensors, checked
// and built into the model (loadSpec: read, parse, views, the network), against NumPy reading the same file into
// arrays (bench/load.py). CPU time in each process (process.cpuUsage, time.process_time), best of the rounds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpec } from "../src/semantics/load.js";
import { writeSafetensors } from "../src/semantics/safetensors.js";
import { rng } from "./networks.js";
import { printTable, printTargets, writeResults } from "./table.js";

const PEER = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/load.py" : "./load.py", import.meta.url).pathname;

function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e3;
}

export function loadSuite(rounds = 7): void {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-bench-load-"));
  const rows: string[][] = [];
  const results: Record<string, { rgnn: number; numpy: number; bytes: number }> = {};
  for (const w of [1024, 2048]) {
    const r = rng(w);
    const t = (o: number, i: number) => ({ shape: i ? [o, i] : [o], values: Float64Array.from({ length: o * (i || 1) }, () => r() - 0.5) });
    const file = join(dir, `w${w}.safetensors`);
    writeFileSync(file, writeSafetensors({ W1: t(w, 2), b1: t(w, 0), W2: t(w, w), b2: t(w, 0), W3: t(2, w), b3: t(2, 0) }));
    const spec = `manifold I = R^2\nnetwork n : I -> R^2 weights "w${w}.safetensors" {\n  dense ${w} tanh\n  dense ${w} tanh\n  dense 2 linear\n}\n`;
    const path = join(dir, `w${w}.rgnn`);
    writeFileSync(path, spec);
    let rgnn = Infinity;
    for (let k = 0; k < rounds; k++)
      rgnn = Math.min(
        rgnn,
        cpuMs(() => loadSpec(readFileSync(path, "utf8"), path, dir)),
      );
    const py = spawnSync("/usr/bin/python3", [PEER, file, String(rounds)], { encoding: "utf8" });
    const numpy = Number(py.stdout.trim()) * 1e3;
    const bytes = readFileSync(file).length;
    results[`2→${w}→${w}→2`] = { rgnn, numpy, bytes };
    rows.push([`2→${w}→${w}→2`, `${(bytes / 1e6).toFixed(1)} MB`, rgnn.toFixed(1), numpy.toFixed(1)]);
  }
  rmSync(dir, { recursive: true, force: true });
  printTable(`loading safetensors (CPU ms, best of ${rounds})`, ["network", "file", "rgnn loadSpec", "NumPy frombuffer"], rows);
  printTargets({ "1024-wide model load, ms (≤ 50)": results["2→1024→1024→2"].rgnn });
  writeResults("load", { rounds, results });
}
