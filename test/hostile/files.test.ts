// What a spec may read: its own folder tree (after symbolic links), regular files only, within
// the size limits; and what an error may echo of what it read.
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_INPUT_LIMITS } from "../../src/syntax/input.js";
import { child, cli, expectCleanError, folder, GOOD, net } from "./tools.js";

const outsideMsg = /weights file '[^']*' is outside the spec's folder: .*--weights PATH/;

describe("a spec's weights clause reads inside the spec's folder only", () => {
  const { dir, write } = folder("files");
  const elsewhere = folder("elsewhere");
  const secretWeights = elsewhere.write("w.json", JSON.stringify(GOOD));

  it("refuses /proc/self/environ and does not print the environment", () => {
    const spec = write("environ.rgnn", net("/proc/self/environ"));
    const r = child(["check", spec], { env: { RGNN_HOSTILE_PROBE: "hunter2-do-not-print" } });
    expectCleanError(r, outsideMsg);
    expect(r.err).toMatch(/environ\.rgnn:2:\d+: error: /);
    expect(r.err).not.toContain("hunter2");
  });

  it("refuses ../../../../etc/passwd and an absolute path elsewhere", async () => {
    const r = await cli(["check", write("passwd.rgnn", net("../../../../../../../../etc/passwd"))]);
    expectCleanError(r, outsideMsg);
    expect(r.err).not.toContain("root:");
    expectCleanError(await cli(["check", write("abs.rgnn", net(secretWeights))]), outsideMsg);
  });

  it("follows symbolic links before deciding: a link out is refused, a link within is fine", async () => {
    symlinkSync(secretWeights, join(dir, "out-link.json"));
    expectCleanError(await cli(["check", write("link-out.rgnn", net("out-link.json"))]), outsideMsg);
    mkdirSync(join(dir, "sub"));
    write("sub/w.json", JSON.stringify(GOOD));
    symlinkSync(join(dir, "sub", "w.json"), join(dir, "in-link.json"));
    expect((await cli(["check", write("link-in.rgnn", net("in-link.json"))])).code).toBe(0);
    expect((await cli(["check", write("sub-path.rgnn", net("sub/../sub/w.json"))])).code).toBe(0);
  });

  it("--weights on the command line is the user's choice and may point anywhere", async () => {
    const spec = write("symbolic.rgnn", "manifold I (x, y)\nnetwork n : I -> R^2 {\n  dense 2 tanh\n}\n");
    const r = await cli(["eval", spec, "--at", "0.3,-0.2", "--weights", secretWeights, "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out).points[0].output;
    expect(out[0]).toBeCloseTo(Math.tanh(0.3 + 0.5), 12);
    expect(out[1]).toBeCloseTo(Math.tanh(-0.2 - 0.5), 12);
  });

  it("a spec read from standard input has the current folder as its own", async () => {
    const r = await cli(["check", "-"], net(secretWeights));
    expectCleanError(r, outsideMsg);
    expect(r.err).toMatch(/^<stdin>:2:\d+: error: /);
    expect((await cli(["check", "-"], net("examples/deep-resnet.weights.json"))).code).toBe(0); // vitest runs in the repository
  });

  it("an empty weights path says so", async () => {
    expectCleanError(await cli(["check", write("empty.rgnn", net(""))]), "the weights path is empty");
  });

  it("an error about a string entry echoes at most ~40 characters of it", async () => {
    write("str.json", JSON.stringify({ ...GOOD, secret: "s3cr3t".repeat(1000) }));
    const r = await cli(["check", write("str.rgnn", net("str.json", ' with W = "secret"'))]);
    expectCleanError(r, "is not a number");
    expect(r.err).not.toContain("s3cr3t".repeat(8));
  });
});

describe("only regular files are read, within a size limit", () => {
  const { dir, write } = folder("kinds");
  afterEach(() => {
    delete process.env.RGNN_MAX_INPUT_BYTES;
  });

  it("a FIFO as a spec or as weights is refused at once instead of hanging", () => {
    execFileSync("mkfifo", [join(dir, "pipe.json")]);
    execFileSync("mkfifo", [join(dir, "pipe.rgnn")]);
    expectCleanError(child(["check", write("fifo.rgnn", net("pipe.json"))]), "not a regular file");
    expectCleanError(child(["check", join(dir, "pipe.rgnn")]), /pipe\.rgnn: error: cannot read: not a regular file/);
  });

  it("/dev/zero as a spec, as --weights or as --points is refused instead of read until the process aborts", () => {
    expectCleanError(child(["check", "/dev/zero"]), "/dev/zero: error: cannot read: not a regular file");
    const spec = write("sym.rgnn", "manifold I (x, y)\nnetwork n : I -> R^2 {\n  dense 2 tanh\n}\n");
    expectCleanError(child(["eval", spec, "--at", "0,0", "--weights", "/dev/zero"]), "not a regular file");
    expectCleanError(child(["eval", spec, "--points", "/dev/zero"]), "/dev/zero: error: cannot read: not a regular file");
  });

  it("a spec over the 16 MiB default limit is refused before it is read", async () => {
    expect(DEFAULT_INPUT_LIMITS.spec).toBe(16 * 1024 * 1024);
    const big = write("big.rgnn", `manifold M (x)\n${`# ${"x".repeat(1023)}\n`.repeat(16 * 1024 + 1)}`);
    expectCleanError(
      await cli(["check", big]),
      /big\.rgnn: error: cannot read: it has \d+ bytes, more than the limit of 16777216 bytes for spec files; raise it with the environment variable RGNN_MAX_INPUT_BYTES/,
    );
  });

  it("RGNN_MAX_INPUT_BYTES sets the limit for specs, weights and data files", async () => {
    write("w.json", JSON.stringify(GOOD) + " ".repeat(200)); // 236 bytes; the spec has 75
    const spec = write("limit.rgnn", net("w.json"));
    expect((await cli(["check", spec])).code).toBe(0);
    process.env.RGNN_MAX_INPUT_BYTES = "60";
    expectCleanError(await cli(["check", spec]), "more than the limit of 60 bytes for spec files");
    process.env.RGNN_MAX_INPUT_BYTES = "90";
    expectCleanError(
      await cli(["check", spec]),
      "cannot read weights file 'w.json': it has 236 bytes, more than the limit of 90 bytes for weights files",
    );
    process.env.RGNN_MAX_INPUT_BYTES = "lots";
    expectCleanError(await cli(["check", spec]), "RGNN_MAX_INPUT_BYTES must be a positive whole number of bytes, not 'lots'");
  });
});
