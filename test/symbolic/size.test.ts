// The one size model of printed forms: the layered listing's size estimated from the widths against the listing
// actually built, and `rgnn metric` with the default --form auto on narrow deep nets, where the layered listing,
// the symbolic limit and the matrix form meet.
import { describe, expect, it } from "vitest";
import { pickMetric } from "../../src/api/spec.js";
import { inRequestGraph } from "../../src/symbolic/expr.js";
import { metricListing } from "../../src/symbolic/listing.js";
import { autoTakesMatrixForm, layeredPrintSize, PRINT_LIMIT, printedSize } from "../../src/symbolic/size.js";
import { cli, exampleModel, model } from "../helpers.js";

const deepSpec = (width: number, depth: number, layer: string) =>
  `manifold I = R^${width}\nnetwork n : I {\n  repeat ${depth} { ${layer} }\n}\nmetric g = pullback along n\n`;

describe("layeredPrintSize", () => {
  it.each([
    [4, 16, "residual tanh with h = 0.1"],
    [8, 8, "residual tanh with h = 0.1"],
    [8, 8, "dense 8 tanh"],
    [16, 2, "residual tanh with h = 0.1"],
  ])("is within 20%% of the printed listing: width %i, depth %i, %s", (width, depth, layer) => {
    const g = pickMetric(model(deepSpec(width, depth, layer)));
    const printed = inRequestGraph(g, () => {
      const l = metricListing(g, "layers");
      return printedSize([...l.definitions.map((d) => d.expr), ...l.result.flat()], l.names, 1e9);
    });
    const estimate = layeredPrintSize(Array(depth + 1).fill(width), 0);
    expect(estimate / printed).toBeGreaterThan(0.8);
    expect(estimate / printed).toBeLessThan(1.2);
  });

  it("takes the matrix form for auto exactly where a symbolic form would pass a limit", () => {
    const g = (depth: number) => pickMetric(model(deepSpec(8, depth, "residual tanh with h = 0.01")));
    expect(autoTakesMatrixForm(g(64))).toBe(false); // 0.8 million printed nodes
    expect(layeredPrintSize(Array(193).fill(8), 0)).toBeGreaterThan(PRINT_LIMIT);
    expect(autoTakesMatrixForm(g(192))).toBe(true);
    expect(autoTakesMatrixForm(pickMetric(exampleModel("polar")))).toBe(false); // a pullback along a map
  });
});

describe("rgnn metric --form auto on width 8", () => {
  it.each([160, 192, 256, 400])("prints depth %i with the default options", async (depth) => {
    const r = await cli(["metric", "-"], deepSpec(8, depth, "residual tanh with h = 0.01"));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    // the matrix recursion, down to the input: g = J1ᵀ g1 J1 after one definition per layer
    expect(r.out).toContain("g = J1^T*g1*J1    [8×8]");
    expect(r.out).toContain(`g${depth - 1} = J${depth}^T*g${depth}*J${depth}`);
  });

  it("says which form works when another is asked for", async () => {
    const r = await cli(["metric", "-", "--form", "layers"], deepSpec(8, 256, "residual tanh with h = 0.01"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("--form matrix");
  });
});
