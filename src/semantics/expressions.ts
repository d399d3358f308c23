// Scalar expressions: syntax -> mathjs nodes, with every name checked against what is in scope.
import type { MathNode } from "mathjs";
import { type FunctionDef, FUNCTIONS as REGISTERED, REGISTRY } from "../core/functions.js";
import { ConstantNode, FunctionNode, OperatorNode, SymbolNode } from "./mathnodes.js";
import type { Expr } from "../syntax/ast.js";
import type { Context } from "./context.js";
import { suggestion } from "./names.js";
import { declaredElsewhere } from "./resolve.js";

/** Functions a coordinate expression may use, all of one argument: the registry's, and sqrt (a power). */
export const FUNCTIONS: readonly string[] = [...REGISTERED, "sqrt"];
const FUNCTION_SET = new Set<string>(FUNCTIONS);
const NUMERIC: Record<string, (x: number) => number> = {
  ...Object.fromEntries(REGISTERED.map((f) => [f, (REGISTRY[f] as FunctionDef).value])),
  sqrt: Math.sqrt,
};

const OPS = { "+": "add", "-": "subtract", "*": "multiply", "/": "divide", "^": "pow" } as const;

/** What an identifier may refer to inside an expression. */
export interface Scope {
  /** Coordinate names (variables). */
  coords: ReadonlySet<string>;
  /** What the coordinates belong to, for messages ("coordinates of Polar"). */
  where: string;
}

/** Convert an expression, reporting unknown names and misuse; null if anything was wrong. */
export function toNode(ctx: Context, e: Expr, scope: Scope): MathNode | null {
  switch (e.kind) {
    case "num":
      if (!Number.isFinite(e.value)) {
        ctx.error(e.span, `the number ${e.text} is too large`);
        return null;
      }
      return new ConstantNode(e.value);
    case "ident": {
      if (scope.coords.has(e.name)) return new SymbolNode(e.name);
      const ent = ctx.names.get(e.name);
      if (ent?.kind === "constant") return new SymbolNode(e.name);
      if (e.name === "pi") return new SymbolNode("pi");
      if (ent) {
        ctx.error(e.span, `'${e.name}' is a ${ent.kind}, not a number; an expression here may use ${scope.where} and constants`);
      } else if (!declaredElsewhere(ctx, e.name, e.span)) {
        const known = [...scope.coords, ...[...ctx.names].filter(([, v]) => v.kind === "constant").map(([k]) => k)];
        ctx.error(e.span, `unknown name '${e.name}'; an expression here may use ${scope.where} and constants`, suggestion(e.name, known));
      }
      return null;
    }
    case "call": {
      if (!FUNCTION_SET.has(e.fn)) {
        ctx.error({ ...e.span, end: e.span.offset + e.fn.length }, `unknown function '${e.fn}'`, [
          ...suggestion(e.fn, FUNCTIONS),
          `known functions: ${FUNCTIONS.join(", ")}`,
        ]);
        e.args.forEach((a) => {
          toNode(ctx, a, scope);
        });
        return null;
      }
      if (e.args.length !== 1) {
        ctx.error(e.span, `'${e.fn}' takes one argument, not ${e.args.length}`);
        return null;
      }
      const arg = toNode(ctx, e.args[0], scope);
      return arg && new FunctionNode(new SymbolNode(e.fn), [arg]);
    }
    case "binary": {
      const l = toNode(ctx, e.left, scope),
        r = toNode(ctx, e.right, scope);
      return l && r && new OperatorNode(e.op, OPS[e.op], [l, r]);
    }
    case "neg": {
      const a = toNode(ctx, e.arg, scope);
      return a && new OperatorNode("-", "unaryMinus", [a]);
    }
    case "list":
      ctx.error(e.span, "a list is not allowed here: expected a single expression");
      return null;
  }
}

/** The value of an expression made of numbers and valued constants, or undefined. */
export function constantValue(ctx: Context, e: Expr): number | undefined {
  switch (e.kind) {
    case "num":
      return e.value;
    case "ident": {
      if (e.name === "pi") return Math.PI;
      const ent = ctx.names.get(e.name);
      return ent?.kind === "constant" ? ent.value.value : undefined;
    }
    case "call": {
      const x = e.args.length === 1 && e.fn in NUMERIC ? constantValue(ctx, e.args[0]) : undefined;
      return x !== undefined ? NUMERIC[e.fn](x) : undefined;
    }
    case "neg": {
      const x = constantValue(ctx, e.arg);
      return x === undefined ? undefined : -x;
    }
    case "binary": {
      const a = constantValue(ctx, e.left),
        b = constantValue(ctx, e.right);
      if (a === undefined || b === undefined) return undefined;
      switch (e.op) {
        case "+":
          return a + b;
        case "-":
          return a - b;
        case "*":
          return a * b;
        case "/":
          return a / b;
        case "^":
          return a ** b;
      }
      return undefined;
    }
    case "list":
      return undefined;
  }
}

/** Shape of a (nested) list literal, or null if ragged; [] for a scalar. */
export function listShape(e: Expr): number[] | null {
  if (e.kind !== "list") return [];
  const inner = e.items.map(listShape);
  if (inner.some((s) => s === null)) return null;
  const first = JSON.stringify(inner[0]);
  if (inner.some((s) => JSON.stringify(s) !== first)) return null;
  return [e.items.length, ...inner[0]!];
}

/** Leaves of a (nested) list literal in row-major order. */
export function listLeaves(e: Expr): Expr[] {
  return e.kind === "list" ? e.items.flatMap(listLeaves) : [e];
}
