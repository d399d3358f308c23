// Builds the matrix engine's WebAssembly kernel: writes src/numeric/engine/kernel.wat (the text, from one template for
// both block shapes) and src/numeric/engine/kernel.wasm.ts (its bytes, base64, so Node and the browser bundle load it
// without reading a file). `npm run wasm` after editing this file; test/numeric/engine/kernel.test.ts fails when the
// checked-in files are not what this script makes.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

/**
 * One tile of Z: `pairs` pairs of rows (2·pairs rows, i … i + 2·pairs − 1) × `comps` components (k, k + 1), as f64x2
 * sums in the outer-product form: for each column j, the tile's slice of Wᵀ row j (contiguous: one pointer, constant
 * offsets) times X[k][j] broadcast to both lanes. Each sum adds its products j = 0, 1, … in order, as the JavaScript
 * loop does, so the two kernels agree bit for bit; no horizontal sums at the end.
 */
function tile(pairs, comps) {
  const P = Array.from({ length: pairs }, (_, r) => r),
    C = Array.from({ length: comps }, (_, c) => c);
  const acc = (r, c) => `$acc${c}${r}`;
  const L = [
    "(local.set $wp (i32.add (local.get $W) (i32.shl (local.get $i) (i32.const 3))))",
    "(local.set $xa (local.get $xk))",
    ...C.flatMap((c) => P.map((r) => `(local.set ${acc(r, c)} (v128.const f64x2 0 0))`)),
    "(block $jdone (loop $jloop",
    "  (br_if $jdone (i32.ge_u (local.get $xa) (local.get $xEnd)))",
    ...P.map((r) => `  (local.set $w${r} (v128.load offset=${16 * r} (local.get $wp)))`),
    ...C.flatMap((c) => [
      `  (local.set $s (v128.load64_splat ${c ? "(i32.add (local.get $xa) (local.get $colBytes))" : "(local.get $xa)"}))`,
      ...P.map((r) => `  (local.set ${acc(r, c)} (f64x2.add (local.get ${acc(r, c)}) (f64x2.mul (local.get $w${r}) (local.get $s))))`),
    ]),
    "  (local.set $wp (i32.add (local.get $wp) (local.get $rowBytes)))",
    "  (local.set $xa (i32.add (local.get $xa) (i32.const 8)))",
    "  (br $jloop)))",
    ...C.flatMap((c) =>
      P.map(
        (r) =>
          `(v128.store offset=${16 * r} (i32.add (local.get $zk) (i32.add (i32.shl (local.get $i) (i32.const 3))${
            c ? " (local.get $rowBytes)" : " (i32.const 0)"
          })) (local.get ${acc(r, c)}))`,
      ),
    ),
  ];
  return L.map((l) => `            ${l}`).join("\n");
}

/** Every component (pairs of them, an odd last one alone) through the tiles of `pairs` row pairs from row $i on. */
const overComponents = (pairs) => `(local.set $k (i32.const 0))
      (block $kdone (loop $kloop
        (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))
        (local.set $xk (i32.add (local.get $X) (i32.mul (local.get $k) (local.get $colBytes))))
        (local.set $xEnd (i32.add (local.get $xk) (local.get $colBytes)))
        (local.set $zk (i32.add (local.get $Z) (i32.mul (local.get $k) (local.get $rowBytes))))
        (if (i32.lt_s (i32.add (local.get $k) (i32.const 1)) (local.get $K))
          (then
${tile(pairs, 2)}
            (local.set $k (i32.add (local.get $k) (i32.const 2))))
          (else
${tile(pairs, 1)}
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (br $kloop)))`;

const f64x2 = (v) => `(v128.const f64x2 ${v} ${v})`;
/** Taylor's coefficients of expm1, 1/n! for n = 2 … 13 (exact integers divided once: correctly rounded). */
const EXPM1_COEFFS = Array.from({ length: 12 }, (_, i) => {
  let f = 1;
  for (let n = 2; n <= i + 2; n++) f *= n;
  return 1 / f;
});
// fdlibm's split of ln 2: k·LN2_HI is exact for |k| < 2^20, so r = u − k ln 2 loses nothing to cancellation
const LN2_HI = 6.9314718036912381649e-1,
  LN2_LO = 1.90821492927058770002e-10;
const SHIFTER = 1.5 * 2 ** 52,
  SIGN = `(v128.const i64x2 ${-(2n ** 63n)} ${-(2n ** 63n)})`;

/**
 * q(r) = 1/2 + r/6 + r²/24 + … + r^11/13! by Estrin's scheme (pairs c + c'r, then powers r², r⁴, r⁸): a dependency
 * chain of 5 products deep instead of Horner's 11, so the pairs of lanes in flight overlap.
 */
const estrin = (hoist) => {
  const get = (v) => `(local.get $${v})`;
  const mad = (a, b, x) => `(f64x2.add ${a} (f64x2.mul ${b} ${x}))`;
  const pair = (i) => [hoist(f64x2(EXPM1_COEFFS[2 * i])), hoist(f64x2(EXPM1_COEFFS[2 * i + 1]))];
  const lines = [
    ...[0, 1, 2, 3, 4, 5].map((i) => `(local.set $e${i} (f64x2.add ${pair(i)[0]}\n      (f64x2.mul ${pair(i)[1]} ${get("r")})))`),
    ...[0, 1, 2].map((j) => `(local.set $e${j} ${mad(get(`e${2 * j}`), get(`e${2 * j + 1}`), get("r2"))})`),
    `(local.set $e0 (f64x2.add ${mad(get("e0"), get("e1"), get("r4"))}\n      (f64x2.mul ${get("e2")} ${get("r8")})))`,
  ];
  return lines.map((l) => `    ${l}`).join("\n");
};

