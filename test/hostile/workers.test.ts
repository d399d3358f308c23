// Threaded `eval --points` and `distances` (issue 29): workers read the weights file again from disk, so replacing it
// 0.9 s into a run gave 45,000 rows from the old weights and 15,000 from the new, exit 0. Now the main thread keeps the
// bytes of every weights file it read (recordingWeights) and hands them to the workers (servedWeights): whatever is on
// disk later, every row uses the weights the run started with.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { metricAt, pickMetric, valuesOf } from "../../src/index.js";
import { loadSpec } from "../../src/semantics/load.js";
import { recordingWeights, servedWeights } from "../../src/semantics/weights.js";
import { cli, folder, GOOD, net } from "./tools.js";

const { write } = folder("workers");
// W = I, b = (0.5, −0.5), tanh: at the origin J = s·I with s = 1 − tanh²(0.5), so g = s²·I; with W = 2I, g = 4s²·I
const s = 1 - Math.tanh(0.5) ** 2;
const g00 = (model: ReturnType<typeof loadSpec>) => metricAt(pickMetric(model), [[0, 0]], valuesOf(model))[0].metric[0][0];

describe("workers use the weights the main thread read", () => {
  it("a spec loaded from the recorded bytes keeps the old weights after the file is replaced", () => {
    const weights = write("w.json", JSON.stringify(GOOD));
    const spec = write("n.rgnn", `${net("w.json")}metric g = pullback along n\n`);
    const source = readFileSync(spec, "utf8");
    const recorded = recordingWeights();
    expect(g00(loadSpec(source, spec, undefined, undefined, recorded.access))).toBeCloseTo(s * s, 14);
    expect([...recorded.read.values()].map((b) => Buffer.from(b).toString("utf8"))).toEqual([JSON.stringify(GOOD)]);
    writeFileSync(
      weights,
      JSON.stringify({
        ...GOOD,
        W1: [
          [2, 0],
          [0, 2],
        ],
      }),
    );
    expect(g00(loadSpec(source, spec, undefined, undefined, servedWeights(recorded.read)))).toBeCloseTo(s * s, 14);
    // read afresh, the file gives the new weights: the test can tell the two apart
    expect(g00(loadSpec(source, spec))).toBeCloseTo(4 * s * s, 14);
  });

  it("eval --points --threads 2 answers as one thread does", async () => {
    write("w2.json", JSON.stringify(GOOD));
    const spec = write("n2.rgnn", `${net("w2.json")}metric g = pullback along n\n`);
    const pts = write("p.csv", `x,y\n${Array.from({ length: 200 }, (_, i) => `${i / 200},${-i / 400}`).join("\n")}\n`);
    const one = await cli(["eval", spec, "--points", pts, "--format", "csv", "--threads", "1"]);
    const two = await cli(["eval", spec, "--points", pts, "--format", "csv", "--threads", "2"]);
    expect(one.code).toBe(0);
    expect(two.out).toBe(one.out);
  });
});
