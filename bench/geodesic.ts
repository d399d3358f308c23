// The geodesic suite: a boundary-value geodesic of the width-2, depth-64 residual net (examples/deep-resnet.rgnn),
// and the 50-point geodesic distance matrix of the round sphere (examples/sphere.rgnn), checked against
// R × central angle. Set-up (derivation and compilation of the Christoffel evaluator) is timed apart.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { geodesicSolver } from "../src/numeric/geodesic.js";
import { loadSpec } from "../src/semantics/load.js";
import { rng } from "./networks.js";
import { printTable, time, writeResults } from "./table.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");
const POINTS = 50;

function metricOf(name: string) {
  const file = join(root, "examples", `${name}.rgnn`);
  return loadSpec(readFileSync(file, "utf8"), file, dirname(file)).metrics.get("g")!;
}

export function geodesicSuite(): void {
  const deep = metricOf("deep-resnet");
  const [deepSolver, deepSetupMs] = time(() => geodesicSolver(deep, new Map()));
  const [deepPath, deepMs] = time(() => deepSolver.bvp([0.3, -0.7], [-0.5, 0.6]));

  const R = 2;
  const sphere = metricOf("sphere");
  const r = rng(11);
  // φ within (−π/2, π/2): the chart's minimal geodesic is then the great-circle arc (no seam to cross)
  const pts = Array.from({ length: POINTS }, () => [0.3 + 2.5 * r(), -1.5 + 3 * r()]);
  const [solver, sphereSetupMs] = time(() => geodesicSolver(sphere, new Map([["R", R]])));
  let maxErr = 0,
    failed = 0;
  const [, matrixMs] = time(() => {
    for (let i = 0; i < POINTS; i++)
      for (let j = i + 1; j < POINTS; j++) {
        const [a, b] = [pts[i], pts[j]];
        const exact = R * Math.acos(Math.cos(a[0]) * Math.cos(b[0]) + Math.sin(a[0]) * Math.sin(b[0]) * Math.cos(b[1] - a[1]));
        try {
          maxErr = Math.max(maxErr, Math.abs(solver.bvp(a, b, { samples: 2 }).length - exact));
        } catch {
          failed++;
        }
      }
  });
  const pairs = (POINTS * (POINTS - 1)) / 2;
  printTable(
    "Geodesics (energy minimisation, then Newton shooting)",
    ["case", "set-up ms", "solve ms", "notes"],
    [
      [
        "deep-resnet w2 d64, (0.3,-0.7)→(-0.5,0.6)",
        deepSetupMs.toFixed(0),
        deepMs.toFixed(0),
        `length ${deepPath.length.toPrecision(8)}, ${deepPath.energyIterations} L-BFGS + ${deepPath.iterations} Newton steps`,
      ],
      [
        `sphere ${POINTS}-point distance matrix`,
        sphereSetupMs.toFixed(0),
        matrixMs.toFixed(0),
        `${pairs} pairs, ${(matrixMs / pairs).toFixed(1)} ms/pair, max |d − R·angle| ${maxErr.toExponential(1)}, ${failed} failed`,
      ],
    ],
  );
  writeResults("geodesic", {
    deepResnet: {
      from: [0.3, -0.7],
      to: [-0.5, 0.6],
      setupMs: deepSetupMs,
      solveMs: deepMs,
      length: deepPath.length,
      energyIterations: deepPath.energyIterations,
      newtonIterations: deepPath.iterations,
    },
    sphereMatrix: {
      points: POINTS,
      pairs,
      setupMs: sphereSetupMs,
      totalMs: matrixMs,
      msPerPair: matrixMs / pairs,
      maxAbsError: maxErr,
      failed,
    },
  });
}
