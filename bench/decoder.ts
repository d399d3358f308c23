// The decoder suite (examples/decoder.rgnn, 2 → 256 → 256 → 784): boundary-value geodesics between latent points
// through the matrix engine — the median over a fixed set of pairs (one core, this process), and the pairwise distance
// matrix as a user computes it (`rgnn distances --threads 2`, a fresh process) with the time it took, wall and CPU.
// The seven pairs are also solved in lockstep (solver.bvps: their evaluations share block passes through the network),
// as `distances` solves its pairs. RGNN_BENCH_DECODER_POINTS sets the matrix's size (default 50: 1,225 geodesics);
// earlier matrices stay in the results file's `history`, each with its date and load.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const RESULTS_FILE = join(root, "bench", "results", "decoder.json");

/** CPU seconds (user + system) of this process's waited-for children (/proc/self/stat's cutime and cstime; Linux). */
function childCpuSeconds(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // fields 16 and 17 of stat(5), in clock ticks of 1/100 s
}

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
  // the same pairs in lockstep (best of 3 rounds, CPU): what `distances` does with its pairs
  const lockstepCpuMs = Math.min(
    ...[0, 1, 2].map(() => {
      const c0 = process.cpuUsage();
      const paths = solver.bvps(PAIRS, { samples: 2 });
      const cpu = process.cpuUsage(c0);
      paths.forEach((p, k) => {
        if (p instanceof Error || Math.abs(p.length - solves[k].length) > 1e-12 * solves[k].length)
          throw new Error(`lockstep pair ${k}: ${p instanceof Error ? p.message : `length ${p.length} ≠ ${solves[k].length}`}`);
      });
      return (cpu.user + cpu.system) / 1000;
    }),
  );
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
  const childCpu0 = childCpuSeconds();
  const [run, matrixMs] = time(() =>
    spawnSync(process.execPath, [bin, "distances", file, "--points", csv, "--format", "json", "--threads", "2"], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  );
  const matrixCpuMs = (childCpuSeconds() - childCpu0) * 1000;
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
        "the 7 pairs in lockstep (solver.bvps), best of 3",
        "",
        lockstepCpuMs.toFixed(0),
        `${(solves.reduce((t, s) => t + s.cpuMs, 0) / lockstepCpuMs).toFixed(2)}× the pairs one at a time`,
      ],
      [
        `${points}-point distance matrix (rgnn distances --threads 2)`,
        matrixMs.toFixed(0),
        matrixCpuMs.toFixed(0),
        `${pairs} pairs, ${(matrixMs / pairs).toFixed(0)} ms/pair, ${failed} failed, |d(a,b) − d(b,a)|/d ≤ ${maxAsym.toExponential(1)}`,
      ],
    ],
  );
  const previous = existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, "utf8")) : null;
  writeResults("decoder", {
    setupMs,
    solves,
    medianMs: median,
    medianCpuMs: cpuMedian,
    lockstepCpuMs,
    loadAverage: loadavg(),
    history: previous?.distanceMatrix ? [...(previous.history ?? []), { date: previous.date, ...previous.distanceMatrix }] : [],
    distanceMatrix: {
      command: "rgnn distances examples/decoder.rgnn --points (50 seeded points) --format json --threads 2",
      exit: run.status,
      points,
      pairs,
      totalMs: matrixMs,
      cpuMs: matrixCpuMs,
      loadBefore,
      loadAfter: loadavg()[0],
      msPerPair: matrixMs / pairs,
      failed,
      maxRelativeAsymmetry: maxAsym,
    },
  });
}
