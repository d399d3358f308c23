// Hover answers as data, in process: the closed form an editor shows takes the matrix form for wide networks,
// built without the layered listing (whose nodes, for a 2→32→32→2 MLP, number in the hundreds of thousands).
import katex from "katex";
import { describe, expect, it } from "vitest";
import { ACTIVATIONS } from "../../src/semantics/model.js";
import { checkSpec, type Model } from "../../src/index.js";
import { completions, hoverText } from "../../src/lsp/analysis.js";
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

  it("a metric named g2 in layered form typesets its components without a double subscript", () => {
    const text = hoverText(model(mlp(2).replace("metric g =", "metric g2 =")), "g2")!;
    expect(text).toMatch(/\{g_\{2\}\}_\{x x\} &= /);
    for (const b of blocks(text)) expect(() => katex.renderToString(b, { displayMode: true, throwOnError: true })).not.toThrow();
  });

  it("a 2-wide MLP keeps its scalar closed form (named layer quantities, then g's components)", () => {
    const text = hoverText(model(mlp(2)), "g")!;
    expect(text).toContain("In layered form:");
    expect(text).toMatch(/\{g\}_\{x x\} &= /);
    expect(text).not.toContain("In matrix form");
    for (const b of blocks(text)) expect(() => katex.renderToString(b, { displayMode: true, throwOnError: true })).not.toThrow();
  });
});

describe("completion by context", () => {
  const text = `${mlp(32)}show `;
  const at = (prefix: string) => completions(text.replace(/show $/, prefix), null).map((c) => c.label);

  it("after a layer kind (and its width): the activations only; after softmax, nothing", () => {
    expect(at("network n : Input -> R^2 {\n  dense 32 ").sort()).toEqual([...ACTIVATIONS].sort());
    expect(at("network n : Input -> R^2 {\n  residual t").sort()).toEqual([...ACTIVATIONS].sort());
    expect(at("network n : Input -> R^2 {\n  softmax ")).toEqual([]);
  });

  it("after `along`: networks and maps; after `pullback of`: metrics and euclidean; after `show`: quantities", () => {
    expect(at("metric h = pullback of euclidean along ")).toEqual(["mlp"]);
    expect(at("metric h = pullback of ").sort()).toEqual(["euclidean", "g"]);
    const show = at("show ");
    expect(show).toContain("christoffel");
    expect(show).toContain("g");
    expect(show).not.toContain("tanh");
    expect(show).not.toContain("network");
    expect(at("show christoffel of ").sort()).toEqual(["g", "mlp"]);
  });

  it("elsewhere: keywords, names and activations", () => {
    const all = at("");
    for (const w of ["network", "pullback", "tanh", "mlp", "g", "christoffel"]) expect(all).toContain(w);
  });
});
