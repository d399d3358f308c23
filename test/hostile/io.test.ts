// What the command line writes and reads at its edges: atomic files, no overwritten inputs, write
// errors as one message (exit 1), a closed or full standard output, CSV rows never silently dropped,
// limits instead of running out of memory, and messages that say what is wrong.
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { processIO } from "../../src/cli/io.js";
import { lowLevel, writeFileSet } from "../../src/cli/output.js";
import { BIN, child, cli, expectCleanError, folder } from "./tools.js";

const realWrite = lowLevel.writeSync;
afterEach(() => {
  lowLevel.writeSync = realWrite;
});

/** The disk fills up after `room` bytes: the first write gets part of its data out, the next fails. */
function fullDiskAfter(room: number) {
  let written = 0;
  lowLevel.writeSync = (fd, buf, off, len) => {
    if (written >= room) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    const n = realWrite(fd, buf, off, Math.min(len, room - written));
    written += n;
    return n;
  };
}

const TOY = "examples/paper-toy.rgnn";
const RES = "examples/symbolic-resnet.rgnn";

describe("writes are atomic: a failed write leaves the old file intact and no temporary file", () => {
  const { dir, write } = folder("io-atomic");

  it("data -o on a disk that fills up midway", async () => {
    const out = write("d.csv", "old contents\n");
    fullDiskAfter(100);
    const r = await cli(["data", "spirals", "--points", "50", "-o", out]);
    expectCleanError(r, `cannot write ${out}: no space left on device`);
    expect(readFileSync(out, "utf8")).toBe("old contents\n");
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("derive -o doc.tex keeps the valid document; plot keeps the old PNG", async () => {
    const doc = write("doc.tex", "\\documentclass{article}old\n");
    fullDiskAfter(1000);
    const dr = await cli(["derive", TOY, "-o", doc]);
    expectCleanError(dr, "no space left on device");
    expect(readFileSync(doc, "utf8")).toBe("\\documentclass{article}old\n");
    const png = write("fig.png", "old png");
    expectCleanError(await cli(["plot", TOY, "-k", "grid", "--data", "spirals", "--points", "20", "-o", png]), "no space left");
    expect(readFileSync(png, "utf8")).toBe("old png");
    lowLevel.writeSync = realWrite;
    expect((await cli(["data", "xor", "--points", "8", "-o", doc])).code).toBe(0);
    expect(readFileSync(doc, "utf8").split("\n").length).toBe(10); // header, 8 points, final newline
  });

  it("experiment's set: a failure on the third file leaves the old set and no staging folder", () => {
    const set = join(dir, "set");
    mkdirSync(set);
    writeFileSync(join(set, "a.txt"), "old a");
    writeFileSync(join(set, "b.txt"), "old b");
    let files = 0;
    lowLevel.writeSync = (fd, buf, off, len) => {
      if (off === 0 && ++files === 3) throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
      return realWrite(fd, buf, off, len);
    };
    const next = new Map([
      ["a.txt", "new a"],
      ["b.txt", "new b"],
      ["c.txt", "new c"],
    ]);
    expect(() => writeFileSet(set, next)).toThrow(`cannot write ${join(set, "c.txt")}: no space left on device`);
    expect(readdirSync(set).sort()).toEqual(["a.txt", "b.txt"]);
    expect(readFileSync(join(set, "a.txt"), "utf8")).toBe("old a");
    lowLevel.writeSync = realWrite;
    writeFileSet(set, next);
    expect(readdirSync(set).sort()).toEqual(["a.txt", "b.txt", "c.txt"]);
    expect(readFileSync(join(set, "c.txt"), "utf8")).toBe("new c");
  });
});

describe("the spec being read is never overwritten; train's default output is beside the spec", () => {
  const { dir, write } = folder("io-same");
  const spec = write("net.rgnn", readFileSync(RES, "utf8"));
  const quick = ["--data", "xor", "--points", "20", "--epochs", "2", "--set", "h=0.5", "-q"];

  it("train -o SPEC, through another spelling and a symbolic link, is refused", async () => {
    symlinkSync(spec, join(dir, "link.rgnn"));
    for (const o of [spec, join(dir, ".", "sub", "..", "net.rgnn"), join(dir, "link.rgnn")]) {
      if (o.includes("sub")) mkdirSync(join(dir, "sub"), { recursive: true });
      expectCleanError(await cli(["train", spec, "-o", o, ...quick]), "an input of this command");
    }
    expectCleanError(await cli(["derive", spec, "-f", "tex", "-o", join(dir, "link.rgnn")]), "an input of this command");
    expect(readFileSync(spec, "utf8")).toBe(readFileSync(RES, "utf8"));
  });

  it("train without -o writes SPEC.weights.json beside the spec and then refuses to replace it without --force", async () => {
    const cwdWeights = existsSync("weights.json") ? readFileSync("weights.json") : null;
    const first = await cli(["train", spec, ...quick]);
    expect(first.code).toBe(0);
    const weights = join(dir, "net.weights.json");
    expect(first.err).toBe(`wrote ${weights} and ${join(dir, "net.weights.curve.csv")}\n`);
    expect(Object.keys(JSON.parse(readFileSync(weights, "utf8")))).toContain("W1");
    writeFileSync(weights, "keep me");
    expectCleanError(await cli(["train", spec, ...quick]), `cannot write ${weights}: it exists; give --force`);
    expect(readFileSync(weights, "utf8")).toBe("keep me");
    expect((await cli(["train", spec, "--force", ...quick])).code).toBe(0);
    expect(readFileSync(weights, "utf8")).toContain('"W1"');
    expect(existsSync("weights.json") ? readFileSync("weights.json") : null).toEqual(cwdWeights);
  });
});

describe("write errors are one message and exit 1 (child processes of bin/rgnn.js)", () => {
  const { dir, write } = folder("io-child");

  it("a missing folder, a directory and /dev/full as -o", () => {
    expectCleanError(
      child(["data", "spirals", "-o", join(dir, "nope", "d.csv")]),
      `cannot write ${join(dir, "nope", "d.csv")}: no such directory`,
    );
    expectCleanError(child(["data", "spirals", "-o", "/dev/full"]), "cannot write /dev/full: no space left on device");
    expectCleanError(child(["derive", TOY, "-o", "/dev/full", "-f", "tex"]), "cannot write /dev/full: no space left on device");
    expectCleanError(child(["plot", TOY, "-k", "grid", "--data", "xor", "-o", join(dir, "nope", "x.svg")]), "no such directory");
  });

  it("experiment -o FILE is refused before any training", async () => {
    const file = write("not-a-folder", "x");
    expectCleanError(
      await cli(["experiment", "examples/paper-experiments", "-o", file, "-q"]),
      `cannot write ${file}: it exists and is not a directory`,
    );
  });

  it("standard output on /dev/full: one message, exit 1", () => {
    const full = openSync("/dev/full", "w");
    try {
      const r = spawnSync(process.execPath, [BIN, "eval", TOY, "--at", "0.3,-0.7"], { stdio: ["ignore", full, "pipe"], encoding: "utf8" });
      expectCleanError({ code: r.status, err: r.stderr }, "cannot write standard output: no space left on device");
    } finally {
      closeSync(full);
    }
  });

  it("a reader that goes away (rgnn … | head) ends rgnn quietly with status 0", () => {
    const pts = write("many.csv", Array.from({ length: 20000 }, (_, i) => `${i / 20000},${-i / 20000}`).join("\n"));
    const errFile = join(dir, "stderr.txt");
    const script = `"${process.execPath}" "${BIN}" eval ${TOY} --points ${pts} --format json 2>${errFile} | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
    expect(r.stdout.trim()).toBe("0");
    expect(readFileSync(errFile, "utf8")).toBe("");
  });
});

describe("CSV input: one reader, a header by rule, nothing dropped silently", () => {
  const { write } = folder("io-csv");

  it("eval --points: a first row 1e400,2 or 0.3,-0.7x is an error with its line and column, not a header", async () => {
    expectCleanError(
      await cli(["eval", TOY, "--points", write("big.csv", "1e400,2\n0.1,0.2\n")]),
      /big\.csv:1:1: error: '1e400' is not a finite number/,
    );
    expectCleanError(
      await cli(["eval", TOY, "--points", write("x.csv", "0.3,-0.7x\n0.1,0.2\n")]),
      /x\.csv:1:5: error: '-0\.7x' is not a finite number/,
    );
    const r = await cli(["eval", TOY, "--points", write("h.csv", "x,y\n0.3,-0.7\n0.1,0.2\n"), "--format", "csv"]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n").length).toBe(3); // header and both points
  });

  it("train/plot --data FILE.csv follow the same rules", async () => {
    const bad = write("d.csv", "1e400,0,1\n0.1,0.2,0\n0.3,0.1,1\n");
    expectCleanError(
      await cli(["plot", TOY, "-k", "data", "--data", bad, "-o", bad.replace(".csv", ".svg")]),
      /d\.csv:1:1: error: '1e400'/,
    );
    // training's softmax head has two classes; a figure takes any whole-number labels, but not fractions
    const label = write("l.csv", "x,y,label\n0.1,0.2,0\n0.3,0.1,2\n");
    expectCleanError(
      await cli(["train", TOY, "--data", label, "-o", label.replace(".csv", ".weights.json")]),
      /l\.csv:3:9: error: the label must be 0 or 1/,
    );
    const frac = write("f.csv", "x,y,label\n0.1,0.2,0\n0.3,0.1,2.5\n");
    expectCleanError(
      await cli(["plot", TOY, "-k", "data", "--data", frac, "-o", frac.replace(".csv", ".svg")]),
      /f\.csv:3:9: error: the label must be a whole number \(a class\), not 2\.5/,
    );
  });

  it("--set for a symbol the spec does not have is an error with a suggestion", async () => {
    const r = await cli(["eval", RES, "--at", "0.3,-0.7", "--set", "hh=0.1,W1_11=1"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("has no symbol 'hh'; did you mean 'h'?");
  });
});

describe("limits instead of running out of memory", () => {
  it("eval --format json streams: output in pieces, the same bytes as one JSON document", async () => {
    const { write } = folder("io-stream");
    const pts = write("p.csv", Array.from({ length: 3000 }, (_, i) => `${Math.sin(i)},${Math.cos(i)}`).join("\n"));
    const pieces: string[] = [];
    const code = await run(["eval", TOY, "--points", pts, "--format", "json"], { ...processIO, out: (t) => pieces.push(t), err: () => {} });
    expect(code).toBe(0);
    expect(pieces.length).toBeGreaterThan(5);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(1 << 17);
    const doc = JSON.parse(pieces.join(""));
    expect(doc.points.length).toBe(3000);
    expect(pieces.join("")).toBe(`${JSON.stringify(doc, null, 2)}\n`);
  });

  it("plot --width 100000 is refused up front with the limit and what to do instead", async () => {
    const r = await cli(["plot", TOY, "-k", "grid", "--data", "xor", "-o", "never.png", "--width", "100000"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--width 100000 is more than the limit of 8192 pixels.*\.svg/);
    expect(existsSync("never.png")).toBe(false);
  });
});

describe("messages say what is wrong", () => {
  const { dir, write } = folder("io-words");

  it("plot -o DIR/ says it is a directory; the extension is checked in any case", async () => {
    const r = await cli(["plot", TOY, "-k", "grid", "--data", "xor", "-o", `${dir}/`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("is a directory");
    const html = await cli(["plot", TOY, "-k", "grid", "--data", "xor", "-o", join(dir, "x.HTML")]);
    expect(html.err).toContain("plot writes .svg or .png files, not .HTML");
    expect((await cli(["plot", TOY, "-k", "grid", "--data", "xor", "--points", "8", "-o", join(dir, "x.SVG")])).code).toBe(0);
    expect(readFileSync(join(dir, "x.SVG"), "utf8")).toContain("<svg");
  });

  it("data --seed -1 names --seed", async () => {
    const r = await cli(["data", "spirals", "--seed", "-1"]);
    expect(r.err).toContain("--seed must be a whole number ≥ 0, not '-1'");
    expect(r.err).not.toContain("--data-seed");
  });

  it("a folder named d.csv given as --data or --points is a directory, not a missing file", async () => {
    const d = join(dir, "d.csv");
    mkdirSync(d);
    expectCleanError(await cli(["eval", TOY, "--points", d]), `${d}: error: cannot read: it is a directory`);
    expectCleanError(await cli(["plot", TOY, "-k", "data", "--data", d, "-o", join(dir, "p.svg")]), "it is a directory");
    write("unused", "");
  });
});