/**
 * σ = tanh and σ' = 1 − σ² over a layer's units, and the chain rule fused with a residual step: the block pass's
 * elementwise work, so a narrow deep layer (8 × 8) runs without leaving the kernel. tanh follows fdlibm's s_tanh.c:
 * with a = min(|z|, 22) and t = expm1(∓2a), tanh = −t/(t + 2) for a < 1 and 1 − 2/(t + 2) = t/(t + 2) above (no
 * cancellation either way), sign restored from z; expm1(u) = 2^k (1 + p) − 1 with u = k ln 2 + r, |r| ≤ ln 2 / 2, and
 * p = r + r² q(r) (Taylor to r^13: remainder under 2e-17 relative). Within a few ulps of Math.tanh
 * (test/numeric/engine/kernel.test.ts measures it on 10^6 arguments and the special values).
 */
/** The tanh kernel's body with its constants named: materialising a v128 constant costs several instructions in V8's
 *  code, so each is set once into a local before the loop (hoist returns the local that holds it). */
const hoisted = new Map();
const hoist = (constant) => {
  if (!hoisted.has(constant)) hoisted.set(constant, `$c${hoisted.size}`);
  return `(local.get ${hoisted.get(constant)})`;
};
const TANH_PAIRS = `    (block $done (loop $units
      (br_if $done (i32.ge_s (local.get $u) (local.get $units)))
      (local.set $at (i32.shl (local.get $u) (i32.const 3)))
      (local.set $j1 (i32.add (local.get $j) (i32.const 1)))
      (if (i32.eq (local.get $j1) (local.get $m)) (then (local.set $j1 (i32.const 0))))
      ;; an even m: a pair of units never straddles two rows, so its biases are one load
      (if (i32.and (i32.eqz (i32.and (local.get $m) (i32.const 1))) (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units)))
        (then (local.set $z (f64x2.add (v128.load (i32.add (local.get $Y) (local.get $at)))
          (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))))
      (else (if (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units))
        (then (local.set $z (f64x2.add (v128.load (i32.add (local.get $Y) (local.get $at)))
          (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))
            (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j1) (i32.const 3))))))))
        (else (local.set $z (f64x2.splat (f64.add (f64.load (i32.add (local.get $Y) (local.get $at)))
          (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))))))))
    ;; a = min(|z|, 22) (pmin: NaN stays NaN), v = −2a where a < 1 and 2a above: the sign bit from the mask
    (local.set $a (f64x2.pmin (f64x2.abs (local.get $z)) ${hoist(f64x2(22))}))
    (local.set $sign (v128.and (f64x2.lt (local.get $a) ${hoist(f64x2(1))})
      ${hoist(SIGN)}))
    (local.set $v (v128.xor (f64x2.mul (local.get $a) ${hoist(f64x2(2))}) (local.get $sign)))
    ;; t = expm1(v), v = k ln 2 + r: adding 1.5·2^52 rounds v/ln 2 to the integer k in the low bits of kk
    (local.set $kk (f64x2.add (f64x2.mul (local.get $v) ${hoist(f64x2(Math.LOG2E))})
      ${hoist(f64x2(SHIFTER))}))
    (local.set $k (f64x2.sub (local.get $kk) ${hoist(f64x2(SHIFTER))}))
    (local.set $r (f64x2.sub
      (f64x2.sub (local.get $v) (f64x2.mul (local.get $k) ${hoist(f64x2(LN2_HI))}))
      (f64x2.mul (local.get $k) ${hoist(f64x2(LN2_LO))})))
    (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
    (local.set $r8 (f64x2.mul (local.get $r4) (local.get $r4)))
${estrin(hoist)}
    (local.set $p (f64x2.add (local.get $r) (f64x2.mul (local.get $r2) (local.get $e0))))
    ;; 2^k from its bits, (k + 1023) << 52: the low 12 bits of kk's bits plus 1023, shifted up (k ∈ [−3, 63] here)
    (local.set $scale (i64x2.shl (i64x2.add (local.get $kk) ${hoist("(v128.const i64x2 1023 1023)")}) (i32.const 52)))
    (local.set $t (f64x2.add (f64x2.mul (local.get $scale) (local.get $p)) (f64x2.sub (local.get $scale) ${hoist(f64x2(1))})))
    ;; a < 1: −t/(t + 2) with t = expm1(−2a); above, 1 − 2/(t + 2) = t/(t + 2) with t = expm1(2a) (errors in t damped)
    ;; (t < 0 exactly where a < 1, so both are |t|/(t + 2) ≥ 0); then z's sign; NaN stays NaN
    (local.set $t (f64x2.div (f64x2.abs (local.get $t)) (f64x2.add (local.get $t) ${hoist(f64x2(2))})))
    (local.set $t (v128.or (local.get $t) (v128.and (local.get $z) ${hoist(SIGN)})))
      (if (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units))
        (then
          (v128.store (i32.add (local.get $D) (local.get $at)) (local.get $t))
          (v128.store (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $at))
            (f64x2.sub ${hoist(f64x2(1))} (f64x2.mul (local.get $t) (local.get $t)))))
        (else
          (f64.store (i32.add (local.get $D) (local.get $at)) (f64x2.extract_lane 0 (local.get $t)))
          (f64.store (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $at))
            (f64.sub (f64.const 1) (f64.mul (f64x2.extract_lane 0 (local.get $t)) (f64x2.extract_lane 0 (local.get $t)))))))
      (local.set $j (i32.add (local.get $j1) (i32.const 1)))
      (if (i32.eq (local.get $j) (local.get $m)) (then (local.set $j (i32.const 0))))
      (local.set $u (i32.add (local.get $u) (i32.const 2)))
      (br $units)))
  )

`;

