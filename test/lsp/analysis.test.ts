// Hover answers as data, in process: the closed form an editor shows takes the matrix form for wide networks,
// built without the layered listing (whose nodes, for a 2→32→32→2 MLP, number in the hundreds of thousands).
import katex from "katex";
import { describe, expect, it } from "vitest";
import { checkSpec, type Model } from "../../src/index.js";
import { hoverText } from "../../src/lsp/analysis.js";
import { inGraph, newGraph } from "../../src/symbolic/expr.js";

const mlp = (w: number) =>
  `manifold Input (x, y)\nnetwork mlp : Input -> R^2 {\n  dense ${w} tanh\n  dense ${w} tanh\n  dense 2 linear\n}\n` +
  "metric g = pullback of euclidean along mlp\n";

function model(text: string): Model {
  const r = checkSpec(text, "mlp.rgnn");
  if (!r.ok) throw new Error(r.message);
  return r.model;
}

/** The display math of a hover, each block rendered by KaTeX as a client would (throws on an error). */
const blocks = (md: string) => [...md.matchAll(/\$\$\n([\s\S]*?)\n\$\$/g)].map((m) => m[1]);

describe("hover on a metric", () => {
  it("a 32-wide MLP: the matrix form with each weight's shape, in a few hundred nodes", () => {
    const graph = newGraph();
    const text = inGraph(graph, () => hoverText(model(mlp(32)), "g"))!;
    expect(text).toContain("In matrix form, the weights named: $W_{1} \\in \\mathbb{R}^{32 \\times 2}$");
    expect(text).toContain("$W_{2} \\in \\mathbb{R}^{32 \\times 32}$");
    expect(text).toContain("J_{2} &= \\operatorname{diag}\\big(\\tanh'(z_{2})\\big) \\, W_{2}");
    expect(text).toContain("g &= J_{1}^{\\mathsf{T}} \\, g_{1} \\, J_{1}");
    expect(graph.size).toBeLessThan(500);
    for (const b of blocks(text)) expect(() => katex.renderToString(b, { displayMode: true, throwOnError: true })).not.toThrow();
  });

  it("a 2-wide MLP keeps its scalar closed form (named layer quantities, then g's components)", () => {
    const text = hoverText(model(mlp(2)), "g")!;
    expect(text).toContain("In layered form:");
    expect(text).toMatch(/g_\{x x\} &= /);
    expect(text).not.toContain("In matrix form");
    for (const b of blocks(text)) expect(() => katex.renderToString(b, { displayMode: true, throwOnError: true })).not.toThrow();
  });
});
