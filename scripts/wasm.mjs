// Builds the matrix engine's WebAssembly kernel: writes src/numeric/engine/kernel.wat (the text, from one template for
// both block shapes) and src/numeric/engine/kernel.wasm.ts (its bytes, base64, so Node and the browser bundle load it
// without reading a file). `npm run wasm` after editing this file; test/numeric/engine/kernel.test.ts fails when the
// checked-in files are not what this script makes.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

/** acc + a·b in f64x2: one fused multiply-add where the module is built with relaxed SIMD, else a product and a sum. */
const madd = (fma, acc, a, b) => (fma ? `(f64x2.relaxed_madd ${a} ${b} ${acc})` : `(f64x2.add ${acc} (f64x2.mul ${a} ${b}))`);

/**
 * The weights are packed in bands of rows (kernel.ts, writePacked): rows in bands of 8, then pairs, then an odd last row
 * alone; the band from row i holds its weights column after column (W[i + r][j] at band + (j·width + r)·8), so a tile
 * reads one contiguous run per column and a band (cols × 64 bytes) stays in L1 while every vector streams past it.
 * A band starts at W + i·cols·8. `shape` is the band's width in rows: 8 (four f64x2 per column), 2 (one) or 1.
 *
 * One tile: the band's rows × `comps` vectors (k, k + 1) as f64x2 sums in outer-product form, the column's weights
 * times X[k][j] broadcast to both lanes (for the odd row, the two vectors' X[k][j], X[k + 1][j] in the lanes times
 * the weight broadcast). Each sum adds its products j = 0, 1, … in order, the same operations for every tile shape and
 * vector count, so a vector's result does not depend on its neighbours in the block. `store(acc, r, c)` writes
 * accumulator r (rows i + 2r, i + 2r + 1) of vector k + c; for the odd row, store(acc, 0, "lanes") both vectors.
 */
function tile(shape, comps, fma, store) {
  const splat = (at) => `(v128.load64_splat ${at})`;
  const P = Array.from({ length: shape === 8 ? 4 : 1 }, (_, r) => r),
    C = Array.from({ length: shape === 1 ? 1 : comps }, (_, c) => c);
  const acc = (r, c) => `$acc${c}${r}`;
  const x = (c) => (c ? "(i32.add (local.get $xa) (local.get $colBytes))" : "(local.get $xa)");
  const products =
    shape === 1
      ? [
          `  (local.set $xs ${comps === 2 ? `(f64x2.replace_lane 1 (v128.load64_splat ${x(0)}) (f64.load ${x(1)}))` : splat(x(0))})`,
          `  (local.set $acc00 ${madd(fma, "(local.get $acc00)", "(v128.load64_splat (local.get $wp))", "(local.get $xs)")})`,
        ]
      : [
          ...P.map((r) => `  (local.set $w${r} (v128.load offset=${16 * r} (local.get $wp)))`),
          ...C.flatMap((c) => [
            `  (local.set $xs (v128.load64_splat ${x(c)}))`,
            ...P.map((r) => `  (local.set ${acc(r, c)} ${madd(fma, `(local.get ${acc(r, c)})`, `(local.get $w${r})`, "(local.get $xs)")})`),
          ]),
        ];
  const L = [
    "(local.set $wp (local.get $band))",
    "(local.set $xa (local.get $xk))",
    ...C.flatMap((c) => P.map((r) => `(local.set ${acc(r, c)} (v128.const f64x2 0 0))`)),
    "(block $jdone (loop $jloop",
    "  (br_if $jdone (i32.ge_u (local.get $xa) (local.get $xEnd)))",
    ...products,
    `  (local.set $wp (i32.add (local.get $wp) (i32.const ${8 * shape})))`,
    "  (local.set $xa (i32.add (local.get $xa) (i32.const 8)))",
    "  (br $jloop)))",
    ...(shape === 1
      ? store("(local.get $acc00)", 0, "lanes")
      : C.flatMap((c) => P.flatMap((r) => store(`(local.get ${acc(r, c)})`, r, c)))),
  ];
  return L.map((l) => `            ${l}`).join("\n");
}

