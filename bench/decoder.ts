// The decoder suite (examples/decoder.rgnn, 2 → 256 → 256 → 784): boundary-value geodesics between latent points
// through the matrix engine — the median over a fixed set of pairs (one core, this process), and the pairwise distance
// matrix as a user computes it (`rgnn distances --threads 2`, a fresh process) with the time it took.
// RGNN_BENCH_DECODER_POINTS sets the matrix's size (default 50: 1,225 geodesics).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { geodesicSolver } from "../src/numeric/geodesic.js";
import { loadSpec } from "../src/semantics/load.js";
import { rng } from "./networks.js";
import { printTable, time, writeResults } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");

/** The pairs whose median is reported: the README's four geodesics and three more across the latent square. */
const PAIRS: [number[], number[]][] = [
  [
    [0, 0],
    [0.5, 0.5],
  ],
  [
    [0.3, -0.7],
    [-0.5, 0.6],
  ],
  [
    [-1, -1],
    [1, 1],
  ],
  [
    [-1, 0.5],
    [1, -0.5],
  ],
  [
    [0.8, 0.8],
    [-0.2, 0.9],
  ],
  [
    [-0.6, -0.2],
    [0.1, -0.9],
  ],
  [
    [0.5, -0.5],
    [0.6, 0.4],
  ],
];

export function decoderSuite(): void {
  const file = join(root, "examples", "decoder.rgnn");
  const g = loadSpec(readFileSync(file, "utf8"), file, dirname(file)).metrics.get("g")!;
  const [solver, setupMs] = time(() => geodesicSolver(g, new Map()));
  solver.bvp([0, 0], [0.2, 0.1]); // warm the JIT: the first solve otherwise pays for compilation
  const solves = PAIRS.map(([a, b]) => {
    const c0 = process.cpuUsage();
    const [p, ms] = time(() => solver.bvp(a, b, { samples: 2 }));
    const cpuMs = process.cpuUsage(c0).user / 1000;
    return { from: a, to: b, ms, cpuMs, length: p.length, energyIterations: p.energyIterations, newtonIterations: p.iterations };
  });
  const sorted = solves.map((s) => s.ms).sort((x, y) => x - y);
  const median = sorted[sorted.length >> 1],
    cpuMedian = solves.map((s) => s.cpuMs).sort((x, y) => x - y)[solves.length >> 1];

  // the distance matrix as a user runs it: `rgnn distances --threads 2` (workers on both cores), one fresh process
  const points = Number(process.env.RGNN_BENCH_DECODER_POINTS ?? 50);
  const r = rng(15);
  const pts = Array.from({ length: points }, () => [-1 + 2 * r(), -1 + 2 * r()]);
  const dir = mkdtempSync(join(tmpdir(), "rgnn-decoder-"));
  const csv = join(dir, "points.csv");
  writeFileSync(csv, `u,v\n${pts.map((p) => p.join(",")).join("\n")}\n`);
  const bin = join(root, "bin", "rgnn.js");
  const loadBefore = loadavg()[0];
  const [run, matrixMs] = time(() =>
    spawnSync(process.execPath, [bin, "distances", file, "--points", csv, "--format", "json", "--threads", "2"], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  );
  rmSync(dir, { recursive: true, force: true });
  const D: (number | null)[][] = run.status === 0 || run.status === 1 ? JSON.parse(run.stdout).distances : [];
  const failed = D.flat().filter((d) => d === null).length / 2;
  let maxAsym = 0;
  // a spot check: the geodesic back, in this process, has the length the matrix gives
  for (const [i, j] of [
    [0, 1],
    [2, 3],
  ].filter(([i, j]) => j < points && typeof D[i]?.[j] === "number")) {
    const d = D[i][j] as number;
    maxAsym = Math.max(maxAsym, Math.abs(solver.bvp(pts[j], pts[i], { samples: 2 }).length - d) / d);
  }
  const pairs = (points * (points - 1)) / 2;
  printTable(
    "Geodesics of the decoder's latent metric (matrix engine; the pairs on one core in this process)",
    ["case", "wall ms", "cpu ms", "notes"],
    [
      ...solves.map((s) => [
        `(${s.from.join(",")})→(${s.to.join(",")})`,
        s.ms.toFixed(0),
        s.cpuMs.toFixed(0),
        `length ${s.length.toPrecision(8)}, ${s.energyIterations} L-BFGS + ${s.newtonIterations} Newton steps`,
      ]),
      ["median", median.toFixed(0), cpuMedian.toFixed(0), `target < 1000 ms; set-up ${setupMs.toFixed(0)} ms`],
      [
        `${points}-point distance matrix (rgnn distances --threads 2)`,
        matrixMs.toFixed(0),
        "",
        `${pairs} pairs, ${(matrixMs / pairs).toFixed(0)} ms/pair, ${failed} failed, |d(a,b) − d(b,a)|/d ≤ ${maxAsym.toExponential(1)}`,
      ],
    ],
  );
  writeResults("decoder", {
    setupMs,
    solves,
    medianMs: median,
    medianCpuMs: cpuMedian,
    loadAverage: loadavg(),
    distanceMatrix: {
      command: "rgnn distances examples/decoder.rgnn --points (50 seeded points) --format json --threads 2",
      exit: run.status,
      points,
      pairs,
      totalMs: matrixMs,
      loadBefore,
      loadAfter: loadavg()[0],
      msPerPair: matrixMs / pairs,
      failed,
      maxRelativeAsymmetry: maxAsym,
    },
  });
}
