// The browser's mathjs node classes. The web bundle (scripts/bundle.mjs) puts this module in place of
// semantics/mathnodes.ts, which loads them with Node's synchronous require. As there, only the four node
// factories are instantiated: mathjs's whole function library takes about a second to start, most of the
// page's load. rgnn builds and reads these nodes but never compiles, evaluates or typesets them through
// mathjs; the namespace those would need is absent here, and says so if ever asked.
import type * as MathJs from "mathjs";
import { createConstantNode } from "mathjs/lib/esm/expression/node/ConstantNode.js";
import { createFunctionNode } from "mathjs/lib/esm/expression/node/FunctionNode.js";
import { createNode } from "mathjs/lib/esm/expression/node/Node.js";
import { createOperatorNode } from "mathjs/lib/esm/expression/node/OperatorNode.js";
import { createSymbolNode } from "mathjs/lib/esm/expression/node/SymbolNode.js";

const absent = (what: PropertyKey) => {
  throw new Error(`mathjs's '${String(what)}' is not part of the playground (its nodes are built, not evaluated, there)`);
};
const math = new Proxy({}, { get: (_, k) => absent(k), has: () => false });
const Node = createNode({ mathWithTransform: math });
const symbolNode = createSymbolNode({ math, Node });

export const ConstantNode = createConstantNode({ Node, isBounded: (x: unknown) => Number.isFinite(x) }) as typeof MathJs.ConstantNode;
export const FunctionNode = createFunctionNode({ math, Node, SymbolNode: symbolNode }) as typeof MathJs.FunctionNode;
export const OperatorNode = createOperatorNode({ Node }) as typeof MathJs.OperatorNode;
export const SymbolNode = symbolNode as typeof MathJs.SymbolNode;
