import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec, evaluateAt, pickMapping } from "../../src/index.js";
import { importModel, OnnxImportError } from "../../src/import/model.js";
import { readSafetensors } from "../../src/semantics/safetensors.js";
import { expectClose } from "../helpers.js";
import { FIXTURES } from "./tools.js";

describe("importModel", () => {
  it("an ONNX MLP: a spec that checks, reads the weights returned, and computes the torch model's outputs", () => {
    const m = importModel(readFileSync(join(FIXTURES, "mlp.onnx")), "mlp");
    expect(m.layers).toBe(4);
    expect(m.weightsFile).toBe("mlp.safetensors");
    expect(m.spec).toContain('weights "mlp.safetensors"');
    expect(m.spec).toContain("from mlp.onnx:");
    expect([...readSafetensors(m.weights).keys()].sort()).toEqual(["W1", "W2", "W3", "b1", "b2", "b3"]);
    // the spec reads its weights from the file beside it: write the bytes returned there
    const dir = mkdtempSync(join(tmpdir(), "rgnn-api-import-"));
    writeFileSync(join(dir, m.weightsFile), m.weights);
    const r = checkSpec(m.spec, join(dir, "mlp.rgnn"));
    if (!r.ok) throw new Error(r.message);
    const ref = JSON.parse(readFileSync(join(FIXTURES, "mlp.json"), "utf8"));
    const out = evaluateAt(pickMapping(r.model), ref.points, new Map()).map((e) => e.output);
    expectClose(out, ref.outputs, 1e-5);
  });

  it("refuses an operation rgnn cannot read", () => {
    expect(() => importModel(readFileSync(join(FIXTURES, "unsupported.onnx")), "u")).toThrow(OnnxImportError);
  });
});
