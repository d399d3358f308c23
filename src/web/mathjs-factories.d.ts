// mathjs's node factories, which its package "exports" do not list; only the web bundle reaches them (by path).
declare module "mathjs/lib/esm/expression/node/*" {
  type Factory = (dependencies: Record<string, unknown>) => unknown;
  export const createNode: Factory;
  export const createConstantNode: Factory;
  export const createFunctionNode: Factory;
  export const createOperatorNode: Factory;
  export const createSymbolNode: Factory;
}
