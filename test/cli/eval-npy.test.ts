// The binary output (--format npy): NumPy's own reader (/usr/bin/python3, np.load) gets the csv's table bit for bit
// from eval --points (one thread and workers alike) and distances; and the csv's numbers read back as the same doubles.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evalColumns } from "../../src/cli/eval-format.js";
import { pickMapping } from "../../src/api/spec.js";
import { npyFile } from "../../src/cli/npy.js";
import { cli, exampleModel, rng, uniform } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-eval-npy-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const r = rng(21);
const pts = Array.from({ length: 1500 }, () => [uniform(r, -2, 2), uniform(r, -2, 2)]);
const csv = file("points.csv", `x,y\n${pts.map((p) => p.join(",")).join("\n")}\n`);
const spec = "examples/deep-resnet.rgnn";

const numpy = spawnSync("/usr/bin/python3", ["-c", "import numpy"]).status === 0;

/** What np.load makes of a file: its shape, and its float64 values as the hex of their bits (exact, -0 and NaN kept). */
function npLoad(path: string): { shape: number[]; bits: string[] } {
  const code =
    "import json,sys,numpy as np\na=np.load(sys.argv[1])\nprint(json.dumps({'shape':list(a.shape),'dtype':str(a.dtype)," +
    "'bits':[format(int(b),'016x') for b in a.reshape(-1).view('<u8')]}))";
  const run = spawnSync("/usr/bin/python3", ["-c", code, path], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(run.stderr);
  const parsed = JSON.parse(run.stdout);
  expect(parsed.dtype).toBe("float64");
  return parsed;
}

const bitsOf = (x: number) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true).toString(16).padStart(16, "0");
};

describe("npyFile", () => {
  it("writes a v1.0 header NumPy pads to 64 bytes, then the doubles little-endian", () => {
    const values = new Float64Array([1, 2, 3, 4, 5, -0.5]);
    const pieces = npyFile([2, 3], values);
    expect(pieces[1].buffer).toBe(values.buffer); // the values' own bytes, not a copy
    const b = new Uint8Array(Buffer.concat(pieces));
    expect(Array.from(b.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = b[8] | (b[9] << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = new TextDecoder().decode(b.subarray(10, 10 + headerLength));
    expect(header.trimEnd()).toBe("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
    expect(header.endsWith("\n")).toBe(true);
    expect(new DataView(b.buffer).getFloat64(10 + headerLength + 40, true)).toBe(-0.5);
    expect(() => npyFile([4], new Float64Array(3))).toThrow("holds 4 values, not 3");
  });
});

describe.skipIf(!numpy)("rgnn eval --points --format npy, read by NumPy", () => {
  it("holds the csv's table bit for bit, with one thread and with workers", async () => {
    const text = await cli(["eval", spec, "--points", csv, "--format", "csv", "--threads", "1"]);
    expect(text.code).toBe(0);
    const [head, ...lines] = text.out.trimEnd().split("\n");
    expect(head).toBe(evalColumns(pickMapping(exampleModel("deep-resnet"))).join(","));
    const rows = lines.map((l) => l.split(",").map(Number));
    for (const threads of ["1", "2"]) {
      const out = join(tmp, `table${threads}.npy`);
      const bin = await cli(["eval", spec, "--points", csv, "--format", "npy", "-o", out, "--threads", threads]);
      expect(bin).toEqual({ code: 0, out: "", err: `wrote ${out} (${pts.length} points)\n` });
      const { shape, bits } = npLoad(out);
      expect(shape).toEqual([pts.length, head.split(",").length]);
      // the csv's text of each number reads back as the very double the npy holds (a zero's sign aside)
      expect(bits).toEqual(rows.flat().map((x, i) => (x === 0 && bits[i] === "8000000000000000" ? bits[i] : bitsOf(x))));
    }
    expect(readFileSync(join(tmp, "table1.npy"))).toEqual(readFileSync(join(tmp, "table2.npy")));
  });

  it("distances: the points × points matrix of the csv", async () => {
    const few = file("few.csv", "0.2,0.3\n-0.5,0.8\n1.1,-0.4\n");
    const text = await cli(["distances", spec, "--points", few, "--format", "csv"]);
    expect(text.code).toBe(0);
    const out = join(tmp, "d.npy");
    expect((await cli(["distances", spec, "--points", few, "--format", "npy", "-o", out])).code).toBe(0);
    const { shape, bits } = npLoad(out);
    expect(shape).toEqual([3, 3]);
    expect(bits).toEqual(
      text.out
        .trimEnd()
        .split("\n")
        .flatMap((l) => l.split(",").map((x) => bitsOf(Number(x)))),
    );
  });
});

describe("binary output needs a file", () => {
  it("refuses npy on standard output with the option that works", async () => {
    const res = await cli(["eval", spec, "--points", csv, "--format", "npy"]);
    expect(res.code).toBe(2);
    expect(res.err).toContain("--format npy is binary: give -o FILE.npy");
  });
});
