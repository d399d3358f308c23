// Every writer into a folder no file can be made in: one line `rgnn: error: cannot write PATH: why`, exit 1, nothing
// written and no temporary file left. Tests run as root, whom permissions do not stop, so the folders are ones root
// cannot write either: /proc (ENOENT in a folder that exists — once "no such directory"), a path through a regular
// file (ENOTDIR — once an internal error from `plot`), and a folder made immutable with chattr +i where the file
// system has it. `rgnn experiment -o` such a folder once hung (Node's recursive mkdirSync loops under /proc) or trained
// for nothing; it is refused before any training.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { child, expectCleanError, folder } from "./tools.js";

const { dir } = folder("readonly");
const TOY = "examples/paper-toy.rgnn";
const DENSE = "examples/paper-experiments/dense10.rgnn";
const POLAR = "examples/polar.rgnn";
const points = join(dir, "pts.csv");
writeFileSync(points, "x,y\n0.1,0.2\n0.3,0.1\n");
const file = join(dir, "a-file");
writeFileSync(file, "x");

/** A folder made immutable, when chattr works here (it needs a file system with attributes): else null. */
function immutableFolder(): string | null {
  const d = join(dir, "immutable");
  mkdirSync(d);
  return spawnSync("chattr", ["+i", d]).status === 0 ? d : null;
}
const immutable = immutableFolder();
afterAll(() => {
  if (immutable) spawnSync("chattr", ["-i", immutable]);
});

/** Each writing command with its output in folder `d`, and the file name it writes. */
const writers = (d: string): [string, string[]][] => [
  ["derive", ["derive", POLAR, "-o", join(d, "doc.tex")]],
  ["export", ["export", POLAR, "-t", "numpy", "-o", join(d, "m.py")]],
  ["data", ["data", "spirals", "--points", "20", "-o", join(d, "d.csv")]],
  ["plot", ["plot", TOY, "-k", "grid", "--data", "spirals", "--points", "20", "-o", join(d, "p.svg")]],
  ["train", ["train", DENSE, "--data", "xor", "--points", "20", "--epochs", "1", "-o", join(d, "w.json")]],
  ["import", ["import", "test/fixtures/onnx/decoder.onnx", "-o", join(d, "dec.rgnn")]],
  ["eval", ["eval", "examples/deep-resnet.rgnn", "--points", points, "-o", join(d, "e.csv")]],
  ["distances", ["distances", POLAR, "--points", points, "-o", join(d, "d.npy")]],
  ["playground", ["playground", POLAR, "-o", join(d, "pg")]],
];

const folders: [string, string, RegExp][] = [
  ["/proc", "/proc", /no file can be created in \/proc/],
  ["a path through a file", file, /it exists and is not a directory|a part of the path is not a directory/],
];

describe("a writer into a folder no file can be made in: one message, exit 1, nothing written", () => {
  for (const [where, d, why] of folders)
    it.each(writers(d))(`%s into ${where}`, (_, args) => {
      const r = child(args);
      expectCleanError(r, why);
      expect(r.err).toMatch(/^rgnn: error: cannot write /);
      expect(r.err).toContain(`cannot write ${d}`);
      expect(r.err.trim().split("\n")).toHaveLength(1);
    });

  it.skipIf(immutable === null)("every writer into an immutable folder: permission denied, the folder stays empty", () => {
    for (const [what, args] of writers(immutable!)) {
      const r = child(args);
      expect(r.code, what).toBe(1);
      expect(r.err, what).toMatch(/^rgnn: error: cannot write \S+: permission denied\n$/);
    }
    expect(readdirSync(immutable!)).toEqual([]);
  });

  it("experiment -o into /proc, through a file or below them: refused before any training, never a hang", () => {
    const cases: [string, string][] = [
      ["/proc/rgnn-figures", "no file can be created in /proc"],
      [file, "it exists and is not a directory"],
      [join(file, "figures"), "a part of the path is not a directory"],
      ["/proc/self/rgnn/figures", "no such directory"],
    ];
    if (immutable) cases.push([immutable, "permission denied"], [join(immutable, "figures"), "permission denied"]);
    for (const [out, why] of cases) {
      const r = child(["experiment", "examples/paper-experiments", "-o", out]);
      expectCleanError(r, why);
      expect(r.out).not.toMatch(/epoch/); // nothing trained
    }
    if (immutable) expect(readdirSync(immutable)).toEqual([]);
  });
});
