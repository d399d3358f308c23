// `rgnn lsp` driven as an editor drives it: a child process (the built CLI) over stdio, spoken to by a real
// JSON-RPC client. Diagnostics must carry the CLI's own words and ranges; hover, definition, completion,
// symbols and code actions are asserted on examples/paper-toy.rgnn and small edits of it.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC answers are plain JSON, checked by the assertions below
type Answer = any;
import { cli } from "../helpers.js";

const FILE = resolve("examples/paper-toy.rgnn");
const URI = pathToFileURL(FILE).href;
const TEXT = readFileSync(FILE, "utf8");
const BAD = TEXT.replace("along toy\n", "along tox\n");

interface Pos {
  line: number;
  character: number;
}
interface Diag {
  range: { start: Pos; end: Pos };
  message: string;
  severity: number;
  data?: unknown;
}

/** Line and character (0-based) of the n-th occurrence of `needle` in `text`, plus `shift` characters. */
function at(text: string, needle: string, shift = 0, n = 0): Pos {
  let i = -1;
  for (let k = 0; k <= n; k++) i = text.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, i + shift).split("\n");
  return { line: before.length - 1, character: before.at(-1)!.length };
}

let child: ChildProcess;
let rpc: MessageConnection;
const published: { uri: string; version?: number; diagnostics: Diag[] }[] = [];
let waiters: (() => void)[] = [];

/** The diagnostics published for a document version (they arrive as a notification after the change). */
async function diagnosticsFor(version: number): Promise<Diag[]> {
  for (;;) {
    const hit = published.find((p) => p.uri === URI && p.version === version);
    if (hit) return hit.diagnostics;
    await new Promise<void>((r) => waiters.push(r));
  }
}

beforeAll(async () => {
  child = spawn(process.execPath, ["bin/rgnn.js", "lsp"], { stdio: ["pipe", "pipe", "inherit"] });
  rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.onNotification("textDocument/publishDiagnostics", (p) => {
    published.push(p);
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  });
  rpc.listen();
  // a client that renders Markdown, as VS Code's language client declares it (plaintext clients: plaintext.test.ts)
  const capabilities = { textDocument: { hover: { contentFormat: ["markdown", "plaintext"] } } };
  const init = await rpc.sendRequest<Answer>("initialize", { processId: null, rootUri: null, capabilities });
  expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentSymbolProvider: true });
  await rpc.sendNotification("initialized", {});
  await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: URI, languageId: "rgnn", version: 1, text: TEXT } });
});

afterAll(async () => {
  await rpc.sendRequest<Answer>("shutdown");
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await rpc.sendNotification("exit");
  expect(await exited).toBe(0);
  rpc.dispose();
});

const change = (version: number, text: string) =>
  rpc.sendNotification("textDocument/didChange", { textDocument: { uri: URI, version }, contentChanges: [{ text }] });

