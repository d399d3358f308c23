// The layer kinds that landed with the shaped networks (conv, conv_transpose, upsample, avgpool, reshape), skip blocks
// and layer_norm, each given a hostile option: one located error at the option, exit 1, never a trace or a huge
// allocation. Before, `layer_norm with eps = 0` (or −1) was accepted, and var x + ε is 0 or negative where x is constant.
import { describe, expect, it } from "vitest";
import { caretChar, cli, expectCleanError, folder } from "./tools.js";

const { write } = folder("layers");
const W8 = "[[1,0],[0,1],[1,1],[1,0],[0,1],[1,1],[1,0],[0,1]]";
const spec = (layers: string) =>
  `manifold I (u, v)\nnetwork n : I -> R^8 {\n  dense 8 linear with W = ${W8}, b = [0,0,0,0,0,0,0,0]\n${layers}\n}\n` +
  "metric g = pullback along n\n";
const SHAPED = "  reshape with shape = [2, 2, 2]\n";
const ONES = "W = [1,1,1,1,1,1,1,1], b = [0,0,0,0,0,0,0,0]";

// [what, layers after the first, message, the character under the caret]
const CASES: [string, string, string, string][] = [
  ["reshape that does not multiply out", "  reshape with shape = [3, 2, 2]", "a 3×2×2 shape holds 12 numbers", "["],
  ["reshape with a negative side", "  reshape with shape = [2, -2, -2]", "must be a positive whole number, not -2", "-"],
  ["reshape with a fraction", "  reshape with shape = [2, 2, 2.5]", "not 2.5", "2"],
  ["conv kernel 0", `${SHAPED}  conv 1 tanh with kernel = 0`, "the kernel of layer 2 (conv) must be a positive whole number", "0"],
  ["conv kernel NaN", `${SHAPED}  conv 1 tanh with kernel = 0/0`, "must be a positive whole number, not NaN", "0"],
  ["conv stride 0", `${SHAPED}  conv 1 tanh with kernel = 1, stride = 0`, "the stride of layer 2 (conv)", "0"],
  ["conv kernel wider than the input", `${SHAPED}  conv 1 tanh with kernel = 9`, "the kernel spans 9 along the height", "9"],
  ["conv padding -1", `${SHAPED}  conv 1 tanh with kernel = 1, padding = -1`, "must be a whole number ≥ 0, not -1", "-"],
  ["conv dilation 1e300", `${SHAPED}  conv 1 tanh with kernel = 1, dilation = 1e300`, "up to 1048576, not 1e+300", "1"],
  ["conv groups that do not divide", `${SHAPED}  conv 3 tanh with kernel = 1, groups = 2`, "do not divide into 2 groups", "2"],
  ["conv on a vector", "  conv 1 tanh with kernel = 1", "reads a channels × height × width state", "c"],
  [
    "conv_transpose output_padding 5",
    `${SHAPED}  conv_transpose 2 tanh with kernel = 2, stride = 2, output_padding = 5`,
    "must be smaller than the stride or the dilation",
    "5",
  ],
  ["conv_transpose stride 1e9", `${SHAPED}  conv_transpose 2 tanh with kernel = 2, stride = 1e9`, "up to 1048576", "1"],
  ["upsample scale 0", `${SHAPED}  upsample with scale = 0`, "the scale of layer 2 (upsample) must be a positive whole", "0"],
  ["upsample scale 1.5", `${SHAPED}  upsample with scale = 1.5`, "not 1.5", "1"],
  ["upsample scale 100000", `${SHAPED}  upsample with scale = 100000`, "would take about 10728.8 GiB", "u"],
  ["avgpool kernel 3 on a 2×2 image", `${SHAPED}  avgpool with kernel = 3`, "the kernel (3) is larger than", "3"],
  ["avgpool padding 2 of kernel 2", `${SHAPED}  avgpool with kernel = 2, padding = 2`, "at most half the kernel", "2"],
  ["avgpool kernel -1", `${SHAPED}  avgpool with kernel = -1`, "not -1", "-"],
  [
    "a skip block of the wrong width",
    "  skip {\n    dense 3 tanh with W = [[1,0,0,0,0,0,0,0],[0,1,0,0,0,0,0,0],[0,0,1,0,0,0,0,0]], b = [0,0,0]\n  }",
    "adds x_1 (width 8), so its width must be 8, not 3",
    "d",
  ],
  ["layer_norm eps = 0", `  layer_norm with ${ONES}, eps = 0`, "eps of layer 2 (layer_norm) must be positive", "0"],
  [
    "layer_norm eps = -1",
    `  layer_norm with ${ONES}, eps = -1`,
    "must be positive (var x + ε is 0 or negative where x is constant), not -1",
    "-",
  ],
  ["layer_norm eps = NaN", `  layer_norm with ${ONES}, eps = 0/0`, "not a finite number (NaN)", "0"],
  ["layer_norm γ of the wrong width", "  layer_norm with W = [1,1,1], b = [0,0,0,0,0,0,0,0]", "a vector of length 3, expected", "["],
];

describe("hostile options of the new layer kinds: one located error each, exit 1", () => {
  for (const [what, layers, message, under] of CASES)
    it(what, async () => {
      const p = write(`${what.replace(/\W+/g, "-")}.rgnn`, spec(layers));
      const r = await cli(["metric", p, "--at", "0.1,0.2"]);
      expectCleanError(r, message);
      expect(r.err).toMatch(/^[^\n]+:\d+:\d+: error: /);
      expect(caretChar(r.err)).toBe(under);
      expect(r.out).toBe("");
    });

  it("layer_norm with eps = 1e-300 is valid: a positive ε, however small", async () => {
    const r = await cli(["check", write("tiny-eps.rgnn", spec(`  layer_norm with ${ONES}, eps = 1e-300`))]);
    expect(r.code).toBe(0);
  });
});
