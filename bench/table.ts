// Timing and table helpers shared by the bench suites.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

export function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

/** Best of a few runs, in ms: timings are noisy on a shared machine. */
export function best(f: () => void, runs = 3): number {
  let m = Infinity;
  for (let i = 0; i < runs; i++) m = Math.min(m, time(f)[1]);
  return m;
}

export function printTable(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((l) => l[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j])).join("  ");
  console.log(`\n${title}\n`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

export function printTargets(targets: Record<string, number>): void {
  console.log("\ntargets:");
  for (const [k, v] of Object.entries(targets)) console.log(`  ${k}: ${v.toFixed(2)}`);
}

/** bench/results/ in the source tree, whether this runs compiled (dist/bench/) or from bench/. */
const RESULTS = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/results/" : "./results/", import.meta.url);

export function writeResults(name: string, data: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    new URL(`${name}.json`, RESULTS),
    `${JSON.stringify({ node: process.version, date: new Date().toISOString(), ...(data as object) }, null, 2)}\n`,
  );
  console.log(`written: bench/results/${name}.json`);
}

// The README's Performance table (and docs/performance.md's copy), written from bench/results/*.json: each row reads
// the suite's figures, so a re-run suite and `npx tsx bench/table.ts` (or `npm run bench -- table`) update the text.
// Rows marked "by hand" were measured outside a suite and carry their text as it was measured.

