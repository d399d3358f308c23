// Truncated Taylor series (jets) over any Algebra<T>: a jet [c0, c1, …, cN] stands for c0 + c1·t + … + cN·t^N, and
// arithmetic on jets is arithmetic on such series modulo t^(N+1). A registry function applied to a jet needs its
// derivatives, and the registry holds only the first as a rule (`derivative`, written through u and f(u)); since
// f(u)' = f'(u)·u', the series of f(u) to order k follows from that of f'(u) to order k − 1, which the rule gives from
// u and f(u) to order k − 1. So f', f'', f''' of every function come from its one derivative rule.
import type { Algebra } from "./algebra.js";
import { type FunctionDef, type FunctionName, REAL, REGISTRY } from "./functions.js";

/** Taylor coefficients c0 … cN (not derivatives: f^(k) = k!·ck). */
export type Jet<T> = T[];

/** Jets of order `order` (N) whose coefficients are in A. */
export function jetAlgebra<T>(A: Algebra<T>, order: number): Algebra<Jet<T>> {
  const zero = A.num(0);
  const constant = (c: T): Jet<T> => [c, ...Array<T>(order).fill(zero)];
  const mul2 = (a: Jet<T>, b: Jet<T>): Jet<T> => a.map((_, k) => A.add(...Array.from({ length: k + 1 }, (_, j) => A.mul(a[j], b[k - j]))));
  const div = (a: Jet<T>, b: Jet<T>): Jet<T> => {
    // q·b = a, solved coefficient by coefficient: q_k = (a_k − Σ_{j=1..k} b_j q_{k−j}) / b_0
    const q: Jet<T> = [];
    for (let k = 0; k <= order; k++) {
      const known = Array.from({ length: k }, (_, j) => A.mul(b[j + 1], q[k - 1 - j]));
      q.push(A.div(known.length ? A.sub(a[k], A.add(...known)) : a[k], b[0]));
    }
    return q;
  };
  const J: Algebra<Jet<T>> = {
    num: (c) => constant(A.num(c)),
    add: (...xs) => xs[0].map((_, k) => A.add(...xs.map((x) => x[k]))),
    mul: (...xs) => xs.reduce(mul2),
    sub: (a, b) => a.map((x, k) => A.sub(x, b[k])),
    neg: (a) => a.map((x) => A.neg(x)),
    div,
    pow: (a, k) => {
      if (Number.isInteger(k) && k >= 0) {
        // by multiplication, which (unlike the recurrence below) holds where a0 = 0: tanh' = 1 − tanh² at 0
        let p = J.num(1);
        for (let i = 0; i < k; i++) p = mul2(p, a);
        return p;
      }
      if (Number.isInteger(k)) return div(J.num(1), J.pow(a, -k));
      // p = a^k: p' a = k a' p, so p_n = Σ_{j=1..n} (k j − (n − j)) a_j p_{n−j} / (n a_0)
      const p: Jet<T> = [A.pow(a[0], k)];
      for (let n = 1; n <= order; n++) {
        const terms = Array.from({ length: n }, (_, i) => A.mul(A.num(k * (i + 1) - (n - 1 - i)), a[i + 1], p[n - 1 - i]));
        p.push(A.div(A.add(...terms), A.mul(A.num(n), a[0])));
      }
      return p;
    },
    fn: (name, u) => applyJet(A, name, u),
  };
  return J;
}

/** f(u) for a jet u of any order, from f's value over A and its derivative rule over jets one order lower. */
function applyJet<T>(A: Algebra<T>, name: FunctionName, u: Jet<T>): Jet<T> {
  const order = u.length - 1,
    f0 = A.fn(name, u[0]);
  if (order === 0) return [f0];
  const lower = u.slice(0, order),
    J = jetAlgebra(A, order - 1);
  const slope = (REGISTRY[name] as FunctionDef).derivative(J, lower, applyJet(A, name, lower));
  // f(u)' = f'(u)·u': k·f_k = Σ_{j=1..k} j·u_j·slope_{k−j}
  const out: Jet<T> = [f0];
  for (let k = 1; k <= order; k++) {
    const terms = Array.from({ length: k }, (_, i) => A.mul(A.num((i + 1) / k), u[i + 1], slope[k - 1 - i]));
    out.push(A.add(...terms));
  }
  return out;
}

/** f'(x), f''(x), f'''(x) at a number, from f's derivative rule through jets. */
export function jetDerivatives(name: FunctionName, x: number): [number, number, number] {
  const [, c1, c2, c3] = applyJet(REAL, name, [x, 1, 0, 0]);
  return [c1, 2 * c2, 6 * c3];
}

/** The engine's f', f'', f''' writer (see FunctionDef.derivatives): the entry's fast path, or the jets' values. */
export function derivativesOf(name: FunctionName): NonNullable<FunctionDef["derivatives"]> {
  const own = (REGISTRY[name] as FunctionDef).derivatives;
  if (own) return own;
  return (x, _fx, out, i, w) => {
    const [d1, d2, d3] = jetDerivatives(name, x);
    out[i + w] = d1;
    out[i + 2 * w] = d2;
    out[i + 3 * w] = d3;
  };
}
