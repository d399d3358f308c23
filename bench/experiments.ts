// The paper-experiment networks (examples/paper-experiments), trained with the manifest's seeds as the tests train
// them: boundary-value geodesics of each pulled-back metric between four pairs of data points of different classes
// (16 pairs), and which of them the solver finds — the rest must fail with a reason (degenerate metric, no geodesic).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "../src/numeric/data.js";
import { geodesicSolver } from "../src/numeric/geodesic.js";
import { parameterEnv, train, trainable } from "../src/numeric/train.js";
import { loadSpec } from "../src/semantics/load.js";
import type { Network } from "../src/semantics/model.js";
import { entryName } from "../src/semantics/networks.js";
import { rng } from "./networks.js";
import { printTable, time, writeResults } from "./table.js";
import { type ExperimentRun, RUN_SEEDS } from "../src/cli/commands/learn.js";

const root = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes("/dist/bench/") ? "../.." : "..");
const dir = join(root, "examples", "paper-experiments");

export function experimentsSuite(): void {
  const runs: ExperimentRun[] = JSON.parse(readFileSync(join(dir, "experiments.json"), "utf8")).runs;
  const rows: string[][] = [];
  const results: unknown[] = [];
  for (const run of runs) {
    const file = join(dir, run.spec);
    const model = loadSpec(readFileSync(file, "utf8"), file, dir);
    const net = [...model.mappings.values()][0] as Network;
    const t = trainable(net, new Map());
    const data = generate(run.data, { points: run.points, seed: run.dataSeed });
    const fit = train(t, data, { epochs: run.epochs, learningRate: run.lr, seed: run.seed, patience: 400 });
    const env = parameterEnv(t, fit.theta, entryName);
    const solver = geodesicSolver(model.metrics.get("g")!, env);
    const r = rng((run.seed ?? RUN_SEEDS.seed) * 101 + (run.dataSeed ?? RUN_SEEDS.dataSeed));
    const ofClass = (c: number) => {
      const idx = Array.from({ length: data.count }, (_, i) => i).filter((i) => data.y[i] === c);
      const i = idx[Math.floor(r() * idx.length)];
      return [data.x[2 * i], data.x[2 * i + 1]];
    };
    for (let k = 0; k < 4; k++) {
      const a = ofClass(0),
        b = ofClass(1);
      let outcome: string,
        length: number | null = null;
      const [, ms] = time(() => {
        try {
          const p = solver.bvp(a, b, { samples: 2 });
          length = p.length;
          outcome = `converged: length ${p.length.toPrecision(6)}, ${p.energyIterations} L-BFGS + ${p.iterations} Newton`;
        } catch (e) {
          outcome = (e as Error).message;
        }
      });
      const name = `${run.spec} ${run.data} #${k + 1}`;
      rows.push([name, ms.toFixed(0), outcome!.length > 110 ? `${outcome!.slice(0, 107)}...` : outcome!]);
      results.push({
        spec: run.spec,
        data: run.data,
        accuracy: fit.accuracy,
        from: a,
        to: b,
        ms,
        converged: length !== null,
        length,
        outcome: outcome!,
      });
    }
  }
  const converged = results.filter((x) => (x as { converged: boolean }).converged).length;
  printTable(`Paper-experiment geodesics between classes: ${converged} of ${results.length} converge`, ["pair", "ms", "outcome"], rows);
  writeResults("experiments", { converged, pairs: results.length, results });
}
