// NumPy's .npy format, version 1.0, the one writer of the binary outputs (`--format npy` of eval, geometry and
// distances): the magic string, a little-endian uint16 header length, an ASCII dict {'descr': '<f8', 'fortran_order':
// False, 'shape': (…)} padded with spaces to a multiple of 64 bytes with its newline, then the float64 values in C
// order. np.load(path) reads it.

/** The header of a .npy file of float64 values (C order) with this shape: the values' bytes (npyBody) follow it. */
export function npyHeader(shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1; // magic (6) + version (2) + length (2), the dict, its newline
  header += `${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  return head;
}

const littleEndian = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Float64 values as a .npy file holds them (little-endian): a view of their own bytes, on a big-endian host a copy. */
export function npyBody(values: Float64Array): Uint8Array {
  if (littleEndian) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const body = new Uint8Array(values.length * 8),
    view = new DataView(body.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return body;
}

/** The .npy file of float64 `values` (C order) with this shape, as its two pieces for writeFileAtomic. */
export function npyFile(shape: readonly number[], values: Float64Array): [Uint8Array, Uint8Array] {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`npy: shape (${shape.join(", ")}) holds ${count} values, not ${values.length}`);
  return [npyHeader(shape), npyBody(values)];
}
