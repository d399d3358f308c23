// The elementary functions of the language: each one defined here once, and every stage (spec checking,
// the DAG's folding and differentiation, generated code, forward mode, LaTeX and text) reads it from here.
import type { Algebra } from "./algebra.js";

export const FUNCTIONS = [
  "linear",
  "sin",
  "cos",
  "tan",
  "exp",
  "log",
  "tanh",
  "sinh",
  "cosh",
  "sigmoid",
  "softplus",
  "relu",
  "heaviside",
  "abs",
  "sign",
  "elu",
  "gelu",
  "atan",
  "asinh",
  "atanh",
  "erf",
  "silu",
  "mish",
  "leaky_relu",
  "hardtanh",
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The activation functions the WebAssembly kernel exports (numeric/engine/kernel.wat), by their export name. */
export type KernelFunction = "tanh";

export interface FunctionDef {
  /** The value at a number. */
  value(x: number): number;
  /** f'(u), written through u and fu = f(u) so the symbolic stage shares f(u) with the derivative. Where f has a
   *  jump or a kink, the rule holds on both sides of it (at a jump of a step function the derivative is taken as 0). */
  derivative<T>(A: Algebra<T>, u: T, fu: T): T;
  /**
   * f'(x), f''(x), f'''(x) at a number, given fx = f(x), into out[i + w], out[i + 2w], out[i + 3w] (the layout of
   * the matrix engine's σ blocks, whose out[i] is the value): what its jets to third order need (0 beside a kink), in
   * plain arithmetic and without allocating, since it runs for every unit of every layer. Optional: without it the
   * engine takes them from `derivative` through jets (core/jet.ts, `derivativesOf`), which is slower but the same;
   * test/core/jet.test.ts holds every fast path to the jets and the jets to differences.
   */
  derivatives?(x: number, fx: number, out: Float64Array, i: number, w: number): void;
  /** A JavaScript expression for f(a), `a` an identifier or a literal; it may call the helpers of JS_RUNTIME. */
  js(a: string): string;
  /** LaTeX for the function's name, applied as `tex(arg)` or `tex^k(arg)`. */
  tex: string;
  /** f'(z) in LaTeX, as derivations state it for a layer's slope. */
  slopeTex: string;
  /** The name in plain-text formulas. */
  text: string;
  /**
   * A Python callable of one argument: a dotted name, or a template in `{x}`. Where NumPy has no such callable, the
   * source of a helper `_<name>(x)` the exported module defines once in its prelude (numeric/python.ts).
   */
  python: { torch: string; numpy: string | { helper: string } };
  /** Usable as a layer's activation (`dense 2 tanh`). */
  activation: boolean;
  /** f(x) = x. The DAG folds f(u) to u, so no closed form holds it; the texts of layer maps write σ(z) as z. */
  identity?: true;
  /** The function of the engine's WebAssembly kernel (numeric/engine/kernel.wat) computing σ and σ′ of a block of
   *  units, where the kernel has one; the other activations run `value` and `derivatives` on the kernel's memory. */
  kernel?: KernelFunction;
  /** Why the function is not C¹ (a kink), for the functions that are not: geometry through them is piecewise. */
  kink?: string;
  /** [inf σ′, sup σ′] over ℝ, exact (every activation has it): the slopes the diffeomorphism certificates range over. */
  slopeRange?: readonly [number, number];
  /** The open interval of real arguments where f is defined, when not all of ℝ. */
  domain?: readonly [number, number];
}

// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631–638:
// the coefficient sets of SPECFUN's CALERF, relative error below 1e-15 in double precision.
const ERF_A = [3.1611237438705656, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1];
const ERF_B = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];
const ERF_C = [
  5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2, 8.8195222124176909e2, 1.71204761263407058e3,
  2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8,
];
const ERF_D = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
  3.43936767414372164e3, 1.23033935480374942e3,
];
const ERF_P = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4,
  1.63153871373020978e-2,
];
const ERF_Q = [2.56852019228982242, 1.87295284992346047, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
const SQRT_PI_INV = 5.6418958354775628695e-1;

/** erfc(y) for y > 0.46875, where erf's rational form would lose digits to cancellation. */
function erfcTail(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = ERF_C[8] * y,
      den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERF_C[i]) * y;
      den = (den + ERF_D[i]) * y;
    }
    r = (num + ERF_C[7]) / (den + ERF_D[7]);
  } else {
    if (y >= 26.55) return 0; // below the smallest double
    const z = 1 / (y * y);
    let num = ERF_P[5] * z,
      den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERF_P[i]) * z;
      den = (den + ERF_Q[i]) * z;
    }
    r = (SQRT_PI_INV - (z * (num + ERF_P[4])) / (den + ERF_Q[4])) / y;
  }
  // exp(−y²) split as exp(−s²)·exp(−(y−s)(y+s)), s = y rounded down to 1/16, so y² is not rounded away
  const s = Math.trunc(y * 16) / 16;
  return Math.exp(-s * s) * Math.exp(-(y - s) * (y + s)) * r;
}

