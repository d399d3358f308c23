// Symbolic requests that could not finish are refused up front from a size estimate, with one message
// that says what to do instead, exit 1 — never a hang, an out-of-memory abort or "Invalid string length".
import { describe, expect, it } from "vitest";
import { cli, folder } from "./tools.js";

const expectRefused = (r: { code: number; err: string; out: string }, instead: RegExp) => {
  expect(r.code).toBe(1);
  expect(r.out).toBe("");
  expect(r.err).toMatch(/^rgnn: .* too large|^rgnn: .* would print more than/);
  expect(r.err).toMatch(instead);
  expect(r.err).not.toMatch(/internal error|Invalid string length|\n\s+at /);
  expect(r.err.trim().split("\n")).toHaveLength(1);
};

/** A .safetensors file with F32 tensors of these shapes, every entry `value`. */
function safetensors(tensors: Record<string, number[]>, value = 0.01): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(tensors)) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // keeps the data 4-byte aligned
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  new Float32Array(out.buffer, 8 + h.length, offset / 4).fill(value);
  return out;
}

describe("symbolic requests too large to finish are refused", () => {
  const { write } = folder("size");

  it("the Riemann tensor (and scalar curvature) of R^1024", async () => {
    const f = write("flat.rgnn", "manifold M = R^1024\nmetric g on M = euclidean\n");
    expectRefused(await cli(["geometry", f, "--quantity", "riemann"]), /smaller chart/);
    const at = Array.from({ length: 1024 }, () => "0.1").join(",");
    expectRefused(await cli(["geometry", f, "--quantity", "scalar", "--at", at]), /too large to compute symbolically/);
  });

  it("the symbolic metric of a dense 1024 → 1024 network: refused in components, given in matrix form", async () => {
    write("wide.safetensors", safetensors({ W1: [1024, 1024], b1: [1024] }));
    const f = write(
      "wide.rgnn",
      'manifold I = R^1024\nnetwork n : I -> R^1024 weights "wide.safetensors" {\n  dense 1024 tanh\n}\n' + "metric g = pullback along n\n",
    );
    expectRefused(await cli(["metric", f, "--form", "explicit"]), /--at/);
    expectRefused(await cli(["metric", f, "--form", "layers"]), /--at/);
    // auto falls back to the matrix recursion, which is small for any width
    const auto = await cli(["metric", f]);
    expect(auto.code, auto.err).toBe(0);
    expect(auto.out).toContain("J1 = diag(tanh'(z1))*W1");
  });

  it("--form explicit of examples/deep-resnet.rgnn, which --form layers prints", async () => {
    expectRefused(await cli(["metric", "examples/deep-resnet.rgnn", "--form", "explicit"]), /--form layers/);
    const r = await cli(["metric", "examples/deep-resnet.rgnn", "--form", "layers"]);
    expect(r.code).toBe(0);
  });

  it("the symbolic metric of examples/second-order.rgnn in every format: written out refused, auto in matrix form", async () => {
    for (const format of ["text", "latex", "json"]) {
      for (const form of ["explicit", "layers"])
        expectRefused(await cli(["metric", "examples/second-order.rgnn", "--format", format, "--form", form]), /--form matrix/);
      const auto = await cli(["metric", "examples/second-order.rgnn", "--format", format]);
      expect(auto.code).toBe(0);
      expect(auto.out).toMatch(/W_?\{?64\}?/);
    }
    expect((await cli(["metric", "examples/second-order.rgnn", "--at", "0.3,-0.7"])).code).toBe(0);
  });
});
