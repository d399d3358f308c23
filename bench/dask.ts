// The Dask suite: the speed-up of a distance matrix from 1 to 2 Dask worker processes (issue 27), through the Python
// package on Debian's python3 (bench/dask_peer.py). Wall time and CPU seconds (workers and their rgnn servers) per run;
// the machine has 2 cores shared with other work, so each run records the load average it started under.
// RGNN_BENCH_DASK_POINTS sets the number of points (default 24: 276 pairs), RGNN_BENCH_ROUNDS the rounds (default 3).
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { printTable, writeResults } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");

interface Run {
  wall: number;
  workerCpu: number;
  load: number;
  difference: number;
}

export function daskSuite(): void {
  const points = Number(process.env.RGNN_BENCH_DASK_POINTS ?? 24);
  const rounds = Number(process.env.RGNN_BENCH_ROUNDS ?? 3);
  const load = loadavg()[0];
  const out = JSON.parse(
    execFileSync(
      "/usr/bin/python3",
      [join(root, "bench/dask_peer.py"), join(root, "examples/paper-toy.rgnn"), String(points), "8", String(rounds)],
      {
        encoding: "utf8",
        env: { ...process.env, PYTHONPATH: join(root, "python"), RGNN_CLI: join(root, "bin/rgnn.js"), RGNN_NODE: process.execPath },
        stdio: ["ignore", "pipe", "inherit"],
      },
    ),
  ) as { pairs: number; speedup: number; oneServerWall: number; runs: Record<string, Run[]> };
  const rows = Object.entries(out.runs).flatMap(([w, runs]) =>
    runs.map((r, k) => [w, String(k + 1), r.wall.toFixed(2), r.workerCpu.toFixed(2), r.load.toFixed(1), String(r.difference)]),
  );
  printTable(
    `distance matrix of ${points} points (${out.pairs} pairs, 8 a task), paper-toy`,
    ["workers", "run", "wall s", "CPU s", "load", "max |Δ|"],
    rows,
  );
  console.log(
    `\nspeed-up 1 → 2 workers (best wall): ${out.speedup.toFixed(2)}; one server without Dask: ${out.oneServerWall.toFixed(2)} s`,
  );
  writeResults("dask", { load: [load, loadavg()[0]], cores: 2, ...out });
}