describe("rgnn lsp over stdio", () => {
  test("a valid example has no diagnostics", async () => {
    expect(await diagnosticsFor(1)).toEqual([]);
  });

  test("hover on a metric shows its closed form, or its layered form, as Markdown math", async () => {
    const h = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri: URI }, position: at(TEXT, "show g", 5) });
    expect(h.contents.kind).toBe("markdown");
    expect(h.contents.value).toContain("**metric** `g` on `Input` (x, y)\n\nIn layered form:\n\n$$\n\\begin{aligned}\n");
    // The first pre-activation of the dense layer, W = [[1.2, -0.7], [0.4, 0.9]], b = [0.1, -0.2], and g's components.
    expect(h.contents.value).toContain("z^{(1)}_{1} &= 0.1 + 1.2 \\, x - 0.7 \\, y \\\\\n");
    for (const c of ["x x", "x y", "y y"]) expect(h.contents.value).toContain(`{g}_{${c}} &= `);
    expect(h.range).toEqual({ start: at(TEXT, "show g", 5), end: at(TEXT, "show g", 6) });

    // Polar coordinates: the pullback of the Euclidean metric is diag(1, r^2), written out in full.
    const polar = resolve("examples/polar.rgnn");
    const text = readFileSync(polar, "utf8");
    const uri = pathToFileURL(polar).href;
    await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "rgnn", version: 1, text } });
    const p = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri }, position: at(text, "show g", 5) });
    expect(p.contents.value).toBe(
      "**metric** `g` on `Polar` (r, theta)\n\n$$\ng = \\begin{pmatrix} 1 & 0 \\\\ 0 & r^{2} \\end{pmatrix}\n$$",
    );
    const c = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri }, position: at(text, "r * cos", 0) });
    expect(c.contents.value).toBe("**coordinate** `r` of `Polar` (r, theta)");
    const d = await rpc.sendRequest<Answer>("textDocument/definition", { textDocument: { uri }, position: at(text, "r * cos", 0) });
    expect(d.range.start).toEqual(at(text, "Polar (r", 7));
    await rpc.sendNotification("textDocument/didClose", { textDocument: { uri } });
  });

  test("hover on a manifold gives chart and dimension; on the network, each layer's map and width", async () => {
    const m = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri: URI }, position: at(TEXT, "toy : Input", 7) });
    expect(m.contents.value).toBe("**manifold** `Input`: dimension 2, chart (x, y)");
    const n = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri: URI }, position: at(TEXT, "along toy", 7) });
    const lines = n.contents.value.split("\n\n");
    expect(lines[0]).toMatch(/^\*\*network\*\* `toy`: `Input` \(x, y\) → `[^`]+` \(\w+, \w+\)$/);
    expect(lines).toHaveLength(6); // the header and five layers
    expect(lines[1]).toMatch(/^- layer 1: dense tanh, width 2 → 2: \$.*\\tanh/);
    expect(lines[2]).toMatch(/^- layer 2: residual tanh, width 2 → 2: \$x\^\{a_\{2\}\} = x\^\{a_\{1\}\} \+ h/);
  });

  test("a metric pulled back through many layers hovers in matrix form, the recursion through all 64 layers", async () => {
    const file = resolve("examples/deep-resnet.rgnn");
    const text = readFileSync(file, "utf8");
    const uri = pathToFileURL(file).href;
    await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "rgnn", version: 1, text } });
    const h = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri }, position: at(text, "metric g", 7) });
    const value: string = h.contents.value;
    expect(value).toMatch(/^\*\*metric\*\* `g` on `Input` \(x, y\)\n\nIn matrix form, the weights named: 129 matrices/);
    expect(value).toContain("J_{64} &= I + h \\, \\operatorname{diag}\\big(\\tanh'(z_{64})\\big) \\, W_{64}");
    expect(value).toContain("g_{63} &= J_{64}^{\\mathsf{T}} \\, g_{64} \\, J_{64}");
    await rpc.sendNotification("textDocument/didClose", { textDocument: { uri } });
  });

  test("go to definition jumps to the declared name", async () => {
    const d = await rpc.sendRequest<Answer>("textDocument/definition", { textDocument: { uri: URI }, position: at(TEXT, "along toy", 6) });
    const start = at(TEXT, "network toy", 8);
    expect(d).toEqual({ uri: URI, range: { start, end: { line: start.line, character: start.character + 3 } } });
  });

  test("completion at the start of a line offers keywords, declared names, activations and quantities", async () => {
    const items: { label: string; kind: number }[] = await rpc.sendRequest<Answer>("textDocument/completion", {
      textDocument: { uri: URI },
      position: at(TEXT, "show g", 0),
    });
    const labels = new Map(items.map((i) => [i.label, i.kind]));
    expect(labels.get("pullback")).toBe(14); // Keyword
    expect(labels.get("toy")).toBe(6); // Variable
    expect(labels.get("g2")).toBe(6);
    expect(labels.get("gelu")).toBe(3); // Function
    expect(labels.get("scalar curvature")).toBe(10); // Property
    const after: { label: string }[] = await rpc.sendRequest<Answer>("textDocument/completion", {
      textDocument: { uri: URI },
      position: at(TEXT, "show g", 5),
    });
    expect(after.map((i) => i.label)).toContain("christoffel"); // after `show`: quantities and names, no keywords
    expect(after.map((i) => i.label)).not.toContain("pullback");
  });

  test("document symbols list the declarations", async () => {
    const s: { name: string; detail: string }[] = await rpc.sendRequest<Answer>("textDocument/documentSymbol", {
      textDocument: { uri: URI },
    });
    expect(s.map((x) => `${x.detail} ${x.name}`)).toEqual(["manifold Input", "network toy", "metric g", "metric g2"]);
  });

  test("an edit with a typo: the CLI's diagnostics, same words and ranges, and a did-you-mean fix", async () => {
    await change(2, BAD);
    const diags = await diagnosticsFor(2);
    const { err } = await cli(["check", "-"], BAD);
    const cliLines = [...err.matchAll(/^<stdin>:(\d+):(\d+): error: (.*)$/gm)];
    expect(diags).toHaveLength(cliLines.length);
    expect(cliLines.length).toBe(1); // one mistake, one diagnostic: the metrics along it are not reported again
    diags.forEach((d, i) => {
      const [, line, col, message] = cliLines[i];
      expect(d.range.start).toEqual({ line: Number(line) - 1, character: Number(col) - 1 });
      expect(d.message.split("\n")[0]).toBe(message);
      expect(d.severity).toBe(1);
    });
    expect(diags[0].message).toBe("unknown map or network or manifold 'tox'\ndid you mean 'toy'?");
    expect(diags[0].range).toEqual({ start: at(BAD, "along tox", 6), end: at(BAD, "along tox", 9) });

    const actions = await rpc.sendRequest<Answer>("textDocument/codeAction", {
      textDocument: { uri: URI },
      range: diags[0].range,
      context: { diagnostics: [diags[0]] },
    });
    expect(actions).toEqual([
      expect.objectContaining({ title: "Change to 'toy'", edit: { changes: { [URI]: [{ range: diags[0].range, newText: "toy" }] } } }),
    ]);

    // While the text is broken, the outline is still there and hover answers from the last model that checked clean.
    const symbols: { name: string }[] = await rpc.sendRequest<Answer>("textDocument/documentSymbol", { textDocument: { uri: URI } });
    expect(symbols.map((x) => x.name)).toEqual(["Input", "toy", "g", "g2"]);
    const h = await rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri: URI }, position: at(BAD, "Input (x", 1) });
    expect(h.contents.value).toContain("dimension 2");
  });

  test("a syntax error is located where the CLI puts it; fixing it clears the diagnostics", async () => {
    const broken = TEXT.replace("b = [0, 0]\n}", "b = [0, 0\n}");
    await change(3, broken);
    const [d] = await diagnosticsFor(3);
    const { err } = await cli(["check", "-"], broken);
    const [, line, col, message] = /^<stdin>:(\d+):(\d+): error: (.*)$/m.exec(err)!;
    expect(d.range.start).toEqual({ line: Number(line) - 1, character: Number(col) - 1 });
    expect(d.message).toBe(`${message}\n${/ = (expected.*)$/m.exec(err)![1]}`);
    await change(4, TEXT);
    expect(await diagnosticsFor(4)).toEqual([]);
  });
});
