// The decoder-scale suite (issue 26): the metric a convolutional decoder pulls back to its 2-D latent space, as
// `rgnn import` reads the ONNX file, against torch's vmap(jacfwd) (bench/conv_decoder_peer.py) on the same file and the
// same points. Two decoders: the digits VAE's (examples/digits-vae/decoder.onnx, 2 → 1×8×8) and a 28×28 one
// (bench/fixtures/decoder28.onnx: Linear(2, 64·7·7) → ConvT(64, 32, 4, 2, 1) → Softplus → ConvT(32, 1, 4, 2, 1) →
// Sigmoid). Both sides run in turn, ROUNDS times, each side's best round of CPU time counts; torch's g must agree with
// rgnn's to AGREE (relative) at the check points, or the comparison is void. Measured per decoder: the metric at one
// point (`metricAt`, what `rgnn metric --at` runs; torch: jacfwd at one point), and the metric and the whole
// evaluation (`metricBatch`, `evaluateBatch`, what `rgnn eval --points` runs) over many points against vmap(jacfwd);
// and what `rgnn distances` runs at each step of each geodesic, the geodesic equation's Γ(v, v) at a point (the metric
// backend's `acceleration`: J and f''[v, v] by one directional pass), per point against vmap(jacfwd)'s J per point.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluateBatch, metricAt, metricBatch, pickMapping, pickMetric, valuesOf } from "../src/index.js";
import { geodesicBackend } from "../src/numeric/route.js";
import { loadSpec } from "../src/semantics/load.js";
import { baselinesUnavailable, PYTHON } from "./baselines.js";
import { rng } from "./networks.js";
import { printTable, printTargets, writeResults } from "./table.js";
import { cpuTime } from "./throughput.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");

/** Each decoder's ONNX file, and a hand-written spec of the same network (if any) for when `rgnn import` refuses it. */
const DECODERS = [
  {
    name: "digits VAE decoder 2 → 1×8×8",
    onnx: "examples/digits-vae/decoder.onnx",
    spec: "examples/digits-vae/digits.rgnn",
    points: 20_000,
  },
  { name: "decoder 2 → 1×28×28", onnx: "bench/fixtures/decoder28.onnx", spec: "bench/fixtures/decoder28.rgnn", points: 2_000 },
];
const ROUNDS = 3;
/** Points at which the metric at one point is timed (each side's fastest counts). */
const SINGLE = 20;
/** Points at which the geodesic equation's right-hand side is timed, one after another (the mean counts). */
const ACCEL = 400;
/** The chunk sizes torch's vmap(jacfwd) tries (its fastest counts). */
const CHUNKS = [64, 256, 1024];
const AGREE = 1e-10;
/** The target for the 28×28 decoder's metric at a point: tens of milliseconds. */
const SINGLE_TARGET_MS = 50;

interface PeerModel {
  name: string;
  points: number;
  outputs: number;
  batch: { ms: number; cpuMs: number; ptsPerCpuS: number; chunk: number };
  byChunk: Record<string, { ms: number; cpuMs: number; ptsPerCpuS: number }>;
  singleCpuMs: number;
  singleMedianCpuMs: number;
  check: number[][];
}

/** `rgnn import` as a user runs it, into a scratch directory; the spec's text, or the importer's message. */
function imported(onnx: string, dir: string): { spec: string } | { error: string } {
  const spec = join(dir, `${onnx.replace(/[/.]/g, "_")}.rgnn`);
  const run = spawnSync(process.execPath, [join(root, "bin", "rgnn.js"), "import", join(root, onnx), "-o", spec], { encoding: "utf8" });
  // the importer's one-line message, without its "rgnn import: PATH: " prefix
  if (run.status !== 0)
    return {
      error: (run.stderr || run.stdout)
        .trim()
        .split("\n")[0]
        .replace(/^rgnn import: [^:]*: /, ""),
    };
  return { spec };
}

