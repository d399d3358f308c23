// Shared test helpers: a seeded RNG, an in-process CLI, specs from text, finite differences.
import { expect } from "vitest";
import { readFileSync } from "node:fs";
import { checkSpec } from "../src/api/spec.js";
import { run } from "../src/cli/main.js";
import { type IO, processIO } from "../src/cli/io.js";
import { loadSpec } from "../src/semantics/load.js";
import type { Model } from "../src/semantics/model.js";
import { DiagnosticError } from "../src/syntax/diagnostics.js";

export { rng } from "../src/core/random.js";
export const uniform = (r: () => number, lo: number, hi: number) => lo + (hi - lo) * r();

export async function cli(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  let out = "",
    err = "";
  const io: IO = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    readStdin: () => stdin,
    readFile: processIO.readFile, // the real reader: its checks are under test too
  };
  const code = await run(args, io);
  return { code, out, err };
}

export function model(text: string, file = "test.rgnn", baseDir = process.cwd()): Model {
  return loadSpec(text, file, baseDir);
}

/** The diagnostics a spec produces (fails the test if it has none). */
/** An example spec, checked through the public API as a library user loads it. */
export function exampleModel(name: string): Model {
  const file = `examples/${name}.rgnn`;
  const r = checkSpec(readFileSync(file, "utf8"), file);
  if (!r.ok) throw new Error(r.message);
  return r.model;
}

export function diagnostics(text: string, file = "test.rgnn", baseDir = process.cwd()) {
  try {
    loadSpec(text, file, baseDir);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics;
    throw e;
  }
  throw new Error("expected the spec to be rejected, but it checked clean");
}

/** The single diagnostic of a spec, with its 1-based line and column. */
export function onlyError(text: string, file?: string, baseDir?: string) {
  const ds = diagnostics(text, file, baseDir);
  if (ds.length !== 1) throw new Error(`expected one error, got ${ds.length}:\n${ds.map((d) => d.message).join("\n")}`);
  return { message: ds[0].message, line: ds[0].span.line, col: ds[0].span.col, notes: ds[0].notes ?? [] };
}

/** Jacobian by the 5-point central stencil (ε = 1e-3): the same routine the witnesses use. */
export { fdJacobian } from "../src/derive/routes.js";

/** Largest entrywise difference relative to the largest entry of the reference. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let d = 0,
    s = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i] - want[i]));
    s = Math.max(s, Math.abs(want[i]));
  }
  return d / Math.max(s, 1e-300);
}

export function expectClose(a: number[][], b: number[][], tol: number, what = ""): void {
  const scale = Math.max(1, ...b.flat().map(Math.abs));
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      const d = Math.abs(v - b[i][j]);
      if (!(d <= tol * scale))
        throw new Error(`${what} entry [${i}][${j}]: ${v} vs ${b[i][j]} (difference ${d}, tolerance ${tol * scale})`);
    });
  });
}
