// The metric suite: cost of deriving, compiling and evaluating pulled-back metrics against depth
// and width, as ratios to baselines run in this same process.
import { compile } from "../src/numeric/codegen.js";
import { loadSpec } from "../src/semantics/load.js";
import { dagSize } from "../src/symbolic/expr.js";
import { toMath } from "../src/symbolic/mathjs.js";
import { metricComponents } from "../src/symbolic/metric.js";
import { treeSize } from "../src/symbolic/print.js";
import { handWritten, randomResNet, rng, specText } from "./networks.js";
import { best, printTable, printTargets, time, writeResults } from "./table.js";

const POINTS = 100_000;

interface Row {
  width: number;
  depth: number;
  dagNodes: number;
  deriveMs: number;
  compileMs: number;
  generatedMpts: number;
  handMpts: number;
  vsHand: number;
  mathjsUsPerPoint: number | null;
  vsMathjs: number | null;
  maxAbsDiff: number;
}

function measure(width: number, depth: number): Row {
  const net = randomResNet(width, depth, 1000 * width + depth);
  const text = specText(net);
  const [g, deriveMs] = time(() => metricComponents(loadSpec(text, "bench.rgnn", ".").metrics.get("g")!));
  const flat = g.flat();
  const coords = Array.from({ length: width }, (_, i) => `x${i + 1}`);
  const [f, compileMs] = time(() => compile(flat, coords));
  const r = rng(7);
  const pts = Float64Array.from({ length: POINTS * width }, () => 2 * r() - 1);
  const out = new Float64Array(POINTS * width * width),
    ref = new Float64Array(POINTS * width * width);
  const none = new Float64Array(0);
  const hand = handWritten(net);
  f.run(pts, none, out, 1000);
  hand(pts, ref, 1000); // warm up both
  const genMs = best(() => f.run(pts, none, out, POINTS));
  const handMs = best(() => hand(pts, ref, POINTS));
  let maxAbsDiff = 0;
  for (let i = 0; i < out.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i] - ref[i]));
  // mathjs on the same expression written out as a tree: only while the tree stays small
  let mathjsUs: number | null = null;
  if (flat.every((e) => treeSize(e, 20_000) <= 20_000)) {
    const compiled = flat.map((e) => toMath(e).compile());
    const n = 200;
    const ms = best(() => {
      for (let k = 0; k < n; k++) {
        const scope: Record<string, number> = {};
        coords.forEach((c, i) => {
          scope[c] = pts[k * width + i];
        });
        for (const c of compiled) c.evaluate(scope);
      }
    }, 2);
    mathjsUs = (ms * 1000) / n;
  }
  const genUs = (genMs * 1000) / POINTS;
  return {
    width,
    depth,
    dagNodes: dagSize(flat),
    deriveMs,
    compileMs,
    generatedMpts: POINTS / genMs / 1000,
    handMpts: POINTS / handMs / 1000,
    vsHand: genMs / handMs,
    mathjsUsPerPoint: mathjsUs,
    vsMathjs: mathjsUs === null ? null : mathjsUs / genUs,
    maxAbsDiff,
  };
}

export function metricSuite(): void {
  const rows: Row[] = [];
  for (let d = 1; d <= 256; d *= 2) rows.push(measure(2, d));
  for (const w of [4, 8]) rows.push(measure(w, 64));
  const head = [
    "width",
    "depth",
    "DAG nodes",
    "size ratio",
    "derive ms",
    "compile ms",
    "gen Mpt/s",
    "hand Mpt/s",
    "gen/hand time",
    "mathjs µs/pt",
    "mathjs/gen",
    "max |Δ|",
  ];
  const lines = rows.map((r, i) => {
    const prev = i > 0 && rows[i - 1].width === r.width && r.width === 2 ? rows[i - 1] : null;
    return [
      r.width,
      r.depth,
      r.dagNodes,
      prev ? (r.dagNodes / prev.dagNodes).toFixed(2) : "",
      r.deriveMs.toFixed(1),
      r.compileMs.toFixed(1),
      r.generatedMpts.toFixed(2),
      r.handMpts.toFixed(2),
      r.vsHand.toFixed(2),
      r.mathjsUsPerPoint?.toFixed(1) ?? "—",
      r.vsMathjs ? `${r.vsMathjs.toFixed(0)}×` : "—",
      r.maxAbsDiff.toExponential(1),
    ].map(String);
  });
  printTable("Pulled-back metric of residual tanh networks (10^5 points; baselines run in this process)", head, lines);
  const d128 = rows.find((r) => r.width === 2 && r.depth === 128)!,
    d256 = rows.find((r) => r.width === 2 && r.depth === 256)!;
  const w8 = rows.find((r) => r.width === 8)!;
  const targets = {
    "size(256)/size(128) <= 2.2": d256.dagNodes / d128.dagNodes,
    "derive+compile width 8 depth 64 < 2000 ms": w8.deriveMs + w8.compileMs,
    "generated within 2x of hand-written (worst gen/hand)": Math.max(...rows.map((r) => r.vsHand)),
    "at least 50x faster than mathjs (worst, where run)": Math.min(...rows.filter((r) => r.vsMathjs).map((r) => r.vsMathjs!)),
  };
  printTargets(targets);
  writeResults("metric", { points: POINTS, rows, targets });
}