export function convDecoderSuite(): void {
  const missing = baselinesUnavailable("torch") ?? baselinesUnavailable("onnx");
  const dir = mkdtempSync(join(tmpdir(), "rgnn-convdecoder-"));
  try {
    const r = rng(26);
    const cases = DECODERS.map((d) => {
      // latent points as a VAE's prior draws them: N(0, I) (Box–Muller on the seeded uniform stream)
      const points = Float64Array.from({ length: 2 * d.points }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
      const file = join(dir, `points-${d.points}-${d.onnx.length}.f64`);
      writeFileSync(file, new Uint8Array(points.buffer));
      const imp = imported(d.onnx, dir);
      const spec = "error" in imp ? d.spec && join(root, d.spec) : imp.spec;
      const model = spec ? loadSpec(readFileSync(spec, "utf8"), spec, dirname(spec)) : null;
      return { ...d, points, file, model, importError: "error" in imp ? imp.error : null, via: "error" in imp ? d.spec : "rgnn import" };
    });
    const check = [0, 1, 7];
    const ours = cases.map(() => ({
      single: Infinity,
      metricBatch: Infinity,
      evaluateBatch: Infinity,
      accel: Infinity,
      g: null as Float64Array | null,
    }));
    const peers: PeerModel[][] = [];
    const loadBefore = loadavg()[0];
    let torchVersion: string | null = null;
    for (let k = 0; k < ROUNDS; k++) {
      cases.forEach((c, i) => {
        if (!c.model) return;
        const metric = pickMetric(c.model),
          mapping = pickMapping(c.model),
          env = valuesOf(c.model);
        const o = ours[i];
        for (let p = 0; p < SINGLE; p++) {
          const pt = [c.points[2 * p], c.points[2 * p + 1]];
          o.single = Math.min(o.single, cpuTime(() => metricAt(metric, [pt], env))[1]);
        }
        const [g, ms] = cpuTime(() => metricBatch(metric, c.points, env));
        o.metricBatch = Math.min(o.metricBatch, ms);
        o.g ??= g.data;
        o.evaluateBatch = Math.min(o.evaluateBatch, cpuTime(() => evaluateBatch(mapping, c.points, env))[1]);
        const geo = geodesicBackend(metric, env),
          x = new Float64Array(2),
          v = new Float64Array(2),
          acc = new Float64Array(2);
        const [, accMs] = cpuTime(() => {
          for (let p = 0; p < ACCEL; p++) {
            x[0] = c.points[2 * p];
            x[1] = c.points[2 * p + 1];
            v[0] = Math.cos(p);
            v[1] = Math.sin(p);
            geo.acceleration(x, v, acc);
          }
        });
        o.accel = Math.min(o.accel, accMs / ACCEL);
      });
      if (missing) continue;
      const job = join(dir, "job.json");
      writeFileSync(
        job,
        JSON.stringify({
          models: cases.map((c) => ({ name: c.name, onnx: join(root, c.onnx), points: c.file, n: 2 })),
          check,
          chunks: CHUNKS,
          single: SINGLE,
        }),
      );
      const run = spawnSync(PYTHON, [join(root, "bench", "conv_decoder_peer.py"), job], {
        encoding: "utf8",
        maxBuffer: 1 << 26,
        env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
      });
      if (run.status !== 0) throw new Error(`conv_decoder_peer.py failed: ${run.stderr.trim().split("\n").pop()}`);
      const out = JSON.parse(run.stdout.trim().split("\n").pop()!) as { torch: string; models: PeerModel[] };
      torchVersion = out.torch;
      peers.push(out.models);
    }
    const loadAfter = loadavg()[0];
    const rows = cases.map((c, i) => {
      const o = ours[i];
      const runs = peers.map((p) => p[i]);
      const torchBatch = runs.length ? Math.max(...runs.map((p) => p.batch.ptsPerCpuS)) : null;
      const torchChunk = runs.length ? runs.reduce((a, b) => (a.batch.ptsPerCpuS >= b.batch.ptsPerCpuS ? a : b)).batch.chunk : null;
      const torchSingle = runs.length ? Math.min(...runs.map((p) => p.singleCpuMs)) : null;
      // torch's g at the check points against rgnn's, relative to the largest entry of g there
      let maxRelDiff: number | null = null;
      if (o.g && runs.length)
        maxRelDiff = Math.max(
          ...check.map((idx, k) => {
            const ref = runs[0].check[k],
              mine = o.g!.subarray(4 * idx, 4 * idx + 4);
            const scale = Math.max(...ref.map(Math.abs));
            return Math.max(...ref.map((v, j) => Math.abs(v - mine[j]))) / scale;
          }),
        );
      const agree = maxRelDiff !== null && maxRelDiff <= AGREE;
      const per = (ms: number) => (Number.isFinite(ms) ? (c.points.length / 2 / ms) * 1000 : null);
      return {
        decoder: c.name,
        onnx: c.onnx,
        points: c.points.length / 2,
        importError: c.importError,
        via: c.model ? c.via : null,
        singleMs: Number.isFinite(o.single) ? o.single : null,
        metricBatch: per(o.metricBatch),
        evaluateBatch: per(o.evaluateBatch),
        torchSingleMs: torchSingle,
        torchBatch,
        torchChunk,
        maxRelDiff,
        metricBatchOverTorch: agree && torchBatch ? per(o.metricBatch)! / torchBatch : null,
        evaluateBatchOverTorch: agree && torchBatch ? per(o.evaluateBatch)! / torchBatch : null,
        geodesicEquationMs: Number.isFinite(o.accel) ? o.accel : null,
        // torch's CPU ms per point of vmap(jacfwd) over ours per geodesic-equation evaluation
        geodesicEquationOverTorch: agree && torchBatch && Number.isFinite(o.accel) ? 1000 / torchBatch / o.accel : null,
      };
    });
    const f = (v: number | null | undefined, d = 0) => (v == null ? "—" : v.toFixed(d));
    printTable(
      `Convolutional decoders' latent metric g = JᵀJ: rgnn (after rgnn import, or its spec) against ${torchVersion ?? "torch (not run)"} ` +
        `vmap(jacfwd), 1 thread, CPU time, best of ${ROUNDS} rounds in turn; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
      ["decoder", "g at a point ms", "torch ms", "metricBatch pts/s", "evaluateBatch pts/s", "torch pts/s", "Γ(v,v) ms", "max rel |Δg|"],
      rows.map((r) =>
        !r.via
          ? [r.decoder, `rgnn import: ${r.importError}`, f(r.torchSingleMs, 2), "—", "—", f(r.torchBatch), "—", "—"]
          : [
              r.via === "rgnn import" ? r.decoder : `${r.decoder} (${r.via}: rgnn import refused it)`,
              f(r.singleMs, 2),
              f(r.torchSingleMs, 2),
              f(r.metricBatch),
              f(r.evaluateBatch),
              r.torchBatch ? `${f(r.torchBatch)} (chunk ${r.torchChunk})` : "—",
              f(r.geodesicEquationMs, 3),
              r.maxRelDiff == null ? "—" : r.maxRelDiff.toExponential(1),
            ],
      ),
    );
    const big = rows[1];
    const targets: Record<string, number> = {
      [`${big.decoder}: metric at a point, ms (at most ${SINGLE_TARGET_MS})`]: big.singleMs ?? Number.NaN,
      ...Object.fromEntries(
        rows.flatMap((r) => [
          [`${r.decoder}: metricBatch over torch vmap(jacfwd) (at least 1)`, r.metricBatchOverTorch ?? Number.NaN],
          [`${r.decoder}: evaluateBatch over torch vmap(jacfwd) (at least 1)`, r.evaluateBatchOverTorch ?? Number.NaN],
          [`${r.decoder}: geodesic equation per point over torch vmap(jacfwd) (at least 1)`, r.geodesicEquationOverTorch ?? Number.NaN],
        ]),
      ),
    };
    printTargets(targets);
    writeResults("convdecoder", {
      rounds: ROUNDS,
      torch: torchVersion,
      torchSkipped: missing,
      loadAverage: [loadBefore, loadAfter],
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      rows,
      targets,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("convdecoder.js") || process.argv[1]?.endsWith("convdecoder.ts")) convDecoderSuite();
