// The language server lives for hours of edits: over 1,000 edits, each checked and hovered, its heap holds steady.
// Driven in process (the same `serve` the CLI runs, over in-memory streams) so the test can weigh its heap.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { serve } from "../../src/lsp/server.js";
import { asOneRequest, currentGraph } from "../../src/symbolic/expr.js";
import { heapAfterGC } from "../heap.js";

const FILE = resolve("examples/paper-toy.rgnn");
const URI = pathToFileURL(FILE).href;
const TEXT = readFileSync(FILE, "utf8");
const edit = (k: number) => `${TEXT.replace(/0\.3/g, String(0.3 + k * 1e-4))}\n# edit ${k}\n`;
const SHOW = (() => {
  const before = TEXT.slice(0, TEXT.indexOf("show g") + 5).split("\n");
  return { line: before.length - 1, character: before.at(-1)!.length };
})();

it("holds its heap steady over 1,000 edits, each checked and hovered", async () => {
  const toServer = new PassThrough(),
    fromServer = new PassThrough();
  const done = asOneRequest(() => serve(toServer, fromServer)); // as `rgnn lsp` runs: the server scopes its requests
  const rpc = createMessageConnection(new StreamMessageReader(fromServer), new StreamMessageWriter(toServer));
  let diagnostics = 0,
    checked = 0;
  rpc.onNotification("textDocument/publishDiagnostics", (p) => {
    checked++;
    diagnostics += p.diagnostics.length;
  });
  rpc.listen();
  await rpc.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
  await rpc.sendNotification("initialized", {});
  await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: URI, languageId: "rgnn", version: 0, text: TEXT } });

  let last = "",
    changed = 0; // hovers that differ from the one before (the texts themselves are not kept: they would weigh)
  const step = async (k: number) => {
    await rpc.sendNotification("textDocument/didChange", { textDocument: { uri: URI, version: k }, contentChanges: [{ text: edit(k) }] });
    // biome-ignore lint/suspicious/noExplicitAny: a JSON-RPC answer, checked below
    const h: any = await rpc.sendRequest("textDocument/hover", { textDocument: { uri: URI }, position: SHOW });
    if (h.contents.value !== last) changed++;
    last = h.contents.value;
  };
  for (let k = 1; k <= 100; k++) await step(k);
  const root = currentGraph().size;
  const before = heapAfterGC();
  for (let k = 101; k <= 1000; k++) await step(k);
  const grown = heapAfterGC() - before;

  expect(changed).toBe(1000); // each edit hovered its own closed form
  expect([checked, diagnostics]).toEqual([1001, 0]); // and every version checked clean
  expect(currentGraph().size).toBe(root); // requests built in graphs of their own
  expect(grown).toBeLessThan(2e6);

  await rpc.sendRequest("shutdown");
  await rpc.sendNotification("exit");
  expect(await done).toBe(0);
  rpc.dispose();
});
