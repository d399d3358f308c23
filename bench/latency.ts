// CLI latency: each command's wall time as a fresh process (median of several runs), as a ratio to
// `node -e 0` measured in the same run, so the figures say how much start-up each command adds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { printTable, printTargets, writeResults } from "./table.js";

const RUNS = 7;
const bin = fileURLToPath(new URL(import.meta.url.includes("/dist/bench/") ? "../../bin/rgnn.js" : "../bin/rgnn.js", import.meta.url));
const root = join(bin, "../..");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median wall time in ms of `node args…` run from the repository root (one unmeasured warm-up run first). */
function wall(args: string[]): number {
  const run = () => {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { cwd: root, stdio: "ignore" });
    return performance.now() - t0;
  };
  run();
  return median(Array.from({ length: RUNS }, run));
}

export function latencySuite(): void {
  const out = mkdtempSync(join(tmpdir(), "rgnn-latency-"));
  const commands: [string, string[]][] = [
    ["check", ["check", "examples/paper-toy.rgnn"]],
    ["metric --at", ["metric", "examples/paper-toy.rgnn", "--at", "0.3,-0.7"]],
    ["metric (symbolic)", ["metric", "examples/paper-toy.rgnn"]],
    ["eval", ["eval", "examples/paper-toy.rgnn", "--at", "0.3,-0.7"]],
    ["geometry --at", ["geometry", "examples/sphere.rgnn", "--at", "1,2"]],
    ["verify", ["verify", "examples/polar.rgnn"]],
    ["derive -o x.html", ["derive", "examples/polar.rgnn", "-o", join(out, "x.html")]],
  ];
  try {
    const baseline = wall(["-e", "0"]);
    const rows = commands.map(([name, args]) => {
      const ms = wall([bin, ...args]);
      return { command: name, args: args.map((a) => (a.startsWith(out) ? "x.html" : a)).join(" "), ms, ratio: ms / baseline };
    });
    printTable(
      `CLI wall time, median of ${RUNS} runs; node -e 0: ${baseline.toFixed(0)} ms`,
      ["command", "ms", "× node -e 0"],
      rows.map((r) => [r.command, r.ms.toFixed(0), r.ratio.toFixed(2)]),
    );
    const check = rows.find((r) => r.command === "check")!;
    printTargets({ "check within 3x of node -e 0": check.ratio });
    writeResults("latency", { runs: RUNS, nodeBaselineMs: baseline, rows });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