/** The tanh arithmetic of TANH_PAIRS (from z to t), its locals renamed with `suffix`: a second, independent copy. */
const tanhMath = (suffix) => {
  const from = TANH_PAIRS.indexOf("    ;; a = min(|z|, 22)"),
    to = TANH_PAIRS.indexOf(
      "      (if (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units))\n        (then\n          (v128.store",
    );
  return TANH_PAIRS.slice(from, to).replace(/\$(z|t|a|sign|v|kk|k|r|p|scale|r2|r4|r8|e[0-5])\b/g, `$$$1${suffix}`);
};
const TANH_LOCALS = "$z $t $a $sign $v $kk $k $r $p $scale $r2 $r4 $r8 $e0 $e1 $e2 $e3 $e4 $e5".split(" ");

/** With m a multiple of 4 (every pair's biases one load), four units an iteration: two pairs' chains in flight. */
const TANH_QUADS = `    (if (i32.eqz (i32.and (local.get $m) (i32.const 3))) (then
      (block $qdone (loop $quads
        (br_if $qdone (i32.gt_s (i32.add (local.get $u) (i32.const 4)) (local.get $units)))
        (local.set $at (i32.shl (local.get $u) (i32.const 3)))
        (local.set $jb (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $z (f64x2.add (v128.load (i32.add (local.get $Y) (local.get $at))) (v128.load (local.get $jb))))
        (local.set $z_1 (f64x2.add (v128.load offset=16 (i32.add (local.get $Y) (local.get $at))) (v128.load offset=16 (local.get $jb))))
${tanhMath("")}
${tanhMath("_1")}
        (v128.store (i32.add (local.get $D) (local.get $at)) (local.get $t))
        (v128.store offset=16 (i32.add (local.get $D) (local.get $at)) (local.get $t_1))
        (v128.store (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $at))
          (f64x2.sub ${hoist(f64x2(1))} (f64x2.mul (local.get $t) (local.get $t))))
        (v128.store offset=16 (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $at))
          (f64x2.sub ${hoist(f64x2(1))} (f64x2.mul (local.get $t_1) (local.get $t_1))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (if (i32.eq (local.get $j) (local.get $m)) (then (local.set $j (i32.const 0))))
        (local.set $u (i32.add (local.get $u) (i32.const 4)))
        (br $quads)))))
`;

const TANH_BODY = `    (local.set $dd (i32.shl (local.get $units) (i32.const 3)))
${TANH_QUADS}${TANH_PAIRS}`;

const TANH_FUNC = `
  ;; D[u] = tanh(Y[u] + bias[u mod m]), D[units + u] = 1 − D[u]², u < units: pairs of units, an odd last one alone
  (func (export "tanh") (param $Y i32) (param $bias i32) (param $D i32) (param $units i32) (param $m i32)
    (local $u i32) (local $j i32) (local $j1 i32) (local $dd i32) (local $at i32) (local $z v128) (local $t v128)
    (local $a v128) (local $sign v128) (local $v v128) (local $kk v128) (local $k v128) (local $r v128) (local $p v128) (local $scale v128)
    (local $r2 v128) (local $r4 v128) (local $r8 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128) (local $e4 v128) (local $e5 v128)
    ${TANH_LOCALS.map((name) => `(local ${name}_1 v128)`).join(" ")} (local $jb i32)
    ${[...hoisted.values()].map((name) => `(local ${name} v128)`).join(" ")}
${[...hoisted].map(([constant, name]) => `    (local.set ${name} ${constant})`).join("\n")}
${TANH_BODY}
`;

/**
 * sigmoid and softplus: σ and σ' over a layer's units in two sweeps, the first forming z = y + bias and reducing the
 * exponential's argument u = k ln 2 + r, the second evaluating the polynomial and the quotients, with the reduced
 * arguments waiting in D's σ, σ' (and, for softplus, σ'') slots between them. Each sweep's dependency chain is about
 * half of the whole, so the processor overlaps more pairs of units: 1.15× the units per second of one sweep on this
 * machine (tanh's single sweep with two pairs in flight is faster still for its shorter arithmetic).
 *
 * e^u = 2^k (1 + p) with p = expm1(r) as tanh computes it. sigmoid is 1/(1 + e^{−z}) as the registry computes it;
 * softplus is max(z, 0) + log1p(e^{−|z|}) with fdlibm's log1p (s_log1p.c: 1 + e^u rounded to w, log w by e_log.c's Lg
 * polynomial, w's rounding corrected by c/w), σ' = sigmoid(z). test/numeric/engine/kernel.test.ts holds both to the
 * registry's JavaScript on 10^6 arguments and the special values.
 */
