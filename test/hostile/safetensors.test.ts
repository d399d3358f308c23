// A downloaded .safetensors file is not trusted: its header is validated field by field, and
// F16/BF16 are decoded bit-exactly.
import { describe, expect, it } from "vitest";
import { bfloat16ToNumber, halfToNumber, readSafetensors, SafetensorsError } from "../../src/semantics/safetensors.js";
import { cli, expectCleanError, folder, net } from "./tools.js";

/** A file from a header object (or raw header text) and data bytes, with an optional forged length. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0), claimed?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimed ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const f64 = (...xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
const u16 = (...xs: number[]) => new Uint8Array(Uint16Array.from(xs).buffer); // little-endian on every machine Node runs on
const error = (bytes: Uint8Array) => {
  try {
    readSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return e.message;
    throw e;
  }
  throw new Error("expected the file to be rejected");
};

describe("safetensors headers are validated", () => {
  const { write } = folder("st");

  it("string offsets (once string-concatenated into a read past the file) are refused, and the spec does not load", async () => {
    write("str.safetensors", file({ W1: { dtype: "F64", shape: [2, 2], data_offsets: ["0", "32"] } }, f64(1, 2, 3, 4)));
    const r = await cli(["check", write("str.rgnn", net("str.safetensors", ' with W = "W1", b = [0, 0]'))]);
    expectCleanError(
      r,
      /str\.rgnn:2:\d+: error: cannot read safetensors file 'str\.safetensors': tensor 'W1': data_offsets must be two whole numbers/,
    );
  });

  const W = (over: Record<string, unknown>) => ({ W: { dtype: "F64", shape: [2], data_offsets: [0, 16], ...over } });
  it.each([
    ["a header length of 2^60", file(W({}), f64(1, 2), 1n << 60n), "the header claims 1152921504606846976 bytes, but the file has only"],
    ["a header length past the file", file(W({}), f64(1, 2), 1000n), "the header claims 1000 bytes"],
    ["a header that is not JSON", file("{nope", f64(1, 2)), "the header is not valid UTF-8 JSON"],
    ["a header that is a JSON array", file("[1, 2]"), "the header is not a JSON object"],
    ["an entry that is not an object", file({ W: 5 }), "tensor 'W': its header entry is not an object"],
    ["an unknown dtype", file(W({ dtype: "F128" }), f64(1, 2)), "tensor 'W' has unknown dtype \"F128\""],
    ["a negative dimension", file(W({ shape: [-2] }), f64(1, 2)), "tensor 'W': its shape must be a list of at most 32 whole numbers ≥ 0"],
    ["a fractional dimension", file(W({ shape: [1.5] }), f64(1, 2)), "its shape must be a list"],
    ["a shape that is a number", file(W({ shape: 2 }), f64(1, 2)), "its shape must be a list"],
    ["fractional offsets", file(W({ data_offsets: [0, 15.5] }), f64(1, 2)), "data_offsets must be two whole numbers"],
    [
      "reversed offsets",
      file(W({ data_offsets: [16, 0] }), f64(1, 2)),
      "data_offsets must be two whole numbers [begin, end] with begin ≤ end",
    ],
    [
      "offsets past the data",
      file(W({ data_offsets: [0, 24] }), f64(1, 2)),
      "tensor 'W': its byte range [0, 24) runs past the data section (16 bytes)",
    ],
    [
      "a shape that does not fill its range",
      file(W({ shape: [1] }), f64(1, 2)),
      "tensor 'W' (F64, shape [1]) needs 8 bytes, but its byte range [0, 16) has 16",
    ],
    [
      "overlapping tensors",
      file({ a: { dtype: "F64", shape: [2], data_offsets: [0, 16] }, b: { dtype: "F64", shape: [1], data_offsets: [8, 16] } }, f64(1, 2)),
      "tensor 'b' overlaps another tensor's bytes at 8",
    ],
    [
      "a gap between tensors",
      file(
        { a: { dtype: "F64", shape: [1], data_offsets: [0, 8] }, b: { dtype: "F64", shape: [1], data_offsets: [16, 24] } },
        f64(1, 2, 3),
      ),
      "bytes 8 to 16 of the data section belong to no tensor",
    ],
    ["bytes after the last tensor", file(W({}), f64(1, 2, 3)), "bytes 16 to 24 of the data section belong to no tensor"],
  ])("%s", (_, bytes, message) => {
    expect(error(bytes)).toContain(message);
  });

  it.each(["I8", "I16", "I32", "I64", "U8", "BOOL"])("a %s tensor is not a float tensor", (dtype) => {
    expect(error(file(W({ dtype }), f64(1, 2)))).toBe(
      `tensor 'W' has dtype ${dtype}, not a float tensor; rgnn reads F64, F32, F16 and BF16`,
    );
  });
});

describe("F16 and BF16 are decoded bit-exactly", () => {
  // Hand-computed: F16 = sign · 2^(e−15) · (1 + f/1024), subnormals f · 2^−24; BF16 = the upper half of an IEEE single.
  const F16: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x3555, 1365 / 4096],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x0400, 2 ** -14],
    [0x8000, -0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  const BF16: [number, number][] = [
    [0x3f80, 1],
    [0xc040, -3],
    [0x3eaa, 0.33203125],
    [0x4049, 3.140625],
    [0x0001, 2 ** -133],
    [0x7f80, Infinity],
    [0xff7f, -(2 - 2 ** -7) * 2 ** 127],
  ];
  it.each(F16)("F16 %i", (bits, value) => expect(Object.is(halfToNumber(bits), value)).toBe(true));
  it.each(BF16)("BF16 %i", (bits, value) => expect(Object.is(bfloat16ToNumber(bits), value)).toBe(true));
  it("NaN patterns decode to NaN", () => {
    expect(halfToNumber(0x7e00)).toBeNaN();
    expect(bfloat16ToNumber(0x7fc0)).toBeNaN();
  });

  it("a spec loads F16 weights and BF16 biases from a file", async () => {
    const { write } = folder("half");
    const header = { W1: { dtype: "F16", shape: [2, 2], data_offsets: [0, 8] }, b1: { dtype: "BF16", shape: [2], data_offsets: [8, 12] } };
    const data = new Uint8Array([...u16(0x3c00, 0xc000, 0x3800, 0x3555), ...u16(0x3eaa, 0xc040)]);
    write("half.safetensors", file(header, data));
    const r = await cli(["eval", write("half.rgnn", net("half.safetensors")), "--at", "0.25,1", "--format", "json"]);
    expect(r.code).toBe(0);
    const [y1, y2] = JSON.parse(r.out).points[0].output;
    expect(y1).toBeCloseTo(Math.tanh(1 * 0.25 - 2 * 1 + 0.33203125), 14);
    expect(y2).toBeCloseTo(Math.tanh(0.5 * 0.25 + (1365 / 4096) * 1 - 3), 14);
  });
});
