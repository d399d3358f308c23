// `rgnn experiment DIR`: the manifest DIR/experiments.json is input like any other. Its specs are confined to DIR as a
// spec's weights are to the spec's folder (nothing of /etc/hostname is echoed), and a malformed manifest is one
// message, exit 1, before any training: never an internal error.
import { hostname } from "node:os";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, expectCleanError, folder } from "./tools.js";

const { dir } = folder("manifest");
let n = 0;
/** A manifest folder holding dense10.rgnn and `manifest` as its experiments.json. */
function experiment(manifest: unknown): string {
  const d = join(dir, `m${n++}`);
  mkdirSync(d);
  writeFileSync(join(d, "dense10.rgnn"), readFileSync("examples/paper-experiments/dense10.rgnn"));
  writeFileSync(join(d, "experiments.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  return d;
}
const run = async (d: string) => cli(["experiment", d, "-o", join(d, "out"), "-q"]);

describe("a manifest's specs stay in its folder", () => {
  it("../../../../etc/hostname is refused and its first line is not echoed", async () => {
    const d = experiment({ runs: [{ spec: "../../../../../../../../etc/hostname", data: "xor" }] });
    const r = await run(d);
    expectCleanError(r, "run 1: spec '../../../../../../../../etc/hostname' is outside the manifest's folder");
    if (hostname().length > 3) expect(r.err).not.toContain(hostname());
  });

  it("an absolute path and a link out of the folder are refused, a missing spec named", async () => {
    expectCleanError(await run(experiment({ runs: [{ spec: "/etc/passwd", data: "xor" }] })), "outside the manifest's folder");
    const d = experiment({ runs: [{ spec: "out-link.rgnn", data: "xor" }] });
    symlinkSync("/etc/hostname", join(d, "out-link.rgnn"));
    expectCleanError(await run(d), "spec 'out-link.rgnn' is outside the manifest's folder");
    const missing = experiment({ runs: [{ spec: "gone.rgnn", data: "xor" }] });
    expectCleanError(await run(missing), "run 1: cannot read spec 'gone.rgnn': no such file");
  });
});

describe("a malformed manifest is one message, exit 1", () => {
  const cases: [string, unknown, string][] = [
    ["runs not a list", { runs: { spec: "dense10.rgnn" } }, "not a manifest"],
    ["no runs", {}, "not a manifest"],
    ["null", "null", "not a manifest"],
    ["a list at the top", "[]", "not a manifest"],
    ["a null run", { runs: [null] }, "run 1 is not an object"],
    ["a run without spec", { runs: [{ data: "xor" }] }, 'run 1 has no "spec"'],
    ["a spec that is a number", { runs: [{ spec: 3, data: "xor" }] }, 'run 1 has no "spec"'],
    ["an unknown data set", { runs: [{ spec: "dense10.rgnn", data: "mnist" }] }, 'run 1 has no "data" (one of'],
    ["epochs as text", { runs: [{ spec: "dense10.rgnn", data: "xor", epochs: "many" }] }, 'run 1 has "epochs": "many", not a number'],
    ["a bad domain", { runs: [{ spec: "dense10.rgnn", data: "xor", domain: [[0]] }] }, 'run 1 has a "domain" that is not'],
    ["not JSON", "{runs:", "not valid JSON"],
  ];
  for (const [what, manifest, message] of cases)
    it(what, async () => {
      const d = experiment(manifest);
      expectCleanError(await run(d), `${join(d, "experiments.json")}: error: ${message}`);
    });

  it("two runs that would write the same files are refused before training", async () => {
    const d = experiment({
      runs: [
        { spec: "dense10.rgnn", data: "xor", seed: 1 },
        { spec: "dense10.rgnn", data: "xor", seed: 2 },
      ],
    });
    expectCleanError(await run(d), "another output of this command");
  });
});
