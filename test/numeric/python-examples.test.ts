// Every shipped example through `rgnn export` (NumPy and torch) and run with Debian's /usr/bin/python3: constants
// included (their values, and --set overriding them), unvalued symbols given with --set, networks of any width at the
// matrix level (decoder.rgnn). Each function's numbers equal rgnn's own, and a quantity rgnn refuses at a point (the
// volume of a Lorentzian metric) raises ValueError in the module with the reason.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateAt, geometryAt } from "../../src/index.js";
import { metricAt } from "../../src/api/metric.js";
import { pickMapping, pickMetric } from "../../src/api/spec.js";
import { valuesOf } from "../../src/api/values.js";
import { EXPORTED } from "../../src/numeric/python.js";
import type { Manifold } from "../../src/semantics/model.js";
import { cli, exampleModel, expectClose } from "../helpers.js";
import { python, requireTorch } from "../import/tools.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".rgnn"))
  .map((f) => f.slice(0, -".rgnn".length));

/** Values for the examples' symbols that have none. */
const SET: Record<string, Record<string, number>> = {
  kerr: { M: 1, a: 0.5 },
  godel: { a: 1.5 },
  "symbolic-resnet": {
    h: 0.2,
    ...{ W1_11: 0.5, W1_12: -0.3, W1_21: 0.4, W1_22: 0.9, b1_1: 0.1, b1_2: -0.2 },
    ...{ W2_11: -0.6, W2_12: 0.7, W2_21: 0.2, W2_22: 0.8, b2_1: 0, b2_2: 0.05 },
  },
};
/** A point of a chart: (0, 4, 1.1, 0.3) in 4-D (outside the horizons), (0.7, 0.5) in 2-D, each coordinate moved into the
 *  chart's declared interval where it has one (Gödel's [-1, 1]^4). */
const pointFor = (chart: Manifold) =>
  (chart.dim === 4 ? [0, 4, 1.1, 0.3] : [0.7, 0.5]).map((x, i) => {
    const d = chart.domain?.[i];
    return !d || (x >= d[0] && x <= d[1]) ? x : d[0] + 0.6 * (d[1] - d[0]);
  });

/** Every function of each module at one point: its value, or the ValueError's message. */
const RUN = `
import importlib.util, json, sys
out = {}
for path, target, names, point in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("exported", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if target == "torch":
        import torch
        x = torch.tensor([point], dtype=torch.float64)
    else:
        import numpy
        x = numpy.array([point], dtype=numpy.float64)
    got = {"VALUES": m.VALUES}
    for n in names:
        if not hasattr(m, n):
            continue
        try:
            got[n] = getattr(m, n)(x).tolist()[0]
        except ValueError as e:
            got[n] = {"error": str(e)}
    out[path] = got
print(json.dumps(out))
`;

const NAMES = ["network", "jacobian", "metric", ...EXPORTED];

describe.runIf(requireTorch())("the exports of every shipped example", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-export-examples-"));
  const jobs = EXAMPLES.flatMap((name) =>
    ["numpy", "torch"].map((target) => ({ path: join(dir, `${name.replaceAll("-", "_")}_${target}.py`), name, target })),
  );
  const got: Record<string, Record<string, unknown>> = {};
  beforeAll(async () => {
    for (const { path, name, target } of jobs) {
      const set = Object.entries(SET[name] ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
      const r = await cli(["export", `examples/${name}.rgnn`, "-t", target, "-o", path, ...set]);
      if (r.code !== 0) throw new Error(`${name}: ${r.err}`);
    }
    const chart = (name: string) => pickMetric(exampleModel(name)).manifold;
    Object.assign(got, JSON.parse(python(RUN, [JSON.stringify(jobs.map((j) => [j.path, j.target, NAMES, pointFor(chart(j.name))]))])));
  });

  it("covers every example", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(14);
    expect(EXAMPLES).toContain("decoder");
  });

  it.each(jobs.map((j) => [`${j.name} (${j.target})`, j] as const))("%s", (_, { path, name }) => {
    const model = exampleModel(name),
      env = valuesOf(model, SET[name] ?? {}),
      out = got[path];
    const metric = pickMetric(model),
      point = pointFor(metric.manifold);
    // the constants' values, with --set over them (kerr's M and a have none of their own)
    const constants = [...model.constants.values()].map((c) => [c.name, SET[name]?.[c.name] ?? c.value] as const);
    expect(out.VALUES).toEqual(Object.fromEntries(constants.filter(([, v]) => v !== undefined)));
    // the spec's first network where it has one, at the point of its own chart
    if (out.network) {
      const [e] = evaluateAt(pickMapping(model), [pointFor(pickMapping(model).source)], env);
      expectClose([out.network as number[]], [e.output], 1e-10, `${name} network`);
      expectClose(out.jacobian as number[][], e.jacobian, 1e-10, `${name} jacobian`);
    }
    expectClose(out.metric as number[][], metricAt(metric, [point], env)[0].metric, 1e-10, `${name} metric`);
    for (const q of EXPORTED) {
      if (!(q in out)) continue;
      let want: number[] | null = null;
      try {
        want = geometryAt(metric, q, [point], env)[0].values;
      } catch {
        // rgnn refuses it here: so does the module, with a ValueError that says why
      }
      const v = out[q] as { error?: string };
      if (want === null)
        expect(v.error, `${name} ${q}`).toMatch(/undefined at .*det g = -[\d.e+-]+ < 0 \(the metric is indefinite there\)/);
      else expectClose([[v as unknown as number[]].flat(3) as number[]], [want], 1e-9, `${name} ${q}`);
    }
  });

  it("refuses the volume of the Lorentzian examples with the reason, and gives the rest", () => {
    for (const name of ["schwarzschild", "kerr"])
      for (const target of ["numpy", "torch"]) {
        const out = got[jobs.find((j) => j.name === name && j.target === target)!.path];
        expect((out.volume as { error: string }).error).toContain("volume of 'g' is undefined at (0.0, 4.0, 1.1, 0.3)");
        expect(out.scalar).toEqual(expect.any(Number));
      }
  });
});

describe.runIf(requireTorch())("rgnn export --set", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-export-set-"));

  it("overrides a constant's value, repeatable, and the module records the values it was written with", async () => {
    const path = join(dir, "sphere3.py");
    const r = await cli(["export", "examples/torus.rgnn", "-t", "numpy", "-o", path, "--set", "R=5", "--set", "r=2"]);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(
      python(
        `
import importlib.util, json, sys, numpy
spec = importlib.util.spec_from_file_location("m", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
print(json.dumps({"values": m.VALUES, "volume": m.volume(numpy.array([0.5, 1.0])).tolist()}))
`,
        [path],
      ),
    );
    expect(out.values).toEqual({ R: 5, r: 2 });
    // the torus's volume element r (R + r cos θ)
    expect(out.volume).toBeCloseTo(2 * (5 + 2 * Math.cos(0.5)), 12);
  });

  it("names the symbols a spec leaves without values, and refuses to write over the spec", async () => {
    const r = await cli(["export", "examples/kerr.rgnn", "-t", "torch"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("'M', 'a' have no values: give them with --set NAME=VALUE");
    const over = await cli(["export", "examples/sphere.rgnn", "-t", "torch", "-o", "examples/sphere.rgnn"]);
    expect(over.code).toBe(1);
    expect(over.err).toContain("an input of this command");
  });
});
