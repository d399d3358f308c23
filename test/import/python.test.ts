// With Debian's Python present (CI installs it): the ONNX fixtures regenerate with the same numbers, and the
// modules `rgnn export` writes agree with rgnn's own evaluators, batched, and with torch.autograd.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXPORTED } from "../../src/numeric/python.js";
import { readSafetensors } from "../../src/semantics/safetensors.js";
import { cli, expectClose } from "../helpers.js";
import { FIXTURES, imported, PYTHON, python, requireTorch } from "./tools.js";
import { execFileSync } from "node:child_process";

const dir = mkdtempSync(join(tmpdir(), "rgnn-python-"));
/** What a module defines besides network, Jacobian and metric: the quantity table's flagged entries. */
const QUANTITIES = EXPORTED;

/** Evaluate an exported module's functions at points; JSON of {name: nested lists} per function, batched. */
const RUN = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
target, names, pts = sys.argv[2], sys.argv[3].split(","), json.loads(sys.argv[4])
if target == "torch":
    import torch
    x = torch.tensor(pts, dtype=torch.float64)
else:
    import numpy
    x = numpy.array(pts, dtype=numpy.float64)
print(json.dumps({n: getattr(m, n)(x).tolist() for n in names}))
`;

/** Γ from torch.autograd of the exported metric, against the exported Christoffel symbols; the largest difference. */
const AUTOGRAD = `
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
x = torch.rand(3, int(sys.argv[2]), dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 2 - 1
worst = 0.0
for p in x:
    dg = torch.autograd.functional.jacobian(m.metric, p)  # dg[a, b, c] = d_c g_ab
    low = 0.5 * (dg.permute(0, 2, 1) + dg - dg.permute(2, 0, 1))  # Gamma_{a b c}
    gamma = torch.einsum("ad,dbc->abc", torch.linalg.inv(m.metric(p)), low)
    worst = max(worst, (gamma - m.christoffel(p)).abs().max().item())
# the batch of points at once, and in float32, give the same as one at a time
batch = m.christoffel(x.reshape(3, 1, -1))
single = torch.stack([m.christoffel(p) for p in x]).reshape(batch.shape)
assert (batch - single).abs().max().item() < 1e-12, "batched and single points differ"
assert m.scalar(x.float()).dtype == torch.float32
print(worst)
`;

describe.runIf(requireTorch())("Python: fixtures and exported modules", () => {
  it("the fixtures regenerate with the same numbers", async () => {
    execFileSync(PYTHON, [join(FIXTURES, "make.py"), dir], { stdio: "ignore" });
    execFileSync(PYTHON, [join(FIXTURES, "make_activations.py"), dir], { stdio: "ignore" });
    execFileSync(PYTHON, [join(FIXTURES, "make_shaped.py"), dir], { stdio: "ignore" });
    for (const name of ["mlp", "resmlp", "unscaled", "decoder", "bnsilu", "bnafter", "convdec", "convdecbn", "shapes", "unsqueeze"]) {
      const fresh = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
      const committed = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
      expect(fresh.dtype).toBe(committed.dtype);
      for (const key of ["points", "outputs", "metrics"] as const)
        expectClose([fresh[key].flat(2)], [committed[key].flat(2)], 1e-12, `${name} ${key}`);
      // the regenerated model imports to the same weights as the committed one
      const specFresh = join(dir, `${name}.rgnn`);
      const r = await cli(["import", join(dir, `${name}.onnx`), "-o", specFresh]);
      expect(r.code).toBe(0);
      const specCommitted = await imported(name, mkdtempSync(join(tmpdir(), "rgnn-python-")));
      const a = readSafetensors(readFileSync(specFresh.replace(/\.rgnn$/, ".safetensors")));
      const b = readSafetensors(readFileSync(specCommitted.replace(/\.rgnn$/, ".safetensors")));
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [k, t] of a) expectClose([[...t.values]], [[...b.get(k)!.values]], 1e-12, `${name} ${k}`);
    }
  });

  // the 16- and 32-wide models' curvature takes rgnn long to evaluate point by point: there network and metric are compared
  for (const [name, target, geometry] of [
    ["resmlp", "torch", true],
    ["unscaled", "numpy", true],
    ["resmlp", "numpy", false],
    ["decoder", "torch", false],
  ] as const) {
    it(`${name} exported for ${target} agrees with rgnn eval and geometry --at on a batch`, async () => {
      const spec = await imported(name, mkdtempSync(join(tmpdir(), "rgnn-export-")));
      const module = spec.replace(/\.rgnn$/, `_${target}.py`);
      const e = await cli(["export", spec, "--target", target, "-o", module]);
      expect(e.code).toBe(0);
      const points = [
        [0.3, -0.7],
        [-0.41, 0.12],
      ];
      const names = ["network", "jacobian", "metric", ...(geometry ? QUANTITIES : [])];
      const got = JSON.parse(python(RUN, [module, target, names.join(","), JSON.stringify(points)]));
      for (const [k, p] of points.entries()) {
        const ev = JSON.parse((await cli(["eval", spec, "--at", p.join(","), "-f", "json"])).out).points[0];
        expectClose([got.network[k]], [ev.output], 1e-12, "network");
        expectClose(got.jacobian[k], ev.jacobian, 1e-12, "jacobian");
        expectClose(got.metric[k], ev.metric, 1e-12, "metric");
        for (const q of geometry ? QUANTITIES : []) {
          const r = await cli(["geometry", spec, "-q", q, "--at", p.join(","), "-f", "json"]);
          const want = JSON.parse(r.out).components;
          const flat = (v: unknown) => [[v].flat(3) as number[]];
          // Γ and R take first and second derivatives through sums that cancel (R ≈ 1e-12 where the map is a
          // local diffeomorphism and the metric flat): agreement to rounding is then relative to the terms, not R
          expectClose(flat(got[q][k]), flat(want), q === "scalar" || q === "christoffel" ? 1e-10 : 1e-12, q);
        }
      }
    });
  }

  it("torch.autograd of the exported metric gives the exported Christoffel symbols", async () => {
    // smooth activations only (torch has no derivative for the heaviside that relu's and elu's slopes use)
    const spec = await imported("unscaled", mkdtempSync(join(tmpdir(), "rgnn-export-")));
    const module = spec.replace(/\.rgnn$/, ".py");
    expect((await cli(["export", spec, "--target", "torch", "-o", module])).code).toBe(0);
    const worst = Number(python(AUTOGRAD, [module, "2"]));
    expect(worst).toBeLessThan(1e-12);
  });
});
