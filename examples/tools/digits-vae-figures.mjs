// Draws examples/digits-vae/volume.png with `rgnn plot`: the decoder's volume element log₁₀ √det g over the latent
// square [−2.8, 2.8]², the encoded means of all 1,797 digits coloured by class, and geodesics of g between the typical
// digits of five pairs of classes (the pairs of examples/tools/digits_vae_reference.py) against straight lines. Also
// writes examples/digits-vae/typical.csv: each class's typical digit (the one whose encoded mean is nearest its class's
// mean latent point, the point `plot --pairs` joins), one per class 0 … 9, for `rgnn distances`.
// Run after `npm run build`: node examples/tools/digits-vae-figures.mjs
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const DIR = "examples/digits-vae";
const rows = readFileSync(`${DIR}/latents.csv`, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split(",").map(Number));
const typical = Array.from({ length: 10 }, (_, c) => {
  const members = rows.filter((r) => r[2] === c);
  const mx = members.reduce((s, r) => s + r[0], 0) / members.length,
    my = members.reduce((s, r) => s + r[1], 0) / members.length;
  return members.reduce((a, r) => (Math.hypot(r[0] - mx, r[1] - my) < Math.hypot(a[0] - mx, a[1] - my) ? r : a)).slice(0, 2);
});
writeFileSync(`${DIR}/typical.csv`, `u,v\n${typical.map((p) => p.join(",")).join("\n")}\n`);
console.log(`wrote ${DIR}/typical.csv`);
const args = ["plot", `${DIR}/digits.rgnn`, "--kind", "volume", "--data", `${DIR}/latents.csv`];
args.push("--pairs", "0:1,0:6,3:4,2:7,6:9", "--domain=-2.8,2.8", "--width", "1640", "-o", `${DIR}/volume.png`);
execFileSync(process.execPath, ["bin/rgnn.js", ...args], { stdio: "inherit" });