/** The error function. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    const z = y > 1.11e-16 ? y * y : 0;
    let num = ERF_A[4] * z,
      den = z;
    for (let i = 0; i < 3; i++) {
      num = (num + ERF_A[i]) * z;
      den = (den + ERF_B[i]) * z;
    }
    return (x * (num + ERF_A[3])) / (den + ERF_B[3]);
  }
  if (Number.isNaN(y)) return NaN;
  const r = 0.5 - erfcTail(y) + 0.5;
  return x < 0 ? -r : r;
}

/** The complementary error function 1 − erf(x), accurate where erf(x) is close to 1. */
export function erfc(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875 || Number.isNaN(y)) return 1 - erf(x);
  return x < 0 ? 2 - erfcTail(y) : erfcTail(y);
}

/** Helpers that generated JavaScript may call (the code generator passes them in by these names). */
export const JS_RUNTIME = { erf, erfc } as const;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Where `derivatives` writes f', f'', f''' (see FunctionDef). */
const put = (out: Float64Array, i: number, w: number, d1: number, d2: number, d3: number): void => {
  out[i + w] = d1;
  out[i + 2 * w] = d2;
  out[i + 3 * w] = d3;
};
const SQRT1_2 = Math.SQRT1_2,
  INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI),
  TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** Plain numbers as an algebra: the registry's rules evaluated, and the geometric quantities computed from numbers. */
export const REAL: Algebra<number> = {
  num: (c) => c,
  // loops, not reduce: the matrix engine evaluates the quantity table's definitions with these at every point
  add: (...xs) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i];
    return s;
  },
  mul: (...xs) => {
    let p = 1;
    for (let i = 0; i < xs.length; i++) p *= xs[i];
    return p;
  },
  sub: (a, b) => a - b,
  neg: (a) => -a,
  div: (a, b) => a / b,
  pow: (a, k) => (k === 0.5 ? Math.sqrt(a) : a ** k), // sqrt is correctly rounded, ** 0.5 need not be
  fn: (name, a) => (REGISTRY[name] as FunctionDef).value(a),
};

const math = (name: string, tex: string, numpy = `numpy.${name}`) => ({
  js: (a: string) => `Math.${name}(${a})`,
  tex,
  text: name,
  python: { torch: `torch.${name}`, numpy },
});
const named = (name: string) => `\\operatorname{${name}}`;

/** The identity, the activation of a layer that names none (`dense 2`) or `linear`. */
export const DEFAULT_ACTIVATION = "linear" satisfies FunctionName;

