// Toy data sets of the paper's kind, generated from a seed: two interleaved spirals, concentric
// rings, two moons, XOR blobs. Two classes, points in about [-1, 1]², written as CSV.
import { rng } from "../core/random.js";

export const DATASETS = ["spirals", "rings", "moons", "xor"] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface Dataset {
  name: string;
  x: Float64Array;
  y: Int32Array;
  count: number;
}

export interface DataOptions {
  points?: number;
  noise?: number;
  seed?: number;
}

const DEFAULT_NOISE: Record<DatasetName, number> = { spirals: 0.03, rings: 0.04, moons: 0.06, xor: 0.12 };

export function generate(name: DatasetName, opts: DataOptions = {}): Dataset {
  const count = opts.points ?? 400,
    noise = opts.noise ?? DEFAULT_NOISE[name];
  const r = rng(opts.seed ?? 1);
  const gauss = () => {
    const u = Math.max(r(), 1e-300),
      v = r();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const x = new Float64Array(2 * count),
    y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 2;
    let px: number, py: number;
    switch (name) {
      case "spirals": {
        // 1.5 turns each, the second rotated by π
        const t = 0.15 + 0.85 * r();
        const theta = 3 * Math.PI * t + c * Math.PI;
        px = 0.95 * t * Math.cos(theta);
        py = 0.95 * t * Math.sin(theta);
        break;
      }
      case "rings": {
        // an inner ring and an outer ring
        const rad = c === 0 ? 0.3 : 0.8,
          a = 2 * Math.PI * r();
        px = rad * Math.cos(a);
        py = rad * Math.sin(a);
        break;
      }
      case "moons": {
        const a = Math.PI * r();
        [px, py] = c === 0 ? [Math.cos(a) - 0.5, Math.sin(a) - 0.25] : [0.5 - Math.cos(a), 0.25 - Math.sin(a)];
        px *= 0.8;
        py *= 0.8;
        break;
      }
      case "xor": {
        const sx = r() < 0.5 ? -1 : 1,
          sy = c === 0 ? sx : -sx;
        px = 0.5 * sx;
        py = 0.5 * sy;
        break;
      }
    }
    x[2 * i] = px + noise * gauss();
    x[2 * i + 1] = py + noise * gauss();
    y[i] = c;
  }
  return { name, x, y, count };
}

export function toCsv(d: Dataset): string {
  const lines = ["x,y,label"];
  for (let i = 0; i < d.count; i++) lines.push(`${d.x[2 * i]},${d.x[2 * i + 1]},${d.y[i]}`);
  return `${lines.join("\n")}\n`;
}
