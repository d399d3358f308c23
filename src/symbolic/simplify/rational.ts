// Exact rational numbers on BigInt, for the simplifier's polynomial coefficients: 0.5 stays 1/2 and
// 1/3 − 1/3 is 0, so a cancelled coefficient is exactly zero rather than a rounding residue.

export interface Q {
  readonly n: bigint;
  /** Always positive; gcd(n, d) = 1. */
  readonly d: bigint;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
export function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function q(n: bigint, d = 1n): Q {
  if (d === 0n) throw new Error("internal error: rational with zero denominator");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g === 1n || g === 0n ? { n, d } : { n: n / g, d: d / g };
}

export const Q0 = q(0n),
  Q1 = q(1n);
export const qAdd = (a: Q, b: Q): Q => (a.d === b.d ? q(a.n + b.n, a.d) : q(a.n * b.d + b.n * a.d, a.d * b.d));
export const qMul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
export const qNeg = (a: Q): Q => ({ n: -a.n, d: a.d });
export const qInv = (a: Q): Q => q(a.d, a.n);
export const qIsZero = (a: Q) => a.n === 0n;
export const qEq = (a: Q, b: Q) => a.n === b.n && a.d === b.d;
export const qToNumber = (a: Q) => Number(a.n) / Number(a.d);

/** The exact value of a double, as a fraction with a power-of-two denominator. */
function dyadic(v: number): Q {
  let d = 1n;
  let x = v;
  while (!Number.isInteger(x)) {
    x *= 2;
    d *= 2n;
  }
  return q(BigInt(x), d);
}

/**
 * The rational a double stands for: the one with the smallest denominator (up to 10⁹) that rounds to exactly this
 * double, so the 0.1 of a spec reads as 1/10 and 1/3 computed in floating point as 1/3; otherwise its exact value.
 * Null for ±∞ and NaN.
 */
export function qFromNumber(v: number): Q | null {
  if (!Number.isFinite(v)) return null;
  if (Number.isInteger(v)) return q(BigInt(v));
  // continued-fraction convergents of |v|
  const x = Math.abs(v);
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let r = x;
  for (let i = 0; i < 40; i++) {
    const a = Math.floor(r);
    [h0, h1] = [h1, a * h1 + h0];
    [k0, k1] = [k1, a * k1 + k0];
    if (k1 > 1e9) break;
    if (h1 / k1 === x) return q(BigInt(Math.sign(v) * h1), BigInt(k1));
    if (r === a) break;
    r = 1 / (r - a);
  }
  return dyadic(v);
}
