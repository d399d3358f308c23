// safetensors, read directly: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}), then the raw
// little-endian tensor bytes. rgnn reads F32 and F64 (what PyTorch exports for small models).

export interface SafeTensor { dtype: string; shape: number[]; values: Float64Array }

export class SafetensorsError extends Error {}

const SIZE: Record<string, number> = { F32: 4, F64: 8 };

export function readSafetensors(bytes: Uint8Array): Map<string, SafeTensor> {
  if (bytes.length < 8) throw new SafetensorsError("the file is shorter than its 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw new SafetensorsError(`the header claims ${n} bytes, but the file has only ${bytes.length - 8} after the length`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e: any) {
    throw new SafetensorsError(`the header is not valid JSON (${e?.message ?? e})`);
  }
  const data = bytes.subarray(8 + n);
  const out = new Map<string, SafeTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: off } = info ?? {};
    if (!(dtype in SIZE)) throw new SafetensorsError(`tensor '${name}' has dtype ${dtype}; rgnn reads F32 and F64`);
    if (!Array.isArray(shape) || !Array.isArray(off) || off.length !== 2) throw new SafetensorsError(`tensor '${name}' has a malformed header entry`);
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    const [begin, end] = off as number[];
    if (end - begin !== count * SIZE[dtype] || begin < 0 || end > data.length) throw new SafetensorsError(`tensor '${name}' (${dtype}, shape [${shape.join(", ")}]) does not fit its byte range [${begin}, ${end})`);
    const dv = new DataView(data.buffer, data.byteOffset + begin, end - begin);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = dtype === "F32" ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
    out.set(name, { dtype, shape, values });
  }
  return out;
}

/** Write tensors as safetensors (F64 unless a tensor asks for F32). */
export function writeSafetensors(tensors: Record<string, { shape: number[]; values: ArrayLike<number>; dtype?: "F32" | "F64" }>): Uint8Array {
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
