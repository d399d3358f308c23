// The costs suite: costs that should grow linearly (or not at all) — `metric --format json` through the
// CLI against depth, symbolic derive + compile against width, and repeated geodesic solves on one metric.
// `npm run bench -- costs [maxDepth]` (the printing rows stop at maxDepth, default 1024).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IO, processIO } from "../src/cli/io.js";
import { run } from "../src/cli/main.js";
import { compile } from "../src/numeric/codegen.js";
import { valueEnv } from "../src/numeric/evaluate.js";
import { geodesicIVP } from "../src/numeric/geodesic.js";
import { loadSpec } from "../src/semantics/load.js";
import { dagSize } from "../src/symbolic/expr.js";
import { metricComponents } from "../src/symbolic/metric.js";
import { randomResNet, specText } from "./networks.js";
import { printTable, printTargets, time, writeResults } from "./table.js";

/** `rgnn metric FILE --format json` in this process, output discarded: wall time and output size. */
async function printJson(file: string): Promise<[number, number]> {
  let chars = 0;
  const io: IO = {
    ...processIO,
    out: (t) => {
      chars += t.length;
    },
  };
  const t0 = performance.now();
  const code = await run(["metric", file, "--format", "json"], io);
  if (code !== 0) throw new Error(`metric ${file} exited ${code}`);
  return [performance.now() - t0, chars];
}

export async function costsSuite(maxDepth = 1024): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-bench-"));
  const printing: { depth: number; ms: number; chars: number; ratio: number | null }[] = [];
  try {
    for (let depth = 128; depth <= maxDepth; depth *= 2) {
      const file = join(dir, `res${depth}.rgnn`);
      writeFileSync(file, specText(randomResNet(2, depth, 3000 + depth)));
      const [ms, chars] = await printJson(file);
      const prev = printing[printing.length - 1];
      printing.push({ depth, ms, chars, ratio: prev ? ms / prev.ms : null });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    "`rgnn metric FILE --format json`, width-2 residual tanh net (in-process CLI)",
    ["depth", "ms", "output chars", "× per doubling"],
    printing.map((r) => [String(r.depth), r.ms.toFixed(0), String(r.chars), r.ratio?.toFixed(2) ?? ""]),
  );

  const derive: { width: number; depth: number; dagNodes: number; deriveMs: number; compileMs: number }[] = [];
  for (const width of [8, 16]) {
    const depth = 64;
    const text = specText(randomResNet(width, depth, 1000 * width + depth));
    const [g, deriveMs] = time(() => metricComponents(loadSpec(text, "bench.rgnn", ".").metrics.get("g")!));
    const coords = Array.from({ length: width }, (_, i) => `x${i + 1}`);
    const [, compileMs] = time(() => compile(g.flat(), coords));
    derive.push({ width, depth, dagNodes: dagSize(g.flat()), deriveMs, compileMs });
  }
  printTable(
    "Symbolic derive + compile of the input metric, residual tanh nets",
    ["width", "depth", "DAG nodes", "derive ms", "compile ms"],
    derive.map((r) => [r.width, r.depth, r.dagNodes, r.deriveMs.toFixed(0), r.compileMs.toFixed(0)].map(String)),
  );

  // geodesics on one metric, one after another (as `distances` or a figure would): the first call
  // pays for the Christoffel symbols' derivation, later ones should not pay again
  const model = loadSpec(specText(randomResNet(2, 8, 77)), "bench.rgnn", ".");
  const metric = model.metrics.get("g")!,
    env = valueEnv(model);
  const calls: number[] = [];
  for (let k = 0; k < 200; k++) {
    const a = (k % 20) / 20 - 0.5;
    calls.push(time(() => geodesicIVP(metric, env, [a, -a], [0.3, 0.2]))[1]);
  }
  const sorted = calls.slice(1).sort((x, y) => x - y);
  const geodesic = { calls: calls.length, firstMs: calls[0], medianMs: sorted[sorted.length >> 1], totalMs: calls.reduce((s, x) => s + x) };
  printTable(
    "200 geodesic IVPs on one metric (width 2, depth 8)",
    ["first ms", "median of the rest ms", "total ms"],
    [[geodesic.firstMs.toFixed(1), geodesic.medianMs.toFixed(2), geodesic.totalMs.toFixed(0)]],
  );

  const ratios = printing.filter((r) => r.ratio !== null).map((r) => r.ratio!);
  const w8 = derive.find((r) => r.width === 8)!;
  const targets = {
    "metric --format json: worst time ratio per depth doubling (linear: ~2)": Math.max(...ratios),
    "derive+compile width 8 depth 64 < 2000 ms": w8.deriveMs + w8.compileMs,
    "geodesic: median later call ms": geodesic.medianMs,
  };
  printTargets(targets);
  writeResults("costs", { printing, derive, geodesic, targets });
}
