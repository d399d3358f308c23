// The matrix-level derivation of a wide network's metric (examples/decoder.rgnn, 2→256→256→784): the documents build
// in every format, every witness passes by a route independent of the engine's derivative code, a wrong claim fails at
// its point, the .tex compiles; small networks keep the scalar derivation.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { allSteps, roleOf, routeOf, stepCounts } from "../../src/derive/model.js";
import { mathText, proseText } from "../../src/core/notation.js";
import { cli, model } from "../helpers.js";
import { requireTool } from "../render/tools.js";

const DECODER = readFileSync("examples/decoder.rgnn", "utf8");
const dir = mkdtempSync(join(tmpdir(), "rgnn-matrix-"));
copyFileSync("examples/decoder.safetensors", join(dir, "decoder.safetensors"));
/** The decoder with extra lines, as a spec in a folder next to its weights. */
function decoderWith(extra: string, name = "wide.rgnn"): string {
  const file = join(dir, name);
  writeFileSync(file, `${DECODER}\n${extra}\n`);
  return file;
}

describe("the decoder's derivation at the matrix level", () => {
  const d = derive(model(DECODER, "examples/decoder.rgnn", "examples"));
  const steps = allSteps(d);

  it("states the recursion in matrix notation with the weights as named matrices", () => {
    const byId = new Map(steps.map((s) => [s.id, s]));
    const text = (id: string) => mathText(byId.get(id)!.statement!);
    expect(text("g:layer1")).toContain("z1 = W1*x0 + b1");
    expect(text("g:layer1")).toContain("x1 = tanh(z1)");
    expect(text("g:jacobian2")).toContain("J2 = diag(softplus'(z2))*W2");
    expect(text("g:output-metric")).toContain("g3 = I");
    expect(text("g:recursion")).toContain("g_{l-1} = J_l^T*g_l*J_l");
    expect(JSON.stringify(byId.get("g:closed-form")!.statement)).toContain(
      "J_{1}^{\\\\mathsf{T}} \\\\, J_{2}^{\\\\mathsf{T}} \\\\, J_{3}^{\\\\mathsf{T}} \\\\, g_{3}",
    );
    expect(proseText(byId.get("g:layer3")!.why)).toContain("784");
  });

  it("every witness passes, by finite differences or forward mode, never by re-evaluating a definition", () => {
    const c = stepCounts(d);
    expect(c.failed).toBe(0);
    // three layer Jacobians, the recursion and the closed form against independent routes; g ⪰ 0 at the sampled points
    expect([c.independent, c.sampled, c.identities]).toEqual([5, 1, 0]);
    for (const s of steps.filter((s) => roleOf(s) === "witnessed")) {
      expect(s.witness!.passed, s.id).toBe(true);
      expect(routeOf(s.witness!), s.id).not.toBe("forward pass");
      expect(s.witness!.domain?.kind, s.id).toBe("random");
    }
    for (const l of [1, 2, 3]) expect(routeOf(steps.find((s) => s.id === `g:jacobian${l}`)!.witness!)).toBe("finite differences");
    expect(routeOf(steps.find((s) => s.id === "g:recursion")!.witness!)).toBe("forward mode");
    // the finite-difference routes agree far below their tolerance: the engine is right, not just close
    expect(steps.find((s) => s.id === "g:closed-form")!.witness!.maxError).toBeLessThan(1e-8);
  });

  it("rgnn verify passes, and derive writes every format; the .tex compiles when pdflatex is present", async () => {
    const v = await cli(["verify", "examples/decoder.rgnn"]);
    expect(v.code, v.err).toBe(0);
    expect(v.out).toContain(
      "The evidence is 6 steps, checked numerically at sampled points: 5 against independent routes and 1 tested at the " +
        "sampled points only. Every check passed.",
    );
    for (const ext of ["tex", "html", "json", "md"]) {
      const out = join(dir, `decoder.${ext}`);
      const r = await cli(["derive", "examples/decoder.rgnn", "-o", out]);
      expect(r.code, r.err).toBe(0);
      expect(readFileSync(out, "utf8")).toContain(ext === "json" ? '"g:closed-form"' : "784");
    }
    expect(readFileSync(join(dir, "decoder.html"), "utf8")).not.toContain("katex-error");
    if (requireTool("pdflatex")) {
      execFileSync("pdflatex", ["-interaction=nonstopmode", "-halt-on-error", "decoder.tex"], { cwd: dir, stdio: "pipe" });
    }
  });
});

