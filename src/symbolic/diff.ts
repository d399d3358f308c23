// Differentiation on the DAG. Derivatives are memoized per (node, variable) for the life of
// the graph, so d/dx of a deep composition shares every intermediate with the function
// itself and with other derivatives: the result is a DAG of the same order of size.
import { type FunctionDef, REGISTRY } from "../core/functions.js";
import { add, currentGraph, DAG, type Expr, fn, type Fn, mul, MINUS_ONE, ONE, pow, topoOrder, ZERO } from "./expr.js";

/** f'(u) for each elementary function, as an expression in u (and f(u), shared). */
const outer = (name: Fn, u: Expr, fu: Expr): Expr => (REGISTRY[name] as FunctionDef).derivative(DAG, u, fu);

/** d e / d x for each root, x a symbol name. */
export function diff(roots: readonly Expr[], x: string): Expr[] {
  const cache = currentGraph().derivatives;
  let d = cache.get(x);
  if (!d) {
    d = new Map();
    cache.set(x, d);
  }
  for (const e of topoOrder(roots)) {
    if (d.has(e)) continue;
    let r: Expr;
    switch (e.op) {
      case "num":
        r = ZERO;
        break;
      case "sym":
        r = e.name === x ? ONE : ZERO;
        break;
      case "add":
        r = add(...e.args.map((a) => d.get(a)!));
        break;
      case "mul": {
        const terms: Expr[] = [];
        e.args.forEach((a, i) => {
          const da = d.get(a)!;
          if (da !== ZERO) terms.push(mul(da, ...e.args.filter((_, j) => j !== i)));
        });
        r = add(...terms);
        break;
      }
      case "pow": {
        const [u, v] = e.args;
        const du = d.get(u)!,
          dv = d.get(v)!;
        if (dv === ZERO) r = du === ZERO ? ZERO : mul(v, pow(u, add(v, MINUS_ONE)), du);
        else r = mul(e, add(mul(dv, fn("log", u)), mul(v, du, pow(u, MINUS_ONE))));
        break;
      }
      case "fn": {
        const du = d.get(e.args[0])!;
        r = du === ZERO ? ZERO : mul(outer(e.name as Fn, e.args[0], e), du);
        break;
      }
    }
    d.set(e, r);
  }
  return roots.map((r) => d!.get(r)!);
}

/** Jacobian matrix ∂f^i/∂x^j of expressions f in the variables xs. */
export function jacobian(fs: readonly Expr[], xs: readonly string[]): Expr[][] {
  const cols = xs.map((x) => diff(fs, x));
  return fs.map((_, i) => xs.map((_, j) => cols[j][i]));
}
