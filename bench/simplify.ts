// The simplifier suite: Kerr's Christoffel symbols → Riemann → Ricci = 0 symbolically, against SymPy on the same
// metric (bench/simplify.py, where /usr/bin/python3 has SymPy, under a time limit), and the cost of simplifying
// the metric of 2-wide residual tanh networks against depth (must stay linear: the budget caps each component).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { quantity } from "../src/core/quantities.js";
import { loadSpec } from "../src/semantics/load.js";
import { dagSize } from "../src/symbolic/expr.js";
import { DAG, geometry } from "../src/symbolic/geometry.js";
import { metricComponents } from "../src/symbolic/metric.js";
import { simplifyAll } from "../src/symbolic/simplify/index.js";
import { randomResNet, specText } from "./networks.js";
import { printTable, time, writeResults } from "./table.js";

/** SymPy gets this long before it is recorded as not finishing (the issue records cancel on Riemann > 600 s). */
const SYMPY_LIMIT_S = 300;
const HERE = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/" : "./", import.meta.url);

function sympyKerr(): { seconds: number | null; note: string } {
  const run = spawnSync("/usr/bin/python3", [new URL("simplify.py", HERE).pathname], {
    encoding: "utf8",
    timeout: SYMPY_LIMIT_S * 1000,
  });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") return { seconds: null, note: "no /usr/bin/python3" };
  if (run.signal) return { seconds: null, note: `did not finish in ${SYMPY_LIMIT_S} s` };
  if (run.status !== 0) return { seconds: null, note: `failed: ${run.stderr.trim().split("\n").pop()}` };
  const out = JSON.parse(run.stdout.trim().split("\n").pop()!);
  return { seconds: out.totalSeconds, note: `SymPy ${out.sympy}: ${out.zeroComponents} of 10 components reduced to 0` };
}

export function simplifySuite(): void {
  const kerrFile = new URL("../examples/kerr.rgnn", HERE).pathname;
  const model = loadSpec(readFileSync(kerrFile, "utf8"), kerrFile, ".");
  const metric = model.metrics.get("g")!;
  const [ric, buildMs] = time(() => quantity("ricci").define(DAG, geometry(metricComponents(metric), metric.manifold.coords).quantities));
  const [verdicts, simplifyMs] = time(() => simplifyAll(ric.flat()));
  const zeros = verdicts.filter((v) => v.zero).length;
  const sympy = sympyKerr();
  const kerr = {
    rgnnBuildMs: buildMs,
    rgnnSimplifyMs: simplifyMs,
    rgnnZeroComponents: `${zeros} of ${ric.flat().length}`,
    dagNodes: dagSize(ric.flat()),
    sympySeconds: sympy.seconds,
    sympyNote: sympy.note,
    ratio: sympy.seconds === null ? null : (sympy.seconds * 1000) / (buildMs + simplifyMs),
  };
  printTable(
    "Kerr: Christoffel → Riemann → Ricci = 0",
    ["rgnn build ms", "rgnn simplify ms", "zero", "SymPy s", "ratio"],
    [
      [
        buildMs.toFixed(0),
        simplifyMs.toFixed(0),
        kerr.rgnnZeroComponents,
        sympy.seconds === null ? sympy.note : sympy.seconds.toFixed(1),
        kerr.ratio === null ? "-" : kerr.ratio.toFixed(0),
      ],
    ],
  );

  const rows: { depth: number; dagNodes: number; simplifyMs: number; msPerLayer: number }[] = [];
  for (const depth of [1, 2, 4, 8, 16, 32, 64]) {
    const net = randomResNet(2, depth, 700 + depth);
    const m = loadSpec(specText(net), "bench.rgnn", ".").metrics.get("g")!;
    const g = metricComponents(m).flat();
    const [, ms] = time(() => simplifyAll(g));
    rows.push({ depth, dagNodes: dagSize(g), simplifyMs: ms, msPerLayer: ms / depth });
  }
  printTable(
    "simplifying the metric of 2-wide residual tanh networks",
    ["depth", "DAG nodes", "ms", "ms/layer"],
    rows.map((r) => [String(r.depth), String(r.dagNodes), r.simplifyMs.toFixed(1), r.msPerLayer.toFixed(2)]),
  );
  writeResults("simplify", { kerr, residual: rows });
}