/** A function's constants as mutable globals: TurboFan folds a constant local (or immutable global) into each use and
 *  rebuilds the v128 there, three instructions a time inside the loop; a mutable global is one load it can fold into
 *  the arithmetic as a memory operand (hoist returns the global that holds it). */
const GLOBALS = [];
function hoister(prefix) {
  const hoisted = new Map();
  const hoist = (constant) => {
    if (!hoisted.has(constant)) {
      hoisted.set(constant, `$${prefix}${hoisted.size}`);
      GLOBALS.push(`  (global ${hoisted.get(constant)} (mut v128) ${constant})`);
    }
    return `(global.get ${hoisted.get(constant)})`;
  };
  return { hoist };
}
const LOG2E = f64x2(Math.LOG2E);
/** u (local $v) → kk (k in its low bits) and r, with u = k ln 2 + r: fdlibm's two-part ln 2 keeps r exact. */
const reduce = (hoist) => `      (local.set $kk (f64x2.add (f64x2.mul (local.get $v) ${hoist(LOG2E)}) ${hoist(f64x2(SHIFTER))}))
      (local.set $k (f64x2.sub (local.get $kk) ${hoist(f64x2(SHIFTER))}))
      (local.set $r (f64x2.sub
        (f64x2.sub (local.get $v) (f64x2.mul (local.get $k) ${hoist(f64x2(LN2_HI))}))
        (f64x2.mul (local.get $k) ${hoist(f64x2(LN2_LO))})))`;
/** r → p = expm1(r) (local $p). */
const expm1r = (hoist) => `      (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
      (local.set $r4 (f64x2.mul (local.get $r2) (local.get $r2)))
      (local.set $r8 (f64x2.mul (local.get $r4) (local.get $r4)))
${estrin(hoist)}
      (local.set $p (f64x2.add (local.get $r) (f64x2.mul (local.get $r2) (local.get $e0))))`;
/** 2^(k + offset) from kk's bits: the low 12 bits of kk plus 1023 + offset, shifted into the exponent. */
const pow2 = (hoist, offset) =>
  `(i64x2.shl (i64x2.add (local.get $kk) ${hoist(`(v128.const i64x2 ${1023 + offset} ${1023 + offset})`)}) (i32.const 52))`;

// fdlibm e_log.c's Lg1 … Lg7: log(1 + f) = f − f²/2 + s(f²/2 + R(s²)), s = f/(2 + f), |f| < √2 − 1
const LG = [
  6.66666666666673513e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1, 1.818357216161805012e-1,
  1.531383769920937332e-1, 1.479819860511658591e-1,
];

/**
 * Each activation: `first` maps z to the values stored in D's slots 0, 1 (and 2) between the sweeps ($o0, $o1, $o2),
 * `second` maps them back ($i0, $i1, $i2) to σ and σ' ($o0, $o1).
 */
