// The one output layer every command writes through: no output may be one of the command's inputs or another of
// its outputs; devices and /proc descriptors are written as streams and links are followed or refused on purpose;
// a set of files (train, import, experiment) is replaced as a whole or not at all, and no temporary file stays.
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { PLAYGROUND_FILES } from "../../src/cli/commands/playground.js";
import { lowLevel, writeOutputs } from "../../src/cli/output.js";
import { BIN, cli, expectCleanError, folder } from "./tools.js";

const MLP = fileURLToPath(new URL("../fixtures/onnx/mlp.onnx", import.meta.url));
const RES = "examples/symbolic-resnet.rgnn";
const TOY = "examples/paper-toy.rgnn";

const realWrite = lowLevel.writeSync,
  realRename = lowLevel.renameSync;
afterEach(() => {
  lowLevel.writeSync = realWrite;
  lowLevel.renameSync = realRename;
});

/** The n-th file a command writes (counted by first writes) fails with a full disk. */
function diskFullOnFile(n: number) {
  let files = 0;
  lowLevel.writeSync = (fd, buf, off, len) => {
    if (off === 0 && ++files === n) throw Object.assign(new Error("ENOSPC"), { code: "ENOSPC" });
    return realWrite(fd, buf, off, len);
  };
}

/** Temporary or backup files the output layer left in a folder. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => /\.(tmp|old)$/.test(f) || f.startsWith(".rgnn-staging"));

describe("an output that is an input, or another output, is refused before anything is written", () => {
  const { dir, write } = folder("outputs-same");
  const model = write("m.onnx", readFileSync(MLP));

  it("import m.onnx -o m.onnx keeps the model", async () => {
    expectCleanError(await cli(["import", model, "-o", model]), `cannot write ${model}: it is ${model}, an input of this command`);
    expect(readFileSync(model)).toEqual(readFileSync(MLP));
  });

  it("import -o x.safetensors: the spec would be written over the weights", async () => {
    const out = join(dir, "x.safetensors");
    expectCleanError(await cli(["import", model, "-o", out]), "another output of this command");
    expect(existsSync(out)).toBe(false);
  });

  it("an input m.safetensors with -o m.rgnn: the weights would replace the model", async () => {
    const named = write("m.safetensors", readFileSync(MLP));
    expectCleanError(await cli(["import", named, "-o", join(dir, "m.rgnn")]), "an input of this command");
    expect(readFileSync(named)).toEqual(readFileSync(MLP));
    expect(existsSync(join(dir, "m.rgnn"))).toBe(false);
  });

  it("export SPEC -o SPEC keeps the spec", async () => {
    const spec = write("toy.rgnn", readFileSync(TOY, "utf8"));
    expectCleanError(await cli(["export", spec, "--target", "numpy", "-o", spec]), "an input of this command");
    expect(readFileSync(spec, "utf8")).toBe(readFileSync(TOY, "utf8"));
  });

  it("playground dir/index.html -o dir keeps the spec named index.html", async () => {
    const site = join(dir, "site");
    mkdirSync(site);
    const spec = join(site, "index.html");
    writeFileSync(spec, readFileSync(TOY, "utf8"));
    expectCleanError(await cli(["playground", spec, "-o", site]), "an input of this command");
    expect(readFileSync(spec, "utf8")).toBe(readFileSync(TOY, "utf8"));
    expect(readdirSync(site)).toEqual(["index.html"]);
    // another folder is fine: the page carries the spec
    expect((await cli(["playground", spec, "-o", join(dir, "site2")])).code).toBe(0);
    expect(readdirSync(join(dir, "site2")).sort()).toEqual([...PLAYGROUND_FILES].sort());
  });

  it("two outputs of one set that are the same file (through a link) are refused", () => {
    const a = write("a.txt", "old a");
    symlinkSync(a, join(dir, "a-link.txt"));
    expect(() =>
      writeOutputs([
        { path: a, data: "1" },
        { path: join(dir, "a-link.txt"), data: "2" },
      ]),
    ).toThrow(`cannot write ${join(dir, "a-link.txt")}: it is also ${a}, another output of this command`);
    expect(readFileSync(a, "utf8")).toBe("old a");
  });
});

describe("devices, /proc descriptors and symbolic links", () => {
  const { dir, write } = folder("outputs-links");

  /** `data xor -o OUT` as a child process whose standard output is the file `stdout`. */
  function dataTo(out: string, stdout: string) {
    const fd = openSync(stdout, "w");
    try {
      return spawnSync(process.execPath, [BIN, "data", "xor", "--points", "4", "-o", out], {
        cwd: dir,
        stdio: ["ignore", fd, "pipe"],
        encoding: "utf8",
        timeout: 60_000,
      });
    } finally {
      closeSync(fd);
    }
  }

  it("-o /dev/stdout and a link to /proc/self/fd/1 write into the descriptor, not over the file behind it", () => {
    symlinkSync("/proc/self/fd/1", join(dir, "fd1"));
    for (const out of ["/dev/stdout", join(dir, "fd1")]) {
      const stdout = write("stdout.txt", "");
      const inode = statSync(stdout).ino;
      const r = dataTo(out, stdout);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(stdout).ino).toBe(inode); // the same file, written through the descriptor
      expect(readFileSync(stdout, "utf8").split("\n")).toHaveLength(6); // header, 4 points, final newline
      expect(lstatSync(join(dir, "fd1")).isSymbolicLink()).toBe(true);
    }
  });

  it("a link to a regular file: the target is replaced, the link stays a link", async () => {
    const target = write("target.csv", "old\n");
    symlinkSync(target, join(dir, "to-target.csv"));
    expect((await cli(["data", "xor", "--points", "4", "-o", join(dir, "to-target.csv")])).code).toBe(0);
    expect(lstatSync(join(dir, "to-target.csv")).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, "utf8")).toMatch(/^x,y,label\n/);
  });

  it("a dangling link is refused: its target is not created, the link is not replaced", async () => {
    const link = join(dir, "dangling.csv");
    symlinkSync(join(dir, "nowhere", "..", "made.csv"), link);
    expectCleanError(await cli(["data", "xor", "-o", link]), `cannot write ${link}: it is a symbolic link to a missing file`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dir, "made.csv"))).toBe(false);
  });
});

