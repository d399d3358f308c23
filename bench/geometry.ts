// The geometry suite: scalar curvature of the input metric of 2-wide residual tanh networks
// against depth — derive time, DAG size (second derivatives must stay shared), evaluation
// throughput — with the same quantity from finite differences of the metric as the baseline.
import { fdGeometry } from "../src/derive/routes.js";
import { compile } from "../src/numeric/codegen.js";
import { loadSpec } from "../src/semantics/load.js";
import { dagSize } from "../src/symbolic/expr.js";
import { quantity } from "../src/core/quantities.js";
import { DAG, geometry } from "../src/symbolic/geometry.js";
import { metricComponents } from "../src/symbolic/metric.js";
import { randomResNet, rng, specText } from "./networks.js";
import { best, printTable, printTargets, time, writeResults } from "./table.js";

const POINTS = 10_000;

export function geometrySuite(): void {
  const rows: {
    depth: number;
    dagNodes: number;
    deriveMs: number;
    compileMs: number;
    kptsPerS: number;
    fdPtsPerS: number;
    maxAbsR: number;
  }[] = [];
  for (const depth of [1, 2, 4, 8, 16, 32, 64]) {
    const net = randomResNet(2, depth, 500 + depth);
    const model = loadSpec(specText(net), "bench.rgnn", ".");
    const metric = model.metrics.get("g")!;
    const [R, deriveMs] = time(() => {
      const geo = geometry(metricComponents(metric), ["x1", "x2"]);
      return quantity("scalar").define(DAG, geo.quantities)[0];
    });
    const [f, compileMs] = time(() => compile([R], ["x1", "x2"]));
    const r = rng(3);
    const pts = Float64Array.from({ length: POINTS * 2 }, () => 2 * r() - 1);
    const out = new Float64Array(POINTS);
    f.run(pts, new Float64Array(0), out, 100);
    const evalMs = best(() => f.run(pts, new Float64Array(0), out, POINTS));
    const fd = fdGeometry(metric, new Map());
    const fdN = 20;
    const fdMs = best(() => {
      for (let k = 0; k < fdN; k++) fd.scalar([pts[2 * k], pts[2 * k + 1]]);
    }, 2);
    rows.push({
      depth,
      dagNodes: dagSize([R]),
      deriveMs,
      compileMs,
      kptsPerS: POINTS / evalMs,
      fdPtsPerS: (fdN / fdMs) * 1000,
      maxAbsR: Math.max(...Array.from(out).map(Math.abs)),
    });
  }
  printTable(
    "Scalar curvature of the input metric, 2-wide residual tanh networks (10^4 points)",
    ["depth", "DAG nodes", "size ratio", "derive ms", "compile ms", "k pts/s", "finite-diff pts/s", "speed-up", "max |R|"],
    rows.map((r, i) =>
      [
        r.depth,
        r.dagNodes,
        i ? (r.dagNodes / rows[i - 1].dagNodes).toFixed(2) : "",
        r.deriveMs.toFixed(0),
        r.compileMs.toFixed(0),
        r.kptsPerS.toFixed(1),
        r.fdPtsPerS.toFixed(0),
        `${((r.kptsPerS * 1000) / r.fdPtsPerS).toFixed(0)}×`,
        r.maxAbsR.toExponential(1),
      ].map(String),
    ),
  );
  const last = rows[rows.length - 1],
    prev = rows[rows.length - 2];
  const targets = {
    "size(64)/size(32) (linear: about 2)": last.dagNodes / prev.dagNodes,
    "derive + compile at depth 64 < 5000 ms": last.deriveMs + last.compileMs,
  };
  printTargets(targets);
  console.log("(max |R| is round-off: a 2 → 2 diffeomorphism pulls the flat metric back to a flat one)");
  writeResults("geometry", { points: POINTS, rows, targets });
}