const ACTIVATIONS = {
  sigmoid: {
    doc: "D[u] = 1/(1 + e^{−z}), D[units + u] = D[u](1 − D[u])",
    slots: 2,
    // u = −z within [−708, 710] (pmax/pmin: NaN stays NaN): below, 1 + e^u is 1 already; above, e^u overflows
    first: (h) => `      (local.set $v (f64x2.pmin (f64x2.pmax (f64x2.neg (local.get $z)) ${h(f64x2(-708))}) ${h(f64x2(710))}))
${reduce(h)}
      (local.set $o0 (local.get $r))
      (local.set $o1 (local.get $kk))`,
    // e^u = 2·(2^(k−1)(1 + p)): 2^(k−1) is a normal double for k ∈ [−1021, 1024], and e^u overflows only where it should
    second: (h) => `      (local.set $r (local.get $i0))
      (local.set $kk (local.get $i1))
${expm1r(h)}
      (local.set $scale ${pow2(h, -1)})
      (local.set $t (f64x2.mul (f64x2.add (f64x2.mul (local.get $scale) (local.get $p)) (local.get $scale)) ${h(f64x2(2))}))
      (local.set $o0 (f64x2.div ${h(f64x2(1))} (f64x2.add ${h(f64x2(1))} (local.get $t))))
      (local.set $o1 (f64x2.mul (local.get $o0) (f64x2.sub ${h(f64x2(1))} (local.get $o0))))`,
  },
  softplus: {
    doc: "D[u] = max(z, 0) + log1p(e^{−|z|}), D[units + u] = 1/(1 + e^{−z}) (D[2·units + u] is scratch)",
    slots: 3,
    // u = −|z| ≥ −746 (below, e^u is 0); z's sign in kk's sign bit, max(z, 0) (NaN stays NaN) in the third slot
    first: (h) => `      (local.set $v (f64x2.pmax (v128.or (local.get $z) ${h(SIGN)}) ${h(f64x2(-746))}))
${reduce(h)}
      (local.set $o0 (local.get $r))
      (local.set $o1 (v128.or (local.get $kk) (v128.and (local.get $z) ${h(SIGN)})))
      (local.set $o2 (f64x2.pmax (local.get $z) ${h(f64x2(0))}))`,
    // e^u = 2^(k+60)(1 + p)·2^−60: one rounding into the subnormals, k ≥ −1076. Then log1p(e^u) with w = 1 + e^u
    // rounded: above √2, log w (w/2 − 1 exact, k' = 1) + c/w with c = e^u − (w − 1) exact; σ' = 1/(1 + e^u) for
    // z ≥ 0 and e^u/(1 + e^u) below
    second: (h) => `      (local.set $r (local.get $i0))
      (local.set $kk (local.get $i1))
${expm1r(h)}
      (local.set $scale ${pow2(h, 60)})
      (local.set $t (f64x2.mul (f64x2.add (f64x2.mul (local.get $scale) (local.get $p)) (local.get $scale)) ${h(f64x2(2 ** -60))}))
      (local.set $w (f64x2.add ${h(f64x2(1))} (local.get $t)))
      (local.set $q (f64x2.div ${h(f64x2(1))} (local.get $w)))
      (local.set $o1 (v128.bitselect (f64x2.mul (local.get $t) (local.get $q)) (local.get $q)
        (i64x2.lt_s (local.get $kk) ${h("(v128.const i64x2 0 0)")})))
      ;; w ≤ √2: f = e^u exactly (fdlibm's k = 0), no correction; above, f = w/2 − 1 and c/w corrects w's rounding
      (local.set $big (f64x2.gt (local.get $w) ${h(f64x2(Math.SQRT2))}))
      (local.set $hk (v128.and (local.get $big) ${h(f64x2(1))}))
      (local.set $c (v128.and (local.get $big)
        (f64x2.mul (f64x2.sub (local.get $t) (f64x2.sub (local.get $w) ${h(f64x2(1))})) (local.get $q))))
      (local.set $f (v128.bitselect (f64x2.sub (f64x2.mul (local.get $w) ${h(f64x2(0.5))}) ${h(f64x2(1))}) (local.get $t)
        (local.get $big)))
      (local.set $s (f64x2.div (local.get $f) (f64x2.add ${h(f64x2(2))} (local.get $f))))
      (local.set $s2 (f64x2.mul (local.get $s) (local.get $s)))
      (local.set $s4 (f64x2.mul (local.get $s2) (local.get $s2)))
      (local.set $R (f64x2.add
        (f64x2.mul (local.get $s2) (f64x2.add ${h(f64x2(LG[0]))} (f64x2.mul (local.get $s4) (f64x2.add ${h(f64x2(LG[2]))}
          (f64x2.mul (local.get $s4) (f64x2.add ${h(f64x2(LG[4]))} (f64x2.mul (local.get $s4) ${h(f64x2(LG[6]))})))))))
        (f64x2.mul (local.get $s4) (f64x2.add ${h(f64x2(LG[1]))} (f64x2.mul (local.get $s4) (f64x2.add ${h(f64x2(LG[3]))}
          (f64x2.mul (local.get $s4) ${h(f64x2(LG[5]))})))))))
      (local.set $hf (f64x2.mul ${h(f64x2(0.5))} (f64x2.mul (local.get $f) (local.get $f))))
      ;; k' ln2_hi − ((hf − (s(hf + R) + (k' ln2_lo + c))) − f), as fdlibm orders it
      (local.set $o0 (f64x2.add (local.get $i2) (f64x2.sub (f64x2.mul (local.get $hk) ${h(f64x2(LN2_HI))})
        (f64x2.sub (f64x2.sub (local.get $hf) (f64x2.add (f64x2.mul (local.get $s) (f64x2.add (local.get $hf) (local.get $R)))
          (f64x2.add (f64x2.mul (local.get $hk) ${h(f64x2(LN2_LO))}) (local.get $c)))) (local.get $f)))))`,
  },
};
const V128_LOCALS =
  "$z $a $v $kk $k $r $p $scale $t $r2 $r4 $r8 $e0 $e1 $e2 $e3 $e4 $e5 $o0 $o1 $o2 $i0 $i1 $i2 $w $q $c $big $hk $f $s $s2 $s4 $R $hf".split(
    " ",
  );

/** Stores of $o0 … into D's slots at unit u (a pair of units, or lane 0 alone for an odd last unit). */
const stores = (n, pair) =>
  Array.from({ length: n }, (_, s) => {
    const at = `(i32.add (i32.add (local.get $D) (i32.mul (local.get $dd) (i32.const ${s}))) (local.get $at))`;
    return pair ? `(v128.store ${at} (local.get $o${s}))` : `(f64.store ${at} (f64x2.extract_lane 0 (local.get $o${s})))`;
  }).join("\n          ");
const loads = (n, pair) =>
  Array.from({ length: n }, (_, s) => {
    const at = `(i32.add (i32.add (local.get $D) (i32.mul (local.get $dd) (i32.const ${s}))) (local.get $at))`;
    return `(local.set $i${s} (${pair ? "v128.load" : "v128.load64_splat"} ${at}))`;
  }).join("\n          ");

