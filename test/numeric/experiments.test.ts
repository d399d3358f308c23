// The paper-experiment networks, trained with the manifest's fixed seeds, must reach the accuracies the
// experiments are about on a held-out test set (same generator, another seed: never seen in training or early
// stopping), ≥ 95% on rings and ≥ 90% on spirals; and the diffeomorphism verdict must be the one the experiments
// contrast: the h = 1 residual network folds the plane, the flow-regime one (h = T/N, steps capped) does not.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/numeric/data.js";
import { diffeomorphismReport } from "../../src/numeric/diffeo.js";
import { accuracyOn, parameterEnv, train, trainable } from "../../src/numeric/train.js";
import { entryName } from "../../src/semantics/networks.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";
import { type ExperimentRun, heldOutSeed } from "../../src/cli/commands/learn.js";

const dir = "examples/paper-experiments";
const runs: ExperimentRun[] = JSON.parse(readFileSync(`${dir}/experiments.json`, "utf8")).runs;

const box: [number, number][] = [
  [-1.5, 1.5],
  [-1.5, 1.5],
];

describe("paper experiments", () => {
  for (const run of runs) {
    const flowRegime = run.stepBound !== undefined && run.stepBound < 1;
    it(`${run.spec} on ${run.data}: held-out accuracy ≥ ${run.data === "rings" ? 95 : 90}%; ${flowRegime ? "every step a diffeomorphism" : "verdict"}`, () => {
      const net = [...model(readFileSync(`${dir}/${run.spec}`, "utf8"), `${dir}/${run.spec}`, dir).mappings.values()][0] as Network;
      const t = trainable(net, new Map());
      const r = train(t, generate(run.data, { points: run.points, seed: run.dataSeed }), {
        epochs: run.epochs,
        learningRate: run.lr,
        seed: run.seed,
        patience: 400,
        stepBound: run.stepBound,
      });
      const test = generate(run.data, { points: run.points, seed: heldOutSeed(run) });
      expect(accuracyOn(t, r.theta, test)).toBeGreaterThanOrEqual(run.data === "rings" ? 0.95 : 0.9);
      const report = diffeomorphismReport(net, parameterEnv(t, r.theta, entryName), box);
      if (flowRegime) {
        expect(report.diffeomorphism).toBe(true);
        // the bound holds for every residual step: each is invertible on all of the plane
        for (const l of report.layers.filter((x) => x.kind === "residual"))
          expect(l.sufficient!.bound).toBeLessThanOrEqual(run.stepBound! + 1e-12);
      }
      if (run.spec === "residual10.rgnn") {
        // h = 1: det J of some step changes sign over the data's square, as the paper's h = 1 networks fold the plane
        expect(report.diffeomorphism).toBe(false);
        // the fold is bisected between two samples where det ∂x_L/∂x_0 has opposite signs
        const [a, b] = report.firstFold!.between!;
        expect(a.det * b.det).toBeLessThan(0);
        const l = report.layers[report.firstFold!.layer - 1];
        expect(l.positive).toBeGreaterThan(0);
        expect(l.negative).toBeGreaterThan(0);
      }
    }, 600_000); // a guard against hangs on a loaded machine, not a performance assertion
  }
});