export const REGISTRY = {
  linear: {
    slopeRange: [1, 1],
    value: (x) => x,
    derivative: (A) => A.num(1),
    derivatives: (_x, _f, out, i, w) => put(out, i, w, 1, 0, 0),
    js: (a) => a,
    tex: "\\mathrm{id}",
    slopeTex: "1",
    text: "linear",
    python: { torch: "{x}", numpy: "{x}" },
    activation: true,
    identity: true,
  },
  sin: {
    slopeRange: [-1, 1], // cos
    ...math("sin", "\\sin"),
    value: Math.sin,
    derivative: (A, u) => A.fn("cos", u),
    slopeTex: "\\cos(z)",
    activation: true,
    derivatives: (x, _f, out, i, w) => put(out, i, w, Math.cos(x), -Math.sin(x), -Math.cos(x)),
  },
  cos: {
    ...math("cos", "\\cos"),
    value: Math.cos,
    derivative: (A, u) => A.neg(A.fn("sin", u)),
    slopeTex: "-\\sin(z)",
    activation: false,
    derivatives: (x, _f, out, i, w) => put(out, i, w, -Math.sin(x), -Math.cos(x), Math.sin(x)),
  },
  tan: {
    derivatives: (_x, t, out, i, w) => put(out, i, w, 1 + t * t, 2 * t * (1 + t * t), 2 * (1 + t * t) * (1 + 3 * t * t)),
    ...math("tan", "\\tan"),
    value: Math.tan,
    derivative: (A, _u, fu) => A.add(A.num(1), A.pow(fu, 2)),
    slopeTex: "1+\\tan^2(z)",
    activation: false,
  },
  exp: {
    ...math("exp", "\\exp"),
    value: Math.exp,
    derivative: (_A, _u, fu) => fu,
    slopeTex: "\\exp(z)",
    activation: false,
    derivatives: (_x, e, out, i, w) => put(out, i, w, e, e, e),
  },
  log: {
    derivatives: (x, _f, out, i, w) => put(out, i, w, 1 / x, -1 / (x * x), 2 / (x * x * x)),
    ...math("log", "\\log"),
    value: Math.log,
    derivative: (A, u) => A.pow(u, -1),
    slopeTex: "1/z",
    activation: false,
    domain: [0, Infinity],
  },
  tanh: {
    slopeRange: [0, 1], // sech² z: 1 at z = 0, → 0 as |z| → ∞
    // t' = 1 − t², t'' = −2t(1 − t²), t''' = −2(1 − t²)(1 − 3t²)
    derivatives: (_x, t, out, i, w) => {
      const d = 1 - t * t;
      put(out, i, w, d, -2 * t * d, -2 * d * (1 - 3 * t * t));
    },
    // sech² u written as 1 − tanh² u
    ...math("tanh", "\\tanh"),
    value: Math.tanh,
    derivative: (A, _u, fu) => A.sub(A.num(1), A.pow(fu, 2)),
    slopeTex: "1-\\tanh^2(z)",
    activation: true,
    kernel: "tanh",
  },
  sinh: {
    ...math("sinh", "\\sinh"),
    value: Math.sinh,
    derivative: (A, u) => A.fn("cosh", u),
    slopeTex: "\\cosh(z)",
    activation: false,
    derivatives: (x, s, out, i, w) => {
      const c = Math.cosh(x);
      put(out, i, w, c, s, c);
    },
  },
  cosh: {
    ...math("cosh", "\\cosh"),
    value: Math.cosh,
    derivative: (A, u) => A.fn("sinh", u),
    slopeTex: "\\sinh(z)",
    activation: false,
    derivatives: (x, c, out, i, w) => {
      const s = Math.sinh(x);
      put(out, i, w, s, c, s);
    },
  },
  sigmoid: {
    slopeRange: [0, 0.25], // s(1 − s) ≤ 1/4, at s = 1/2 (z = 0)
    // s' = s(1 − s), s'' = s'(1 − 2s), s''' = s'(1 − 6s + 6s²)
    derivatives: (_x, s, out, i, w) => {
      const d = s * (1 - s);
      put(out, i, w, d, d * (1 - 2 * s), d * (1 - 6 * s + 6 * s * s));
    },
    value: sigmoid,
    derivative: (A, _u, fu) => A.mul(fu, A.sub(A.num(1), fu)),
    js: (a) => `1 / (1 + Math.exp(-${a}))`,
    tex: named("sigmoid"),
    slopeTex: "s(z)(1-s(z))",
    text: "sigmoid",
    python: { torch: "torch.sigmoid", numpy: { helper: "def _sigmoid(x):\n    return 0.5 * numpy.tanh(0.5 * x) + 0.5" } },
    activation: true,
  },
  softplus: {
    slopeRange: [0, 1], // sigmoid: → 0 and → 1, never reached
    derivatives: (x, _f, out, i, w) => {
      const s = sigmoid(x),
        d = s * (1 - s);
      put(out, i, w, s, d, d * (1 - 2 * s));
    },
    // log(1 + eˣ) without overflow for large x, nor loss of digits for very negative x
    value: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    derivative: (A, u) => A.fn("sigmoid", u),
    js: (a) => `(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${a})) : Math.log1p(Math.exp(${a})))`,
    tex: named("softplus"),
    slopeTex: "\\operatorname{sigmoid}(z)",
    text: "softplus",
    python: { torch: "torch.nn.functional.softplus", numpy: { helper: "def _softplus(x):\n    return numpy.logaddexp(0.0, x)" } },
    activation: true,
  },
  relu: {
    slopeRange: [0, 1], // H(z)
    derivatives: (x, _f, out, i, w) => put(out, i, w, x > 0 ? 1 : 0, 0, 0),
    value: (x) => Math.max(x, 0), // NaN stays NaN, so a non-finite input is reported, not hidden
    derivative: (A, u) => A.fn("heaviside", u),
    js: (a) => `(${a} > 0 ? ${a} : 0)`,
    tex: named("relu"),
    slopeTex: "H(z)",
    text: "relu",
    python: { torch: "torch.relu", numpy: { helper: "def _relu(x):\n    return numpy.where(x > 0, x, 0.0)" } },
    activation: true,
    kink: "relu is not C¹ at 0 (its derivative jumps from 0 to 1)",
  },
  heaviside: {
    derivatives: (_x, _f, out, i, w) => put(out, i, w, 0, 0, 0),
    // H(0) = 0, as relu' at its kink
    value: (x) => (x > 0 ? 1 : 0),
    derivative: (A) => A.num(0),
    js: (a) => `(${a} > 0 ? 1 : 0)`,
    tex: named("H"),
    slopeTex: "0",
    text: "heaviside",
    python: { torch: "torch.heaviside({x}, torch.zeros_like({x}))", numpy: "numpy.heaviside({x}, 0.0)" },
    activation: false,
  },
  abs: {
    derivatives: (x, _f, out, i, w) => put(out, i, w, Math.sign(x), 0, 0),
    ...math("abs", named("abs")),
    value: Math.abs,
    derivative: (A, u) => A.fn("sign", u),
    slopeTex: "\\operatorname{sgn}(z)",
    activation: false,
  },
  sign: {
    ...math("sign", named("sgn")),
    value: Math.sign,
    derivative: (A) => A.num(0),
    slopeTex: "0",
    activation: false,
    derivatives: (_x, _f, out, i, w) => put(out, i, w, 0, 0, 0),
  },
  elu: {
    slopeRange: [0, 1], // eᶻ on the left (→ 0), 1 on the right
    derivatives: (x, f, out, i, w) => {
      if (x > 0) put(out, i, w, 1, 0, 0);
      else put(out, i, w, f + 1, f + 1, f + 1);
    },
    // α = 1 (ONNX's default): x for x > 0, eˣ − 1 otherwise
    value: (x) => (x > 0 ? x : Math.expm1(x)),
    // 1 on the right, eᵘ = elu(u) + 1 on the left; both sides give 1 at the kink
    derivative: (A, u, fu) => A.add(A.num(1), A.mul(A.fn("heaviside", A.neg(u)), fu)),
    js: (a) => `(${a} > 0 ? ${a} : Math.expm1(${a}))`,
    tex: named("elu"),
    slopeTex: "1 + H(-z)\\operatorname{elu}(z)",
    text: "elu",
    python: {
      torch: "torch.nn.functional.elu",
      numpy: { helper: "def _elu(x):\n    return numpy.where(x > 0, x, numpy.expm1(numpy.minimum(x, 0.0)))" },
    },
    activation: true,
  },
  gelu: {
    // (xΦ)′ = Φ(x) + xφ(x) has (xΦ)″ = φ(x)(2 − x²) = 0 at x = ±√2: Φ(√2) + √2φ(√2) = ½(1 + erf 1) + e⁻¹/√π at +√2,
    // and its mirror 1 − that at −√2 (Φ(−x) = 1 − Φ(x)); mpmath: 1.12890414518515478…
    slopeRange: [-0.12890414518515478, 1.1289041451851547],
    // φ' = −xφ: (xΦ)'' = φ(2 − x²), (xΦ)''' = xφ(x² − 4)
    derivatives: (x, _f, out, i, w) => {
      const phi = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
      put(out, i, w, 0.5 * erfc(-x * SQRT1_2) + x * phi, phi * (2 - x * x), x * phi * (x * x - 4));
    },
    // exact: x·Φ(x) = ½x·erfc(−x/√2), which keeps its digits for very negative x
    value: (x) => 0.5 * x * erfc(-x * SQRT1_2),
    // Φ(u) + u·φ(u)
    derivative: (A, u) =>
      A.add(
        A.mul(A.num(0.5), A.add(A.num(1), A.fn("erf", A.mul(A.num(SQRT1_2), u)))),
        A.mul(A.num(INV_SQRT_2PI), u, A.fn("exp", A.mul(A.num(-0.5), A.pow(u, 2)))),
      ),
    js: (a) => `0.5 * ${a} * erfc(-${a} * ${SQRT1_2})`,
    tex: named("gelu"),
    slopeTex: "\\Phi(z) + z\\,\\varphi(z)",
    text: "gelu",
    python: {
      torch: "torch.nn.functional.gelu",
      numpy: {
        helper:
          "_erfc_1 = numpy.vectorize(math.erfc, otypes=[float])\n\n\ndef _gelu(x):\n    return 0.5 * x * _erfc_1(-x * math.sqrt(0.5))",
      },
    },
    activation: true,
  },
  atan: {
    derivatives: (x, _f, out, i, w) => {
      const q = 1 + x * x;
      put(out, i, w, 1 / q, (-2 * x) / (q * q), (6 * x * x - 2) / (q * q * q));
    },
    ...math("atan", "\\arctan", "numpy.arctan"),
    value: Math.atan,
    derivative: (A, u) => A.pow(A.add(A.num(1), A.pow(u, 2)), -1),
    slopeTex: "1/(1+z^2)",
    activation: false,
  },
  asinh: {
    derivatives: (x, _f, out, i, w) => {
      const q = 1 + x * x;
      put(out, i, w, q ** -0.5, -x * q ** -1.5, (2 * x * x - 1) * q ** -2.5);
    },
    ...math("asinh", named("arsinh"), "numpy.arcsinh"),
    value: Math.asinh,
    derivative: (A, u) => A.pow(A.add(A.num(1), A.pow(u, 2)), -0.5),
    slopeTex: "1/\\sqrt{1+z^2}",
    activation: false,
  },
  atanh: {
    derivatives: (x, _f, out, i, w) => {
      const q = 1 - x * x;
      put(out, i, w, 1 / q, (2 * x) / (q * q), (2 + 6 * x * x) / (q * q * q));
    },
    ...math("atanh", named("artanh"), "numpy.arctanh"),
    value: Math.atanh,
    derivative: (A, u) => A.pow(A.sub(A.num(1), A.pow(u, 2)), -1),
    slopeTex: "1/(1-z^2)",
    activation: false,
    domain: [-1, 1],
  },
  erf: {
    derivatives: (x, _f, out, i, w) => {
      const d = TWO_OVER_SQRT_PI * Math.exp(-x * x);
      put(out, i, w, d, -2 * x * d, (4 * x * x - 2) * d);
    },
    value: erf,
    derivative: (A, u) => A.mul(A.num(TWO_OVER_SQRT_PI), A.fn("exp", A.neg(A.pow(u, 2)))),
    js: (a) => `erf(${a})`,
    tex: named("erf"),
    slopeTex: "\\tfrac{2}{\\sqrt{\\pi}} e^{-z^2}",
    text: "erf",
    python: {
      torch: "torch.erf",
      numpy: { helper: "_erf_1 = numpy.vectorize(math.erf, otypes=[float])\n\n\ndef _erf(x):\n    return _erf_1(x)" },
    },
    activation: false,
  },
  silu: {
    // x·s(x); f′ = s + x s(1 − s) has f′(−x) = 1 − f′(x) and f″ = s(1 − s)(2 + x(1 − 2s)) = 0 at x tanh(x/2) = 2,
    // x = ±2.3993572805154676…; 60-digit decimal arithmetic (golden section on f′): 1.0998393201288669169…
    slopeRange: [-0.09983932012886691, 1.099839320128867],
    // d = s(1 − s): f′ = s + x d, f″ = d(2 + x(1 − 2s)), f‴ = d((1 − 2s)(3 + x(1 − 2s)) − 2x d)
    derivatives: (x, _f, out, i, w) => {
      const s = sigmoid(x),
        d = s * (1 - s),
        c = 1 - 2 * s;
      put(out, i, w, s + x * d, d * (2 + x * c), d * (c * (3 + x * c) - 2 * x * d));
    },
    value: (x) => x / (1 + Math.exp(-x)),
    // s(u)(1 + u(1 − s(u)))
    derivative: (A, u) => {
      const s = A.fn("sigmoid", u);
      return A.mul(s, A.add(A.num(1), A.mul(u, A.sub(A.num(1), s))));
    },
    js: (a) => `${a} / (1 + Math.exp(-${a}))`,
    tex: named("silu"),
    slopeTex: "s(z)\\,(1 + z\\,(1-s(z)))",
    text: "silu",
    python: { torch: "torch.nn.functional.silu", numpy: { helper: "def _silu(x):\n    return x * (0.5 * numpy.tanh(0.5 * x) + 0.5)" } },
    activation: true,
  },
  mish: {
    // f′ = t + x(1 − t²)s, t = tanh(softplus x), s = sigmoid x: 60-digit decimal arithmetic (golden section on f′) puts
    // its maximum 1.0884981612517278612… at x = 1.4905711794854…, its minimum −0.1125261223894625564… at x = −2.2563763963607…
    slopeRange: [-0.11252612238946255, 1.088498161251728],
    // T = 1 − t², g = T s: f′ = t + x g, f″ = 2g + x g′, f‴ = 3g′ + x g″ with t′ = g, s′ = d = s(1 − s),
    // g′ = T(d − 2ts²), g″ = −2tg(d − 2ts²) + T(d(1 − 2s) − 2Ts³ − 4tsd)
    derivatives: (x, _f, out, i, w) => {
      const s = sigmoid(x),
        t = Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
        T = 1 - t * t,
        d = s * (1 - s),
        g = T * s,
        e = d - 2 * t * s * s,
        g1 = T * e,
        g2 = -2 * t * g * e + T * (d * (1 - 2 * s) - 2 * T * s * s * s - 4 * t * s * d);
      put(out, i, w, t + x * g, 2 * g + x * g1, 3 * g1 + x * g2);
    },
    value: (x) => x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    // tanh(softplus u) + u(1 − tanh²(softplus u)) sigmoid(u)
    derivative: (A, u) => {
      const t = A.fn("tanh", A.fn("softplus", u));
      return A.add(t, A.mul(u, A.sub(A.num(1), A.pow(t, 2)), A.fn("sigmoid", u)));
    },
    js: (a) => `${a} * Math.tanh(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${a})) : Math.log1p(Math.exp(${a})))`,
    tex: named("mish"),
    slopeTex: "t(z) + z\\,(1-t(z)^2)\\operatorname{sigmoid}(z),\\ t = \\tanh\\circ\\operatorname{softplus}",
    text: "mish",
    python: {
      torch: "torch.nn.functional.mish",
      numpy: { helper: "def _mish(x):\n    return x * numpy.tanh(numpy.logaddexp(0.0, x))" },
    },
    activation: true,
  },
  leaky_relu: {
    slopeRange: [0.01, 1], // 0.01 on the left, 1 on the right
    derivatives: (x, _f, out, i, w) => put(out, i, w, x > 0 ? 1 : 0.01, 0, 0),
    // torch's default negative slope 0.01: x for x > 0, 0.01x otherwise
    value: (x) => (x > 0 ? x : 0.01 * x),
    // 0.01 + 0.99 H(u): 0.01 at the kink, as torch's gradient there
    derivative: (A, u) => A.add(A.num(0.01), A.mul(A.num(0.99), A.fn("heaviside", u))),
    js: (a) => `(${a} > 0 ? ${a} : 0.01 * ${a})`,
    tex: named("leaky\\_relu"),
    slopeTex: "0.01 + 0.99\\,H(z)",
    text: "leaky_relu",
    python: {
      torch: "torch.nn.functional.leaky_relu",
      numpy: { helper: "def _leaky_relu(x):\n    return numpy.where(x > 0, x, 0.01 * x)" },
    },
    activation: true,
    kink: "leaky_relu is not C¹ at 0 (its derivative jumps from 0.01 to 1)",
  },
  hardtanh: {
    slopeRange: [0, 1], // 1 on (−1, 1), 0 outside
    derivatives: (x, _f, out, i, w) => put(out, i, w, x > -1 && x < 1 ? 1 : 0, 0, 0),
    // x clipped to [−1, 1] (torch's defaults); NaN stays NaN
    value: (x) => Math.max(-1, Math.min(1, x)),
    // H(1 + u) H(1 − u): 0 at ±1, as torch's gradient there
    derivative: (A, u) => A.mul(A.fn("heaviside", A.add(A.num(1), u)), A.fn("heaviside", A.sub(A.num(1), u))),
    js: (a) => `Math.max(-1, Math.min(1, ${a}))`,
    tex: named("hardtanh"),
    slopeTex: "H(1+z)\\,H(1-z)",
    text: "hardtanh",
    python: { torch: "torch.nn.functional.hardtanh", numpy: "numpy.clip({x}, -1.0, 1.0)" },
    activation: true,
    kink: "hardtanh is not C¹ at ±1 (its derivative jumps between 1 and 0)",
  },
} satisfies Record<FunctionName, FunctionDef>;

/** f(x) and f'(x) at a number: the forward-mode (dual number) rule, from value and derivative. */
export function valueAndSlope(name: FunctionName, x: number): [number, number] {
  const f: FunctionDef = REGISTRY[name],
    v = f.value(x);
  return [v, f.derivative(REAL, x, v)];
}

/** The functions flagged as layer activations (the flag's literal type makes this a union of names). */
export type ActivationFunction = { [K in FunctionName]: (typeof REGISTRY)[K]["activation"] extends true ? K : never }[FunctionName];
export const ACTIVATION_FUNCTIONS = FUNCTIONS.filter((f): f is ActivationFunction => REGISTRY[f].activation);
