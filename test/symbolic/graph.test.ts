// Expression graphs own their nodes and memos: nodes of two graphs never meet, a fresh graph numbers its nodes as a
// fresh process does, and the public API builds in a graph of its own unless the caller shares one.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSpec, metricSymbolic, pickMetric } from "../../src/index.js";
import { diff } from "../../src/symbolic/diff.js";
import {
  add,
  currentGraph,
  fn,
  inGraph,
  inRequestGraph,
  MINUS_ONE,
  mul,
  newGraph,
  num,
  ONE,
  sym,
  topoOrder,
  TWO,
  ZERO,
} from "../../src/symbolic/expr.js";
import { print } from "../../src/symbolic/print.js";

const build = () => fn("tanh", add(mul(num(1.2), sym("x")), mul(num(-0.7), sym("y")), num(0.1)));

describe("a graph owns its nodes", () => {
  it("shares the constants with every graph, so identity tests hold in each", () => {
    const g = newGraph();
    inGraph(g, () => {
      expect(num(0)).toBe(ZERO);
      expect(num(1)).toBe(ONE);
      expect(num(-1)).toBe(MINUS_ONE);
      expect(num(2)).toBe(TWO);
      expect(mul(sym("x"), ZERO)).toBe(ZERO);
    });
  });

  it("hash-conses within a graph and numbers a fresh graph as a fresh process does", () => {
    const g1 = newGraph(),
      g2 = newGraph();
    const a = inGraph(g1, build),
      b = inGraph(g2, build);
    expect(inGraph(g1, build)).toBe(a);
    expect(a).not.toBe(b); // two graphs, two nodes
    expect(a.id).toBe(b.id); // the same construction numbers the same way: canonical orders agree
    expect(inGraph(g1, () => print(a))).toBe(inGraph(g2, () => print(b)));
    expect(g1.size).toBe(g2.size);
  });

  it("refuses to build from another graph's nodes, or to walk two graphs at once", () => {
    const a = inGraph(newGraph(), () => sym("x"));
    const g = newGraph();
    expect(() => inGraph(g, () => add(a, ONE))).toThrow(/another graph/);
    const b = inGraph(g, () => sym("y"));
    expect(() => topoOrder([a, b])).toThrow(/another graph/);
    expect(inGraph(g, () => topoOrder([a]))).toEqual([a]); // a walk creates nothing: it reads a's graph
    const square = inGraph(newGraph(), () => mul(sym("x"), sym("x")));
    expect(() => inGraph(g, () => diff([square], "x"))).toThrow(/another graph/); // 2x would be built in g
  });

  it("keeps its derivatives with it", () => {
    const g = newGraph();
    inGraph(g, () => diff([build()], "x"));
    expect(g.derivatives.get("x")?.size).toBeGreaterThan(5);
    expect(newGraph().derivatives.size).toBe(0);
  });
});

describe("requests and the process graph", () => {
  const text = readFileSync("examples/paper-toy.rgnn", "utf8");

  it("builds an API call's closed form in a graph of its own, not the process's", () => {
    const r = checkSpec(text, "examples/paper-toy.rgnn");
    if (!r.ok) throw new Error(r.message);
    const root = currentGraph();
    const before = root.size;
    const s = metricSymbolic(pickMetric(r.model));
    expect(s.definitions.length).toBeGreaterThan(0);
    expect(root.size).toBe(before);
  });

  it("joins a caller's graph, whose memos then serve a second call", () => {
    const r = checkSpec(text, "examples/paper-toy.rgnn");
    if (!r.ok) throw new Error(r.message);
    const g = newGraph();
    const first = inGraph(g, () => metricSymbolic(pickMetric(r.model)));
    const size = g.size;
    expect(size).toBeGreaterThan(100);
    const second = inGraph(g, () => metricSymbolic(pickMetric(r.model)));
    expect(second).toEqual(first);
    expect(g.size).toBe(size); // nothing new: the pullback and its simplified form were memoized in g
    expect(inRequestGraph(r.model, currentGraph)).not.toBe(g);
  });

  it("gives each owner one graph for its life: repeated calls on a metric share their memos", () => {
    const r = checkSpec(text, "examples/paper-toy.rgnn");
    if (!r.ok) throw new Error(r.message);
    const g = pickMetric(r.model);
    const own = inRequestGraph(g, currentGraph);
    expect(inRequestGraph(g, currentGraph)).toBe(own);
    expect(inRequestGraph(r.model, currentGraph)).not.toBe(own);
    metricSymbolic(g);
    const size = own.size;
    expect(size).toBeGreaterThan(100);
    metricSymbolic(g);
    expect(own.size).toBe(size);
  });
});
