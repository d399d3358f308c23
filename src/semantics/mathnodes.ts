// The four mathjs node classes the typed model is built from, without mathjs's start-up cost:
// `import "mathjs"` instantiates its whole function library (about 1 s, most of `rgnn check`),
// while the node classes need only their own factories. Their namespace dependencies (used by
// compile, evaluate and toTex, never on rgnn's own paths) resolve to full mathjs on first use,
// so the nodes behave exactly as mathjs's own. If mathjs's file layout ever changes, the full
// package is loaded instead.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as MathJs from "mathjs";

type Nodes = Pick<typeof MathJs, "ConstantNode" | "FunctionNode" | "OperatorNode" | "SymbolNode">;

const require = createRequire(import.meta.url);
const full = (): typeof MathJs => require("mathjs");

function nodeClasses(): Nodes {
  try {
    const dir = join(dirname(require.resolve("mathjs")), "expression", "node"); // mathjs/lib/cjs/index.js
    const factory = (name: string) => require(join(dir, `${name}.js`))[`create${name}`];
    const math = new Proxy({}, { get: (_, k) => (full() as unknown as Record<string | symbol, unknown>)[k], has: (_, k) => k in full() });
    const Node = factory("Node")({ mathWithTransform: math });
    // `new Unit(...)` returns mathjs's own Unit: a constructor that returns an object yields that object
    const Unit = Object.assign(
      function Unit(...a: unknown[]) {
        return new (full().Unit as unknown as new (...args: unknown[]) => object)(...a);
      },
      { isValuelessUnit: (name: string) => full().Unit.isValuelessUnit(name) },
    );
    const SymbolNode = factory("SymbolNode")({ math, Unit, Node });
    return {
      ConstantNode: factory("ConstantNode")({ Node, isBounded: (x: unknown) => full().isBounded(x as number) }),
      SymbolNode,
      FunctionNode: factory("FunctionNode")({ math, Node, SymbolNode }),
      OperatorNode: factory("OperatorNode")({ Node }),
    };
  } catch {
    return full();
  }
}

let loaded: Nodes | undefined;
type Constructor = new (...args: unknown[]) => object;

/**
 * A stand-in for one node class that loads the four at its first use (new, instanceof, a static member): even their
 * own factories and mathjs's string and LaTeX utilities cost about 0.1 s, and a command on a network whose weights are
 * numbers (eval, metric --at on the matrix route) never builds a node.
 */
function onFirstUse<K extends keyof Nodes>(name: K): Nodes[K] {
  const real = () => {
    loaded ??= nodeClasses();
    return loaded[name] as unknown as Constructor;
  };
  // a plain function as the target: a Proxy constructs, and answers instanceof, only over a constructible one
  return new Proxy(function node() {}, {
    construct: (_, args) => Reflect.construct(real(), args),
    get: (_, key) => Reflect.get(real(), key),
    has: (_, key) => Reflect.has(real(), key),
  }) as unknown as Nodes[K];
}

export const ConstantNode = onFirstUse("ConstantNode"),
  FunctionNode = onFirstUse("FunctionNode"),
  OperatorNode = onFirstUse("OperatorNode"),
  SymbolNode = onFirstUse("SymbolNode");
export type ConstantNode = MathJs.ConstantNode;
export type FunctionNode = MathJs.FunctionNode;
export type OperatorNode = MathJs.OperatorNode;
export type SymbolNode = MathJs.SymbolNode;
