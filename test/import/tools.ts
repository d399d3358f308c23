// The ONNX fixtures, and Debian's Python with torch, for the tests that regenerate fixtures or run exported modules. Locally a
// missing torch skips them (with a notice); in CI (.ci/run installs python3-torch) it is an error.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { cli } from "../helpers.js";

export const PYTHON = "/usr/bin/python3";

function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import torch, numpy, onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function requireTorch(): boolean {
  const ok = hasTorch();
  if (!ok && process.env.CI) throw new Error(`${PYTHON} cannot import torch, numpy and onnx; .ci/run installs them`);
  if (!ok) console.warn(`${PYTHON} cannot import torch: skipping the tests that need Python`);
  return ok;
}

/** Run a Python script with arguments; its standard output. */
export function python(script: string, args: string[] = []): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
}

export const FIXTURES = join(import.meta.dirname, "../fixtures/onnx");

/** Import a fixture; the spec's path. */
export async function imported(name: string, into: string): Promise<string> {
  const spec = join(into, `${name}.rgnn`);
  const r = await cli(["import", join(FIXTURES, `${name}.onnx`), "-o", spec]);
  expect(r.err).toMatch(/^wrote \S+\.rgnn and \S+\.safetensors \(\d+ layers?\)\n$/);
  expect(r.code).toBe(0);
  return spec;
}
