// The engine suite: the matrix engine (src/numeric/engine/) on the wide decoder case and on
// throughput, as ratios to hand-written Float64Array loops run in this same process, and on throughput also to NumPy
// and torch.func run on the same weights and points on this machine (bench/baselines.py, when /usr/bin/python3 has NumPy).
import { loadavg } from "node:os";
import { propagateBlocks } from "../src/numeric/engine/batch.js";
import { geometryAt, metricAt, metricsAt } from "../src/numeric/engine/geometry.js";
import type { PreparedLayer, PreparedNetwork } from "../src/numeric/engine/network.js";
import { loadSpec } from "../src/semantics/load.js";
import type { Activation, Network } from "../src/semantics/model.js";
import { type BaselineReport, type Baselines, disagreement, type MethodRun, runBaselines } from "./baselines.js";
import { denseNet, handWritten, randomResNet, rng } from "./networks.js";
import { best, printTable, printTargets, time, writeResults } from "./table.js";
import { affine, KERNEL, type KernelName } from "../src/numeric/engine/kernel.js";

const SIGMA: Partial<Record<Activation, (z: number) => [number, number]>> = {
  tanh: (z) => {
    const t = Math.tanh(z);
    return [t, 1 - t * t];
  },
  sigmoid: (z) => {
    const s = 1 / (1 + Math.exp(-z));
    return [s, s * (1 - s)];
  },
  softplus: (z) => [z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)), 1 / (1 + Math.exp(-z))],
};

/**
 * The baseline: what one writes by hand for a dense network's metric: x and J (width × n, row-major)
 * carried forward in preallocated Float64Arrays, J ← diag(σ'(z)) W J, then g = Jᵀ J.
 */
function handDense(net: PreparedNetwork, n: number): (p: Float64Array, g: Float64Array) => void {
  const maxW = Math.max(n, ...net.layers.map((l) => l.outWidth));
  let x = new Float64Array(maxW),
    y = new Float64Array(maxW),
    J = new Float64Array(maxW * n),
    K = new Float64Array(maxW * n);
  const t = new Float64Array(n);
  return (p, g) => {
    let w = n;
    x.set(p);
    J.fill(0, 0, n * n);
    for (let a = 0; a < n; a++) J[a * n + a] = 1;
    for (const layer of net.layers) {
      const W = layer.W!,
        b = layer.b!,
        f = SIGMA[layer.activation]!;
      for (let i = 0; i < layer.outWidth; i++) {
        let z = b[i];
        t.fill(0);
        for (let j = 0; j < w; j++) {
          const wij = W[i * w + j];
          z += wij * x[j];
          for (let a = 0; a < n; a++) t[a] += wij * J[j * n + a];
        }
        const [s, ds] = f(z);
        y[i] = s;
        for (let a = 0; a < n; a++) K[i * n + a] = ds * t[a];
      }
      [x, y] = [y, x];
      [J, K] = [K, J];
      w = layer.outWidth;
    }
    for (let a = 0; a < n; a++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let i = 0; i < w; i++) s += J[i * n + a] * J[i * n + c];
        g[a * n + c] = s;
      }
  };
}

/** The baselines' g must agree with the engine's to this relative error, or the timing comparison is void. */
const AGREE = 1e-10;

/** Rounds of rgnn and NumPy taken in turn; each side's best round counts (the machine's speed drifts minute to minute). */
const ROUNDS = 3;

/**
 * NumPy (the faster of its two layouts) and torch.func on the throughput networks, same weights and points, with the
 * ratios of the engine's points/s to theirs. The ratios are per CPU-second of each process (wall-clock figures are
 * recorded too): on a shared machine, wall time measured minutes apart varies with the other jobs, CPU time much less.
 * rgnn and NumPy run in turn, ROUNDS times, and each side's best round counts, so a slow minute hurts neither alone;
 * torch.func (slowest by far) runs in the first round only.
 */