/** The plain write-back: Z[k + c][i + 2r …] = the sums. zk is Z + k·rowBytes + i·8. */
function plainStore(comps) {
  return (acc, r, c) => {
    if (c !== "lanes")
      return [`(v128.store offset=${16 * r} ${c ? "(i32.add (local.get $zk) (local.get $rowBytes))" : "(local.get $zk)"} ${acc})`];
    return [
      `(f64.store (local.get $zk) (f64x2.extract_lane 0 ${acc}))`,
      ...(comps === 2 ? [`(f64.store (i32.add (local.get $zk) (local.get $rowBytes)) (f64x2.extract_lane 1 ${acc}))`] : []),
    ];
  };
}

/**
 * The chain rule's write-back for tangent vectors: Z[k + c] = sums · σ'[b] (σ' of the vector's point b, at dk = D' +
 * b·rowBytes + i·8), or with `step`, c·P[k + c] + s·(sums · σ'[b]) (P the previous state, pk = P + k·rowBytes + i·8):
 * the products and sums of batch.ts's chain and chainStep, in their order.
 */
function chainStore(comps, step) {
  const at = (base, c) => (c ? `(local.get ${base}1)` : `(local.get ${base}0)`);
  const next = (base, c) => (c ? `(i32.add (local.get ${base}) (local.get $rowBytes))` : `(local.get ${base})`);
  return (acc, r, c) => {
    if (c !== "lanes") {
      const y = `(f64x2.mul ${acc} (v128.load offset=${16 * r} ${at("$dk", c)}))`,
        p = `(v128.load offset=${16 * r} ${next("$pk", c)})`;
      return [
        `(v128.store offset=${16 * r} ${next("$zk", c)}`,
        step ? `  (f64x2.add (f64x2.mul (local.get $cc) ${p}) (f64x2.mul (local.get $ss) ${y})))` : `  ${y})`,
      ];
    }
    return Array.from({ length: comps }, (_, lane) => {
      const y = `(f64.mul (f64x2.extract_lane ${lane} ${acc}) (f64.load ${at("$dk", lane)}))`,
        p = `(f64.load ${next("$pk", lane)})`;
      return [
        `(f64.store ${next("$zk", lane)}`,
        step ? `  (f64.add (f64.mul (local.get $c) ${p}) (f64.mul (local.get $s) ${y})))` : `  ${y})`,
      ];
    }).flat();
  };
}

/** The address of row $i of vector (or point) `idx` in a block of `rows`-wide vectors at `base`. */
const rowAt = (base, idx) =>
  `(i32.add (local.get ${base}) (i32.add (i32.mul (local.get ${idx}) (local.get $rowBytes)) (i32.shl (local.get $i) (i32.const 3))))`;

/**
 * Every vector (pairs of them, an odd last one alone) through the tiles of the band from row $i on. With `chain`, the
 * vectors are tangents: vector k belongs to point k mod B, whose σ' row is dk (b0, b1 track k mod B, k + 1 mod B).
 */
const overVectors = (shape, fma, mode) => {
  const chain = mode !== "plain",
    store = (comps) => (chain ? chainStore(comps, mode === "step") : plainStore(comps));
  const pointers = (comps) =>
    chain
      ? `
            (local.set $dk0 ${rowAt("$Dp", "$b0")})
            (local.set $dk1 ${rowAt("$Dp", "$b1")})
            (local.set $pk ${rowAt("$P", "$k")})
            (local.set $b0 (i32.add (local.get $b0) (i32.const ${comps})))
            (if (i32.ge_s (local.get $b0) (local.get $B)) (then (local.set $b0 (i32.sub (local.get $b0) (local.get $B)))))
            (if (i32.ge_s (local.get $b0) (local.get $B)) (then (local.set $b0 (i32.sub (local.get $b0) (local.get $B)))))
            (local.set $b1 (i32.add (local.get $b0) (i32.const 1)))
            (if (i32.eq (local.get $b1) (local.get $B)) (then (local.set $b1 (i32.const 0))))`
      : "";
  const start = chain ? "\n      (local.set $b0 (i32.const 0))\n      (local.set $b1 (i32.rem_u (i32.const 1) (local.get $B)))" : "";
  return `(local.set $k (i32.const 0))${start}
      (local.set $band (i32.add (local.get $W) (i32.mul (local.get $i) (local.get $colBytes))))
      (block $kdone (loop $kloop
        (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))
        (local.set $xk (i32.add (local.get $X) (i32.mul (local.get $k) (local.get $colBytes))))
        (local.set $xEnd (i32.add (local.get $xk) (local.get $colBytes)))
        (local.set $zk ${rowAt("$Z", "$k")})
        (if (i32.lt_s (i32.add (local.get $k) (i32.const 1)) (local.get $K))
          (then${pointers(2)}
${tile(shape, 2, fma, store(2))}
            (local.set $k (i32.add (local.get $k) (i32.const 2))))
          (else${pointers(1)}
${tile(shape, 1, fma, store(1))}
            (local.set $k (i32.add (local.get $k) (i32.const 1)))))
        (br $kloop)))`;
};

