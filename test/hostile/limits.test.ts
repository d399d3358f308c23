// Limits instead of crashes: bracket nesting and operator chains in specs are bounded (the passes
// after parsing recurse), one-line giants print a window around the caret, a BOM is accepted.
import { describe, expect, it } from "vitest";
import { MAX_NESTING, MAX_OPERATORS } from "../../src/syntax/parse.js";
import { caretChar, cli, expectCleanError, folder } from "./tools.js";

describe("limits in specs", () => {
  const { write } = folder("limits");
  const map = (e: string) => `manifold M (x, y)\nmap f : M -> R^2 { x1 = ${e} x2 = y }\n`;
  const col = (_text: string, offsetInExpr: number) => "map f : M -> R^2 { x1 = ".length + offsetInExpr + 1;

  it("10^5 nested parentheses: a located error at the first bracket too deep", async () => {
    const r = await cli(["check", write("parens.rgnn", map(`${"(".repeat(100_000)}x${"+1)".repeat(100_000)}`))]);
    expectCleanError(r, `parens.rgnn:2:${col("", MAX_NESTING)}: error: brackets nested more than 256 deep`);
    expect(caretChar(r.err)).toBe("(");
  });

  it("a 250 000-term sum on one line: a located error at the first operator too many", async () => {
    const r = await cli(["check", write("sum.rgnn", map(Array(250_000).fill("x").join("+")))]);
    expectCleanError(r, `sum.rgnn:2:${col("", 2 * MAX_OPERATORS + 1)}: error: more than 1000 operators in one expression`);
    expect(caretChar(r.err)).toBe("+");
    expect(r.err.length).toBeLessThan(600);
  });

  it("operators inside brackets count with those outside; at the limits a spec still works", async () => {
    // (x + (x + … y)) nested 200 deep is a tree 200 deep; 801 more terms after it make 1001.
    const nested = `${"(x + ".repeat(200)}y${")".repeat(200)}`;
    expect((await cli(["check", write("mixed-ok.rgnn", map(nested + " + x".repeat(800)))])).code).toBe(0);
    const r = await cli(["check", write("mixed.rgnn", map(nested + " + x".repeat(801)))]);
    expectCleanError(r, `mixed.rgnn:2:${col("", nested.length + 4 * 800 + 1)}: error: more than 1000 operators in one expression`);
    expect(caretChar(r.err)).toBe("+");
    // A list's items are side by side, not nested: 900 rows of 3 operators each are fine.
    const W = `[${Array(900).fill("[-1 * 2, -1]").join(", ")}]`;
    expect(await cli(["check", write("wide.rgnn", `network n : R^2 -> R^900 {\n  dense 900 tanh with W = ${W}\n}\n`)])).toMatchObject({
      code: 0,
      err: "",
    });
    const deepest =
      "sin(".repeat(MAX_NESTING - 1) +
      Array(MAX_OPERATORS + 1)
        .fill("x")
        .join("+") +
      ")".repeat(MAX_NESTING - 1);
    const spec = write("edge.rgnn", `${map(deepest)}metric g = pullback along f\ncheck g is symmetric\n`);
    const m = await cli(["metric", spec, "--at", "0.001,0.5", "--format", "json"]);
    expect(m.err).toBe("");
    // a = sin^255(1001 x), so by the chain rule g_xx = (da/dx)^2 = (1001 · ∏_j cos(sin^j(1001 x)))^2.
    const g = JSON.parse(m.out).metric as number[][];
    let v = MAX_OPERATORS + 1,
      z = v * 0.001;
    for (let k = 0; k < MAX_NESTING - 1; k++) {
      v *= Math.cos(z);
      z = Math.sin(z);
    }
    expect(g[0][0]).toBeCloseTo(v * v, 6);
    expect(g[1][1]).toBe(1);
  });

  it("a syntax error at the end of a 1 MB line prints a window with … and the caret under the right character", async () => {
    const r = await cli(["check", write("long.rgnn", map(`${Array(1).fill("x").join("")} ${"  ".repeat(500_000)}@ y`))]);
    expectCleanError(r, /long\.rgnn:2:\d+: error: unexpected character '@'/);
    expect(r.err.length).toBeLessThan(500);
    expect(r.err).toContain("…");
    expect(caretChar(r.err)).toBe("@");
  });

  it("a 1 MB name is quoted in at most ~40 characters", async () => {
    const r = await cli(["check", write("name.rgnn", `manifold M (x)\nmetric ${"n".repeat(1_000_000)} on M = euclidean\nfoo`)]);
    expectCleanError(r, "unexpected name 'foo'");
    const r2 = await cli(["check", write("name2.rgnn", `manifold M (x)\nmap f : M -> M { x = ${"q".repeat(1_000_000)} }\n`)]);
    expectCleanError(r2, `unknown name '${"q".repeat(40)}…'`);
    expect(r2.err.length).toBeLessThan(800);
  });

  it("a UTF-8 byte order mark at the start of a spec is accepted, from a file or from standard input", async () => {
    const text = "\uFEFFmanifold M (x, y)\nmetric g on M = euclidean\n";
    expect(await cli(["check", write("bom.rgnn", text)])).toMatchObject({ code: 0, err: "" });
    expect(await cli(["check", "-"], text)).toMatchObject({ code: 0, err: "" });
    const bad = await cli(["check", write("bom-bad.rgnn", "\uFEFFmanifold M (x, y)\nmetric g on M = euclidan\n")]);
    expectCleanError(bad, "bom-bad.rgnn:2:17: error:");
    expect(caretChar(bad.err)).toBe("e");
  });
});
