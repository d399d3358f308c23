// The one reader of numeric CSV (src/cli/csv.ts): its rules (header, comments, blank lines, CRLF, blank and
// non-finite fields, field counts) with the offsets and located messages they give.
import { describe, expect, it } from "vitest";
import { parsePointsCsv, readNumberCsv } from "../../src/cli/csv.js";

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
  return "no error";
};

describe("readNumberCsv", () => {
  it("skips a header, comments and blank lines, takes CRLF and spaces, and places every field", () => {
    const text = "x, y\r\n# a comment\n\n  \n 1.5 ,-2e-3\r\n.5,+7\n   # indented comment\n-0,0x10\n";
    const { rows, at } = readNumberCsv(text, "p.csv", 2, "2 fields");
    expect(rows).toEqual([
      [1.5, -0.002],
      [0.5, 7],
      [-0, 16],
    ]);
    expect(Object.is(rows[2][0], -0)).toBe(true);
    expect(at.map((r) => r.map((o) => text.slice(o, o + 4)))).toEqual([
      [" 1.5", "-2e-"],
      [".5,+", "+7\n "],
      ["-0,0", "0x10"],
    ]);
    // a first line with a number in it is a row, not a header; without offsets `at` stays empty
    expect(errorOf(() => readNumberCsv("1,a\n", "p.csv", 2, "2 fields"))).toBe("p.csv:1:3: error: 'a' is not a finite number");
    expect(readNumberCsv("3,4", "p.csv", 2, "2 fields", false)).toEqual({ rows: [[3, 4]], at: [] });
  });

  it("names the line and column of a field that is blank, not a number or beyond a double, or a row's wrong length", () => {
    expect(errorOf(() => readNumberCsv("1,2\n3,\n", "p.csv", 2, "2 fields"))).toBe("p.csv:2:3: error: '' is not a finite number");
    expect(errorOf(() => readNumberCsv("1,2\r\n3, \r\n", "p.csv", 2, "2 fields"))).toBe("p.csv:2:3: error: '' is not a finite number");
    expect(errorOf(() => readNumberCsv("1,2\n3,4x\n", "p.csv", 2, "2 fields"))).toBe("p.csv:2:3: error: '4x' is not a finite number");
    expect(errorOf(() => readNumberCsv("1,2\n1e999,4\n", "p.csv", 2, "2 fields"))).toBe(
      "p.csv:2:1: error: '1e999' is not a finite number (it is beyond the range of a double)",
    );
    expect(errorOf(() => readNumberCsv("1,2\n-Infinity,4\n", "p.csv", 2, "2 fields"))).toBe(
      "p.csv:2:1: error: '-Infinity' is not a finite number (it is beyond the range of a double)",
    );
    expect(errorOf(() => readNumberCsv("1,2\n1,2,3\n", "p.csv", 2, "2 fields"))).toBe(
      "p.csv:2:1: error: expected 2 fields, found 3 fields",
    );
    expect(errorOf(() => parsePointsCsv("x,y\n# none\n", "p.csv", 2))).toBe("p.csv: error: no points in file");
  });
});