function pythonBaselines(
  cases: { net: PreparedNetwork; label: string; n: number; points: Float64Array; g: Float64Array }[],
  rgnnRound: () => { ms: number; cpuMs: number }[],
) {
  const count = cases[0].points.length / cases[0].n;
  const check = [0, 1, Math.floor(count / 3), count - 1];
  const loadBefore = loadavg()[0];
  const rounds: { rgnn: { ms: number; cpuMs: number }[]; report: Baselines }[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    const rgnn = rgnnRound();
    const report = runBaselines(cases, check, { torch: k === 0, methods: ["numpyGemm", "numpyBatched"] });
    rounds.push({ rgnn, report });
    if ("skipped" in report) break;
  }
  const loadAfter = loadavg()[0];
  const first = rounds[0].report;
  if ("skipped" in first) {
    console.log(`\nNumPy / torch.func baselines skipped: ${first.skipped}`);
    return first;
  }
  const reports = rounds.map((r) => r.report as BaselineReport);
  const fastest = (runs: MethodRun[]) => runs.reduce((a, b) => (b.ptsPerCpuS > a.ptsPerCpuS ? b : a));
  const rows = first.networks.map((_, i) => {
    const { n, g, label } = cases[i];
    const nets = reports.map((r) => r.networks[i]);
    const gemm = fastest(nets.map((b) => b.numpyGemm)),
      batched = fastest(nets.map((b) => b.numpyBatched)),
      torch = nets[0].torch;
    const numpy = gemm.ptsPerCpuS >= batched.ptsPerCpuS ? gemm : batched;
    const runs = nets.flatMap((b) => [b.numpyGemm, b.numpyBatched, ...(b.torch ? [b.torch] : [])]);
    const maxRelDiff = Math.max(...runs.map((r) => disagreement(r, g, n, check)));
    const agree = maxRelDiff <= AGREE;
    const ours = rounds.map((r) => r.rgnn[i]).reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    const rgnn = { ...ours, ptsPerS: (count / ours.ms) * 1000, ptsPerCpuS: (count / ours.cpuMs) * 1000 };
    const timing = ({ check: _check, ...r }: MethodRun) => r;
    return {
      net: label,
      rounds: rounds.length,
      rgnn,
      rgnnRoundsPtsPerCpuS: rounds.map((r) => (count / r.rgnn[i].cpuMs) * 1000),
      numpyRoundsPtsPerCpuS: nets.map((b) => Math.max(b.numpyGemm.ptsPerCpuS, b.numpyBatched.ptsPerCpuS)),
      numpyGemm: timing(gemm),
      numpyBatched: timing(batched),
      numpyLayout: numpy === gemm ? "GEMM" : "batched",
      torch: torch ? timing(torch) : null,
      maxRelDiff,
      agree,
      // rgnn's points per CPU-second over theirs; null when g disagrees (the timings would not compare the same computation)
      rgnnOverNumpy: agree ? rgnn.ptsPerCpuS / numpy.ptsPerCpuS : null,
      rgnnOverTorch: agree && torch ? rgnn.ptsPerCpuS / torch.ptsPerCpuS : null,
      rgnnOverNumpyWall: agree ? rgnn.ptsPerS / numpy.ptsPerS : null,
    };
  });
  const report = first;
  const fmt = (v: number | null | undefined, d = 0) => (v == null ? "—" : v.toFixed(d));
  printTable(
    `Metric throughput against NumPy ${report.numpy} and ${report.torch ?? "no torch"}: same weights and points, ` +
      `${report.threads} thread each; points per CPU-second, best of ${rounds.length} rounds taken in turn (wall and every ` +
      `round in bench/results/engine.json), ` +
      `load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
    ["network", "rgnn", "NumPy", "torch.func", "rgnn/NumPy", "rgnn/torch", "max rel |Δg|"],
    rows.map((r) => {
      const numpy = r.numpyLayout === "GEMM" ? r.numpyGemm : r.numpyBatched;
      return [
        r.net,
        fmt(r.rgnn.ptsPerCpuS),
        `${fmt(numpy.ptsPerCpuS)} (${r.numpyLayout})`,
        fmt(r.torch?.ptsPerCpuS),
        fmt(r.rgnnOverNumpy, 2),
        fmt(r.rgnnOverTorch, 2),
        r.maxRelDiff.toExponential(1),
      ];
    }),
  );
  for (const r of rows.filter((r) => !r.agree))
    console.log(`${r.net}: the baselines' g differs from rgnn's by ${r.maxRelDiff.toExponential(1)} (> ${AGREE}): comparison void`);
  return { numpy: report.numpy, torch: report.torch, threads: report.threads, loadAverage: [loadBefore, loadAfter], rows };
}

/** CPU time of the whole process (all threads) in ms: unlike wall time, not inflated by other jobs on a shared machine. */
function cpuTime<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const v = f();
  const d = process.cpuUsage(c);
  return [v, (d.user + d.system) / 1000];
}

const maxAbsDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const rssMB = () => process.resourceUsage().maxRSS / 1024;

export function engineSuite(): void {
  const p = Float64Array.of(0.3, -0.4);
  // 1. The decoder 2 → 512 → 512 → 784: metric at a point against the hand-written loop
  const REPS = 20;
  const decoders = (["tanh", "softplus", "sigmoid"] as const).map((act) => {
    const net = denseNet(2, [512, 512, 784], act, 11);
    const hand = handDense(net, 2),
      gHand = new Float64Array(4);
    hand(p, gHand);
    metricAt(net, p); // warm up both
    const handMs =
      best(() => {
        for (let k = 0; k < REPS; k++) hand(p, gHand);
      }, 5) / REPS;
    const engineMs =
      best(() => {
        for (let k = 0; k < REPS; k++) metricAt(net, p);
      }, 5) / REPS;
    return { act, net, engineMs, handMs, ratio: engineMs / handMs, maxAbsDiff: maxAbsDiff(metricAt(net, p), gHand) };
  });
  const rssDecoder = rssMB();
  printTable(
    "Metric at a point of a 2 → 512 → 512 → 784 decoder (baseline: hand-written Float64Array loop, this process)",
    ["activation", "engine ms", "hand ms", "engine/hand", "max |Δg|"],
    decoders.map((d) => [d.act, d.engineMs.toFixed(2), d.handMs.toFixed(2), d.ratio.toFixed(2), d.maxAbsDiff.toExponential(1)]),
  );
  console.log(`peak RSS after the decoder runs: ${rssDecoder.toFixed(0)} MB`);

  // 2. Christoffel symbols (and curvature) at a point of the decoder against the metric's cost × input dimension
  const geo = decoders.map((d) => {
    geometryAt(d.net, p);
    geometryAt(d.net, p, { curvature: true });
    const gammaMs =
      best(() => {
        for (let k = 0; k < REPS; k++) geometryAt(d.net, p);
      }, 5) / REPS;
    const curvatureMs =
      best(() => {
        for (let k = 0; k < 5; k++) geometryAt(d.net, p, { curvature: true });
      }, 3) / 5;
    return {
      act: d.act,
      gammaMs,
      curvatureMs,
      gammaVsMetricTimesN: gammaMs / (d.engineMs * 2),
      curvatureVsMetric: curvatureMs / d.engineMs,
    };
  });
  printTable(
    "Christoffel symbols and curvature at a point of the decoder (input dimension n = 2)",
    ["activation", "Γ ms", "Γ / (metric × n)", "Riemann+Ricci+R ms", "curvature / metric"],
    geo.map((g) => [g.act, ...[g.gammaMs, g.gammaVsMetricTimesN, g.curvatureMs, g.curvatureVsMetric].map((v) => v.toFixed(2))]),
  );

  // the wide end of the research case: a 16-D latent space through 1024-wide layers
  const wide = denseNet(16, [1024, 1024, 784], "softplus", 14);
  const p16 = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i));
  const [, wideMetricMs] = time(() => metricAt(wide, p16));
  const [, wideGammaMs] = time(() => geometryAt(wide, p16));
  printTable(
    "16 → 1024 → 1024 → 784 softplus decoder, one call each",
    ["metric ms", "Γ ms", "Γ / (metric × n)"],
    [[wideMetricMs.toFixed(0), wideGammaMs.toFixed(0), (wideGammaMs / (wideMetricMs * 16)).toFixed(2)]],
  );

  // 3. Throughput: 10^5 points, a width-64 depth-8 tanh MLP on a 2-D input, and a width-8 depth-64 residual tanh net
  const POINTS = 100_000;
  const mlp = denseNet(2, Array(8).fill(64), "tanh", 12);
  const r = rng(3);
  const pts2 = Float64Array.from({ length: POINTS * 2 }, () => 2 * r() - 1);
  const handMlp = handDense(mlp, 2),
    g2 = new Float64Array(4),
    ref2 = new Float64Array(POINTS * 4);
  metricsAt(mlp, pts2.subarray(0, 2000), 2);
  const [[gMlp, mlpMs], mlpCpuMs] = cpuTime(() => time(() => metricsAt(mlp, pts2, 2)));
  const [, mlpHandMs] = time(() => {
    for (let k = 0; k < POINTS; k++) {
      handMlp(pts2.subarray(2 * k, 2 * k + 2), g2);
      ref2.set(g2, 4 * k);
    }
  });
  const res = randomResNet(8, 64, 1000 * 8 + 64);
  const resNet: PreparedNetwork = {
    name: "resnet 8×64",
    layers: res.W.map((W, l) => ({ kind: "residual", activation: "tanh", inWidth: 8, outWidth: 8, W, b: res.b[l], h: res.h })),
  };
  const pts8 = Float64Array.from({ length: POINTS * 8 }, () => 2 * r() - 1);
  const ref8 = new Float64Array(POINTS * 64),
    handRes = handWritten(res);
  metricsAt(resNet, pts8.subarray(0, 8000), 8);
  const [[gRes, resMs], resCpuMs] = cpuTime(() => time(() => metricsAt(resNet, pts8, 8)));
  const [, resHandMs] = time(() => handRes(pts8, ref8, POINTS));
  const throughput = [
    { net: "MLP 2 → 64 ×8 (tanh)", ms: mlpMs, cpuMs: mlpCpuMs, handMs: mlpHandMs, maxAbsDiff: maxAbsDiff(gMlp, ref2) },
    { net: "residual 8 ×64 (tanh)", ms: resMs, cpuMs: resCpuMs, handMs: resHandMs, maxAbsDiff: maxAbsDiff(gRes, ref8) },
  ].map((t) => ({ ...t, ptsPerS: (POINTS / t.ms) * 1000, handPtsPerS: (POINTS / t.handMs) * 1000, ratio: t.ms / t.handMs }));
  printTable(
    "Metric throughput, 10^5 points (baseline: hand-written loops, this process)",
    ["network", "engine pts/s", "hand pts/s", "engine/hand time", "max |Δg|"],
    throughput.map((t) => [t.net, t.ptsPerS.toFixed(0), t.handPtsPerS.toFixed(0), t.ratio.toFixed(2), t.maxAbsDiff.toExponential(1)]),
  );

  // the same 10^5 points one at a time (the path geodesics and `eval` take) against the block pass above
  const single = (net: PreparedNetwork, pts: Float64Array, n: number) => () => {
    for (let k = 0; k < POINTS / 10; k++) metricAt(net, pts.subarray(k * n, (k + 1) * n));
  };
  const [, mlpSingleCpuMs] = cpuTime(single(mlp, pts2, 2));
  const [, resSingleCpuMs] = cpuTime(single(resNet, pts8, 8));
  // and the block pass itself (x and J, no g) in the kernel's memory against the JavaScript backend, in turn, best of 3
  const backends = (net: PreparedNetwork, pts: Float64Array, n: number) => {
    const ms = { wasm: Infinity, js: Infinity };
    for (let k = 0; k < 3; k++)
      for (const kernel of ["wasm", "js"] as const)
        ms[kernel] = Math.min(ms[kernel], cpuTime(() => propagateBlocks(net, pts, n, () => {}, undefined, kernel))[1]);
    return ms;
  };
  const blocks = [
    { net: throughput[0].net, blockCpuMs: mlpCpuMs, singleCpuMs: mlpSingleCpuMs * 10, pass: backends(mlp, pts2, 2) },
    { net: throughput[1].net, blockCpuMs: resCpuMs, singleCpuMs: resSingleCpuMs * 10, pass: backends(resNet, pts8, 8) },
  ].map((b) => ({ ...b, gain: b.singleCpuMs / b.blockCpuMs, kernelGain: b.pass.js / b.pass.wasm }));
  printTable(
    "Blocks of points through the network (metricsAt) against one point at a time (metricAt), CPU time for 10^5; " +
      "the block pass (x, J) in the kernel's memory against its JavaScript backend",
    ["network", "blocks ms", "one at a time ms", "gain", "pass: kernel ms", "pass: JS ms", "kernel gain"],
    blocks.map((b) => [
      b.net,
      b.blockCpuMs.toFixed(0),
      b.singleCpuMs.toFixed(0),
      b.gain.toFixed(2),
      b.pass.wasm.toFixed(0),
      b.pass.js.toFixed(0),
      b.kernelGain.toFixed(2),
    ]),
  );

  // the W·X kernel itself: WebAssembly SIMD against the Float64Array loop it replaced, same inputs, this process
  const kr = rng(21);
  const kernels = (
    [
      [784, 256, 4, "decoder output layer, geodesic pass"],
      [512, 512, 6, "wide hidden layer, second-order jets"],
      [64, 64, 3 * 128, "MLP layer, a block of 128 points"],
      [8, 8, 9 * 128, "residual width 8, a block of 128 points"],
    ] as const
  ).map(([rows, cols, K, what]) => {
    const W = Float64Array.from({ length: rows * cols }, () => kr() - 0.5),
      b = new Float64Array(rows),
      X = Float64Array.from({ length: K * cols }, () => kr() - 0.5),
      Z = new Float64Array(K * rows);
    const reps = Math.max(1, Math.round(2e7 / (rows * cols * K)));
    const run = (kernel: KernelName) => () => {
      for (let k = 0; k < reps; k++) affine(W, b, X, Z, rows, cols, K, kernel);
    };
    run("wasm")();
    run("js")();
    const wasmUs = (best(run("wasm"), 5) / reps) * 1000,
      jsUs = (best(run("js"), 5) / reps) * 1000;
    return { shape: `${rows} × ${cols}, K = ${K}`, what, wasmUs, jsUs, speedup: jsUs / wasmUs };
  });
  printTable(
    `The W·X kernel: WebAssembly SIMD against the Float64Array loop (kernel in use: ${KERNEL})`,
    ["shape", "what", "wasm µs", "loop µs", "speed-up"],
    kernels.map((k) => [k.shape, k.what, k.wasmUs.toFixed(1), k.jsUs.toFixed(1), k.speedup.toFixed(2)]),
  );

  const baselines = pythonBaselines(
    [
      { net: mlp, label: throughput[0].net, n: 2, points: pts2, g: gMlp },
      { net: resNet, label: throughput[1].net, n: 8, points: pts8, g: gRes },
    ],
    () =>
      [
        [mlp, pts2, 2],
        [resNet, pts8, 8],
      ].map(([net, pts, n]) => {
        const [[, ms], cpuMs] = cpuTime(() => time(() => metricsAt(net as PreparedNetwork, pts as Float64Array, n as number)));
        return { ms, cpuMs };
      }),
  );

  // 4. The case: a 2 → 64 → 64 → 64 → 2 tanh MLP from its spec, metric at one point (63 s on the expression DAG)
  const small = denseNet(2, [64, 64, 64, 2], "tanh", 13);
  const row = (l: PreparedLayer, i: number) => `[${Array.from(l.W!.subarray(i * l.inWidth, (i + 1) * l.inWidth)).join(", ")}]`;
  const mat = (l: PreparedLayer) => `[${Array.from({ length: l.outWidth }, (_, i) => row(l, i)).join(", ")}]`;
  const layerLines = small.layers.map((l) => `  dense ${l.outWidth} tanh with W = ${mat(l)}, b = [${Array.from(l.b!).join(", ")}]`);
  const spec = `manifold I = R^2\nnetwork n : I -> R^2 {\n${layerLines.join("\n")}\n}\nmetric g = pullback along n\n`;
  const [net64, loadMs] = time(() => loadSpec(spec, "bench.rgnn", ".").mappings.get("n") as Network);
  const [, firstMs] = time(() => metricAt(net64, p));
  const warmMs =
    best(() => {
      for (let k = 0; k < REPS; k++) metricAt(net64, p);
    }, 5) / REPS;
  printTable(
    "2 → 64 → 64 → 64 → 2 tanh MLP, metric at a point (the expression DAG: 63 s, 1.2 GB)",
    ["load spec ms", "first metricAt ms", "warm metricAt ms"],
    [[loadMs.toFixed(1), firstMs.toFixed(2), warmMs.toFixed(3)]],
  );

  const targets = {
    "decoder metric within 2x of hand-written (worst engine/hand)": Math.max(...decoders.map((d) => d.ratio)),
    "decoder Christoffel within 5x of metric x n (worst)": Math.max(...geo.map((g) => g.gammaVsMetricTimesN)),
    "64-wide MLP metric at a point, first call (ms; must be well under 1000)": firstMs,
    ...("rows" in baselines && baselines.rows.every((r) => r.rgnnOverNumpy !== null)
      ? {
          "width-64 depth-8 MLP: rgnn points per CPU-second over NumPy's, this machine (at least 1)": baselines.rows[0].rgnnOverNumpy!,
          "width-8 depth-64 residual: rgnn points per CPU-second over NumPy's, this machine (at least 1)": baselines.rows[1].rgnnOverNumpy!,
        }
      : {}),
  };
  printTargets(targets);
  writeResults("engine", {
    decoder: decoders.map(({ net: _net, ...d }) => d),
    peakRssMBAfterDecoder: rssDecoder,
    christoffel: geo,
    wide16: { metricMs: wideMetricMs, gammaMs: wideGammaMs },
    throughputPoints: POINTS,
    throughput,
    blocks,
    kernels,
    baselines,
    mlp64: { loadMs, firstMs, warmMs },
    targets,
  });
}
