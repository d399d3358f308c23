// safetensors, read directly: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw
// little-endian tensor bytes. rgnn reads F64, F32, F16 and BF16. A downloaded file is not
// trusted: every header field is checked, and the tensors must tile the data section exactly.
import { clip } from "../syntax/text.js";

export interface SafeTensor {
  dtype: string;
  shape: number[];
  values: Float64Array;
}

export class SafetensorsError extends Error {}

/** Most indices a tensor may have (a weight has at most 2; the limit keeps nested walks shallow). */
export const MAX_RANK = 32;

const SIZE: Record<string, number> = { F32: 4, F64: 8 };
type FloatDtype = "F64" | "F32" | "F16" | "BF16";
const FLOAT_SIZE: Record<FloatDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const NOT_FLOAT = new Set(["BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F8_E4M3", "F8_E5M2"]);

/** IEEE 754 half precision: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1,
    exp = (bits >> 10) & 0x1f,
    frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bf16View = new DataView(new ArrayBuffer(4));
/** bfloat16 is the upper half of an IEEE single. */
export function bfloat16ToNumber(bits: number): number {
  bf16View.setUint32(0, ((bits & 0xffff) << 16) >>> 0);
  return bf16View.getFloat32(0);
}

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * A tensor's values as float64, converted once: F64 bytes aligned to 8 on a little-endian host are viewed where they
 * lie (no copy: the tensor shares the file's buffer), else copied; F32 through a Float32Array view where aligned.
 */
function float64Values(dtype: FloatDtype, data: Uint8Array, begin: number, count: number): Float64Array {
  const at = data.byteOffset + begin;
  if (LITTLE_ENDIAN && dtype === "F64")
    return at % 8 === 0 ? new Float64Array(data.buffer, at, count) : new Float64Array(data.slice(begin, begin + 8 * count).buffer);
  if (LITTLE_ENDIAN && dtype === "F32" && at % 4 === 0) return Float64Array.from(new Float32Array(data.buffer, at, count));
  const dv = new DataView(data.buffer, at, count * FLOAT_SIZE[dtype]);
  const values = new Float64Array(count);
  if (dtype === "F64") for (let i = 0; i < count; i++) values[i] = dv.getFloat64(i * 8, true);
  else if (dtype === "F32") for (let i = 0; i < count; i++) values[i] = dv.getFloat32(i * 4, true);
  else if (dtype === "F16") for (let i = 0; i < count; i++) values[i] = halfToNumber(dv.getUint16(i * 2, true));
  else for (let i = 0; i < count; i++) values[i] = bfloat16ToNumber(dv.getUint16(i * 2, true));
  return values;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

export function readSafetensors(bytes: Uint8Array): Map<string, SafeTensor> {
  if (bytes.length < 8) throw new SafetensorsError("the file is shorter than its 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(bytes.length - 8))
    throw new SafetensorsError(`the header claims ${claimed} bytes, but the file has only ${bytes.length - 8} after the length`);
  const n = Number(claimed);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new SafetensorsError("the header is not valid UTF-8 JSON");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw new SafetensorsError("the header is not a JSON object");
  const data = bytes.subarray(8 + n);
  const ranges: { name: string; begin: number; end: number }[] = [];
  const out = new Map<string, SafeTensor>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const shown = `tensor '${clip(name)}'`;
    if (info === null || typeof info !== "object" || Array.isArray(info))
      throw new SafetensorsError(`${shown}: its header entry is not an object`);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (typeof dtype === "string" && NOT_FLOAT.has(dtype))
      throw new SafetensorsError(`${shown} has dtype ${dtype}, not a float tensor; rgnn reads F64, F32, F16 and BF16`);
    if (typeof dtype !== "string" || !(dtype in FLOAT_SIZE))
      throw new SafetensorsError(
        `${shown} has unknown dtype ${clip(JSON.stringify(dtype) ?? "(none)")}; rgnn reads F64, F32, F16 and BF16`,
      );
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isCount)) {
      throw new SafetensorsError(`${shown}: its shape must be a list of at most ${MAX_RANK} whole numbers ≥ 0`);
    }
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[0] > off[1]) {
      throw new SafetensorsError(`${shown}: data_offsets must be two whole numbers [begin, end] with begin ≤ end`);
    }
    const [begin, end] = off as number[];
    if (end > data.length)
      throw new SafetensorsError(`${shown}: its byte range [${begin}, ${end}) runs past the data section (${data.length} bytes)`);
    const size = FLOAT_SIZE[dtype as FloatDtype];
    let count = 1;
    for (const d of shape as number[]) count *= d; // bounded: compared with a range inside the file
    if (count * size !== end - begin) {
      throw new SafetensorsError(
        `${shown} (${dtype}, shape [${shape.join(", ")}]) needs ${count * size} bytes, but its byte range [${begin}, ` +
          `${end}) has ${end - begin}`,
      );
    }
    ranges.push({ name, begin, end });
    out.set(name, { dtype, shape: shape as number[], values: float64Values(dtype as FloatDtype, data, begin, count) });
  }
  // The tensors tile the data section: no overlaps, no gaps, nothing after the last.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const r of ranges) {
    if (r.begin < pos) throw new SafetensorsError(`tensor '${clip(r.name)}' overlaps another tensor's bytes at ${r.begin}`);
    if (r.begin > pos) throw new SafetensorsError(`bytes ${pos} to ${r.begin} of the data section belong to no tensor`);
    pos = r.end;
  }
  if (pos !== data.length) throw new SafetensorsError(`bytes ${pos} to ${data.length} of the data section belong to no tensor`);
  return out;
}

/** Write tensors as safetensors (F64 unless a tensor asks for F32). */
export function writeSafetensors(
  tensors: Record<string, { shape: number[]; values: ArrayLike<number>; dtype?: "F32" | "F64" }>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const parts: [number, { shape: number[]; values: ArrayLike<number>; dtype?: "F32" | "F64" }][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const size = SIZE[t.dtype ?? "F64"] * t.values.length;
    header[name] = { dtype: t.dtype ?? "F64", shape: t.shape, data_offsets: [offset, offset + size] };
    parts.push([offset, t]);
    offset += size;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += " "; // align the data to 8 bytes, as the format recommends
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  for (const [start, t] of parts) {
    const base = 8 + headerBytes.length + start;
    for (let i = 0; i < t.values.length; i++) {
      if ((t.dtype ?? "F64") === "F32") view.setFloat32(base + 4 * i, t.values[i], true);
      else view.setFloat64(base + 8 * i, t.values[i], true);
    }
  }
  return out;
}

/** A tensor as nested arrays, as a JSON weights file would hold it. */
export function nested(shape: number[], values: ArrayLike<number>, offset = 0): unknown {
  if (shape.length === 0) return values[offset];
  const stride = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nested(shape.slice(1), values, offset + i * stride));
}
