import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors } from "../../src/semantics/safetensors.js";
import { diagnostics, model } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rgnn-st-"));

describe("safetensors", () => {
  it("round-trips F32 and F64 tensors", () => {
    const bytes = writeSafetensors({
      a: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6.5] },
      b: { shape: [2], values: [0.1, -0.2], dtype: "F32" },
    });
    const t = readSafetensors(bytes);
    expect(t.get("a")).toMatchObject({ dtype: "F64", shape: [2, 3] });
    expect([...t.get("a")!.values]).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(t.get("b")!.values[0]).toBeCloseTo(0.1, 7); // F32 precision
  });

  it("loads PyTorch-style names into a spec by quoted key", () => {
    writeFileSync(
      join(dir, "m.safetensors"),
      writeSafetensors({
        "fc1.weight": { shape: [2, 2], values: [0.5, -1, 2, 0.25] },
        "fc1.bias": { shape: [2], values: [0.1, 0.2], dtype: "F32" },
      }),
    );
    const m = model(
      `manifold I (x, y)\nnetwork n : I -> R^2 weights "m.safetensors" {\n  dense 2 tanh with W = "fc1.weight", b = "fc1.bias"\n}\n`,
      join(dir, "s.rgnn"),
      dir,
    );
    const n = m.mappings.get("n")!;
    if (n.kind !== "network") throw new Error("not a network");
    expect([...n.layers[0].W!.values!]).toEqual([0.5, -1, 2, 0.25]);
    expect(n.layers[0].b!.values![1]).toBeCloseTo(0.2, 7);
  });

  it("reports a shape mismatch, an unknown name, and an unsupported dtype clearly", () => {
    writeFileSync(
      join(dir, "w.safetensors"),
      writeSafetensors({ W1: { shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }, b1: { shape: [2], values: [0, 0] } }),
    );
    const spec = `manifold I (x, y)\nnetwork n : I -> R^2 weights "w.safetensors" {\n  dense 2 tanh\n}\n`;
    expect(diagnostics(spec, join(dir, "s.rgnn"), dir)[0].message).toBe(
      "W of layer 1 (dense): 'W1' in 'w.safetensors' is a 3×2 matrix, expected a 2×2 matrix",
    );
    const named = spec.replace("dense 2 tanh", 'dense 2 tanh with W = "fc.weight", b = b1');
    expect(diagnostics(named, join(dir, "s.rgnn"), dir)[0].message).toBe(
      "W of layer 1 (dense): weights file 'w.safetensors' has no entry 'fc.weight'",
    );
    const bf16 = writeSafetensors({ W1: { shape: [1], values: [1] } });
    const patched = new TextDecoder().decode(bf16).replace('"F64"', '"I64"'); // BF16 is read since; an integer tensor is not
    writeFileSync(join(dir, "b.safetensors"), new TextEncoder().encode(patched));
    expect(diagnostics(spec.replace("w.safetensors", "b.safetensors"), join(dir, "s.rgnn"), dir)[0].message).toContain(
      "tensor 'W1' has dtype I64, not a float tensor",
    );
  });
});
