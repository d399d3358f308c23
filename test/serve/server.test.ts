// `rgnn serve` driven as the Python package drives it: the built CLI as a child process, a real JSON-RPC client over
// its pipes. Values must be the library's own, bit for bit (arrays travel as float64 bytes); a bad request is one
// error reply carrying rgnn's message, and the server answers the next one.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { geometryAt, metricAt, pickMetric, valuesOf } from "../../src/index.js";
import { SERVE_ERRORS } from "../../src/serve/server.js";
import { fromWire, toWire } from "../../src/serve/wire.js";
import { exampleModel } from "../helpers.js";

let child: ChildProcess;
let rpc: MessageConnection;
// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC answers are plain JSON, checked by the assertions below
const ask = (method: string, params: object): Promise<any> => rpc.sendRequest(method, params);
/** The error a request is answered with (it must fail). */
async function refused(method: string, params: object): Promise<{ code: number; message: string }> {
  try {
    await ask(method, params);
  } catch (e) {
    return e as { code: number; message: string };
  }
  throw new Error(`${method} was answered`);
}

beforeAll(() => {
  child = spawn(process.execPath, ["bin/rgnn.js", "serve"], { stdio: ["pipe", "pipe", "inherit"] });
  rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  rpc.listen();
});

afterAll(() => {
  rpc.dispose();
  child.kill();
});

const POINTS = [
  [0.3, -0.7],
  [-1.2, 0.4],
  [0.05, 1.5],
];

describe("rgnn serve", () => {
  it("serves the paper's toy network: its metric and Christoffel symbols equal the library's, bit for bit", async () => {
    const loaded = await ask("load", { path: resolve("examples/paper-toy.rgnn") });
    expect(loaded.metrics.map((m: { name: string }) => m.name)).toEqual(["g", "g2"]);
    const model = exampleModel("paper-toy");
    const g = pickMetric(model);
    const env = valuesOf(model);
    const r = await ask("metric", { model: loaded.model, points: toWire(POINTS) });
    const { values, shape } = fromWire(r.metric);
    expect(shape).toEqual([3, 2, 2]);
    expect(Array.from(values)).toEqual(metricAt(g, POINTS, env).flatMap((v) => v.metric.flat()));
    const c = await ask("geometry", { model: loaded.model, quantity: "christoffel", points: toWire(POINTS) });
    expect(fromWire(c.values).shape).toEqual([3, 2, 2, 2]);
    expect(Array.from(fromWire(c.values).values)).toEqual(geometryAt(g, "christoffel", POINTS, env).flatMap((q) => q.values));
    expect((await ask("free", { model: loaded.model })).freed).toBe(true);
  });

  it("answers a bad spec with its file:line:col message and a caret, then serves the next request", async () => {
    const e = await refused("load", { text: "manifold P (x)\nshow q\n", file: "bad.rgnn" });
    expect(e.code).toBe(SERVE_ERRORS.request);
    expect(e.message).toMatch(/^bad\.rgnn:2:6: error: unknown .* 'q'\n {2}\|\n2 \| show q\n {2}\| {6}\^/);
    const ok = await ask("load", { text: "manifold P (r, t)\nmetric g on P = [[1, 0], [0, r^2]]\n", file: "polar.rgnn" });
    const r = await ask("metric", { model: ok.model, points: [[3, 0.1]] });
    expect(Array.from(fromWire(r.metric).values)).toEqual([1, 0, 0, 9]);
  });

  it("refuses malformed requests one by one: freed models, short arrays, non-finite points, unknown quantities", async () => {
    const { model } = await ask("load", { text: "manifold P (x, y)\nmetric g on P = [[1, 0], [0, 1]]\n" });
    const short = { ...toWire([[1, 2]]), shape: [2, 2] };
    expect((await refused("metric", { model, points: short })).message).toBe("an array of shape [2, 2] needs 32 bytes, not 16");
    expect((await refused("metric", { model, points: [[1, Number.NaN]] })).message).toBe("points must be rows of finite numbers");
    expect((await refused("geometry", { model, quantity: "torsion", points: [[1, 2]] })).message).toMatch(/^quantity must be one of /);
    expect((await refused("metric", { model: 999, points: [[1, 2]] })).message).toMatch(/^no loaded model 999/);
    expect((await refused("metric", { model, points: toWire([[1, 2, 3]]) })).message).toBe(
      "points must have 2 coordinates (x, y) of P, not 3",
    );
    expect((await refused("geodesic", { model, from: [1, 2], to: [1] })).message).toBe("to must have 2 coordinates (x, y) of P, not 1");
    expect((await refused("load", { path: resolve("examples/no-such.rgnn") })).code).toBe(SERVE_ERRORS.request);
    expect((await ask("metric", { model, points: [[1, 2]] })).rank).toEqual([2]);
  });
});
