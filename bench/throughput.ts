// The throughput suite: the pulled-back metric at 10⁵ points through the block pass (the engine) and through the
// public batched API (src/api/batch.ts), against the strongest NumPy forward-mode script (bench/baselines.py,
// `numpy_stacked`: value and tangents as one matrix product per layer, in-place σ) on the same weights and points.
// Both sides run in turn, ROUNDS times; each side's best round of CPU time counts. The Python is RGNN_BENCH_PYTHON
// (default /usr/bin/python3); its NumPy's BLAS is recorded with the results.
import { loadavg } from "node:os";
import { evaluateAt, evaluateBatch, metricBatch, pickMapping, pickMetric, valuesOf } from "../src/index.js";
import { metricsAt } from "../src/numeric/engine/geometry.js";
import { kernelFma } from "../src/numeric/engine/kernel.js";
import type { PreparedLayer, PreparedNetwork } from "../src/numeric/engine/network.js";
import { loadSpec } from "../src/semantics/load.js";
import { type BaselineReport, disagreement, type MethodRun, runBaselines } from "./baselines.js";
import { denseNet, randomResNet, rng, specText } from "./networks.js";
import { printTable, printTargets, writeResults } from "./table.js";

/** The width-8 depth-64 residual tanh net of the engine suite, and its spec. */
export function residualNet(): { net: PreparedNetwork; spec: string } {
  const res = randomResNet(8, 64, 1000 * 8 + 64);
  return {
    net: {
      name: "resnet 8×64",
      layers: res.W.map((W, l) => ({ kind: "residual", activation: "tanh", inWidth: 8, outWidth: 8, W, b: res.b[l], h: res.h })),
    },
    spec: specText(res),
  };
}

/** A dense net's spec: every weight written out (JavaScript's shortest round-trip digits, so exactly these doubles). */
export function denseSpec(net: PreparedNetwork, n: number): string {
  const row = (l: PreparedLayer, i: number) => `[${Array.from(l.W!.subarray(i * l.inWidth, (i + 1) * l.inWidth)).join(", ")}]`;
  const mat = (l: PreparedLayer) => `[${Array.from({ length: l.outWidth }, (_, i) => row(l, i)).join(", ")}]`;
  const layers = net.layers.map((l) => `  dense ${l.outWidth} ${l.activation} with W = ${mat(l)}, b = [${Array.from(l.b!).join(", ")}]`);
  const m = net.layers[net.layers.length - 1].outWidth;
  return `manifold I = R^${n}\nnetwork n : I -> R^${m} {\n${layers.join("\n")}\n}\nmetric g = pullback along n\n`;
}

/** CPU time of the whole process in ms. */
export function cpuTime<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const v = f();
  const d = process.cpuUsage(c);
  return [v, (d.user + d.system) / 1000];
}

export const POINTS = 100_000;

export function throughputCases() {
  const r = rng(3);
  const points = (n: number) => Float64Array.from({ length: POINTS * n }, () => 2 * r() - 1);
  const mlp = denseNet(2, Array(8).fill(64), "tanh", 12),
    res = residualNet(),
    mlp3 = denseNet(2, [64, 64, 64, 2], "tanh", 13);
  const model = (spec: string) => loadSpec(spec, "bench.rgnn", ".");
  return [
    { label: "MLP 2 → 64 ×8 (tanh)", net: mlp, model: model(denseSpec(mlp, 2)), n: 2, points: points(2) },
    { label: "residual 8 ×64 (tanh)", net: res.net, model: model(res.spec), n: 8, points: points(8) },
    { label: "MLP 2 → 64 → 64 → 64 → 2 (tanh)", net: mlp3, model: model(denseSpec(mlp3, 2)), n: 2, points: points(2) },
    // the other activations with a kernel function: σ and σ' in the kernel's memory as tanh's
    ...(["sigmoid", "softplus"] as const).map((act, k) => {
      const net = denseNet(2, Array(8).fill(64), act, 14 + k);
      return { label: `MLP 2 → 64 ×8 (${act})`, net, model: model(denseSpec(net, 2)), n: 2, points: points(2) };
    }),
  ];
}

/** Rounds of rgnn and NumPy taken in turn; each side's best round counts (the machine's speed drifts minute to minute). */
const ROUNDS = 3;
/** The chunk sizes the tuned NumPy script tries (its fastest counts): 2,048 as a user would pick, 512 in cache. */
const STACKED_CHUNKS = [512, 2048];
/** Points for the per-point API functions (evaluateAt's nested arrays): fewer, as they are slower. */
const NESTED_POINTS = 20_000;
/** NumPy's g must agree with the engine's to this relative error, or the timing comparison is void. */
const AGREE = 1e-10;

const perCpuS = (count: number, cpuMs: number) => (count / cpuMs) * 1000;

