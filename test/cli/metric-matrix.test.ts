// `rgnn metric --form matrix`: the recursion written with the weights as named matrices, and auto's choice of it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layeredPrintSize, PRINT_LIMIT } from "../../src/symbolic/size.js";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-matrix-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

const json = async (args: string[]) => {
  const r = await cli(args);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};

describe("rgnn metric --form matrix", () => {
  it("paper-toy: z, x, J per layer and g_{l−1} = J_lᵀ g_l J_l, weights named with their shapes", async () => {
    const j = await json(["metric", "examples/paper-toy.rgnn", "--form", "matrix", "--format", "json"]);
    expect(j).toMatchObject({ name: "g", form: "matrix", layer: 0, coords: ["x", "y"] });
    expect(j.parameters.slice(0, 5)).toEqual([
      { name: "W1", shape: [2, 2], source: "W1", numeric: true },
      { name: "b1", shape: [2], source: "b1", numeric: true },
      { name: "W2", shape: [2, 2], source: "W2", numeric: true },
      { name: "b2", shape: [2], source: "b2", numeric: true },
      { name: "h", shape: [], source: "h", numeric: true, value: "0.5" },
    ]);
    const byName = Object.fromEntries(j.definitions.map((d: { name: string }) => [d.name, d]));
    expect(byName.x0).toMatchObject({ expr: "(x, y)", shape: [2] });
    expect(byName.z1).toMatchObject({ expr: "W1*x0 + b1", latex: "W_{1} \\, x_{0} + b_{1}", group: "layer 1 (dense tanh)" });
    expect(byName.x1.expr).toBe("tanh(z1)");
    expect(byName.J1).toMatchObject({ expr: "diag(tanh'(z1))*W1", shape: [2, 2] });
    expect(byName.x2.expr).toBe("x1 + h*tanh(z2)");
    expect(byName.J2).toMatchObject({
      expr: "I + h*diag(tanh'(z2))*W2",
      latex: "I + h \\, \\operatorname{diag}\\big(\\tanh'(z_{2})\\big) \\, W_{2}",
    });
    // the linear read-out: x = z, J = W
    expect(byName.x5.expr).toBe("z5");
    expect(byName.J5.expr).toBe("W5");
    expect(
      j.definitions
        .filter((d: { group: string }) => d.group === "metric")
        .map((d: { name: string; expr: string }) => `${d.name} = ${d.expr}`),
    ).toEqual(["g5 = I", "g4 = J5^T*g5*J5", "g3 = J4^T*g4*J4", "g2 = J3^T*g3*J3", "g1 = J2^T*g2*J2", "g = J1^T*g1*J1"]);
  });

  it("to a layer: the recursion starts from that layer's coordinates and stops there", async () => {
    const j = await json(["metric", "examples/paper-toy.rgnn", "--metric", "g2", "--form", "matrix", "--format", "json"]);
    const names = j.definitions.map((d: { name: string }) => d.name);
    expect(names[0]).toBe("x2");
    expect(names).not.toContain("z2");
    expect(names.at(-1)).toBe("g2");
    expect(j.definitions.at(-1).expr).toBe("J3^T*g3*J3");
  });

  it("second-order layers: the total Jacobian P_l = J_l P_{l−1} − P_{l−2}, started by the Taylor step", async () => {
    const p = file(
      "wave.rgnn",
      `manifold I (x, y)
network n : I -> R^2 {
  second_order tanh with h = 0.1, W = [[1, 0], [0, 1]], b = [0, 0]
  second_order tanh with h = 0.1, W = [[1, 2], [0, 1]], b = [0, 0]
}
metric g = pullback of euclidean along n
`,
    );
    const j = await json(["metric", p, "--form", "matrix", "--format", "json"]);
    const expr = Object.fromEntries(j.definitions.map((d: { name: string; expr: string }) => [d.name, d.expr]));
    expect(expr.x1).toBe("x0 + 0.5*h^2*tanh(z1)");
    expect(expr.J1).toBe("I + 0.5*h^2*diag(tanh'(z1))*W1");
    expect(expr.x2).toBe("2*x1 - x0 + h^2*tanh(z2)");
    expect(expr.J2).toBe("2*I + h^2*diag(tanh'(z2))*W2");
    expect(expr.P2).toBe("J2*P1 - P0");
    expect(expr.g).toBe("P2^T*g2*P2");
  });

  it("softmax reads its texts from its layer kind; text and LaTeX both print", async () => {
    const p = file(
      "soft.rgnn",
      `manifold I (x, y)
network n : I -> R^3 {
  dense 3 linear with W = [[1, 0], [0, 1], [1, 1]], b = [0, 0, 0]
  softmax
}
metric g = pullback of euclidean along n
`,
    );
    const text = await cli(["metric", p, "--form", "matrix"]);
    expect(text.code).toBe(0);
    expect(text.out).toContain("  x2 = softmax(x1)    [3]\n");
    expect(text.out).toContain("  J2 = diag(x2) - x2*x2^T    [3×3]\n");
    expect(text.out).toContain("  W1: 3×2\n");
    const tex = await cli(["metric", p, "--form", "matrix", "--format", "latex"]);
    expect(tex.out).toContain("J_{2} &= \\operatorname{diag}(x_{2}) - x_{2}\\, x_{2}^{\\mathsf{T}}");
    expect(tex.out).toContain("g &= J_{1}^{\\mathsf{T}} \\, g_{1} \\, J_{1}");
  });

  it("is refused for a metric that is not pulled back along a network", async () => {
    const r = await cli(["metric", "examples/polar.rgnn", "--form", "matrix"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("--form matrix applies to metrics pulled back along a network");
  });
});

describe("--form auto", () => {
  it("sizes the layered listing from the widths: v(v+1)/2 entries of w² products in g, 15 nodes a weight in z and J", () => {
    expect(layeredPrintSize([2, 3], 0)).toBe(5 * 3 * 9 + 15 * 6);
    expect(layeredPrintSize([2, 3, 3], 1)).toBe(5 * 6 * 9 + 15 * 9);
    expect(layeredPrintSize([2, 64, 64, 2], 0)).toBeGreaterThan(PRINT_LIMIT);
  });

  it("keeps the scalar forms for small nets and writes a wide net in matrix form without expanding it", async () => {
    const small = await json(["metric", "examples/paper-toy.rgnn", "--format", "json"]);
    expect(small.form).toBe("layers");
    const w = 64;
    const row = `[${Array.from({ length: w }, (_, j) => ((j % 7) - 3) / 10).join(", ")}]`;
    const wide = file(
      "wide.rgnn",
      `manifold I (x, y)
network n : I -> R^2 {
  dense ${w} tanh with W = [${Array.from({ length: w }, () => "[0.1, -0.2]").join(", ")}], b = [${Array(w).fill(0).join(", ")}]
  dense ${w} tanh with W = [${Array(w).fill(row).join(", ")}], b = [${Array(w).fill(0).join(", ")}]
  dense 2 linear with W = [${row}, ${row}], b = [0, 0]
}
metric g = pullback of euclidean along n
`,
    );
    const j = await json(["metric", wide, "--format", "json"]);
    expect(j.form).toBe("matrix");
    expect(j.parameters.find((p: { name: string }) => p.name === "W2").shape).toEqual([w, w]);
    expect(j.definitions.at(-1)).toMatchObject({ name: "g", expr: "J1^T*g1*J1", shape: [2, 2] });
  });
});
