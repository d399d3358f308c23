// Hostile and careless ranges of layers in a pullback (`along NET layers A to B`): each gets one located message and
// exit 1 through the CLI, with the caret under the word at fault, never a trace or a metric of the wrong layers.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { caretChar, cli, expectCleanError, folder } from "./tools.js";

const { dir, write } = folder("sublayers");

const SPEC = `manifold I (x, y)
network n : I -> R^2 {
  dense 3 tanh with W = [[1, 0], [0, 1], [1, -1]], b = [0, 0.5, 0]
  dense 2 linear with W = [[1, 0, 2], [0, 1, -1]], b = [0, 0]
}
map swap : I -> I { x = y  y = x }
`;

const CASES: [string, string, string, string][] = [
  ["a layer past the last", "metric h = pullback along n layers 1 to 9", "'n' has layers 1 to 2, not 9", "9"],
  ["layer 0 (the input is no layer)", "metric h = pullback along n layer 0", "'n' has layers 1 to 2, not 0", "0"],
  ["a reversed range", "metric h = pullback along n layers 2 to 1", "the first layer of a range must not come after the last", "l"],
  ["a range on a map", "metric h = pullback along swap layers 1 to 1", "'swap' is not a network: it has no layers", "l"],
  ["a range and 'to layer'", "metric h = pullback along n layers 1 to 2 to layer 1", "is a metric on the input already", "1"],
  ["a huge bound", "metric h = pullback along n layers 1 to 99999999999999999999", "'n' has layers 1 to 2, not 100000000000000000000", "9"],
];

describe("a pullback along a range of layers that names no sub-network", () => {
  for (const [what, line, message, under] of CASES) {
    it(`${what}: one located message, exit 1`, async () => {
      const file = write(`${what.replace(/\W+/g, "-")}.rgnn`, `${SPEC}${line}\n`);
      const r = await cli(["metric", file, "--at", "0.1,0.2"]);
      expectCleanError(r, message);
      expect(r.err).toContain(":7:");
      expect(caretChar(r.err)).toBe(under);
      expect(r.out).toBe("");
    });
  }

  it("a second-order layer cut from its earlier state: refused where the range starts", async () => {
    const file = write(
      "wave.rgnn",
      "manifold P (x, y)\nnetwork wave : P -> P {\n  repeat 3 { second_order tanh with h = 0.5 }\n}\n" +
        "metric h = pullback along wave layers 2 to 3\n",
    );
    const r = await cli(["geometry", file, "--at", "0.1,0.2"]);
    expectCleanError(r, "layer 2 of 'wave' is second order: it reads layers 0 and 1");
    expect(r.err).toContain("wave.rgnn:5:39:");
  });

  it("a point for the wrong chart: layers 2 to 2 read layer 1's three coordinates, not the input's two", async () => {
    const file = write("chart.rgnn", `${SPEC}metric h = pullback along n layers 2 to 2\n`);
    const r = await cli(["metric", file, "--at", "0.1,0.2"]);
    expect(r.code).toBe(2); // a usage error: the spec is fine
    expect(r.err).toContain("n[2..2].x0 has dimension 3 (x0_1, x0_2, x0_3), but the point has 2 coordinates");
  });

  it("a figure of a sub-network whose input is not the plane: a usage error, not a crash", async () => {
    const file = write("plot.rgnn", SPEC);
    const r = await cli(["plot", file, "-k", "ellipses", "-n", "n[2..2]", "-d", "moons", "-o", join(dir, "x.svg")]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("the input of 'n[2..2]' has dimension 3");
    expect(r.err).not.toMatch(/internal error|TypeError/);
  });
});
