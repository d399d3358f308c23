// Timing and table helpers shared by the bench suites.
import { mkdirSync, writeFileSync } from "node:fs";

export function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

/** Best of a few runs, in ms: timings are noisy on a shared machine. */
export function best(f: () => void, runs = 3): number {
  let m = Infinity;
  for (let i = 0; i < runs; i++) m = Math.min(m, time(f)[1]);
  return m;
}

export function printTable(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((l) => l[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => c.padStart(widths[j])).join("  ");
  console.log(`\n${title}\n`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

export function printTargets(targets: Record<string, number>): void {
  console.log("\ntargets:");
  for (const [k, v] of Object.entries(targets)) console.log(`  ${k}: ${v.toFixed(2)}`);
}

/** bench/results/ in the source tree, whether this runs compiled (dist/bench/) or from bench/. */
const RESULTS = new URL(import.meta.url.includes("/dist/bench/") ? "../../bench/results/" : "./results/", import.meta.url);

export function writeResults(name: string, data: unknown): void {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    new URL(`${name}.json`, RESULTS),
    `${JSON.stringify({ node: process.version, date: new Date().toISOString(), ...(data as object) }, null, 2)}\n`,
  );
  console.log(`written: bench/results/${name}.json`);
}
