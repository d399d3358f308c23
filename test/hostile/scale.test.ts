// Numbers at the edges (issue 29): a negative definite metric was labelled "indefinite"; [[1,1],[1,1+1e-15]] printed
// det 0 in `metric --at` and 1.11e-15 in `geometry`; diag(1e200, 1e-200) and diag(e^x², e^-x²) at x = 5 (det 1) were
// "rank 1, degenerate, det 0" and refused as "not finite". Rank and signature are now judged on each coordinate's own
// scale (a congruence by a positive diagonal, which keeps the signature), the determinant is the eliminated value
// with no cut, and `geometry` judges det g against the product of g's rows' sizes: the same answer in both commands.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { classifyMetric, determinantOf } from "../../src/numeric/linalg.js";
import { SERVE_ERRORS } from "../../src/serve/server.js";
import { fromWire, toWire } from "../../src/serve/wire.js";
import { BIN, cli, expectCleanError, folder } from "./tools.js";

const { write } = folder("scale");
const spec = (name: string, g: string) => write(name, `manifold M (x, y)\nmetric g on M = ${g}\n`);

describe("signature, rank and determinant on a scale-aware basis", () => {
  it("diag(-2, -3) is negative definite, signature (0,2,0), det 6", async () => {
    const r = await cli(["metric", spec("neg.rgnn", "[[-2, 0], [0, -3]]"), "--at", "0,0", "--format", "json"]);
    const j = JSON.parse(r.out);
    expect([j.rank, j.signature, j.type, j.determinant]).toEqual([2, [0, 2, 0], "negative definite", 6]);
  });

  it("[[1,1],[1,1+1e-15]]: degenerate in metric and geometry alike, det 2^-49 in both (not 0)", async () => {
    const p = spec("near.rgnn", "[[1, 1], [1, 1 + 1e-15]]");
    const j = JSON.parse((await cli(["metric", p, "--at", "0,0", "--format", "json"])).out);
    // 1 + 1e-15 rounds to 1 + 5·2^-52 = 1 + 1.1102230246251565e-15, so det = 5·2^-52 exactly
    expect(j.determinant).toBe(5 * 2 ** -52);
    expect([j.rank, j.type]).toEqual([1, "degenerate"]);
    const g = await cli(["geometry", p, "--at", "0,0"]);
    expectCleanError(g, "error: ");
    expect(g.err.replace(/\s+/g, " ")).toContain("degenerate at (0, 0): det g = 1.1102230246251565e-15");
  });

  it("diag(1e200, 1e-200): rank 2, Riemannian, det 1; geometry computes (flat: scalar 0)", async () => {
    const p = spec("wide.rgnn", "[[1e200, 0], [0, 1e-200]]");
    const j = JSON.parse((await cli(["metric", p, "--at", "0,0", "--format", "json"])).out);
    expect([j.rank, j.signature, j.type, j.determinant]).toEqual([2, [2, 0, 0], "Riemannian", 1]);
    const g = await cli(["geometry", p, "--at", "0,0", "--quantity", "scalar"]);
    expect(g.err).toBe("");
    expect(g.code).toBe(0);
    expect(g.out).toContain("R = 0\n");
  });

  it("diag(e^x², e^-x²) at x = 5: rank 2, det 1, scalar curvature 2(1 − 2x²)e^-x² = −98e^-25", async () => {
    const p = spec("exp.rgnn", "[[exp(x^2), 0], [0, exp(-x^2)]]");
    const j = JSON.parse((await cli(["metric", p, "--at", "5,0", "--format", "json"])).out);
    expect([j.rank, j.type]).toEqual([2, "Riemannian"]);
    expect(j.determinant).toBeCloseTo(1, 12);
    const g = await cli(["geometry", p, "--at", "5,0", "--quantity", "scalar", "--format", "json"]);
    expect(g.code).toBe(0);
    expect(JSON.parse(g.out).components / (-98 * Math.exp(-25))).toBeCloseTo(1, 6);
  });

  it("the library: classifyMetric and determinantOf", () => {
    expect(
      classifyMetric([
        [1e200, 0],
        [0, 1e-200],
      ]),
    ).toEqual({ signature: [2, 0, 0], rank: 2, type: "Riemannian" });
    expect(
      classifyMetric([
        [-1e-8, 0],
        [0, -1e8],
      ]).type,
    ).toBe("negative definite");
    expect(
      determinantOf([
        [1, 1],
        [1, 1 + 1e-15],
      ]),
    ).toBe(5 * 2 ** -52);
  });
});

describe("distances on an indefinite metric", () => {
  it("Minkowski space: refused before any pair, naming the signature and the point; Euclidean (0,0)–(3,4) is 5", async () => {
    const { write: put } = folder("minkowski");
    const mink = put("mink.rgnn", "manifold M (t, x)\nmetric g on M = [[-1, 0], [0, 1]]\n");
    // (0,0)–(1,1) is null, (0,0)–(0,2) spacelike and (0,0)–(2,0) timelike: once a matrix of 0, 2 and 2, unlabelled
    const pts = put("pts.csv", "t,x\n0,0\n1,1\n0,2\n2,0\n");
    const r = await cli(["distances", mink, "--points", pts]);
    expectCleanError(r, "error: ");
    // the message is wrapped to the terminal's width after the file name: compare with its spaces folded
    expect(r.err.replace(/\s+/g, " ")).toContain("needs a definite metric, but 'g' is Lorentzian (signature (1,1,0)) at point 1 (0, 0)");
    expect(r.out).toBe("");
    const eu = put("eu.rgnn", "manifold M (x, y)\nmetric g on M = [[1, 0], [0, 1]]\n");
    const ok = await cli(["distances", eu, "--points", put("p2.csv", "x,y\n0,0\n3,4\n"), "--format", "json"]);
    expect(JSON.parse(ok.out).distances[0][1]).toBeCloseTo(5, 8);
  });

  it("rgnn serve (hence Python) refuses it the same way, for a matrix and for a shard's pairs, and goes on", async () => {
    const { write: put } = folder("minkowski-serve");
    const mink = put("mink.rgnn", "manifold M (t, x)\nmetric g on M = [[-1, 0], [0, 1]]\n");
    const child = spawn(process.execPath, [BIN, "serve"], { stdio: ["pipe", "pipe", "inherit"] });
    const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    rpc.listen();
    try {
      const { model } = (await rpc.sendRequest("load", { path: mink })) as { model: number };
      const points = toWire([
        [0, 0],
        [1, 1],
        [0, 2],
        [2, 0],
      ]);
      for (const params of [
        { model, points },
        { model, points, pairs: [[0, 3]] },
      ]) {
        const e = await rpc.sendRequest("distances", params).then(
          () => null,
          (err: { code: number; message: string }) => err,
        );
        expect(e?.code).toBe(SERVE_ERRORS.request);
        expect(e?.message).toContain("needs a definite metric, but 'g' is Lorentzian (signature (1,1,0)) at point 1 (0, 0)");
      }
      // the server goes on: a Euclidean metric's 3-4-5 distance
      const eu = put("eu.rgnn", "manifold M (x, y)\nmetric g on M = [[1, 0], [0, 1]]\n");
      const other = (await rpc.sendRequest("load", { path: eu })) as { model: number };
      const ok = (await rpc.sendRequest("distances", {
        model: other.model,
        points: toWire([
          [0, 0],
          [3, 4],
        ]),
        pairs: [[0, 1]],
      })) as {
        distances: unknown;
      };
      expect(fromWire(ok.distances).values[0]).toBeCloseTo(5, 8);
    } finally {
      rpc.dispose();
      child.kill();
    }
  });
});
