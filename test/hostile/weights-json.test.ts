// Weights JSON from elsewhere: "NaN" in keys or strings, prototype names as keys, absurd nesting,
// huge one-line files and byte order marks.
import { describe, expect, it } from "vitest";
import { caretChar, cli, expectCleanError, folder, GOOD, net } from "./tools.js";

describe("weights JSON", () => {
  const { write } = folder("json");
  const evalAt = async (spec: string) => {
    const r = await cli(["eval", spec, "--at", "0.3,-0.2", "--format", "json"]);
    expect(r.err).toBe("");
    return JSON.parse(r.out).points[0].output as number[];
  };

  it("keys and strings that spell NaN or Infinity are valid JSON and load", async () => {
    write("nan-key.json", JSON.stringify({ NaN: 1, "Infinity scale": [2], note: "trained; NaN-free, no Infinity", ...GOOD }));
    const [y1, y2] = await evalAt(write("nan-key.rgnn", net("nan-key.json")));
    expect(y1).toBeCloseTo(Math.tanh(0.3 + 0.5), 14);
    expect(y2).toBeCloseTo(Math.tanh(-0.2 - 0.5), 14);
  });

  it("a NaN literal is still refused, at its position", async () => {
    write("nan.json", '{"note": "NaN here is fine",\n "W1": [[1, NaN], [0, 1]], "b1": [0, 0]}');
    const r = await cli(["check", write("nan.rgnn", net("nan.json"))]);
    expectCleanError(r, "nan.json:2:13: error: weights must be finite numbers, found NaN");
    expect(caretChar(r.err)).toBe("N");
  });

  it("'constructor' and '__proto__' are ordinary keys, missing or present", async () => {
    write("proto.json", `{"__proto__": [[2, 0], [0, 3]], "b1": [0, 0]}`);
    const [y1, y2] = await evalAt(write("proto.rgnn", net("proto.json", ' with W = "__proto__"')));
    expect(y1).toBeCloseTo(Math.tanh(0.6), 14);
    expect(y2).toBeCloseTo(Math.tanh(-0.6), 14);
    const r = await cli(["check", write("ctor.rgnn", net("proto.json", ' with W = "constructor"'))]);
    expectCleanError(r, "W of layer 1 (dense): weights file 'proto.json' has no entry 'constructor'");
    const viaFlag = await cli(["check", write("ctor2.rgnn", net("proto.json", " with W = toString"))]);
    expectCleanError(viaFlag, "has no entry 'toString'");
  });

  it("a 10^5-deep array is refused with a clear message, not a stack overflow", async () => {
    write("deep.json", `{"b1": [0, 0], "W1": ${"[".repeat(100_000)}1${"]".repeat(100_000)}}`);
    expectCleanError(
      await cli(["check", write("deep.rgnn", net("deep.json"))]),
      "in weights file 'deep.json', 'W1' is nested more than 32 arrays deep",
    );
    write("deep-open.json", `{"W1": ${"[".repeat(100_000)}1`);
    const r = await cli(["check", write("deep-open.rgnn", net("deep-open.json"))]);
    expectCleanError(r, "deep-open.json:1:100008: error: malformed JSON in weights file: expected ',' or ']', found the end of the file");
  });

  it("a syntax error in a 50 MB one-line file prints a short excerpt, not the file", async () => {
    const row = JSON.stringify(Array.from({ length: 64 }, (_, i) => i / 7));
    const body = Array.from({ length: 40_000 }, (_, i) => `"k${i}": ${row}`).join(", ");
    write("huge.json", `{${body}, "W1": [[1, 0], [0 1]], "b1": [0, 0]}`);
    const r = await cli(["check", write("huge.rgnn", net("huge.json"))]);
    expectCleanError(r, /huge\.json:1:\d+: error: malformed JSON in weights file: expected ',' or ']', found '1'/);
    expect(r.err.length).toBeLessThan(600);
    expect(r.err).toContain("…");
    expect(caretChar(r.err)).toBe("1");
  });

  it("a JSON error does not quote the file's text beyond the offending token", async () => {
    write("leak.json", `{"W1": PASSWORD=${"hunter2".repeat(50)}}`);
    const r = await cli(["check", write("leak.rgnn", net("leak.json"))]);
    expectCleanError(r, "malformed JSON in weights file: expected a value, found 'PASSWORD=hunter2hunter2hunter2hunter2hun…'");
    expect(r.err).not.toContain("hunter2".repeat(8));
  });

  it("a byte order mark at the start of a weights file is accepted", async () => {
    write("bom.json", `\uFEFF${JSON.stringify(GOOD)}`);
    const [y1] = await evalAt(write("bom.rgnn", net("bom.json")));
    expect(y1).toBeCloseTo(Math.tanh(0.8), 14);
  });
});
