import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forwardMapping } from "../../src/numeric/forward.js";
import { congruenceN, identityN } from "../../src/numeric/linalg.js";
import { cli, expectClose, fdJacobian, model } from "../helpers.js";
import { readFileSync } from "node:fs";

const tmp = mkdtempSync(join(tmpdir(), "rgnn-cli-"));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe("rgnn metric", () => {
  it("paper-toy at (0.3, -0.7) as JSON agrees with finite differences to 1e-8", async () => {
    const r = await cli(["metric", "examples/paper-toy.rgnn", "--at", "0.3,-0.7", "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ name: "g", layer: 0, point: [0.3, -0.7], rank: 2, coords: ["x", "y"] });
    const net = model(readFileSync("examples/paper-toy.rgnn", "utf8")).mappings.get("toy")!;
    const J = fdJacobian((x) => forwardMapping(net, x).x, [0.3, -0.7]);
    expectClose(out.metric, congruenceN(J, identityN(2)), 1e-8, "g");
  });

  it("polar: diag(1, r²) in readable text", async () => {
    const r = await cli(["metric", "examples/polar.rgnn"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("g = [ 1  0   ]\n    [ 0  r^2 ]\n");
  });

  it("polar as LaTeX and as JSON", async () => {
    const tex = (await cli(["metric", "examples/polar.rgnn", "--format", "latex"])).out;
    expect(tex).toContain("{g}_{r r} &= 1");
    expect(tex).toContain("{g}_{\\theta \\theta} &= r^{2}");
    const j = JSON.parse((await cli(["metric", "examples/polar.rgnn", "--format", "json"])).out);
    expect(j).toMatchObject({
      name: "g",
      coords: ["r", "theta"],
      form: "explicit",
      components: [
        ["1", "0"],
        ["0", "r^2"],
      ],
    });
  });

  it("a deep network prints named intermediates, linear in depth", async () => {
    const r = await cli(["metric", "examples/deep-resnet.rgnn"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("layer 64 (residual tanh):");
    expect(r.out).toContain("z64_1 = ");
    expect(r.out.length).toBeLessThan(200_000);
  });

  it("--layer pulls back to an inner layer", async () => {
    const a = JSON.parse((await cli(["metric", "examples/paper-toy.rgnn", "--layer", "2", "--at", "0.1,0.2", "-f", "json"])).out);
    const b = JSON.parse((await cli(["metric", "examples/paper-toy.rgnn", "--metric", "g2", "--at", "0.1,0.2", "-f", "json"])).out);
    expect(a.coords).toEqual(["x2_1", "x2_2"]);
    expect(a.metric).toEqual(b.metric);
    expect((await cli(["metric", "examples/paper-toy.rgnn", "--layer", "9"])).code).toBe(2);
  });

  it("reports a non-finite metric with its component, not a number", async () => {
    const r = await cli(["metric", "examples/h2.rgnn", "--at", "0.5,0"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "examples/h2.rgnn: error: metric 'g' is not finite at (0.5, 0): g[1][1] = Infinity; the declared components are singular there\n",
    );
  });

  it("names the layer where a network first overflows", async () => {
    const p = file(
      "overflow.rgnn",
      "manifold I (a)\nnetwork n : I { dense 1 linear with W = [[1e200]], b = [0]  dense 1 linear with W = [[1e200]], b = [0]  dense 1 tanh with W = [[1]], b = [0] }\nmetric g = pullback along n\n",
    );
    const r = await cli(["metric", p, "--at", "1"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("it first goes wrong at layer 2 (dense linear) of 'n'");
  });

  it("symbolic weights need values; --set supplies them", async () => {
    const r = await cli(["metric", "examples/symbolic-resnet.rgnn", "--at", "0.1,0.2"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("has symbols without values");
    const set = "h=0.5,W1_11=1,W1_12=0,W1_21=0,W1_22=1,b1_1=0,b1_2=0,W2_11=1,W2_12=0,W2_21=0,W2_22=1,b2_1=0,b2_2=0";
    const ok = await cli(["metric", "examples/symbolic-resnet.rgnn", "--at", "0.1,0.2", "--set", set, "-f", "json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).rank).toBe(2);
  });

  it("rejects a point of the wrong dimension as a usage error", async () => {
    const r = await cli(["metric", "examples/polar.rgnn", "--at", "1,2,3"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("Polar has dimension 2 (r, theta), but the point has 3 coordinates");
  });
});

describe("rgnn eval", () => {
  it("evaluates output, Jacobian and metric at a point (JSON)", async () => {
    const r = await cli(["eval", "examples/paper-toy.rgnn", "--at", "0.3,-0.7", "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.mapping).toBe("toy");
    const pt = out.points[0];
    const net = model(readFileSync("examples/paper-toy.rgnn", "utf8")).mappings.get("toy")!;
    const F = forwardMapping(net, [0.3, -0.7]);
    expectClose([pt.output], [F.x], 1e-14, "output");
    expectClose(pt.jacobian, F.J, 1e-12, "J");
    expect(pt.rank).toBe(2);
  });

  it("evaluates every point of a CSV file", async () => {
    const pts = file("pts.csv", "x,y\n0.1,0.2\n-0.5,0.3\n1,1\n");
    const r = await cli(["eval", "examples/paper-toy.rgnn", "--points", pts, "--format", "csv"]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe("x,y,out_1,out_2,J_11,J_12,J_21,J_22,g_11,g_12,g_22,rank");
    expect(lines).toHaveLength(4);
    expect(lines[2].split(",").slice(0, 2)).toEqual(["-0.5", "0.3"]);
  });

  it("a bad CSV cell is reported with file, line, column and caret", async () => {
    const pts = file("bad.csv", "0.1,0.2\n0.3,abc\n");
    const r = await cli(["eval", "examples/paper-toy.rgnn", "--points", pts]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${pts}:2:5: error: 'abc' is not a finite number`);
    expect(r.err).toContain("2 | 0.3,abc\n  |     ^~~");
  });

  it("needs exactly one of --at and --points", async () => {
    expect((await cli(["eval", "examples/paper-toy.rgnn"])).code).toBe(2);
  });
});