function activationFunc(name) {
  const act = ACTIVATIONS[name],
    { hoist } = hoister(`${name}_`);
  const first = act.first(hoist),
    second = act.second(hoist);
  return `
  ;; ${act.doc}, z = Y[u] + bias[u mod m], u < units: pairs of units, an odd last one alone; two sweeps
  (func (export "${name}") (param $Y i32) (param $bias i32) (param $D i32) (param $units i32) (param $m i32)
    (local $u i32) (local $j i32) (local $j1 i32) (local $dd i32) (local $at i32) (local $pair i32)
    ${V128_LOCALS.map((l) => `(local ${l} v128)`).join(" ")}
    (local.set $dd (i32.shl (local.get $units) (i32.const 3)))
    (block $done (loop $sweep
      (br_if $done (i32.ge_s (local.get $u) (local.get $units)))
      (local.set $at (i32.shl (local.get $u) (i32.const 3)))
      (local.set $pair (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units)))
      (local.set $j1 (i32.add (local.get $j) (i32.const 1)))
      (if (i32.eq (local.get $j1) (local.get $m)) (then (local.set $j1 (i32.const 0))))
      ;; an even m: a pair of units never straddles two rows, so its biases are one load
      (if (i32.and (i32.eqz (i32.and (local.get $m) (i32.const 1))) (local.get $pair))
        (then (local.set $z (f64x2.add (v128.load (i32.add (local.get $Y) (local.get $at)))
          (v128.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))))
      (else (if (local.get $pair)
        (then (local.set $z (f64x2.add (v128.load (i32.add (local.get $Y) (local.get $at)))
          (f64x2.replace_lane 1 (f64x2.splat (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))
            (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j1) (i32.const 3))))))))
        (else (local.set $z (f64x2.splat (f64.add (f64.load (i32.add (local.get $Y) (local.get $at)))
          (f64.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 3)))))))))))
${first}
      (if (local.get $pair)
        (then
          ${stores(act.slots, true)})
        (else
          ${stores(act.slots, false)}))
      (local.set $j (i32.add (local.get $j1) (i32.const 1)))
      (if (i32.eq (local.get $j) (local.get $m)) (then (local.set $j (i32.const 0))))
      (local.set $u (i32.add (local.get $u) (i32.const 2)))
      (br $sweep)))
    (local.set $u (i32.const 0))
    (block $done2 (loop $sweep2
      (br_if $done2 (i32.ge_s (local.get $u) (local.get $units)))
      (local.set $at (i32.shl (local.get $u) (i32.const 3)))
      (local.set $pair (i32.lt_s (i32.add (local.get $u) (i32.const 1)) (local.get $units)))
      (if (local.get $pair)
        (then
          ${loads(act.slots, true)})
        (else
          ${loads(act.slots, false)}))
${second}
      (if (local.get $pair)
        (then
          ${stores(2, true)})
        (else
          ${stores(2, false)}))
      (local.set $u (i32.add (local.get $u) (i32.const 2)))
      (br $sweep2)))
  )
`;
}

const ELEMENTWISE = `${TANH_FUNC}${Object.keys(ACTIVATIONS).map(activationFunc).join("")}
  ;; The chain rule alone: Y[u] = D[u] on the value, Y[o + u] = Y[o + u]·D'[u] on the K − 1 tangents (D' = D + units)
  (func (export "chain") (param $Y i32) (param $D i32) (param $units i32) (param $K i32)
    (local $i i32) (local $o i32) (local $end i32) (local $dd i32)
    (local.set $dd (i32.shl (local.get $units) (i32.const 3)))
    (memory.copy (local.get $Y) (local.get $D) (local.get $dd))
    (local.set $o (local.get $dd))
    (local.set $end (i32.mul (local.get $K) (local.get $dd)))
    (block $kdone (loop $tangents
      (br_if $kdone (i32.ge_u (local.get $o) (local.get $end)))
      (local.set $i (i32.const 0))
      (block $tdone (loop $t
        (br_if $tdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $dd)))
        (v128.store (i32.add (i32.add (local.get $Y) (local.get $o)) (local.get $i))
          (f64x2.mul (v128.load (i32.add (i32.add (local.get $Y) (local.get $o)) (local.get $i)))
            (v128.load (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $t)))
      (if (i32.lt_u (local.get $i) (local.get $dd)) (then
        (f64.store (i32.add (i32.add (local.get $Y) (local.get $o)) (local.get $i))
          (f64.mul (f64.load (i32.add (i32.add (local.get $Y) (local.get $o)) (local.get $i)))
            (f64.load (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $i)))))))
      (local.set $o (i32.add (local.get $o) (local.get $dd)))
      (br $tangents)))
  )

  ;; The chain rule and a one-term step: Y[u] = c·X[u] + s·D[u] on the value, Y[o + u] = c·X[o + u] + s·(Y[o + u]·D'[u])
  ;; on the K − 1 tangents (D' = D + units): the same products and sums, in the same order, as the JavaScript loop.
  (func (export "chain_step") (param $Y i32) (param $D i32) (param $X i32) (param $units i32) (param $K i32)
    (param $c f64) (param $s f64)
    (local $k i32) (local $o i32) (local $i i32) (local $end i32) (local $dd i32) (local $cc v128) (local $ss v128)
    (local $y i32) (local $x i32)
    (local.set $cc (f64x2.splat (local.get $c)))
    (local.set $ss (f64x2.splat (local.get $s)))
    (local.set $dd (i32.shl (local.get $units) (i32.const 3)))
    (local.set $end (i32.shl (i32.and (local.get $units) (i32.const -2)) (i32.const 3)))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store (i32.add (local.get $Y) (local.get $i))
        (f64x2.add (f64x2.mul (local.get $cc) (v128.load (i32.add (local.get $X) (local.get $i))))
          (f64x2.mul (local.get $ss) (v128.load (i32.add (local.get $D) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $v)))
    (if (i32.ne (local.get $end) (local.get $dd)) (then
      (f64.store (i32.add (local.get $Y) (local.get $i))
        (f64.add (f64.mul (local.get $c) (f64.load (i32.add (local.get $X) (local.get $i))))
          (f64.mul (local.get $s) (f64.load (i32.add (local.get $D) (local.get $i))))))))
    (local.set $k (i32.const 1))
    (block $kdone (loop $tangents
      (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))
      (local.set $o (i32.mul (local.get $k) (local.get $dd)))
      (local.set $y (i32.add (local.get $Y) (local.get $o)))
      (local.set $x (i32.add (local.get $X) (local.get $o)))
      (local.set $i (i32.const 0))
      (block $tdone (loop $t
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store (i32.add (local.get $y) (local.get $i))
          (f64x2.add (f64x2.mul (local.get $cc) (v128.load (i32.add (local.get $x) (local.get $i))))
            (f64x2.mul (local.get $ss) (f64x2.mul (v128.load (i32.add (local.get $y) (local.get $i)))
              (v128.load (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $t)))
      (if (i32.ne (local.get $end) (local.get $dd)) (then
        (f64.store (i32.add (local.get $y) (local.get $i))
          (f64.add (f64.mul (local.get $c) (f64.load (i32.add (local.get $x) (local.get $i))))
            (f64.mul (local.get $s) (f64.mul (f64.load (i32.add (local.get $y) (local.get $i)))
              (f64.load (i32.add (i32.add (local.get $D) (local.get $dd)) (local.get $i)))))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $tangents)))
  )
`;

