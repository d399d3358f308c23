// Points outside a chart's declared domain (`manifold M (…) on [a,b] x …`): before, `metric --at 0,0` on a chart
// declared on [1,2] x [3,4], geodesics and Christoffel symbols outside it, and Schwarzschild (declared r ∈ [2, 10])
// at r = 0.5 printed values with no word. Now every surface refuses such a point with one message naming the chart,
// the coordinate and its interval, exit 1: the CLI's metric, geometry, eval (--at and --points), geodesic and
// distances, a spec's own `evaluate … at`, the library (ChartDomainError) and the server (one error reply).
// Points inside, the closed intervals' ends included, are answered as before; a velocity is not a point.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { ChartDomainError } from "../../src/api/chart.js";
import { MAX_DISTANCE_POINTS } from "../../src/api/geodesic.js";
import { checkSpec, geodesic, geometryAt, metricAt, pickMetric, valuesOf } from "../../src/index.js";
import { SERVE_ERRORS } from "../../src/serve/server.js";
import { MAX_REQUEST_POINTS, toWire } from "../../src/serve/wire.js";
import { BIN, cli, expectCleanError, folder } from "./tools.js";

const { dir, write } = folder("chart");
// a network on a chart declared on [1,2] x [3,4], and the Schwarzschild metric in (t, r) on r ∈ [2, 10]
const BOX = write(
  "box.rgnn",
  [
    "manifold I (x, y) on [1, 2] x [3, 4]",
    "network n : I -> R^2 {",
    "  dense 2 tanh with W = [[0.5, -0.2], [0.1, 0.3]], b = [0, -1]",
    "}",
    "metric g = pullback of euclidean along n",
    "",
  ].join("\n"),
);
const SCHWARZSCHILD = write(
  "schwarzschild.rgnn",
  ["constant rs = 1", "manifold S (t, r) on [-1, 1] x [2, 10]", "metric g on S = [[-(1 - rs/r), 0], [0, 1/(1 - rs/r)]]", ""].join("\n"),
);
const OUT_X = "is outside the chart I: x = 0 is not in [1, 2] (I is declared on [1, 2] x [3, 4])";
const HORIZON = "is outside the chart S: r = 0.5 is not in [2, 10] (S is declared on [-1, 1] x [2, 10])";

describe("the CLI refuses a point outside its chart, on every command that takes points", () => {
  it.each([
    ["metric", ["metric", BOX, "--at", "0,3.5"], `point (0, 3.5) ${OUT_X}`],
    ["geometry", ["geometry", BOX, "--at", "0,3.5"], `point (0, 3.5) ${OUT_X}`],
    ["eval --at", ["eval", BOX, "--at", "0,3.5"], `point (0, 3.5) ${OUT_X}`],
    ["geodesic --to", ["geodesic", BOX, "--from", "1.5,3.5", "--to", "0,3.5"], `the end (0, 3.5) ${OUT_X}`],
    ["geodesic --from", ["geodesic", BOX, "--from", "0,3.5", "--velocity", "1,0"], `the start (0, 3.5) ${OUT_X}`],
    ["metric (Schwarzschild inside its horizon)", ["metric", SCHWARZSCHILD, "--at", "0,0.5"], `point (0, 0.5) ${HORIZON}`],
    ["geometry (Schwarzschild)", ["geometry", SCHWARZSCHILD, "--at", "0,0.5"], `point (0, 0.5) ${HORIZON}`],
  ])("%s", async (_, args, message) => {
    const r = await cli(args);
    expectCleanError(r, message);
    expect(r.err).toContain("widen the chart's 'on' intervals");
    expect(r.out).toBe("");
  });

  it("eval --points and distances name the point's row, before any row is written", async () => {
    const pts = write("pts.csv", "x,y\n1.5,3.5\n1.2,3.1\n0,3.5\n");
    const e = await cli(["eval", BOX, "--points", pts]);
    expectCleanError(e, `point 3 of 3 (0, 3.5) ${OUT_X}`);
    expect(e.out).toBe("");
    const d = await cli(["distances", BOX, "--points", pts]);
    expectCleanError(d, `point 3 of 3 (0, 3.5) ${OUT_X}`);
    expect(d.err.match(/error:/g)).toHaveLength(1); // one message (wrapped for the terminal), not one per pair
  });

  it("answers inside the chart, the intervals' ends included: Schwarzschild's g_tt = −(1 − 1/r)", async () => {
    const r = await cli(["metric", SCHWARZSCHILD, "--at", "0,5", "--format", "json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).metric).toEqual([
      [-0.8, 0],
      [0, 1.25],
    ]);
    const edge = await cli(["metric", SCHWARZSCHILD, "--at", "1,2", "--format", "json"]);
    expect(JSON.parse(edge.out).metric[0][0]).toBe(-0.5); // r = 2, the interval's end: −(1 − 1/2)
    const corner = await cli(["eval", BOX, "--at", "2,3", "--format", "json"]);
    expect(corner.code).toBe(0);
    // a velocity is a vector, not a point: (0.2, 0.1) lies outside [1,2] x [3,4] and is no reason to refuse
    const shot = await cli(["geodesic", BOX, "--from", "1.5,3.5", "--velocity", "0.2,0.1", "--samples", "3", "--format", "json"]);
    expect(shot.code).toBe(0);
  });

  it("a spec's own `evaluate g at (…)` outside its chart is a located error with a caret", async () => {
    const spec = write("inside-spec.rgnn", `${SCHWARZSCHILD_TEXT()}evaluate g at (0, 0.5)\n`);
    const r = await cli(["check", spec]);
    expectCleanError(r, `inside-spec.rgnn:4:16: error: the point (0, 0.5) ${HORIZON}`);
    expect(r.err).toContain("evaluate g at (0, 0.5)");
    expect(r.err).toMatch(/\n\s+\| +\^~+/);
  });
});

