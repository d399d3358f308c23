// Requests whose memory would explode are refused up front with what to do instead. A points file of more lines than
// one run reads (MAX_POINTS) is refused after counting its lines, before a number is parsed: a 1 GiB file of short
// rows (≈ 8·10⁷ points at ≈ 600 bytes each while evaluated) ran the process out of memory. A file at the limit's
// scale below it is read as before.
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_POINTS } from "../../src/cli/csv.js";
import { child, expectCleanError, folder } from "./tools.js";

const { write } = folder("costs");

describe("eval --points and distances --points refuse a file of more points than one run reads", () => {
  it(`${MAX_POINTS + 2} lines: one message naming the limit and how to split, before parsing`, () => {
    const path = write("huge.csv", "");
    writeFileSync(path, "0.1,0.2\n".repeat(MAX_POINTS + 2));
    for (const command of ["eval", "distances"]) {
      const r = child([command, "examples/paper-toy.rgnn", "--points", path]);
      expectCleanError(r, `${path}: error: more than 4,000,000 lines: more points than one run reads`);
      expect(r.err).toContain(`split the file (split -l 4000000 ${path} part-) and run each part`);
      expect(r.out).toBe("");
    }
  });

  it("a file of a header and exactly MAX_POINTS points passes the count (then fails on its first row, located)", () => {
    const path = write("edge.csv", "");
    writeFileSync(path, `x,y\n0.1,oops\n${"0.1,0.2\n".repeat(MAX_POINTS - 1)}`);
    const r = child(["eval", "examples/paper-toy.rgnn", "--points", path]);
    expectCleanError(r, `${path}:2:5: error: 'oops' is not a finite number`);
  });
});