describe("a set of files is replaced as a whole or not at all", () => {
  const { dir, write } = folder("outputs-sets");

  it("a failing second rename puts the first file back; no temporary or backup file stays", () => {
    const a = write("a.txt", "old a"),
      b = write("b.txt", "old b");
    let renames = 0;
    lowLevel.renameSync = (from, to) => {
      if (++renames === 2) throw Object.assign(new Error("EIO"), { code: "EIO" });
      realRename(from, to);
    };
    const set = [
      { path: a, data: "new a" },
      { path: b, data: "new b" },
      { path: join(dir, "c.txt"), data: "new c" },
    ];
    expect(() => writeOutputs(set)).toThrow(`cannot write ${b}: input/output error`);
    expect(readFileSync(a, "utf8")).toBe("old a");
    expect(readFileSync(b, "utf8")).toBe("old b");
    expect(readdirSync(dir).sort()).toEqual(["a.txt", "b.txt"]);
    lowLevel.renameSync = realRename;
    writeOutputs(set);
    expect(set.map((f) => readFileSync(f.path, "utf8"))).toEqual(["new a", "new b", "new c"]);
    expect(leftovers(dir)).toEqual([]);
  });

  it("train: a full disk on the curve leaves the old weights beside the old curve", async () => {
    const spec = write("net.rgnn", readFileSync(RES, "utf8"));
    const weights = write("w.json", "old weights"),
      curve = write("w.curve.csv", "old curve");
    diskFullOnFile(2);
    const r = await cli(["train", spec, "-o", weights, "--data", "xor", "--points", "20", "--epochs", "2", "--set", "h=0.5", "-q"]);
    expectCleanError(r, `cannot write ${curve}: no space left on device`);
    expect(readFileSync(weights, "utf8")).toBe("old weights");
    expect(readFileSync(curve, "utf8")).toBe("old curve");
    expect(leftovers(dir)).toEqual([]);
  });

  it("import: a full disk on the spec leaves the old spec beside its old weights", async () => {
    const spec = write("mlp.rgnn", "old spec"),
      weights = write("mlp.safetensors", "old weights");
    diskFullOnFile(2);
    const r = await cli(["import", MLP, "-o", spec]);
    expectCleanError(r, `cannot write ${spec}: no space left on device`);
    expect(readFileSync(spec, "utf8")).toBe("old spec");
    expect(readFileSync(weights, "utf8")).toBe("old weights");
    expect(leftovers(dir)).toEqual([]);
    lowLevel.writeSync = realWrite;
    expect((await cli(["import", MLP, "-o", spec])).code).toBe(0);
    expect((await cli(["check", spec])).code).toBe(0);
  });

  it("import into a missing folder: one message, exit 1", async () => {
    expectCleanError(await cli(["import", MLP, "-o", join(dir, "missing", "m.rgnn")]), "no such directory");
  });

  it("Ctrl-C in the middle of writing a set: the set is written whole and no temporary file stays", () => {
    const out = join(dir, "interrupted");
    mkdirSync(out);
    const output = fileURLToPath(new URL("../../dist/src/cli/output.js", import.meta.url));
    // the signal arrives during the first write of the first file
    const script = `
      import { lowLevel, writeOutputs } from ${JSON.stringify(output)};
      const write = lowLevel.writeSync;
      let sent = false;
      lowLevel.writeSync = (fd, b, o, n) => { if (!sent) { sent = true; process.kill(process.pid, "SIGINT"); } return write(fd, b, o, n); };
      writeOutputs(["a", "b", "c"].map((n) => ({ path: ${JSON.stringify(out)} + "/" + n, data: n.repeat(1 << 20) })));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.signal, r.stderr).toBeNull(); // not killed in the middle: the interrupt waits for the set to be in place
    expect([0, 130]).toContain(r.status);
    expect(readdirSync(out).sort()).toEqual(["a", "b", "c"]);
    expect(readFileSync(join(out, "c"), "utf8")).toHaveLength(1 << 20);
  });
});

describe("experiment: the figures and the summary are one set", () => {
  it("-o the manifest's own folder refuses to overwrite a spec the runs read, before writing any figure", async () => {
    const { dir } = folder("outputs-experiment");
    const spec = readFileSync("examples/paper-experiments/dense10.rgnn", "utf8");
    // the summary would land on the file the manifest names as its spec
    writeFileSync(join(dir, "summary.txt"), spec);
    writeFileSync(join(dir, "experiments.json"), JSON.stringify({ runs: [{ spec: "summary.txt", data: "xor", epochs: 1, points: 8 }] }));
    const r = await cli(["experiment", dir, "-o", dir, "-q"]);
    expectCleanError(r, `cannot write ${join(dir, "summary.txt")}: it is ${join(dir, "summary.txt")}, an input of this command`);
    expect(readFileSync(join(dir, "summary.txt"), "utf8")).toBe(spec);
    expect(readdirSync(dir).sort()).toEqual(["experiments.json", "summary.txt"]);
  });
});