export function throughputSuite(): void {
  const cases = throughputCases();
  const check = [0, 1, Math.floor(POINTS / 3), POINTS - 1];
  const loadBefore = loadavg()[0];
  const gs = cases.map((c) => metricsAt(c.net, c.points, c.n));
  const ours = cases.map(() => ({ engine: Infinity, metricBatch: Infinity, evaluateBatch: Infinity, evaluateAt: Infinity }));
  const reports: BaselineReport[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    cases.forEach((c, i) => {
      const metric = pickMetric(c.model),
        mapping = pickMapping(c.model),
        env = valuesOf(c.model);
      const o = ours[i];
      o.engine = Math.min(o.engine, cpuTime(() => metricsAt(c.net, c.points, c.n))[1]);
      const [g, apiMs] = cpuTime(() => metricBatch(metric, c.points, env));
      o.metricBatch = Math.min(o.metricBatch, apiMs);
      if (k === 0 && disagree(g.data, gs[i]) > 1e-13) throw new Error(`${c.label}: metricBatch differs from the engine`);
      o.evaluateBatch = Math.min(o.evaluateBatch, cpuTime(() => evaluateBatch(mapping, c.points, env))[1]);
      if (k === 0) {
        const nested = Array.from({ length: NESTED_POINTS }, (_, p) => Array.from(c.points.subarray(p * c.n, (p + 1) * c.n)));
        o.evaluateAt = cpuTime(() => evaluateAt(mapping, nested, env))[1];
      }
    });
    const report = runBaselines(cases, check, {
      torch: false,
      methods: k === 0 ? ["numpyGemm", "numpyBatched", "numpyStacked"] : ["numpyStacked"],
      stackedChunks: STACKED_CHUNKS,
    });
    if ("skipped" in report) {
      console.log(`\nNumPy baselines skipped: ${report.skipped}`);
      break;
    }
    reports.push(report);
  }
  const loadAfter = loadavg()[0];
  const fastest = (runs: (MethodRun | undefined)[]) =>
    runs
      .filter((r): r is MethodRun => r !== undefined)
      .reduce<MethodRun | null>((a, b) => (a && a.ptsPerCpuS >= b.ptsPerCpuS ? a : b), null);
  const rows = cases.map((c, i) => {
    const o = ours[i];
    const engine = perCpuS(POINTS, o.engine);
    const stacked = fastest(reports.map((r) => r.networks[i].numpyStacked)) as (MethodRun & { chunk: number }) | null;
    const older = fastest(reports.flatMap((r) => [r.networks[i].numpyGemm, r.networks[i].numpyBatched]));
    // the tuned script at the chunk of 2,048 alone, best round
    const at2048 = Math.max(...reports.map((r) => r.networks[i].numpyStackedByChunk?.["2048"] ?? 0));
    const maxRelDiff = stacked ? disagreement(stacked, gs[i], c.n, check) : null;
    const agree = maxRelDiff !== null && maxRelDiff <= AGREE;
    const numpy = stacked ? (({ check: _check, ...timing }: MethodRun & { chunk: number }) => timing)(stacked) : null;
    return {
      net: c.label,
      engine,
      metricBatch: perCpuS(POINTS, o.metricBatch),
      evaluateBatch: perCpuS(POINTS, o.evaluateBatch),
      evaluateAt: perCpuS(NESTED_POINTS, o.evaluateAt),
      numpyStacked: numpy,
      numpyOlderLayouts: older ? older.ptsPerCpuS : null,
      numpyStacked2048: at2048 || null,
      engineOverNumpy2048: agree && at2048 ? engine / at2048 : null,
      maxRelDiff,
      engineOverNumpy: agree ? engine / stacked!.ptsPerCpuS : null,
      metricBatchOverEngine: perCpuS(POINTS, o.metricBatch) / engine,
      evaluateBatchOverEngine: perCpuS(POINTS, o.evaluateBatch) / engine,
      evaluateAtOverEngine: perCpuS(NESTED_POINTS, o.evaluateAt) / engine,
    };
  });
  const f = (v: number | null | undefined, d = 0) => (v == null ? "—" : v.toFixed(d));
  const report = reports[0];
  printTable(
    `Metric at 10^5 points, points per CPU-second, best of ${ROUNDS} rounds in turn: the engine and the API against NumPy ` +
      `${report?.numpy ?? "(none)"} on ${report?.blas ?? "—"}, 1 thread (tuned layout, fastest chunk of ${STACKED_CHUNKS.join(", ")}); ` +
      `load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
    [
      "network",
      "engine",
      "metricBatch",
      "evaluateBatch",
      "evaluateAt",
      "NumPy tuned",
      "at 2048",
      "NumPy older",
      "engine/NumPy",
      "max rel |Δg|",
    ],
    rows.map((r) => [
      r.net,
      f(r.engine),
      f(r.metricBatch),
      f(r.evaluateBatch),
      f(r.evaluateAt),
      r.numpyStacked ? `${f(r.numpyStacked.ptsPerCpuS)} (chunk ${r.numpyStacked.chunk})` : "—",
      f(r.numpyStacked2048),
      f(r.numpyOlderLayouts),
      f(r.engineOverNumpy, 2),
      r.maxRelDiff == null ? "—" : r.maxRelDiff.toExponential(1),
    ]),
  );
  const targets = Object.fromEntries(
    rows.flatMap((r) => [
      [`${r.net}: engine over tuned NumPy (at least 1)`, r.engineOverNumpy ?? Number.NaN],
      [`${r.net}: metricBatch over engine (at least 0.8)`, r.metricBatchOverEngine],
      [`${r.net}: evaluateBatch over engine (at least 0.8)`, r.evaluateBatchOverEngine],
    ]),
  );
  printTargets(targets);
  writeResults("throughput", {
    points: POINTS,
    rounds: ROUNDS,
    numpy: report?.numpy ?? null,
    blas: report?.blas ?? null,
    loadAverage: [loadBefore, loadAfter],
    // the dense products as fused multiply-adds (relaxed SIMD) or as products and sums (kernel.ts)
    fusedMultiplyAdd: kernelFma(),
    rows,
    targets,
  });
}

function disagree(a: Float64Array, b: Float64Array): number {
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

if (process.argv[1]?.endsWith("throughput.js") || process.argv[1]?.endsWith("throughput.ts")) throughputSuite();
