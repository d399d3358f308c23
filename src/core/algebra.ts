// The operations a definition in core/ may use. Each function, layer kind and geometric quantity is
// written once, generically over an Algebra<T>; the later stages instantiate it: the symbolic stage with
// DAG nodes, the numeric stage with numbers, forward mode with dual numbers.
import type { FunctionName } from "./functions.js";

export interface Algebra<T> {
  num(c: number): T;
  add(...xs: T[]): T;
  mul(...xs: T[]): T;
  sub(a: T, b: T): T;
  neg(a: T): T;
  div(a: T, b: T): T;
  /** a^k for a constant exponent. */
  pow(a: T, k: number): T;
  /** An elementary function of the registry (core/functions.ts). */
  fn(name: FunctionName, a: T): T;
}