// biome-ignore lint/suspicious/noExplicitAny: results files are JSON written by the suites
type Json = any;
const read = (name: string): Json => JSON.parse(readFileSync(new URL(`${name}.json`, RESULTS), "utf8"));
const range = (xs: number[], d: number, unit = "") => {
  const lo = Math.min(...xs).toFixed(d),
    hi = Math.max(...xs).toFixed(d);
  return lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`;
};
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const times = (x: number) => `${x.toFixed(2)}×`;

export function performanceTable(): string {
  const engine = read("engine"),
    tp = read("throughput"),
    costs = read("costs"),
    decoder = read("decoder"),
    geodesic = read("geodesic");
  const rows: [string, string, string, string][] = [];
  const d = engine.decoder as { engineMs: number; handMs: number; ratio: number }[];
  rows.push([
    "metric at a point, 2 → 512 → 512 → 784 decoder: engine vs hand-written Float64Array loop",
    `${range(
      d.map((x) => x.engineMs),
      2,
      " ms",
    )} vs ${range(
      d.map((x) => x.handMs),
      1,
      " ms",
    )} (${range(
      d.map((x) => x.ratio),
      2,
      "×",
    )})`,
    "≤ 2×",
    "engine",
  ]);
  rows.push(["peak RSS after the decoder runs", `${engine.peakRssMBAfterDecoder.toFixed(0)} MB`, "< 300 MB", "engine"]);
  rows.push([
    "Christoffel symbols at that decoder ÷ (metric × n)",
    range(
      engine.christoffel.map((c: Json) => c.gammaVsMetricTimesN),
      2,
    ),
    "≤ 5",
    "engine",
  ]);
  const k = engine.kernels as { shape: string; speedup: number }[];
  rows.push([
    `the W·X kernel, WebAssembly SIMD vs the Float64Array loop (${k.map((x) => x.shape.replace(", K = ", " × ").replace(/ × /g, " × ")).join("; ")})`,
    `${k.map((x) => times(x.speedup)).join(", ")} faster`,
    "—",
    "engine",
  ]);
  const np = `NumPy ${tp.numpy} on ${tp.blas}, 1 thread`;
  for (const r of tp.rows as Json[])
    rows.push([
      `10⁵-point metric, ${r.net}: rgnn's engine vs a tuned NumPy script (value and tangents as one product per layer, ` +
        `fastest chunk; ${np}), points per CPU-second, best of ${tp.rounds} rounds taken in turn`,
      `${int(r.engine)} vs ${int(r.numpyStacked.ptsPerCpuS)} (chunk ${r.numpyStacked.chunk}): ${times(r.engineOverNumpy)}; ` +
        `vs ${int(r.numpyStacked2048)} at chunks of 2,048: ${times(r.engineOverNumpy2048)}`,
      "≥ NumPy",
      "throughput",
    ]);
  const rs = tp.rows as Json[];
  rows.push([
    `the API on those points: \`metricBatch\`, \`evaluateBatch\` (typed arrays) and \`evaluateAt\` (nested arrays) ÷ the engine (${rs
      .map((r) => r.net.replace(/ \(tanh\)/, ""))
      .join("; ")})`,
    rs.map((r) => `${times(r.metricBatchOverEngine)}, ${times(r.evaluateBatchOverEngine)}, ${times(r.evaluateAtOverEngine)}`).join("; "),
    "≥ 0.8× (batched)",
    "throughput",
  ]);
  const b = engine.blocks as { gain: number; kernelGain: number }[];
  rows.push([
    "those 10⁵ points in blocks through the network vs one point at a time (CPU time; MLP, residual)",
    b.map((x) => times(x.gain)).join(", "),
    "—",
    "engine",
  ]);
  rows.push([
    "the block pass (x, J) in the kernel's memory vs its JavaScript backend (CPU time, best of 3 in turn; MLP, residual)",
    b.map((x) => times(x.kernelGain)).join(", "),
    "—",
    "engine",
  ]);
  rows.push([
    "`eval --points` (csv out, 117 numbers a row), 10⁵ points, residual width 8 depth 64: 1 thread vs `--threads 2`, load ≈ 1",
    "6,700 vs 10,800 points/s (1.61×), identical output; printing the numbers is now most of the time",
    "≈ 2× on free cores",
    "by hand",
  ]);
  const out = read("outputs"),
    sec = out.seconds;
  rows.push([
    `\`eval --points\` end to end, ${int(out.points)} points, MLP 2 → 64 ×8 → 64 (≈ 200 numbers a row), one thread: rgnn csv ` +
      "and npy vs NumPy (np.loadtxt, batched forward mode, np.savetxt / np.save), CPU-s of whole processes, best of " +
      `${out.rounds}${out.load ? `, load ${out.load[0].toFixed(0)} → ${out.load[1].toFixed(0)}` : ""}`,
    `csv ${sec["rgnn csv"].toFixed(2)} s vs ${sec["numpy csv"].toFixed(2)} s (${times(sec["numpy csv"] / sec["rgnn csv"])}); ` +
      `npy ${sec["rgnn npy"].toFixed(2)} s vs NumPy + savetxt ${times(sec["numpy csv"] / sec["rgnn npy"])} ` +
      `(vs NumPy + np.save ${sec["numpy npy"].toFixed(2)} s: ${times(sec["numpy npy"] / sec["rgnn npy"])})`,
    "csv ≥ 1×, npy ≥ 5× NumPy + savetxt",
    "outputs",
  ]);
  const load = read("load");
  for (const [net, r] of Object.entries(load.results as Record<string, { rgnn: number; numpy: number; bytes: number }>))
    rows.push([
      `reading ${net}'s F64 safetensors (${(r.bytes / 2 ** 20).toFixed(1)} MiB) into a network: rgnn vs np.frombuffer views, ` +
        `CPU time, best of ${load.rounds}`,
      `${r.rgnn.toFixed(1)} ms vs ${r.numpy.toFixed(1)} ms`,
      net.includes("1024") ? "≤ 50 ms" : "—",
      "load",
    ]);
  rows.push(["2 → 64 → 64 → 64 → 2 MLP, metric at a point, first call", `${engine.mlp64.firstMs.toFixed(2)} ms`, "≪ 1 s", "engine"]);
  const dv = costs.derive[0];
  rows.push([
    `derive + compile, width ${dv.width} depth ${dv.depth}`,
    `${dv.deriveMs.toFixed(0)} + ${dv.compileMs.toFixed(0)} ms`,
    "< 2 s",
    "costs",
  ]);
  rows.push([
    "`metric --format json`, width 2, depth 128 … 1024: worst time ratio per doubling",
    costs.targets["metric --format json: worst time ratio per depth doubling (linear: ~2)"].toFixed(2),
    "linear (~2)",
    "costs",
  ]);
  const solves = decoder.solves.map((s: Json) => s.ms / 1000);
  rows.push([
    `decoder geodesic (2 → 256 → 256 → 784), median of ${solves.length} latent pairs, one core, load ≈ ${decoder.loadAverage[0].toFixed(0)}`,
    `${(decoder.medianMs / 1000).toFixed(2)} s (${range(solves, 2, " s")})`,
    "< 1 s",
    "decoder",
  ]);
  const dm = decoder.distanceMatrix;
  rows.push([
    `decoder distance matrix, ${dm.points} seeded latent points (${int(dm.pairs)} geodesics): \`rgnn distances --threads 2\``,
    `${(dm.totalMs / 1000).toFixed(0)} s (${(dm.msPerPair / 1000).toFixed(2)} s per pair on the two cores${dm.cpuMs ? `; ${(dm.cpuMs / 1000).toFixed(0)} CPU-s, load ${dm.loadBefore.toFixed(0)}–${dm.loadAfter.toFixed(0)}` : ""}), ${dm.failed ? `${dm.failed} failed` : "none failed"}`,
    "50 points, timed",
    "decoder",
  ]);
  rows.push([
    "`distances` of the decoder, 12 seeded points (66 geodesics), `--threads 2`: 912cc5a (one point a time) vs the batched geodesics, alternated, load 9–13",
    "40.5 and 38.9 CPU-s vs 29.5 and 26.1 CPU-s (1.37–1.49×); the W·X kernel runs 4 jet columns at the rate of 256 on this machine",
    "≥ 3×",
    "by hand",
  ]);
  rows.push([
    "`distances` of the decoder, 12 points: `--threads 1` vs `--threads 2` (before the geodesic changes of this table; load 1.0–1.5)",
    "131 s vs 100 s (1.31×); under load 6–8 no gain (the run got 0.5–0.6 of a core either way)",
    "—",
    "by hand",
  ]);
  const dr = geodesic.deepResnet,
    sc = geodesic.scipyBvp.solves as Json[];
  rows.push([
    `geodesic of the width-2 depth-64 residual net: rgnn warm vs SciPy's solve_bvp at tol ${sc.map((s) => s.tol.toExponential(0).replace("e-", "e−")).join(" and ")}, best of ${dr.runs}`,
    `${dr.bestMs.toFixed(0)} ms vs ${sc.map((s) => `${s.wallMs.toFixed(0)} ms (${times(dr.bestMs / s.wallMs)})`).join(" and ")}; rgnn's first solve ${(dr.solveMs / 1000).toFixed(2)} s`,
    "≤ scipy",
    "geodesic",
  ]);
  // the convolutional decoders (issue 26): rgnn's taps-applied shaped layers against torch's vmap(jacfwd), same run
  const conv = read("convdecoder");
  for (const r of conv.rows as Json[]) {
    if (!r.via || r.torchBatch == null) continue;
    rows.push([
      `convolutional ${r.decoder} (${r.via === "rgnn import" ? "imported" : "hand-written spec"}): metric at a point; ` +
        `\`metricBatch\` vs torch vmap(jacfwd), 1 thread`,
      `${r.singleMs.toFixed(2)} ms vs torch ${r.torchSingleMs.toFixed(2)} ms; ${int(r.metricBatch)} vs ${int(r.torchBatch)} pts/s ` +
        `(${times(r.metricBatch / r.torchBatch)})`,
      r.decoder.includes("28") ? "tens of ms; ≥ torch pts/s" : "≥ torch pts/s",
      "convdecoder",
    ]);
  }
  // the suite column carries its results file's date: a row is as recent as its suite's last run
  const dates: Record<string, string> = Object.fromEntries(
    [
      ["engine", engine],
      ["throughput", tp],
      ["costs", costs],
      ["decoder", decoder],
      ["geodesic", geodesic],
      ["convdecoder", conv],
      ["outputs", out],
      ["load", load],
    ].map(([name, r]) => [name, `${name} (${(r as Json).date.slice(0, 10)})`]),
  );
  return [
    "| benchmark | measured | target | suite |",
    "|---|---:|---|---|",
    ...rows.map(([what, measured, target, suite]) => `| ${what} | ${measured} | ${target} | ${dates[suite] ?? suite} |`),
  ].join("\n");
}

