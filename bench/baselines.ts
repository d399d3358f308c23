// The Python baselines (bench/baselines.py: NumPy's vectorised forward Jacobian and torch's vmap(jacfwd)), run on the
// same weights and points as the engine: this writes them to a temporary job, spawns /usr/bin/python3 and reads back
// the timings and g at a few check points, which `disagreement` compares with the engine's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PreparedNetwork } from "../src/numeric/engine/network.js";

/** The interpreter with NumPy (and torch): RGNN_BENCH_PYTHON names another, e.g. one whose NumPy uses OpenBLAS. */
export const PYTHON = process.env.RGNN_BENCH_PYTHON ?? "/usr/bin/python3";
const HERE = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/" : "./", import.meta.url);
/** What bench/baselines.py implements. */
const KINDS = new Set(["dense", "residual"]),
  ACTIVATIONS = new Set(["linear", "tanh", "sigmoid", "softplus"]);

export interface BaselineCase {
  net: PreparedNetwork;
  /** Input dimension; `points` is count × n, row-major. */
  n: number;
  points: Float64Array;
}
export interface MethodRun {
  /** Wall time, and CPU time of the Python process (all threads), of the whole run. */
  ms: number;
  ptsPerS: number;
  cpuMs: number;
  ptsPerCpuS: number;
  /** g (n × n, row-major) at each check index, from the timed run's output. */
  check: number[][];
}
export interface BaselineNet {
  name: string;
  /** NumPy with tangents as one w × (B·n) matrix (one BLAS product per layer) and per point (batched matmul). */
  numpyGemm: MethodRun;
  numpyBatched: MethodRun;
  /** The tuned layout (value and tangents as one product per layer), at the fastest of the chunk sizes tried. */
  numpyStacked?: MethodRun & { chunk: number };
  /** The tuned layout's points per CPU-second at each chunk size tried. */
  numpyStackedByChunk?: Record<string, number>;
  /** vmap(jacfwd) on CPU; absent when torch (or its vmap) cannot be imported. */
  torch?: MethodRun;
}
export interface BaselineReport {
  numpy: string;
  /** The BLAS NumPy was built against. */
  blas: string;
  /** torch's version and where vmap/jacfwd came from, or null without torch. */
  torch: string | null;
  threads: number;
  networks: BaselineNet[];
}
export type Baselines = BaselineReport | { skipped: string };

/** Why the baselines cannot run here, or null when /usr/bin/python3 imports `module` (NumPy unless told). */
export function baselinesUnavailable(module = "numpy"): string | null {
  const r = spawnSync(PYTHON, ["-c", `import ${module}`], { stdio: "ignore" });
  if (r.error) return `no ${PYTHON}`;
  return r.status === 0 ? null : `${PYTHON} cannot import ${module}`;
}

/** Time the baselines on each case (chunks of `chunk` points) and take g at the `check` indices. */
export function runBaselines(
  cases: BaselineCase[],
  check: number[],
  opts: { chunk?: number; torch?: boolean; methods?: ("numpyGemm" | "numpyBatched" | "numpyStacked")[]; stackedChunks?: number[] } = {},
): Baselines {
  const missing = baselinesUnavailable();
  if (missing) return { skipped: missing };
  const dir = mkdtempSync(join(tmpdir(), "rgnn-baselines-"));
  try {
    const networks = cases.map(({ net, n, points }, i) => {
      const file = join(dir, `points-${i}.f64`);
      // little-endian, as Float64Array is on every platform Node runs on here (x86-64, arm64)
      writeFileSync(file, new Uint8Array(points.buffer, points.byteOffset, points.byteLength));
      const layers = net.layers.map((l) => {
        if (!KINDS.has(l.kind) || !ACTIVATIONS.has(l.activation) || !l.W || !l.b)
          throw new Error(`baselines.py has no ${l.kind} ${l.activation} layer`);
        return { ...l, W: Array.from(l.W), b: Array.from(l.b) };
      });
      return { name: net.name, n, layers, points: file };
    });
    const job = join(dir, "job.json");
    writeFileSync(
      job,
      JSON.stringify({
        networks,
        check,
        chunk: opts.chunk ?? 10_000,
        torch: opts.torch ?? true,
        methods: opts.methods ?? ["numpyGemm", "numpyBatched", "numpyStacked"],
        stackedChunks: opts.stackedChunks ?? [2048],
      }),
    );
    const run = spawnSync(PYTHON, [new URL("baselines.py", HERE).pathname, job], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
    });
    if (run.status !== 0) throw new Error(`baselines.py failed: ${run.stderr.trim().split("\n").pop()}`);
    return JSON.parse(run.stdout.trim().split("\n").pop()!) as BaselineReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The worst relative disagreement between a baseline's g and the engine's (all points count × n², row-major) at the
 * check indices: max |Δg| / max |g| per point.
 */
export function disagreement(run: MethodRun, g: Float64Array, n: number, check: number[]): number {
  return Math.max(
    ...run.check.map((gb, k) => {
      const ours = g.subarray(check[k] * n * n, (check[k] + 1) * n * n);
      const scale = ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      return gb.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i])), 0) / scale;
    }),
  );
}
