// The matrix-form derivation of a 2→32→32→2 tanh MLP from safetensors (test/derive/fixtures/mlp32, fixed weights):
// its steps as a paper prints them, its witnesses, and the metric it witnesses against NumPy's J₃ diag(σ′) W₂ ⋯ W₁.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mathText, proseText } from "../../src/core/notation.js";
import { DERIVATION_FORMS } from "../../src/derive/form.js";
import { derive } from "../../src/derive/index.js";
import { allSteps, roleOf, routeOf } from "../../src/derive/model.js";
import { metricAt } from "../../src/numeric/engine/geometry.js";
import { prepareNetwork } from "../../src/numeric/engine/network.js";
import { DERIVATION_FORMATS } from "../../src/render/formats.js";
import type { Network } from "../../src/semantics/model.js";
import { model } from "../helpers.js";
import { available } from "../render/tools.js";

const DIR = "test/derive/fixtures/mlp32";
const m = model(readFileSync(`${DIR}/mlp.rgnn`, "utf8"), `${DIR}/mlp.rgnn`, DIR);
const d = derive(m, { form: { form: "auto", capacity: DERIVATION_FORMATS.tex.capacity } });
const steps = new Map(allSteps(d).map((s) => [s.id, s]));
const text = (id: string) => mathText(steps.get(id)!.statement!);

describe("the 2→32→32→2 MLP's derivation in matrix form", () => {
  it("is chosen for pdflatex and names every parameter by its shape, the values by their file", () => {
    expect(d.sections[0].form).toBe("matrix");
    expect(text("g:parameters")).toBe("W1 in R^32x2; b1 in R^32; W2 in R^32x32; b2 in R^32; W3 in R^2x32; b3 in R^2");
    // 64 + 32 + 1024 + 32 + 64 + 2 numbers: too many for an appendix
    expect(proseText(steps.get("g:parameters")!.why)).toContain("Their 1218 values are not printed: they are read from mlp.safetensors.");
    expect(d.sections.some((s) => s.title.startsWith("Appendix"))).toBe(false);
  });

  it("writes each layer's map, its Jacobian (each kind its own), the recursion and the closed form", () => {
    expect(text("g:layer1")).toBe("z1 = W1*x0 + b1; x1 = tanh(z1)");
    expect(text("g:jacobian1")).toBe("J1 = diag(tanh'(z1))*W1");
    expect(text("g:jacobian2")).toBe("J2 = diag(tanh'(z2))*W2");
    expect(text("g:layer3")).toBe("z3 = W3*x2 + b3; x3 = z3");
    expect(text("g:jacobian3")).toBe("J3 = W3");
    expect(proseText(steps.get("g:jacobian3")!.why)).toContain("affine");
    expect(text("g:output-metric")).toBe("g3 = I");
    expect(text("g:recursion")).toContain("g_{l-1} = J_l^T*g_l*J_l");
    expect(text("g:closed-form")).toBe("g = J1^T*…*J3^T*g3*J3*…*J1");
  });

  it("witnesses every claim at sampled points by routes that share no derivative code with the engine", () => {
    const witnessed = allSteps(d).filter((s) => roleOf(s) === "witnessed");
    expect(witnessed.map((s) => s.id)).toEqual(["g:jacobian1", "g:jacobian2", "g:jacobian3", "g:recursion", "g:closed-form", "g:psd"]);
    for (const s of witnessed) {
      expect(s.witness!.passed, s.id).toBe(true);
      expect(s.witness!.domain?.kind, s.id).toBe("random");
      expect(s.witness!.points, s.id).toBeGreaterThanOrEqual(3);
    }
    expect(routeOf(steps.get("g:closed-form")!.witness!)).toBe("finite differences");
    expect(steps.get("g:closed-form")!.witness!.maxError).toBeLessThan(1e-9);
    expect(routeOf(steps.get("g:recursion")!.witness!)).toBe("forward mode");
  });

  it.skipIf(!available("/usr/bin/python3", ["-c", "import numpy"]))(
    "the metric it witnesses is NumPy's (J₃ diag(1 − tanh² z₂) W₂ diag(1 − tanh² z₁) W₁)ᵀ(…) from the same file",
    () => {
      const points = [
        [0.3, -0.7],
        [-0.9, 0.4],
        [0.05, 0.6],
      ];
      const py = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", raw[:8])[0]; head = json.loads(raw[8:8 + n])
t = {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype="<f8").reshape(v["shape"])
     for k, v in head.items() if k != "__metadata__"}
out = []
for x in json.loads(sys.argv[2]):
    z1 = t["W1"] @ np.array(x) + t["b1"]; z2 = t["W2"] @ np.tanh(z1) + t["b2"]
    J = t["W3"] @ np.diag(1 - np.tanh(z2) ** 2) @ t["W2"] @ np.diag(1 - np.tanh(z1) ** 2) @ t["W1"]
    out.append((J.T @ J).ravel().tolist())
print(json.dumps(out))`;
      const numpy: number[][] = JSON.parse(
        execFileSync("/usr/bin/python3", ["-c", py, `${DIR}/mlp.safetensors`, JSON.stringify(points)], { encoding: "utf8" }),
      );
      const g = m.metrics.get("g")!;
      const def = g.def as Extract<typeof g.def, { kind: "pullback" }>;
      const net = prepareNetwork(def.along as Network, new Map());
      points.forEach((p, i) => {
        const engine = Array.from(metricAt(net, p, { from: 0 }));
        const scale = Math.max(...numpy[i].map(Math.abs));
        for (const [k, v] of engine.entries()) expect(Math.abs(v - numpy[i][k]) / scale, `point ${p} entry ${k}`).toBeLessThan(1e-12);
      });
    },
  );
});

describe("a small network forced into matrix form", () => {
  const small = `manifold Input (x, y)
network mlp : Input -> R^2 {
  dense 3 tanh with W = [[0.5, -0.3], [0.2, 0.8], [-0.7, 0.123456]], b = [0.1, 0, -0.2]
  dense 2 linear with W = [[1, 0.5, -0.5], [0.3, -0.2, 0.9]], b = [0, 0.1]
}
metric g = pullback of euclidean along mlp
`;
  const dm = derive(model(small), { form: { form: "matrix", capacity: DERIVATION_FORMATS.tex.capacity } });

  it("lists its 17 parameter values in an appendix, to four significant digits", () => {
    const appendix = dm.sections.find((s) => s.title === "Appendix: the parameters of mlp")!;
    expect(appendix).toBeDefined();
    const rows = appendix.steps[0].equation!.rows;
    expect(rows.map((r) => (r.lhs.kind === "label" ? mathText(r.lhs.math) : ""))).toEqual(["W1", "b1", "W2", "b2"]);
    const W1 = rows[0].rhs;
    expect(W1.kind === "matrix" && W1.entries.map((row) => row.map((e) => e.value))).toEqual([
      [0.5, -0.3],
      [0.2, 0.8],
      [-0.7, 0.1235],
    ]);
    expect(proseText(dm.sections[0].steps.find((s) => s.id === "g:parameters")!.why)).toContain(
      "Their 17 values are listed in the appendix.",
    );
  });

  it("every form of it derives with every witness passing", () => {
    for (const form of DERIVATION_FORMS) {
      const df = derive(model(small), { form: { form, capacity: DERIVATION_FORMATS.tex.capacity } });
      expect(df.sections[0].form).toBe(form);
      expect(
        allSteps(df).every((s) => !s.witness || s.witness.passed),
        form,
      ).toBe(true);
    }
  });
});
