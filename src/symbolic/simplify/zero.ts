// Zero recognition by exact evaluation at random points (Schwartz–Zippel): the expression is evaluated in the
// integers modulo a prime p, every symbol and every transcendental subterm given an independent random residue,
// except that sin u and cos u of the same u are put on the circle, (2t, 1 − t²)/(1 + t²), so sin² + cos² = 1 holds.
// An expression that vanishes as a rational function of those values vanishes for the real ones too; a nonzero
// one of degree d vanishes at a random point with probability at most d/p, so k points leave (d/p)^k.
import { REGISTRY } from "../../core/functions.js";
import { type Expr, topoOrder } from "../expr.js";
import { qFromNumber } from "./rational.js";
import { rng } from "../../core/random.js";

/** 2²⁶ − 5, prime: products of two residues stay below 2⁵³, so plain doubles multiply exactly. */
export const PRIME = 67108859;

const mulmod = (a: number, b: number) => (a * b) % PRIME;
function powmod(a: number, k: number): number {
  let r = 1;
  for (a %= PRIME; k > 0; k = Math.floor(k / 2)) {
    if (k % 2) r = mulmod(r, a);
    a = mulmod(a, a);
  }
  return r;
}
const invmod = (a: number) => powmod(a, PRIME - 2);
const bigmod = (x: bigint) => Number(((x % BigInt(PRIME)) + BigInt(PRIME)) % BigInt(PRIME));

/** Residues mod PRIME from rgnn's one seeded generator, so a verdict is reproducible. */
function random(seed: number): () => number {
  const r = rng(seed);
  return () => Math.floor(r() * 4294967296) % PRIME;
}

class Undefined extends Error {}

/** Values of the roots at one random point, or null when a denominator vanished there. */
function evaluateAt(order: readonly Expr[], roots: readonly Expr[], rand: () => number): number[] | null {
  const val = new Map<Expr, number>();
  const circle = new Map<Expr, [number, number]>(); // u → (sin u, cos u)
  const onCircle = (u: Expr) => {
    let sc = circle.get(u);
    if (!sc) {
      const t = rand();
      const d = (1 + mulmod(t, t)) % PRIME;
      if (d === 0) throw new Undefined();
      const inv = invmod(d);
      sc = [mulmod(2 * t, inv), mulmod((1 - mulmod(t, t) + PRIME) % PRIME, inv)];
      circle.set(u, sc);
    }
    return sc;
  };
  try {
    for (const e of order) {
      let v: number;
      switch (e.op) {
        case "num": {
          const r = qFromNumber(e.value);
          if (!r) throw new Undefined();
          const d = bigmod(r.d);
          if (d === 0) throw new Undefined();
          v = mulmod(bigmod(r.n), invmod(d));
          break;
        }
        case "sym":
          v = rand();
          break;
        case "add":
          v = 0;
          for (const a of e.args) v = (v + val.get(a)!) % PRIME;
          break;
        case "mul":
          v = 1;
          for (const a of e.args) v = mulmod(v, val.get(a)!);
          break;
        case "pow": {
          const [b, x] = e.args;
          if (x.op === "num" && Number.isInteger(x.value)) {
            const base = val.get(b)!;
            if (x.value < 0 && base === 0) throw new Undefined();
            v = x.value >= 0 ? powmod(base, x.value) : invmod(powmod(base, -x.value));
          } else v = rand(); // b^x for non-integer x: a kernel of its own
          break;
        }
        case "fn":
          if (e.name === "sin" || e.name === "cos") v = onCircle(e.args[0])[e.name === "sin" ? 0 : 1];
          else if (e.name === "tan") {
            const [s, c] = onCircle(e.args[0]);
            if (c === 0) throw new Undefined();
            v = mulmod(s, invmod(c));
          } else {
            if (!(e.name in REGISTRY)) throw new Error(`internal error: unknown function ${e.name}`);
            v = rand();
          }
          break;
      }
      val.set(e, v);
    }
  } catch (err) {
    if (err instanceof Undefined) return null;
    throw err;
  }
  return roots.map((r) => val.get(r)!);
}

export interface ZeroVerdicts {
  /** zero[i]: root i vanished at every point, so it is identically zero (with the probability above). */
  zero: boolean[];
  /** Points at which every root was evaluated. */
  points: number;
}

/** How many random points a zero verdict rests on. */
export const ZERO_POINTS = 4;

/** Which of the roots are identically zero, by exact evaluation at ZERO_POINTS random points modulo PRIME. */
export function recognizeZeros(roots: readonly Expr[], points = ZERO_POINTS, seed = 1): ZeroVerdicts {
  const order = topoOrder(roots);
  const zero = roots.map(() => true);
  const rand = random(seed);
  let done = 0;
  for (let tries = 0; done < points && tries < 4 * points; tries++) {
    const v = evaluateAt(order, roots, rand);
    if (!v) continue;
    v.forEach((x, i) => {
      if (x !== 0) zero[i] = false;
    });
    done++;
  }
  if (done < points) return { zero: roots.map(() => false), points: done };
  return { zero, points: done };
}

/** The sentence a derivation records for a component found zero this way. */
export const zeroProofText = (points: number) =>
  `identically zero: checked exactly at ${points} random points (arithmetic modulo the prime ${PRIME}, ` +
  `sin and cos on rational points of the circle)`;