function SCHWARZSCHILD_TEXT(): string {
  return "constant rs = 1\nmanifold S (t, r) on [-1, 1] x [2, 10]\nmetric g on S = [[-(1 - rs/r), 0], [0, 1/(1 - rs/r)]]\n";
}

describe("the library refuses it too", () => {
  const r = checkSpec(SCHWARZSCHILD_TEXT(), "s.rgnn");
  if (!r.ok) throw new Error(r.message);
  const g = pickMetric(r.model),
    env = valuesOf(r.model);
  it("metricAt, geometryAt and geodesic throw ChartDomainError; inside, metricAt is the closed form", () => {
    expect(() => metricAt(g, [[0, 0.5]], env)).toThrow(ChartDomainError);
    expect(() =>
      geometryAt(
        g,
        "christoffel",
        [
          [0, 3],
          [0, 0.5],
        ],
        env,
      ),
    ).toThrow(`point 2 of 2 (0, 0.5) ${HORIZON}`);
    expect(() => geodesic(g, env, [0, 3], { to: [0, 11] })).toThrow("the end (0, 11) is outside the chart S: r = 11 is not in [2, 10]");
    expect(metricAt(g, [[0, 4]], env)[0].metric).toEqual([
      [-0.75, 0],
      [0, 4 / 3],
    ]);
  });
});

describe("rgnn serve answers it with one error reply and goes on", () => {
  let child: ChildProcess;
  let rpc: MessageConnection;
  beforeAll(() => {
    child = spawn(process.execPath, [BIN, "serve"], { stdio: ["pipe", "pipe", "inherit"] });
    rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    rpc.listen();
  });
  afterAll(() => {
    rpc.dispose();
    child.kill();
  });
  const refused = async (method: string, params: object) => {
    try {
      await rpc.sendRequest(method, params);
    } catch (e) {
      return e as { code: number; message: string };
    }
    throw new Error(`${method} was answered`);
  };

  it("metric, geometry, geodesic and distances outside the chart; a matrix beyond the size limit before any work", async () => {
    const { model } = (await rpc.sendRequest("load", { path: SCHWARZSCHILD })) as { model: number };
    const m = await refused("metric", { model, points: toWire([[0, 0.5]]) });
    expect(m.code).toBe(SERVE_ERRORS.request);
    expect(m.message).toBe(
      `point (0, 0.5) ${HORIZON}; give a point inside the chart, or widen the chart's 'on' intervals if the metric holds there`,
    );
    expect((await refused("geometry", { model, quantity: "scalar", points: toWire([[0, 0.5]]) })).message).toContain(HORIZON);
    expect((await refused("geodesic", { model, from: [0, 3], to: [0, 0.5] })).message).toContain(`the end (0, 0.5) ${HORIZON}`);
    expect(
      (
        await refused("distances", {
          model,
          points: toWire([
            [0, 3],
            [0, 0.5],
          ]),
        })
      ).message,
    ).toContain(`point 2 of 2 (0, 0.5) ${HORIZON}`);
    const many = Array.from({ length: MAX_DISTANCE_POINTS + 1 }, (_, k) => [0, 2 + (8 * k) / MAX_DISTANCE_POINTS]);
    const big = await refused("distances", { model, points: toWire(many) });
    expect(big.message).toMatch(/^a distance matrix of 4,097 points is 8,390,656 geodesic problems and a 4097 × 4097 matrix \(0\.1 GB\)/);
    expect(big.message).toContain("Dask cluster from Python");
    // more points than a request takes: refused with what to do instead (16 MB of float64, 1,000,001 rows)
    const rows = MAX_REQUEST_POINTS + 1;
    const huge = { dtype: "float64", shape: [rows, 2], data: Buffer.alloc(rows * 16).toString("base64") };
    expect((await refused("metric", { model, points: huge })).message).toBe(
      "1,000,001 points in one request: more than the 1,000,000 a request takes (each answer holds per-point values); " +
        "send them in blocks (numpy.array_split), or as a dask array, which goes block by block",
    );
    // and the server goes on: the same metric inside the chart
    const ok = (await rpc.sendRequest("metric", { model, points: toWire([[0, 2]]) })) as { type: string[] };
    expect(ok.type).toHaveLength(1);
  });
});

describe("distances refuses a matrix beyond its size up front", () => {
  it(`${MAX_DISTANCE_POINTS + 1} points: one message with what to do instead, no pair solved`, async () => {
    const rows = Array.from({ length: MAX_DISTANCE_POINTS + 1 }, (_, k) => `${1 + k / (MAX_DISTANCE_POINTS + 1)},3.5`);
    const pts = write("many.csv", `${rows.join("\n")}\n`);
    const r = await cli(["distances", BOX, "--points", pts]);
    expectCleanError(r, "a distance matrix of 4,097 points is 8,390,656 geodesic problems");
    expect(r.err).toContain("compute it on a sample of the points, or shard it over a Dask cluster from Python");
    expect(r.out).toBe("");
  });
});

void dir;
