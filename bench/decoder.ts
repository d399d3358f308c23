// The decoder suite (examples/decoder.rgnn, 2 → 256 → 256 → 784): boundary-value geodesics between latent points
// through the matrix engine — the median over a fixed set of pairs, and a pairwise distance matrix (one core) with
// the time it took. RGNN_BENCH_DECODER_POINTS sets the matrix's size (default 50: 1,225 geodesics).
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
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

  const points = Number(process.env.RGNN_BENCH_DECODER_POINTS ?? 50);
  const r = rng(15);
  const pts = Array.from({ length: points }, () => [-1 + 2 * r(), -1 + 2 * r()]);
  let failed = 0,
    maxAsym = 0;
  const D = pts.map(() => new Array<number>(points).fill(0));
  const [, matrixMs] = time(() => {
    for (let i = 0; i < points; i++)
      for (let j = i + 1; j < points; j++) {
        try {
          D[i][j] = D[j][i] = solver.bvp(pts[i], pts[j], { samples: 2 }).length;
        } catch {
          failed++;
          D[i][j] = D[j][i] = Number.NaN;
        }
      }
  });
  // a spot check of symmetry: the geodesic back has the same length
  for (const [i, j] of [
    [0, 1],
    [2, 3],
  ].filter(([i, j]) => j < points && Number.isFinite(D[i][j]))) {
    maxAsym = Math.max(maxAsym, Math.abs(solver.bvp(pts[j], pts[i], { samples: 2 }).length - D[i][j]) / D[i][j]);
  }
  const pairs = (points * (points - 1)) / 2;
  printTable(
    "Geodesics of the decoder's latent metric (matrix engine, one core)",
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
        `${points}-point distance matrix`,
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
    distanceMatrix: { points, pairs, totalMs: matrixMs, msPerPair: matrixMs / pairs, failed, maxRelativeAsymmetry: maxAsym },
  });
}
