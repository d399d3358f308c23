// Writes examples/decoder.safetensors: the weights of examples/decoder.rgnn, a 2 → 256 → 256 → 784 decoder
// (a generator from a 2-D latent space to 28×28 pixels), drawn from a seeded Gaussian with variance 1/fan-in,
// as F32 tensors in the layout PyTorch writes (W: [out, in], b: [out]).
// Run: node examples/tools/decoder-weights.mjs
import { writeFileSync } from "node:fs";

let s = 20171204; // mulberry32: the same bytes on every machine
const uniform = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

const widths = [2, 256, 256, 784];
const tensors = [];
for (let l = 1; l < widths.length; l++) {
  const [n, m] = [widths[l - 1], widths[l]];
  // a latent input of order 1 must reach the saturating range of the first layer: scale it up there
  const scale = (l === 1 ? 2 : 1) / Math.sqrt(n);
  tensors.push([`W${l}`, [m, n], Float32Array.from({ length: m * n }, () => scale * gauss())]);
  tensors.push([`b${l}`, [m], Float32Array.from({ length: m }, () => 0.1 * gauss())]);
}
const header = {};
let offset = 0;
for (const [name, shape, data] of tensors) {
  header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + data.byteLength] };
  offset += data.byteLength;
}
let json = JSON.stringify(header);
while ((8 + json.length) % 8) json += " "; // the data section starts 8-byte aligned
const out = Buffer.alloc(8 + json.length + offset);
out.writeBigUInt64LE(BigInt(json.length), 0);
out.write(json, 8, "utf8");
let at = 8 + json.length;
for (const [, , data] of tensors) {
  Buffer.from(data.buffer).copy(out, at);
  at += data.byteLength;
}
writeFileSync(new URL("../decoder.safetensors", import.meta.url), out);
