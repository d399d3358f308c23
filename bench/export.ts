// The export suite: `rgnn export --target torch|numpy` of a 2→64→64→2 tanh MLP (seeded weights) and of
// examples/decoder.rgnn (2 → 256 → 256 → 784). In one run, CPU time, best of rounds: the export in this process (spec
// loaded and module written) and as a fresh `rgnn export` process, the module's size; then, through the Python peer
// (bench/export_peer.py, one thread): importing the module in a fresh interpreter, and the metric on 10⁴ points against
// functorch's vmap(jacrev), Christoffel symbols and scalar curvature against nested jacfwd. Targets (issue 23): export
// and import about a second (import < 3 s), metric at most as slow as vmap(jacrev), Γ and R within 2× of jacfwd.
// RGNN_BENCH_EXPORT_POINTS sets the number of points (default 10⁴), RGNN_BENCH_ROUNDS the rounds (default 3).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pythonExport } from "../src/api/export.js";
import type { PythonTarget } from "../src/numeric/python.js";
import { loadSpec } from "../src/semantics/load.js";
import { rng } from "./networks.js";
import { printTable, writeResults } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");
const PYTHON = "/usr/bin/python3";

/** A 2 → w → w → 2 tanh MLP with seeded weights, as a spec with its weights inline. */
function mlpSpec(w: number, seed: number): string {
  const r = rng(seed);
  const row = (cols: number, scale: number) => `[${Array.from({ length: cols }, () => ((2 * r() - 1) * scale).toPrecision(6)).join(", ")}]`;
  const mat = (rows: number, cols: number, scale: number) => `[${Array.from({ length: rows }, () => row(cols, scale)).join(", ")}]`;
  const vec = (n: number) => `[${Array.from({ length: n }, () => ((2 * r() - 1) * 0.2).toPrecision(6)).join(", ")}]`;
  return [
    "manifold Input (x, y)",
    "network mlp : Input -> R^2 {",
    `  dense ${w} tanh with W = ${mat(w, 2, 1.5)}, b = ${vec(w)}`,
    `  dense ${w} tanh with W = ${mat(w, w, 1.5 / Math.sqrt(w))}, b = ${vec(w)}`,
    `  dense 2 linear with W = ${mat(2, w, 1 / Math.sqrt(w))}, b = ${vec(2)}`,
    "}",
    "metric g = pullback of euclidean along mlp",
    "",
  ].join("\n");
}

/** CPU milliseconds of f, best of rounds, and its last value. */
function bestCpu<T>(f: () => T, rounds: number): [T, number] {
  let ms = Infinity,
    v: T | undefined;
  for (let k = 0; k < rounds; k++) {
    const c0 = process.cpuUsage();
    v = f();
    const c = process.cpuUsage(c0);
    ms = Math.min(ms, (c.user + c.system) / 1000);
  }
  return [v as T, ms];
}

/** CPU seconds (user + system) of a fresh `rgnn export` process, best of rounds (GNU time reports them). */
function cliCpu(spec: string, out: string, rounds: number): number {
  let s = Infinity;
  for (let k = 0; k < rounds; k++) {
    const r = spawnSync(
      "/usr/bin/time",
      ["-f", "%U %S", process.execPath, join(root, "bin", "rgnn.js"), "export", spec, "-t", "torch", "-o", out],
      {
        encoding: "utf8",
      },
    );
    if (r.status !== 0) throw new Error(`rgnn export ${spec}: ${r.stderr}`);
    const [user, sys] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
    s = Math.min(s, user + sys);
  }
  return s;
}

