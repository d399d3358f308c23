// Shared pieces of the hostile-input suite: a fresh folder per test file, the CLI in-process and
// as a child process (for inputs that used to hang or abort the process), and what every error
// must look like.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

import { cli } from "../helpers.js";

export { cli };

export const BIN = fileURLToPath(new URL("../../bin/rgnn.js", import.meta.url));

export function folder(tag: string): { dir: string; write: (name: string, text: string | Uint8Array) => string } {
  const dir = mkdtempSync(join(tmpdir(), `rgnn-hostile-${tag}-`));
  return {
    dir,
    write: (name, text) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

/** The built CLI as a child process; the timeout only guards against a hang. */
export function child(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    input: opts.input ?? "",
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, out: r.stdout ?? "", err: r.stderr ?? "" };
}

/** One located error (`file:line:col: error: …`, the line, a caret), or a one-line file error; never a trace. */
export function expectCleanError(r: { code: number | null; err: string }, message: RegExp | string): void {
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^[^\n]+?(:\d+:\d+)?: error: /);
  expect(r.err).not.toMatch(/\n\s+at |internal error|RangeError|TypeError/);
  // long reasons are wrapped for the terminal: compare with the line breaks and indents as single spaces
  if (typeof message === "string") expect(r.err.replace(/\s+/g, " ")).toContain(message.replace(/\s+/g, " "));
  else expect(r.err).toMatch(message);
}

/** The caret line's position must point at the expected character of the shown excerpt. */
export function caretChar(err: string): string {
  const lines = err.split("\n");
  const src = lines[2].replace(/^\d+ \| /, ""),
    caret = lines[3].replace(/^\s* \| /, "");
  return src[caret.indexOf("^")];
}

export const net = (weights: string, params = "") =>
  `manifold I (x, y)\nnetwork n : I -> R^2 weights "${weights}" {\n  dense 2 tanh${params}\n}\n`;
export const GOOD = {
  W1: [
    [1, 0],
    [0, 1],
  ],
  b1: [0.5, -0.5],
};

/** Imports `path`: exactly one error line containing `message` (naming the model), exit 1, nothing written. */
export async function refusedImport(path: string, message: string): Promise<void> {
  const spec = `${path}.rgnn`;
  const r = await cli(["import", path, "-o", spec]);
  expect(r.code).toBe(1);
  expect(r.out).toBe("");
  expect(r.err).toContain(message);
  expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  expect(existsSync(spec)).toBe(false);
}
