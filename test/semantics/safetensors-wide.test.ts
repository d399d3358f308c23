// Wide networks from safetensors: a 2→2048→2048→2 tanh MLP (4.2 million parameters, past the old 1024-unit and
// 2-million-parameter limits) written by NumPy, read by rgnn, and its metric at a point against NumPy's JᵀJ.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers.js";

const numpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"]).status === 0;

/** Seeded weights written as F64 safetensors, and g = JᵀJ at the point by NumPy's forward pass (J = W3 D2 W2 D1 W1). */
const PYTHON = `
import json, struct, sys, numpy as np
path, w, x = sys.argv[1], int(sys.argv[2]), np.array(json.loads(sys.argv[3]))
r = np.random.default_rng(2048)
t = {"W1": r.standard_normal((w, 2)) / np.sqrt(2), "b1": 0.1 * r.standard_normal(w),
     "W2": r.standard_normal((w, w)) / np.sqrt(w), "b2": 0.1 * r.standard_normal(w),
     "W3": r.standard_normal((2, w)) / np.sqrt(w), "b3": 0.1 * r.standard_normal(2)}
header, blobs, off = {}, [], 0
for k, a in t.items():
    a = np.ascontiguousarray(a, dtype="<f8")
    header[k] = {"dtype": "F64", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
    blobs.append(a.tobytes())
h = json.dumps(header).encode()
h += b" " * ((8 - (8 + len(h)) % 8) % 8)
open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
z1 = t["W1"] @ x + t["b1"]; a1 = np.tanh(z1)
z2 = t["W2"] @ a1 + t["b2"]
J = t["W3"] @ ((1 - np.tanh(z2) ** 2)[:, None] * (t["W2"] @ ((1 - a1 ** 2)[:, None] * t["W1"])))
print(json.dumps((J.T @ J).tolist()))
`;

describe.skipIf(!numpy)("a 2→2048→2048→2 MLP from safetensors", () => {
  it("metric --at equals NumPy's JᵀJ to 1e-12", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rgnn-wide-"));
    const point = [0.3, -0.7];
    const run = spawnSync("/usr/bin/python3", ["-c", PYTHON, join(dir, "w.safetensors"), "2048", JSON.stringify(point)], {
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const want: number[][] = JSON.parse(run.stdout);
    const spec = join(dir, "wide.rgnn");
    writeFileSync(
      spec,
      'manifold I = R^2\nnetwork n : I -> R^2 weights "w.safetensors" {\n  dense 2048 tanh\n  dense 2048 tanh\n  dense 2 linear\n}\n' +
        "metric g = pullback along n\n",
    );
    const res = await cli(["metric", spec, "--at", point.join(","), "--format", "json"]);
    expect(res.err).toBe("");
    const got: number[][] = JSON.parse(res.out).metric;
    const scale = Math.max(...want.flat().map(Math.abs));
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(got[i][j] - want[i][j])).toBeLessThan(1e-12 * scale);
  });
});

describe("memory limits", () => {
  it("refuses a symbolic layer too large for memory up front, saying how much and what works", async () => {
    const res = await cli(["check", "-"], "manifold I = R^2\nnetwork n : I {\n  dense 4096 tanh\n  dense 4096 tanh\n}\n");
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/parameters would take about 4\.7 GiB of memory with this layer \(4096×4096 weights as symbols\)/);
    expect(res.err).toContain("give the weights in a file");
  });
});