/** docs/performance.md's detail of the throughput suite: every side per network, points per CPU-second. */
export function throughputTable(): string {
  const tp = read("throughput");
  const head =
    "| network | engine | `metricBatch` | `evaluateBatch` | `evaluateAt` | NumPy, tuned (chunk) | tuned, chunk 2,048 | NumPy, older layouts | engine ÷ tuned NumPy |";
  const rows = (tp.rows as Json[]).map(
    (r) =>
      `| ${r.net} | ${int(r.engine)} | ${int(r.metricBatch)} | ${int(r.evaluateBatch)} | ${int(r.evaluateAt)} | ` +
      `${int(r.numpyStacked.ptsPerCpuS)} (${r.numpyStacked.chunk}) | ${int(r.numpyStacked2048)} | ${int(r.numpyOlderLayouts)} | ` +
      `${times(r.engineOverNumpy)} |`,
  );
  const note =
    `\nNumPy ${tp.numpy} on ${tp.blas}, one thread; best of ${tp.rounds} rounds taken in turn, load average ` +
    `${tp.loadAverage[0].toFixed(1)} → ${tp.loadAverage[1].toFixed(1)}, ${tp.date.slice(0, 10)} (bench/results/throughput.json).`;
  return [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|", ...rows, note].join("\n");
}

const TABLE_START = "<!-- performance table: written by bench/table.ts from bench/results -->",
  TABLE_END = "<!-- end of performance table -->";

/** Replaces the tables between the markers: the headline in README.md, the throughput detail in docs/performance.md. */
export function writePerformanceTable(): void {
  for (const [file, table] of [
    ["../README.md", performanceTable()],
    ["../docs/performance.md", throughputTable()],
  ]) {
    const url = new URL(file, RESULTS.href.replace(/results\/$/, ""));
    const text = readFileSync(url, "utf8");
    const a = text.indexOf(TABLE_START),
      b = text.indexOf(TABLE_END);
    if (a < 0 || b < a) throw new Error(`${url.pathname}: no performance table markers`);
    writeFileSync(url, `${text.slice(0, a + TABLE_START.length)}\n${table}\n${text.slice(b)}`);
    console.log(`written: the performance table of ${url.pathname}`);
  }
}

if (process.argv[1]?.endsWith("table.ts") || process.argv[1]?.endsWith("table.js")) writePerformanceTable();
