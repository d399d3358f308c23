// The WebAssembly kernel under a limited address space (issue 29): V8 reserves ~10 GB of address space per memory,
// so under `ulimit -v` 8 GB `eval examples/decoder.rgnn` failed with "Cannot allocate Wasm memory", exit 70. Now a
// memory that cannot be reserved makes the pass use the JS loop: the same bytes out, exit 0.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, child } from "./tools.js";

describe("the kernel without address space for a WebAssembly memory", () => {
  it("eval examples/decoder.rgnn under ulimit -v 8 GB prints what it prints without the limit", () => {
    const args = ["eval", "examples/decoder.rgnn", "--at", "0.1,0.2"];
    const free = child(args);
    expect(free.code).toBe(0);
    const r = spawnSync("bash", ["-c", 'ulimit -v 8000000; exec "$0" "$@"', process.execPath, BIN, ...args], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(free.out);
  });
});
