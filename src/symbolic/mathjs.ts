// mathjs nodes in and out: the typed model holds mathjs nodes; the DAG is ours.
import type { MathNode } from "mathjs";
import { ConstantNode, FunctionNode, OperatorNode, SymbolNode } from "../semantics/mathnodes.js";
import { add, div, type Expr, fn, FUNCTIONS, type Fn, mul, neg, num, pow, sqrt, sub, sym } from "./expr.js";
import { splitSum } from "./print.js";

const FN_SET = new Set<string>(FUNCTIONS);

/** mathjs node -> DAG node (shared by hash-consing). */
export function fromMath(node: MathNode): Expr {
  // biome-ignore lint/suspicious/noExplicitAny: each case reads the fields of its own node class
  const n = node as any;
  switch (node.type) {
    case "ConstantNode":
      return num(Number(n.value));
    case "SymbolNode":
      return sym(n.name);
    case "ParenthesisNode":
      return fromMath(n.content);
    case "OperatorNode": {
      const a = (n.args as MathNode[]).map(fromMath);
      switch (n.fn) {
        case "add":
          return add(...a);
        case "subtract":
          return sub(a[0], a[1]);
        case "multiply":
          return mul(...a);
        case "divide":
          return div(a[0], a[1]);
        case "pow":
          return pow(a[0], a[1]);
        case "unaryMinus":
          return neg(a[0]);
        case "unaryPlus":
          return a[0];
      }
      throw new Error(`internal error: operator ${n.fn} is not supported`);
    }
    case "FunctionNode": {
      const name = n.fn.name as string;
      const a = (n.args as MathNode[]).map(fromMath);
      if (name === "sqrt") return sqrt(a[0]);
      if (FN_SET.has(name)) return fn(name as Fn, a[0]);
      throw new Error(`internal error: function ${name} is not supported`);
    }
  }
  throw new Error(`internal error: mathjs node ${node.type} is not supported`);
}

/**
 * DAG node -> mathjs tree. Sharing is lost (the tree can be exponentially larger than the
 * DAG), so this is for small expressions: LaTeX of explicit components, and baselines.
 */
export function toMath(e: Expr): MathNode {
  switch (e.op) {
    case "num":
      return e.value < 0 ? new OperatorNode("-", "unaryMinus", [new ConstantNode(-e.value)]) : new ConstantNode(e.value);
    case "sym":
      return new SymbolNode(e.name);
    case "fn":
      return new FunctionNode(new SymbolNode(e.name), [toMath(e.args[0])]);
    case "pow": {
      const [b, x] = e.args;
      if (x.op === "num" && x.value === 0.5) return new FunctionNode(new SymbolNode("sqrt"), [toMath(b)]);
      if (x.op === "num" && x.value < 0) return new OperatorNode("/", "divide", [new ConstantNode(1), toMath(pow(b, num(-x.value)))]);
      return new OperatorNode("^", "pow", [toMath(b), toMath(x)]);
    }
    case "mul": {
      const [coef, rest] = e.args[0].op === "num" ? [e.args[0].value, e.args.slice(1)] : [1, e.args];
      const numer = rest.filter((f) => !(f.op === "pow" && f.args[1].op === "num" && f.args[1].value < 0));
      const denom = rest.filter((f) => !numer.includes(f)).map((f) => pow(f.args[0], num(-f.args[1].value)));
      const prod = (fs: Expr[], c: number): MathNode => {
        const nodes = fs.map(toMath);
        if (c !== 1 || nodes.length === 0) nodes.unshift(new ConstantNode(Math.abs(c)));
        return nodes.reduce((a, b) => new OperatorNode("*", "multiply", [a, b]));
      };
      let out = prod(numer, Math.abs(coef) === 1 ? 1 : Math.abs(coef));
      if (denom.length) out = new OperatorNode("/", "divide", [out, prod(denom, 1)]);
      return coef < 0 ? new OperatorNode("-", "unaryMinus", [out]) : out;
    }
    case "add": {
      const { positive, negative } = splitSum(e);
      let out: MathNode | null = null;
      for (const t of positive) out = out ? new OperatorNode("+", "add", [out, toMath(t)]) : toMath(t);
      for (const t of negative)
        out = out ? new OperatorNode("-", "subtract", [out, toMath(t)]) : new OperatorNode("-", "unaryMinus", [toMath(t)]);
      return out!;
    }
  }
}