describe("claims and quantities on a wide metric", () => {
  it("are checked numerically: true claims pass, a wrong one fails naming its point", async () => {
    const file = decoderWith(
      [
        "show gaussian curvature of g",
        "check g equals jacobian(decoder)^T * jacobian(decoder)",
        "check g is positive definite",
        "check g is symmetric",
        "check g equals 2 * jacobian(decoder)^T * jacobian(decoder)",
      ].join("\n"),
    );
    const d = derive(model(readFileSync(file, "utf8"), file, dir));
    const steps = allSteps(d);
    const by = (id: string) => steps.find((s) => s.id === id)!;
    expect(by("g:gaussian1").witness!.passed).toBe(true);
    expect(routeOf(by("g:gaussian1").witness!)).toBe("finite differences");
    for (const id of ["claim3", "claim4", "claim5"]) expect(by(id).witness!.passed, id).toBe(true);
    const wrong = by("claim6").witness!;
    expect(wrong.passed).toBe(false);
    // g = JᵀJ against 2 JᵀJ: the worst relative error is |g| / (1 + 2|g|), just under ½
    expect(wrong.maxError).toBeGreaterThan(0.4);
    expect(Object.keys(wrong.failure!.point).sort()).toEqual(["u", "v"]);
    expect(wrong.failure!.rhs).toBeCloseTo(2 * wrong.failure!.lhs, 9);
    const v = await cli(["verify", file]);
    expect(v.code).not.toBe(0);
    expect(v.out + v.err).toMatch(/FAIL\s+claim6/);
  });

  it("a claim at a given point compares there", () => {
    const file = decoderWith("check g equals [[1, 0], [0, 1]] at (0.3, -0.7)", "at.rgnn");
    const w = allSteps(derive(model(readFileSync(file, "utf8"), file, dir))).find((s) => s.id === "claim2")!.witness!;
    expect([w.passed, w.points, w.failure!.point]).toEqual([false, 1, { u: 0.3, v: -0.7 }]);
  });
});

describe("repeats and second-order layers, with symbolic weights sampled too", () => {
  const net = (body: string) => model(`manifold X (u, v)\nnetwork f : X -> R^3 {\n${body}\n}\nmetric g = pullback of euclidean along f\n`);
  it("a repeat block folds into one step per kind, witnessed at each of its layers", () => {
    const d = derive(net("  dense 40 tanh\n  repeat 4 { residual tanh }\n  dense 3 sigmoid"));
    const steps = allSteps(d);
    const run = steps.find((s) => s.id === "g:jacobians2-5")!;
    expect(mathText(run.statement!)).toBe("J_l = I + h*diag(tanh'(z_l))*W_l");
    expect(run.witness!.points).toBe(12); // 3 points at each of the 4 layers
    expect(run.witness!.domain!.params!.length).toBeGreaterThan(1000); // the weights are sampled with the coordinates
    expect(stepCounts(d).failed).toBe(0);
  });
  it("second-order layers accumulate the total Jacobian P; every step is a definition or witnessed", () => {
    const d = derive(net("  dense 40 tanh\n  dense 40 tanh\n  repeat 4 { second_order tanh }\n  dense 3 sigmoid"));
    const c = stepCounts(d);
    expect([c.failed, c.definitions + c.identities + c.evidence + c.unchecked]).toEqual([0, c.steps]);
    // the run of second-order layers 3–6 is written once, for a generic layer
    expect(mathText(allSteps(d).find((s) => s.id === "g:recursion")!.statement!)).toBe(
      "P0 = I; P1 = J1*P0; P2 = J2*P1; P_l = J_l*P_{l-1} - P_{l-2}  (l = 3 … 6); P7 = J7*P6; g = P7^T*g7*P7",
    );
  });
});

describe("small networks keep their scalar derivation", () => {
  it("paper-toy's steps are written as components", () => {
    const d = derive(model(readFileSync("examples/paper-toy.rgnn", "utf8"), "examples/paper-toy.rgnn", "examples"));
    const jac = allSteps(d).find((s) => s.id === "g:jacobian2")!;
    expect(jac.equation?.rows[0].rhs.kind).toBe("matrix");
    expect(allSteps(d).some((s) => s.id === "g:recursion")).toBe(false);
  });
});