/** The band loops: bands of 8 rows, then pairs, then an odd last row; mode "plain", "chain" or "step" (the write-back). */
const overBands = (fma, mode) => `    (block $bdone (loop $bloop
      (br_if $bdone (i32.gt_s (i32.add (local.get $i) (i32.const 8)) (local.get $rows)))
      ${overVectors(8, fma, mode)}
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $bloop)))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.gt_s (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
      ${overVectors(2, fma, mode)}
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $ploop)))
    (if (i32.lt_s (local.get $i) (local.get $rows)) (then
      ${overVectors(1, fma, mode)}))`;

const GEMM_LOCALS = `(local $k i32) (local $i i32) (local $rowBytes i32) (local $colBytes i32) (local $band i32)
    (local $xk i32) (local $xa i32) (local $xEnd i32) (local $zk i32) (local $wp i32)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $xs v128)
    (local $acc00 v128) (local $acc01 v128) (local $acc02 v128) (local $acc03 v128)
    (local $acc10 v128) (local $acc11 v128) (local $acc12 v128) (local $acc13 v128)
    (local.set $rowBytes (i32.shl (local.get $rows) (i32.const 3)))
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 3)))`;

/** The dense layer's products: Z = W X for K vectors, and the tangents' product fused with the chain rule. */
const GEMM = (fma) => `  ;; Z[k·rows + i] = Σ_j W[i][j] X[k·cols + j] for the K vectors, W packed in bands (writePacked)
  (func (export "affine") (param $W i32) (param $X i32) (param $Z i32) (param $rows i32) (param $cols i32) (param $K i32)
    ${GEMM_LOCALS}
${overBands(fma, "plain")}
  )

  ;; The tangent vectors of a block of B points through a dense layer, with the chain rule (and a one-term step) in the
  ;; write-back: Z[k] = (W X[k]) ∘ D'[k mod B], or with step ≠ 0, c·P[k] + s·((W X[k]) ∘ D'[k mod B]), k < K; D' holds
  ;; σ' of point b at Dp + b·rows·8 (the σ' block the activation functions write), P the previous state's tangents
  (func (export "affine_chain") (param $W i32) (param $X i32) (param $Z i32) (param $rows i32) (param $cols i32) (param $K i32)
    (param $Dp i32) (param $B i32) (param $P i32) (param $c f64) (param $s f64) (param $step i32)
    (local $b0 i32) (local $b1 i32) (local $dk0 i32) (local $dk1 i32) (local $pk i32) (local $cc v128) (local $ss v128)
    ${GEMM_LOCALS}
    (local.set $cc (f64x2.splat (local.get $c)))
    (local.set $ss (f64x2.splat (local.get $s)))
    (if (local.get $step)
      (then
${overBands(fma, "step")})
      (else
${overBands(fma, "chain")}))
  )
`;

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

/** The [6/6] Padé approximant of e^r, P(r)/P(−r) with P(r) = Σ_i PADE6[i] r^i, PADE6[i] = (12 − i)! 6! / (12! i! (6 − i)!)
 *  (products of exact integers divided once: correctly rounded). */
