// A spec pasted into the playground is held to a spec file's limits (issue 29: the page's thread blocked 121 s on
// 10,000 layers): many megabytes, brackets or blocks nested deep, and a closed form too long to typeset are each one
// message, never a hang or a page error. checkText and metricView are what the page (src/web/main.ts) calls.
// Blocks `{ … }` nested 20,000 deep overflowed the stack in the CLI as well (an internal error, exit 70).
import { describe, expect, it } from "vitest";
import { DEFAULT_INPUT_LIMITS } from "../../src/syntax/input.js";
import { checkText, metricView, PLAYGROUND_SPEC_LIMIT, PLAYGROUND_TEX_LIMIT } from "../../src/web/playground.js";
import { cli, expectCleanError, folder } from "./tools.js";

const residual = (layers: number) =>
  `manifold I (x, y)\nnetwork f : I -> R^2 {\n${"  residual tanh\n".repeat(layers)}}\nmetric g = pullback of euclidean along f\n`;
const nestedSkips = (n: number) => `manifold I (x, y)\nnetwork f : I -> R^2 {\n${"skip { ".repeat(n)}dense 2 linear${" }".repeat(n)}\n}\n`;

/** The one diagnostic of a refused text. */
function refused(text: string) {
  const r = checkText(text);
  if (r.ok) throw new Error("the text checked clean");
  expect(r.diagnostics).toHaveLength(1);
  return r.diagnostics[0];
}

describe("the playground refuses what a spec file may not be", () => {
  it("has a spec file's size limit", () => expect(PLAYGROUND_SPEC_LIMIT).toBe(DEFAULT_INPUT_LIMITS.spec));

  it("a spec of more than 16 MiB (here 16 MiB + 1 byte of comment): one message at 1:1, not checked", () => {
    const head = "manifold M (x, y)\nmetric g on M = [[1, 0], [0, 1]]\n# ";
    const text = head + "x".repeat(PLAYGROUND_SPEC_LIMIT + 1 - head.length);
    const d = refused(text);
    expect(d).toMatchObject({ line: 1, col: 1, from: 0, to: 1 });
    expect(d.message).toBe("the spec is 16.0 MiB: more than the 16 MiB a spec may be (see docs/security.md); check it with rgnn check");
    // a byte less is checked (and is fine)
    expect(checkText(text.slice(0, -1)).ok).toBe(true);
    // multi-byte characters count as their UTF-8 bytes: 6 Mi three-byte characters are 18 MiB
    expect(refused(head + "→".repeat(6 * 2 ** 20)).message).toContain("the spec is 18.0 MiB");
  });

  it("brackets 100,000 deep and blocks 20,000 deep: located errors at the first one too deep", () => {
    const brackets = refused(`manifold M (x, y)\nmetric g on M = ${"[".repeat(100_000)}1${"]".repeat(100_000)}\n`);
    expect(brackets).toMatchObject({ line: 2, col: 16 + 257 });
    expect(brackets.message).toBe("brackets nested more than 256 deep (see docs/security.md)");
    // the network's own block is the first: skip block 256 is the 257th
    const blocks = refused(nestedSkips(20_000));
    expect(blocks.line).toBe(3);
    expect(blocks.col).toBe(7 * 255 + 6); // the `{` of "skip {" number 256, seven characters each
    expect(blocks.message).toBe("blocks { … } nested more than 256 deep (see docs/security.md)");
    // 255 skip blocks are within the limit (what the checker then says of them is about skips, not nesting)
    const within = checkText(nestedSkips(255));
    expect(within.ok ? [] : within.diagnostics.map((d) => d.message).filter((m) => /nested/.test(m))).toEqual([]);
  });

  it("10,000 layers: the metric is checked, its 2.4 M-character closed form is not typeset but named", () => {
    const r = checkText(residual(10_000));
    if (!r.ok) throw new Error(r.diagnostics[0].message);
    const v = metricView(r.model, "g");
    expect(v.tex).toBeNull();
    expect(v.texNote).toMatch(/^the closed form of 'g' is \d+ k characters of LaTeX, more than the page typesets \(200 k\)/);
    expect(v.texNote).toContain("'rgnn metric FILE --form matrix' prints it");
    // 100 layers are typeset (the matrix form grows by about 220 characters a layer)
    const small = checkText(residual(100));
    if (!small.ok) throw new Error("100 layers");
    const tex = metricView(small.model, "g").tex;
    expect(tex?.length).toBeGreaterThan(1000);
    expect(tex!.length).toBeLessThan(PLAYGROUND_TEX_LIMIT);
  });
});

describe("the CLI refuses blocks nested too deep", () => {
  it("20,000 nested skip blocks: a located error, exit 1 (was a stack overflow, exit 70)", async () => {
    const { write } = folder("blocks");
    const r = await cli(["check", write("deep.rgnn", nestedSkips(20_000))]);
    expectCleanError(r, "blocks { … } nested more than 256 deep");
    expect(r.err).toMatch(/deep\.rgnn:3:1791: error: /);
  });
});