/**
 * A shaped layer's operator (engine/network.ts's SparseOperator: CSR rows of taps) applied to `count` vectors, V of
 * them at a time: their inputs transposed into T (cols × V, column c's V values side by side), then each row's taps
 * read once for all V, V/2 f64x2 sums per row. Each sum adds its taps in row order, as the JavaScript loop does, so
 * the two agree bit for bit.
 */
function tapsFunc(V) {
  const P = V / 2,
    A = Array.from({ length: P }, (_, k) => k),
    J = Array.from({ length: V }, (_, j) => j),
    shift = Math.log2(V * 8);
  const product = (k) => `(f64x2.mul (local.get $w) (v128.load offset=${16 * k} (local.get $p)))`;
  return `
  ;; Z[v·rows + i] = Σ_t val[t]·X[v·cols + col[t]], t over row i's taps start[i] … start[i + 1] − 1 (start, col: i32;
  ;; val: f64), for the count vectors; T: scratch of cols × ${V} doubles. ${V} vectors a sweep: past count, the last
  ;; vector is read again and not stored.
  (func (export "taps") (param $start i32) (param $col i32) (param $val i32) (param $X i32) (param $Z i32) (param $T i32)
    (param $rows i32) (param $cols i32) (param $count i32)
    (local $v i32) (local $n i32) (local $j i32) (local $src i32) (local $dst i32) (local $end i32) (local $i i32)
    (local $tc i32) (local $ec i32) (local $tv i32) (local $p i32) (local $z i32) (local $colBytes i32) (local $w v128)
    ${A.map((k) => `(local $acc${k} v128)`).join(" ")}
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 3)))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_s (local.get $v) (local.get $count)))
      (local.set $n (i32.sub (local.get $count) (local.get $v)))
      ;; the sweep's inputs, transposed
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_s (local.get $j) (i32.const ${V})))
        (local.set $src (i32.add (local.get $X) (i32.mul (local.get $colBytes)
          (select (i32.add (local.get $v) (local.get $j)) (i32.sub (local.get $count) (i32.const 1))
            (i32.lt_s (local.get $j) (local.get $n))))))
        (local.set $end (i32.add (local.get $src) (local.get $colBytes)))
        (local.set $dst (i32.add (local.get $T) (i32.shl (local.get $j) (i32.const 3))))
        (block $cdone (loop $cloop
          (br_if $cdone (i32.ge_u (local.get $src) (local.get $end)))
          (f64.store (local.get $dst) (f64.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (i32.const 8)))
          (local.set $dst (i32.add (local.get $dst) (i32.const ${V * 8})))
          (br $cloop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jloop)))
      (local.set $i (i32.const 0))
      (block $idone (loop $iloop
        (br_if $idone (i32.ge_s (local.get $i) (local.get $rows)))
        ${A.map((k) => `(local.set $acc${k} (v128.const f64x2 0 0))`).join("\n        ")}
        (local.set $p (i32.add (local.get $start) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $tc (i32.add (local.get $col) (i32.shl (i32.load (local.get $p)) (i32.const 2))))
        (local.set $ec (i32.add (local.get $col) (i32.shl (i32.load offset=4 (local.get $p)) (i32.const 2))))
        (local.set $tv (i32.add (local.get $val) (i32.shl (i32.load (local.get $p)) (i32.const 3))))
        (block $tdone (loop $tloop
          (br_if $tdone (i32.ge_u (local.get $tc) (local.get $ec)))
          (local.set $w (v128.load64_splat (local.get $tv)))
          (local.set $p (i32.add (local.get $T) (i32.shl (i32.load (local.get $tc)) (i32.const ${shift}))))
          ${A.map((k) => `(local.set $acc${k} (f64x2.add (local.get $acc${k}) ${product(k)}))`).join("\n          ")}
          (local.set $tc (i32.add (local.get $tc) (i32.const 4)))
          (local.set $tv (i32.add (local.get $tv) (i32.const 8)))
          (br $tloop)))
        (local.set $z (i32.add (local.get $Z) (i32.shl (i32.add (i32.mul (local.get $v) (local.get $rows)) (local.get $i)) (i32.const 3))))
        ${J.map((j) => {
          const store = `(f64.store (local.get $z) (f64x2.extract_lane ${j % 2} (local.get $acc${j >> 1})))`;
          const next = `(local.set $z (i32.add (local.get $z) (i32.shl (local.get $rows) (i32.const 3))))`;
          return j === 0 ? `${store}\n        ${next}` : `(if (i32.lt_s (i32.const ${j}) (local.get $n)) (then ${store} ${next}))`;
        }).join("\n        ")}
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iloop)))
      (local.set $v (i32.add (local.get $v) (i32.const ${V})))
      (br $vloop)))
  )
`;
}

