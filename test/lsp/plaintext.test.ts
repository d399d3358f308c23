// Hovers for clients that do not render Markdown: `rgnn lsp` reads the client's hover capability
// (textDocument.hover.contentFormat) at initialize and answers in plain text, formulas in rgnn's text syntax, when
// Markdown is not listed; in Markdown with TeX math when it is. Driven through the protocol, as server.test.ts is.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";

// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC answers are plain JSON, checked by the assertions below
type Answer = any;

interface Client {
  rpc: MessageConnection;
  child: ChildProcess;
}
const clients: Client[] = [];

/** A server started for a client with these capabilities, with `files` open. */
async function start(capabilities: object, files: string[]): Promise<Client> {
  const child = spawn(process.execPath, ["bin/rgnn.js", "lsp"], { stdio: ["pipe", "pipe", "inherit"] });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const checked = new Set<string>();
  let wake: (() => void) | null = null;
  rpc.onNotification("textDocument/publishDiagnostics", (p: { uri: string }) => {
    checked.add(p.uri);
    wake?.();
  });
  rpc.listen();
  await rpc.sendRequest("initialize", { processId: null, rootUri: null, capabilities });
  await rpc.sendNotification("initialized", {});
  for (const f of files) {
    const uri = pathToFileURL(resolve(f)).href;
    await rpc.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "rgnn", version: 1, text: readFileSync(f, "utf8") },
    });
    while (!checked.has(uri)) await new Promise<void>((r) => (wake = r));
  }
  const client = { rpc, child };
  clients.push(client);
  return client;
}

afterAll(async () => {
  for (const { rpc, child } of clients) {
    await rpc.sendRequest("shutdown");
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    await rpc.sendNotification("exit");
    expect(await exited).toBe(0);
    rpc.dispose();
  }
});

/** The hover at the first occurrence of `needle` in `file`, `shift` characters in. */
async function hover(c: Client, file: string, needle: string, shift: number): Promise<Answer> {
  const text = readFileSync(file, "utf8");
  const before = text.slice(0, text.indexOf(needle) + shift).split("\n");
  const position = { line: before.length - 1, character: before.at(-1)!.length };
  return c.rpc.sendRequest<Answer>("textDocument/hover", { textDocument: { uri: pathToFileURL(resolve(file)).href }, position });
}

const FILES = ["examples/polar.rgnn", "examples/paper-toy.rgnn", "examples/deep-resnet.rgnn"];

describe("hover in a client without Markdown", () => {
  for (const [what, capabilities] of [
    ["declares plain text only", { textDocument: { hover: { contentFormat: ["plaintext"] } } }],
    ["declares no hover formats", {}],
  ] as const)
    test(`a client that ${what} gets plain text: no TeX, no Markdown`, async () => {
      const c = await start(capabilities, FILES);
      // polar coordinates: diag(1, r^2) as an aligned matrix in rgnn's own syntax
      const g = await hover(c, "examples/polar.rgnn", "show g", 5);
      expect(g.contents).toEqual({ kind: "plaintext", value: "metric g on Polar (r, theta)\n\ng = [ 1  0   ]\n    [ 0  r^2 ]" });
      const r = await hover(c, "examples/polar.rgnn", "r * cos", 0);
      expect(r.contents).toEqual({ kind: "plaintext", value: "coordinate r of Polar (r, theta)" });
      const polar = await hover(c, "examples/polar.rgnn", "along polar", 7);
      expect(polar.contents.value).toBe("map polar: Polar (r, theta) → Plane (x, y)\n\nx = r * cos(theta)\ny = r * sin(theta)");
      // paper-toy: the layered form, each named quantity a line "name = expression"; the network's layers
      const toy = (await hover(c, "examples/paper-toy.rgnn", "show g", 5)).contents.value as string;
      expect(toy.startsWith("metric g on Input (x, y)\n\nIn layered form:\n\n")).toBe(true);
      expect(toy).toContain("\n\nlayer 1 (dense tanh):\n  z1_1 = 0.1 + 1.2*x - 0.7*y\n  z1_2 = 0.4*x + 0.9*y - 0.2\n");
      expect(toy).toMatch(/^g\[x\]\[y\] = |^g = \[/m);
      const net = (await hover(c, "examples/paper-toy.rgnn", "along toy", 7)).contents.value as string;
      expect(net.split("\n").slice(2, 5)).toEqual([
        "- layer 1: dense tanh, width 2 → 2",
        "- layer 2: residual tanh, width 2 → 2",
        "- layer 3: residual tanh, width 2 → 2",
      ]);
      // 64 layers: the matrix recursion, its weights counted
      const deep = (await hover(c, "examples/deep-resnet.rgnn", "metric g", 7)).contents.value as string;
      expect(deep).toMatch(/^metric g on Input \(x, y\)\n\nIn matrix form, the weights named: 129 matrices, vectors and scalars/);
      expect(deep).toContain("(rgnn metric --form matrix lists them)");
      for (const v of [g, r, polar].map((h) => h.contents.value).concat([toy, net, deep])) expect(v, v).not.toMatch(/\$|\\\\[a-z]|\*\*|`/);
    });

  test("a client that lists Markdown gets Markdown with TeX math", async () => {
    const c = await start({ textDocument: { hover: { contentFormat: ["markdown", "plaintext"] } } }, ["examples/polar.rgnn"]);
    const g = await hover(c, "examples/polar.rgnn", "show g", 5);
    expect(g.contents).toEqual({
      kind: "markdown",
      value: "**metric** `g` on `Polar` (r, theta)\n\n$$\ng = \\begin{pmatrix} 1 & 0 \\\\ 0 & r^{2} \\end{pmatrix}\n$$",
    });
  });
});
