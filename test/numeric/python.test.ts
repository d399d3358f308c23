// Every registry function exported to NumPy and to torch and run there (Debian's /usr/bin/python3): an activation as a
// layer's, any other function inside a metric's components. Each module's network, Jacobian, metric and exported
// quantities are compared with rgnn's own evaluation, so an entry whose Python spelling is missing or wrong (a NameError,
// a different convention) fails here the moment it is added.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateAt, geometryAt } from "../../src/index.js";
import { metricAt } from "../../src/api/metric.js";
import { checkSpec, pickMapping, pickMetric } from "../../src/api/spec.js";
import { type FunctionDef, type FunctionName, FUNCTIONS, REGISTRY } from "../../src/core/functions.js";
import { EXPORTED, type PythonTarget, pythonModule } from "../../src/numeric/python.js";
import type { Model } from "../../src/semantics/model.js";
import { expectClose } from "../helpers.js";
import { python, requireTorch } from "../import/tools.js";

/** Points where no argument of a function below sits on a kink (0) or leaves a domain ((0, ∞) for log, (−1, 1) for atanh). */
const POINTS = [
  [0.3, -0.7],
  [-0.45, 0.6],
  [0.8, 0.25],
];

/** A spec using f: as the first layer's activation (its units at both signs over POINTS), or in a metric's components at arguments 0.3x + 0.5 ∈ (0.26, 0.74). */
function specOf(f: FunctionName): string {
  if ((REGISTRY[f] as FunctionDef).activation)
    return [
      "manifold M (x, y)",
      "network net : M -> R^2 {",
      // a residual layer keeps the Jacobian invertible where a unit of relu is off, so the curvature is defined
      `  residual ${f} with h = 0.3, W = [[0.8, -0.5], [0.3, 0.9]], b = [0.1, -0.2]`,
      "  dense 2 tanh with W = [[1.0, 0.4], [-0.6, 0.7]], b = [0, 0.1]",
      "}",
      "metric g = pullback of euclidean along net",
      "",
    ].join("\n");
  const a = `${f}(0.3 * x + 0.5)`,
    b = `${f}(0.3 * y + 0.5)`;
  // positive definite whatever f's values: det = (2 + a²)(2 + b²) − b² > 0
  return `manifold M (x, y)\nmetric g on M = [[2 + ${a}^2, ${b}], [${b}, 2 + ${b}^2]]\n`;
}

/** Calls the named functions of each module on a float64 batch; JSON {module: {name: nested lists}}. */
const RUN = `
import importlib.util, json, sys
out = {}
for path, target, names in json.loads(sys.argv[1]):
    spec = importlib.util.spec_from_file_location("exported", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    if target == "torch":
        import torch
        x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float64)
    else:
        import numpy
        x = numpy.array(json.loads(sys.argv[2]), dtype=numpy.float64)
    out[path] = {n: getattr(m, n)(x).tolist() for n in names}
print(json.dumps(out))
`;

describe.runIf(requireTorch())("every registry function exported to NumPy and torch", () => {
  const dir = mkdtempSync(join(tmpdir(), "rgnn-export-fns-"));
  const models = new Map<FunctionName, Model>();
  const jobs: [path: string, target: PythonTarget, names: string[], f: FunctionName][] = [];
  for (const f of FUNCTIONS) {
    const r = checkSpec(specOf(f), `${f}.rgnn`);
    if (!r.ok) throw new Error(`${f}: ${r.message}`);
    models.set(f, r.model);
    const names = [...(REGISTRY[f].activation ? ["network", "jacobian"] : []), "metric", ...EXPORTED];
    for (const target of ["numpy", "torch"] as const) {
      const path = join(dir, `${f}_${target}.py`);
      writeFileSync(path, pythonModule(r.model, target, `${f}.rgnn`));
      jobs.push([path, target, names, f]);
    }
  }
  const got: Record<string, Record<string, unknown[]>> = JSON.parse(
    python(RUN, [JSON.stringify(jobs.map(([p, t, n]) => [p, t, n])), JSON.stringify(POINTS)]),
  );

  it("writes every exported quantity the table flags", () => {
    expect(EXPORTED).toEqual(["volume", "inverse", "christoffel", "scalar"]);
  });

  it.each(jobs.map(([path, target, names, f]) => [`${f} (${target})`, path, names, f] as const))("%s", (_, path, names, f) => {
    const model = models.get(f)!,
      out = got[path];
    const flat = (v: unknown) => [[v].flat(3) as number[]];
    expect(Object.keys(out)).toEqual(names);
    if (REGISTRY[f].activation) {
      const ev = evaluateAt(pickMapping(model), POINTS, new Map());
      ev.forEach((e, k) => {
        expectClose([out.network[k] as number[]], [e.output], 1e-12, `${f} network`);
        expectClose(out.jacobian[k] as number[][], e.jacobian, 1e-12, `${f} jacobian`);
      });
    }
    const g = pickMetric(model);
    metricAt(g, POINTS, new Map()).forEach((m, k) => {
      expectClose(out.metric[k] as number[][], m.metric, 1e-12, `${f} metric`);
    });
    for (const q of EXPORTED)
      geometryAt(g, q, POINTS, new Map()).forEach((v, k) => {
        expectClose(flat(out[q][k]), [v.values], 1e-9, `${f} ${q}`);
      });
  });
});
