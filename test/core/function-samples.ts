// Where the registry's functions are sampled by the tests that check their derivatives, and how.
import { type FunctionDef, type FunctionName, REGISTRY } from "../../src/core/functions.js";

export const def = (f: FunctionName): FunctionDef => REGISTRY[f];
/** Points in f's domain, away from 0 (where relu, abs, elu, … have their kink or jump). */
export function samples(f: FunctionName): number[] {
  const [lo, hi] = def(f).domain ?? [-Infinity, Infinity];
  const base = [-2.3, -1.1, -0.4, 0.35, 0.9, 1.7];
  if (Number.isFinite(lo) && Number.isFinite(hi)) return base.map((t) => lo + ((t + 2.5) / 4.4) * (hi - lo));
  return lo === 0 ? base.map((t) => Math.abs(t) + 0.1) : base;
}
/** Central differences of order 4. */
export const fd = (g: (x: number) => number, x: number, h = 1e-4) => (g(x - 2 * h) - 8 * g(x - h) + 8 * g(x + h) - g(x + 2 * h)) / (12 * h);
export const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));