/** Vectors the taps kernel takes a sweep (its scratch T is cols × TAPS_SWEEP doubles). */
export const TAPS_SWEEP = 8;
const TAPS = tapsFunc(TAPS_SWEEP);

export const WAT = `;; GENERATED by scripts/wasm.mjs: edit that, then \`npm run wasm\`.
;; The matrix engine's hot loop, Z[k·rows + i] = Σ_j W[i·cols + j] X[k·cols + j] for K components, in WebAssembly
;; SIMD (f64x2): V8 does not vectorise JavaScript loops. Pointers are byte offsets into the one memory; W is stored
;; transposed (Wᵀ[j·rows + i], by the caller, once per network). Rows in bands of 8 (a band of Wᵀ, cols × 8
;; doubles, stays in L1 while every component streams past it), each band in tiles of 8 rows × 2 components: 8 f64x2
;; sums, 4 loads of Wᵀ and 2 broadcasts of X per column. Then pairs of rows, then an odd last row alone.
(module
  (memory (export "memory") 1)
${GLOBALS.join("\n")}
  (func (export "affine") (param $W i32) (param $X i32) (param $Z i32) (param $rows i32) (param $cols i32) (param $K i32)
    (local $k i32) (local $i i32) (local $rowBytes i32) (local $colBytes i32)
    (local $xk i32) (local $xa i32) (local $xEnd i32) (local $zk i32) (local $wp i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $s v128)
    (local $acc00 v128) (local $acc01 v128) (local $acc02 v128) (local $acc03 v128)
    (local $acc10 v128) (local $acc11 v128) (local $acc12 v128) (local $acc13 v128)
    (local $sum f64)
    (local.set $rowBytes (i32.shl (local.get $rows) (i32.const 3)))
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 3)))
    (block $bdone (loop $bloop
      (br_if $bdone (i32.gt_s (i32.add (local.get $i) (i32.const 8)) (local.get $rows)))
      ${overComponents(4)}
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $bloop)))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
      ${overComponents(1)}
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $ploop)))
    ;; an odd last row: one scalar sum per component, in the same order
    (if (i32.lt_s (local.get $i) (local.get $rows)) (then
      (local.set $k (i32.const 0))
      (block $kdone (loop $kloop
        (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))
        (local.set $xa (i32.add (local.get $X) (i32.mul (local.get $k) (local.get $colBytes))))
        (local.set $xEnd (i32.add (local.get $xa) (local.get $colBytes)))
        (local.set $wp (i32.add (local.get $W) (i32.shl (local.get $i) (i32.const 3))))
        (local.set $sum (f64.const 0))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_u (local.get $xa) (local.get $xEnd)))
          (local.set $sum (f64.add (local.get $sum) (f64.mul (f64.load (local.get $wp)) (f64.load (local.get $xa)))))
          (local.set $wp (i32.add (local.get $wp) (local.get $rowBytes)))
          (local.set $xa (i32.add (local.get $xa) (i32.const 8)))
          (br $jloop)))
        (f64.store (i32.add (local.get $Z) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $rows)) (local.get $i)) (i32.const 3)))
          (local.get $sum))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kloop)))))
  )
${ELEMENTWISE}${TAPS})
`;

/** The compiled module as the TypeScript file that carries it. */
export async function kernelModuleSource() {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat("kernel.wat", WAT, { simd: true });
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const b64 = Buffer.from(buffer).toString("base64");
  const lines = b64.match(/.{1,120}/g).map((l) => `  "${l}"`);
  return `// GENERATED by scripts/wasm.mjs from kernel.wat: do not edit.
/** The WebAssembly SIMD kernel (${buffer.length} bytes), base64. */
export const KERNEL_WASM_BASE64 =
${lines.join(" +\n")};
`;
}

export const KERNEL_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "numeric", "engine");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(KERNEL_DIR, "kernel.wat"), WAT);
  writeFileSync(join(KERNEL_DIR, "kernel.wasm.ts"), await kernelModuleSource());
  const size = readFileSync(join(KERNEL_DIR, "kernel.wasm.ts")).length;
  console.log(`wrote ${join(KERNEL_DIR, "kernel.wat")} and kernel.wasm.ts (${size} chars)`);
}
