// The model's mathjs node classes (semantics/mathnodes.ts): loaded at their first use only — a command on a network
// with numeric weights never pays for them — and then nodes that behave as mathjs's own (construction, instanceof,
// static members, compile/evaluate and toTex).
import { spawnSync } from "node:child_process";
import * as mathjs from "mathjs";
import { describe, expect, it } from "vitest";
import { ConstantNode, FunctionNode, OperatorNode, SymbolNode } from "../../src/semantics/mathnodes.js";

describe("the model's mathjs node classes", () => {
  it("are not loaded until a node is built", () => {
    const script = `
      import { createRequire } from "node:module";
      const nodes = await import(${JSON.stringify(new URL("../../dist/src/semantics/mathnodes.js", import.meta.url).href)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => /expression.node.ConstantNode/.test(f));
      const before = loaded();
      new nodes.ConstantNode(1);
      console.log(JSON.stringify([before, loaded()]));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual([false, true]);
  });

  it("build nodes that answer instanceof, compile, evaluate and print as mathjs's own", () => {
    const x = new SymbolNode("x"),
      two = new ConstantNode(2);
    const e = new OperatorNode("+", "add", [new FunctionNode(new SymbolNode("sin"), [x]), new OperatorNode("*", "multiply", [two, x])]);
    expect(e instanceof OperatorNode && two instanceof ConstantNode && x instanceof SymbolNode).toBe(true);
    expect(two instanceof SymbolNode || x instanceof ConstantNode || e instanceof FunctionNode).toBe(false);
    expect(e.compile().evaluate({ x: 0.5 })).toBeCloseTo(Math.sin(0.5) + 1, 15);
    expect(e.toTex()).toBe(mathjs.parse("sin(x) + 2 * x").toTex());
    expect([two.isConstantNode, (OperatorNode as unknown as { name: string }).name]).toEqual([true, "OperatorNode"]);
  });
});
