// Writes examples/deep-resnet.weights.json: a 64-layer residual tanh network whose weights
// sample one smooth weight function W(t), b(t) on t in [0, 1] (t_l = (l - 1) / 64), so
// that deeper versions of the same network converge to the flow dx/dt = tanh(W(t) x + b(t)).
// Run: node examples/tools/deep-resnet-weights.mjs
import { writeFileSync } from "node:fs";

const depth = 64;
const W = (t) => [
  [0.6 * Math.cos(2 * Math.PI * t), -1.2 + 0.4 * t],
  [1.1 - 0.3 * Math.sin(Math.PI * t), 0.5 * Math.sin(2 * Math.PI * t)],
];
const b = (t) => [0.2 * Math.sin(Math.PI * t), -0.1 + 0.2 * t];
const round = (x) => Math.round(x * 1e12) / 1e12;
const out = { h: 1 / depth };
for (let l = 1; l <= depth; l++) {
  const t = (l - 1) / depth;
  out[`W${l}`] = W(t).map((row) => row.map(round));
  out[`b${l}`] = b(t).map(round);
}
const lines = Object.entries(out).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
writeFileSync(new URL("../deep-resnet.weights.json", import.meta.url), `{\n${lines.join(",\n")}\n}\n`);