export function exportSuite(): void {
  const rounds = Number(process.env.RGNN_BENCH_ROUNDS ?? 3);
  const count = Number(process.env.RGNN_BENCH_EXPORT_POINTS ?? 1e4);
  const dir = mkdtempSync(join(tmpdir(), "rgnn-bench-export-"));
  const mlp = join(dir, "mlp64.rgnn");
  writeFileSync(mlp, mlpSpec(64, 23));
  const decoder = join(root, "examples", "decoder.rgnn");
  // the decoder's 784 outputs make vmap(jacrev) 784 reverse passes a point and nested jacfwd hold 784-wide third
  // derivatives: a few hundred points (vmapped in blocks of 50) keep the baselines within minutes and gigabytes
  const cases = [
    { name: "2→64→64→2 tanh MLP", spec: mlp, tag: "mlp64", points: count, chunk: count },
    { name: "examples/decoder.rgnn", spec: decoder, tag: "decoder", points: Math.min(count, 200), chunk: 50 },
  ];
  const r = rng(5);
  const rows = cases.map((c) => {
    const source = readFileSync(c.spec, "utf8");
    const modules = {} as Record<PythonTarget, string>;
    let exportMs = Infinity,
      size = 0;
    for (const target of ["torch", "numpy"] as const) {
      const [text, ms] = bestCpu(() => pythonExport(loadSpec(source, c.spec, dirname(c.spec)), target, `${c.tag}.rgnn`), rounds);
      modules[target] = join(dir, `${c.tag}_${target}.py`);
      writeFileSync(modules[target], text);
      if (target === "torch") [exportMs, size] = [ms, text.length];
    }
    const cliSeconds = cliCpu(c.spec, join(dir, `${c.tag}_cli.py`), rounds);
    const points = join(dir, `${c.tag}.points`);
    writeFileSync(points, Buffer.from(Float64Array.from({ length: 2 * c.points }, () => 2 * r() - 1).buffer));
    return { ...c, modules, exportMs, size, cliSeconds, pointsFile: points };
  });
  const job = join(dir, "job.json");
  writeFileSync(
    job,
    JSON.stringify({
      rounds,
      cases: rows.map((c) => ({
        name: c.name,
        torch: c.modules.torch,
        numpy: c.modules.numpy,
        points: c.pointsFile,
        n: 2,
        chunk: c.chunk,
      })),
    }),
  );
  const peer: Record<string, Record<string, number> & { differences: Record<string, number> }> = JSON.parse(
    execFileSync(PYTHON, [join(root, "bench", "export_peer.py"), job], { encoding: "utf8", maxBuffer: 1 << 24 }),
  );
  rmSync(dir, { recursive: true, force: true });
  const ms = (s: number) => (1000 * s).toFixed(0);
  printTable(
    `rgnn export at the matrix level (CPU time, best of ${rounds}; Python on one thread)`,
    [
      "network",
      "points",
      "export ms",
      "rgnn export s",
      "size kB",
      "import s",
      "metric ms",
      "vmap(jacrev)",
      "Γ ms",
      "jacfwd",
      "R ms",
      "jacfwd²",
    ],
    rows.map((c) => {
      const p = peer[c.name];
      return [
        c.name,
        String(c.points),
        c.exportMs.toFixed(0),
        c.cliSeconds.toFixed(2),
        (c.size / 1000).toFixed(0),
        p.importSeconds.toFixed(2),
        ms(p.metric),
        ms(p.metricJacrev),
        ms(p.christoffel),
        ms(p.christoffelJacfwd),
        ms(p.scalar),
        ms(p.scalarJacfwd),
      ];
    }),
  );
  const results = rows.map((c) => {
    const p = peer[c.name];
    return {
      network: c.name,
      exportCpuMs: c.exportMs,
      cliExportCpuSeconds: c.cliSeconds,
      moduleBytes: c.size,
      ...p,
      ratios: {
        metricOverJacrev: p.metric / p.metricJacrev,
        metricOverJacfwd: p.metric / p.metricJacfwd,
        christoffelOverJacfwd: p.christoffel / p.christoffelJacfwd,
        scalarOverJacfwd: p.scalar / p.scalarJacfwd,
      },
    };
  });
  for (const x of results)
    console.log(
      `${x.network}: metric ${x.ratios.metricOverJacrev.toFixed(2)}× vmap(jacrev) (target ≤ 1), ` +
        `Γ ${x.ratios.christoffelOverJacfwd.toFixed(2)}× ` +
        `and R ${x.ratios.scalarOverJacfwd.toFixed(2)}× nested jacfwd (target ≤ 2); largest difference from functorch ` +
        `${Math.max(...Object.values(x.differences)).toExponential(1)}`,
    );
  writeResults("export", {
    python: execFileSync(PYTHON, ["-c", "import sys, torch, numpy; print(sys.version.split()[0], torch.__version__, numpy.__version__)"], {
      encoding: "utf8",
    }).trim(),
    points: count,
    rounds,
    loadAverage: loadavg(),
    results,
  });
}