const PADE6 = Array.from({ length: 7 }, (_, i) => {
  const f = (n) => (n <= 1 ? 1 : n * f(n - 1));
  return (f(12 - i) * f(6)) / (f(12) * f(i) * f(6 - i));
});

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
    // e^u = 2^k P(r)/P(−r), the [6/6] Padé form (PADE6: relative error under 2e-19 for |r| ≤ ln 2 / 2), with P(±r) =
    // E(r²) ± r O(r²): σ = 1/(1 + e^u) = Q/(Q + S) with Q = P(−r), S = 2^k P(r) as 2·(2^(k−1)P) (2^(k−1) is a normal
    // double for k ∈ [−1021, 1024]; S overflows only where e^u does). One quotient and a chain half as deep as
    // expm1's Estrin sum's, so more pairs of units overlap: 1.25× the units per CPU-second of that form here.
    second: (h) => `      (local.set $r (local.get $i0))
      (local.set $kk (local.get $i1))
      (local.set $r2 (f64x2.mul (local.get $r) (local.get $r)))
      (local.set $e0 (f64x2.add ${h(f64x2(1))} (f64x2.mul (local.get $r2) (f64x2.add ${h(f64x2(PADE6[2]))}
        (f64x2.mul (local.get $r2) (f64x2.add ${h(f64x2(PADE6[4]))} (f64x2.mul (local.get $r2) ${h(f64x2(PADE6[6]))})))))))
      (local.set $e1 (f64x2.mul (local.get $r) (f64x2.add ${h(f64x2(PADE6[1]))}
        (f64x2.mul (local.get $r2) (f64x2.add ${h(f64x2(PADE6[3]))} (f64x2.mul (local.get $r2) ${h(f64x2(PADE6[5]))}))))))
      (local.set $t (f64x2.mul (f64x2.mul (f64x2.add (local.get $e0) (local.get $e1)) ${pow2(h, -1)}) ${h(f64x2(2))}))
      (local.set $q (f64x2.sub (local.get $e0) (local.get $e1)))
      (local.set $o0 (f64x2.div (local.get $q) (f64x2.add (local.get $q) (local.get $t))))
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

/** The module's text; with `fma`, its products and sums fused (relaxed SIMD's f64x2.relaxed_madd). */
const wat = (fma) => `;; GENERATED by scripts/wasm.mjs: edit that, then \`npm run wasm\`.
;; The matrix engine's hot loops in WebAssembly SIMD (f64x2): V8 does not vectorise JavaScript loops. Pointers are
;; byte offsets into the one memory. Z[k·rows + i] = Σ_j W[i·cols + j] X[k·cols + j] for K vectors, W packed by the
;; caller once per network in bands of rows (8, then pairs, then one; writePacked in kernel.ts), each band's weights
;; column after column: a band (cols × 64 bytes) stays in L1 while every vector streams past it, read as one
;; contiguous run per column. Tiles of 8 rows × 2 vectors: 8 f64x2 sums, 4 loads of weights and 2 broadcasts of X per
;; column (V8 keeps the 8 sums and 6 operands in registers; larger tiles spill). affine_chain fuses the chain rule
;; into the tangents' write-back. Then σ, σ' of each kernel activation, and the chain rule on its own.
(module
  (memory (export "memory") 1)
${GLOBALS.join("\n")}
${GEMM(fma)}${ELEMENTWISE}${TAPS})
`;
/** The checked-in text (kernel.wat): the module without relaxed SIMD. */
export const WAT = wat(false);

/** The compiled module as the TypeScript file that carries it. */
export async function kernelModuleSource() {
  const wabt = await wabtInit();
  const base64 = (fma) => {
    const parsed = wabt.parseWat("kernel.wat", wat(fma), { simd: true, relaxed_simd: fma });
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    const lines = Buffer.from(buffer)
      .toString("base64")
      .match(/.{1,120}/g)
      .map((l) => `  "${l}"`);
    return [buffer.length, lines.join(" +\n")];
  };
  const [[size, plain], [fmaSize, fused]] = [base64(false), base64(true)];
  return `// GENERATED by scripts/wasm.mjs from kernel.wat: do not edit.
/** The WebAssembly SIMD kernel (${size} bytes), base64. */
export const KERNEL_WASM_BASE64 =
${plain};
/** The same module with the dense products as fused multiply-adds, relaxed SIMD (${fmaSize} bytes), base64. */
export const KERNEL_FMA_WASM_BASE64 =
${fused};
`;
}

export const KERNEL_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "numeric", "engine");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(KERNEL_DIR, "kernel.wat"), WAT);
  writeFileSync(join(KERNEL_DIR, "kernel.wasm.ts"), await kernelModuleSource());
  const size = readFileSync(join(KERNEL_DIR, "kernel.wasm.ts")).length;
  console.log(`wrote ${join(KERNEL_DIR, "kernel.wat")} and kernel.wasm.ts (${size} chars)`);
}
