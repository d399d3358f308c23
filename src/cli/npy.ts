// NumPy's .npy format, version 1.0, the one writer of the binary outputs (`--format npy` of eval, geometry and
// distances): the magic string, a little-endian uint16 header length, an ASCII dict {'descr': '<f8', 'fortran_order':
// False, 'shape': (…)} padded with spaces to a multiple of 64 bytes with its newline, then the float64 values in C
// order. np.load(path) reads it.

/**
 * The .npy file of float64 `values` (C order) with this shape, as two pieces for writeFileAtomic: the header, and the
 * values' own bytes (a view, not a copy, on a little-endian host).
 */
export function npyFile(shape: readonly number[], values: Float64Array): [Uint8Array, Uint8Array] {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`npy: shape (${shape.join(", ")}) holds ${count} values, not ${values.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1; // magic (6) + version (2) + length (2), the dict, its newline
  header += `${" ".repeat((64 - (unpadded % 64)) % 64)}\n`;
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  if (new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f)
    return [head, new Uint8Array(values.buffer, values.byteOffset, values.byteLength)];
  const body = new Uint8Array(values.length * 8),
    view = new DataView(body.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true); // a big-endian host
  return [head, body];
}
