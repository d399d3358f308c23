import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diagnostics, model } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "rgnn-weights-"));
const spec = (file: string, layers = "repeat 2 { residual tanh }") =>
  `manifold I (x, y)\nnetwork n : I -> R^2 weights "${file}" {\n  ${layers}\n}\n`;
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};
const good = {
  h: 0.1,
  W1: [
    [1, 0],
    [0, 1],
  ],
  b1: [0, 0],
  W2: [
    [0.5, 0.2],
    [-0.1, 0.3],
  ],
  b2: [0.1, 0.2],
};

function only(text: string) {
  const ds = diagnostics(text, join(dir, "spec.rgnn"), dir);
  expect(ds).toHaveLength(1);
  return ds[0];
}

describe("weights files", () => {
  it("loads parameters by name", () => {
    const m = model(spec(write("good.json", JSON.stringify(good))), join(dir, "spec.rgnn"), dir);
    const n = m.mappings.get("n")!;
    if (n.kind !== "network") throw new Error("not a network");
    expect([...n.layers[1].W!.values!]).toEqual([0.5, 0.2, -0.1, 0.3]);
    expect(n.layers[1].h!.values![0]).toBe(0.1);
  });

  it("a missing file points at the file name in the spec", () => {
    const d = only(spec("missing.json"));
    expect(d.message).toBe("cannot read weights file 'missing.json': no such file");
    expect(d.span).toMatchObject({ line: 2, col: 30 });
  });

  it("malformed JSON points into the weights file", () => {
    const d = only(spec(write("bad.json", '{\n  "h": 0.1,\n  "W1": [[1, 0], [0 1]]\n}')));
    expect(d.file).toBe("bad.json");
    expect(d.message).toMatch(/^malformed JSON in weights file/);
    expect(d.span.line).toBe(3);
  });

  it("NaN weights are rejected with their position", () => {
    const d = only(spec(write("nan.json", '{"h": 0.1,\n "W1": [[1, NaN], [0, 1]]}')));
    expect(d).toMatchObject({ file: "nan.json", message: "weights must be finite numbers, found NaN" });
    expect(d.span).toMatchObject({ line: 2, col: 13 });
  });

  it("non-numeric entries", () => {
    const d = only(spec(write("str.json", JSON.stringify({ ...good, b2: [0, "x"] }))));
    expect(d.message).toBe("b of layer 2 (residual): in weights file 'str.json', b2[1] is not a number (found \"x\")");
  });

  it("wrong-shaped weights", () => {
    const d = only(
      spec(
        write(
          "shape.json",
          JSON.stringify({
            ...good,
            W2: [
              [1, 2, 3],
              [4, 5, 6],
            ],
          }),
        ),
      ),
    );
    expect(d.message).toBe("W of layer 2 (residual): 'W2' in 'shape.json' is a 2×3 matrix, expected a 2×2 matrix");
  });

  it("a missing key, with a suggestion", () => {
    const d = only(spec(write("key.json", JSON.stringify({ h: 0.1, W1: good.W1, b1: good.b1, w2: good.W2, b2: good.b2 }))));
    expect(d.message).toBe("W of layer 2 (residual): weights file 'key.json' has no entry 'W2'");
    expect(d.notes).toContain("did you mean 'w2'?");
  });

  it("a file that is not an object", () => {
    expect(only(spec(write("arr.json", "[1, 2]"))).message).toContain("must be a JSON object");
  });
});
