// `rgnn lsp` survives malformed framing: a Content-Length 10 bytes short or long, negative, non-numeric or missing is
// skipped with a line on standard error, and the next request is answered; `shutdown` and `exit` still work.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { resynchronisingFraming } from "../../src/lsp/framing.js";
import { BIN } from "./tools.js";

const INIT = { jsonrpc: "2.0", id: 99, method: "initialize", params: { processId: null, rootUri: null, capabilities: {} } };
const body = JSON.stringify(INIT);
const bytes = Buffer.byteLength(body);
const BAD: [string, string][] = [
  ["10 bytes short", `Content-Length: ${bytes - 10}\r\n\r\n${body}`],
  ["10 bytes long", `Content-Length: ${bytes + 10}\r\n\r\n${body}`],
  ["negative", `Content-Length: -${bytes}\r\n\r\n${body}`],
  ["non-numeric", `Content-Length: abc\r\n\r\n${body}`],
  ["missing", `Content-Type: application/vscode-jsonrpc\r\n\r\n${body}`],
];

describe("the framing layer", () => {
  it("passes whole messages through and drops a bad one up to the next header", () => {
    const logged: string[] = [];
    const framing = resynchronisingFraming((line) => logged.push(line));
    const out: Buffer[] = [];
    framing.on("data", (b: Buffer) => out.push(b));
    const good = `Content-Length: ${bytes}\r\n\r\n${body}`;
    // the good message in two chunks split inside its header, then a bad one, then the good one again
    framing.write(Buffer.from(good.slice(0, 7)));
    framing.write(Buffer.from(good.slice(7) + BAD[0][1]));
    framing.write(Buffer.from(good));
    expect(Buffer.concat(out).toString()).toBe(good + good);
    expect(logged).toEqual([
      `rgnn lsp: skipped ${BAD[0][1].length} bytes of input: Content-Length ${bytes - 10} does not frame one JSON message\n`,
    ]);
  });
});

describe("rgnn lsp after a malformed message", () => {
  for (const [what, bad] of BAD)
    it(`${what}: logged, the next request answered, shutdown and exit work`, async () => {
      const child = spawn(process.execPath, [BIN, "lsp"], { stdio: ["pipe", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (d) => {
        err += d;
      });
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      child.stdin.write(bad);
      const rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
      rpc.listen();
      // biome-ignore lint/suspicious/noExplicitAny: the answer is plain JSON
      const init = await rpc.sendRequest<any>("initialize", { processId: null, rootUri: null, capabilities: {} });
      expect(init.capabilities.hoverProvider).toBe(true);
      await rpc.sendRequest("shutdown");
      await rpc.sendNotification("exit");
      expect(await exited).toBe(0);
      rpc.dispose();
      expect(err).toMatch(/^rgnn lsp: skipped \d+ bytes of input: /);
    });
});
