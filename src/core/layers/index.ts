// The layer kinds of the language, one module each; this table is the only list of them.
import { avgpool } from "./avgpool.js";
import { conv } from "./conv.js";
import { convTranspose } from "./conv-transpose.js";
import { dense } from "./dense.js";
import { layerNorm } from "./layer-norm.js";
import { logSoftmax } from "./log-softmax.js";
import { maxpool } from "./maxpool.js";
import { MAX_MULTISTEP, MULTISTEP_SYNTAX, multistepKind } from "./multistep.js";
import { MAX_ORDER, ORDER_SYNTAX, orderKind } from "./order.js";
import { residual } from "./residual.js";
import { secondOrder } from "./second-order.js";
import { MAX_SKIP, skipKind } from "./skip.js";
import { softmax } from "./softmax.js";
import { upsample } from "./upsample.js";
import { upsampleLinear } from "./upsample-linear.js";
import type { LayerKindDef, LayerSyntax } from "./types.js";

/** The order-k family for k ≥ 3 (`order k` in specs; `order 1` is residual, `order 2` second_order). */
export type OrderKind = `order_${number}`;
/** The accurate one-activation family for k = 3 … MAX_MULTISTEP (`multistep k`; k = 1, 2 are residual, second_order). */
export type MultistepKind = `multistep_${number}`;
/** The last layer of a `skip { … }` block of k layers (k = 1 … MAX_SKIP): dense, plus the state x_{l−k}. */
export type SkipKind = `skip_${number}`;
export type LayerKind =
  | "dense"
  | "residual"
  | "second_order"
  | "softmax"
  | "log_softmax"
  | "layer_norm"
  | "conv"
  | "conv_transpose"
  | "upsample"
  | "avgpool"
  | "maxpool"
  | "upsample_linear"
  | OrderKind
  | MultistepKind
  | SkipKind;

const FIXED = {
  dense,
  residual,
  second_order: secondOrder,
  softmax,
  log_softmax: logSoftmax,
  layer_norm: layerNorm,
  conv,
  conv_transpose: convTranspose,
  upsample,
  avgpool,
  maxpool,
  upsample_linear: upsampleLinear,
} satisfies Record<Exclude<LayerKind, OrderKind | MultistepKind | SkipKind>, LayerKindDef>;

/** The most earlier states any layer reads (x_{l−1} … x_{l−MAX_READS}): the end of a skip block of MAX_SKIP layers. */
export const MAX_READS = Math.max(MAX_ORDER, 2 * MAX_MULTISTEP - 1, MAX_SKIP);

/** The kind `order k` names (k a whole number from 1 to MAX_ORDER), or null. */
export function orderKindName(k: number): LayerKind | null {
  if (!Number.isInteger(k) || k < 1 || k > MAX_ORDER) return null;
  return k === 1 ? "residual" : k === 2 ? "second_order" : `order_${k}`;
}

/** The kind `multistep k` names (k a whole number from 1 to MAX_MULTISTEP), or null. */
export function multistepKindName(k: number): LayerKind | null {
  if (!Number.isInteger(k) || k < 1 || k > MAX_MULTISTEP) return null;
  return k === 1 ? "residual" : k === 2 ? "second_order" : `multistep_${k}`;
}

/** The fixed kinds as they are; order_k and multistep_k looked up in their families (an infinite table, so read through a proxy: its keys
 *  enumerate the fixed kinds only). Lookups of kinds that do not exist give undefined, as in any table. */
export const LAYER_KINDS: Record<LayerKind, LayerKindDef> = new Proxy(FIXED as Record<LayerKind, LayerKindDef>, {
  get(target, key, receiver) {
    if (typeof key === "string" && !(key in target)) {
      const m = /^(order|multistep|skip)_(\d+)$/.exec(key);
      const k = m ? Number(m[2]) : NaN;
      if (m?.[1] === "multistep") return multistepKind(k) ?? undefined;
      if (m?.[1] === "skip") return skipKind(k) ?? undefined;
      return k >= 3 && k <= MAX_ORDER ? orderKind(k) : undefined;
    }
    return Reflect.get(target, key, receiver);
  },
});

/** Words written among the layers that give the state a shape, channels × height × width (`reshape with shape =
 *  [8, 4, 4]`), or make it a vector again (`flatten`). Both are the identity on the numbers, so they are no layer of
 *  the network: the semantics stage records the shape on the layers that read it. */
export type ShapeStep = "reshape" | "flatten";
export const SHAPE_STEPS: Record<ShapeStep, { syntax: LayerSyntax; params: readonly string[] }> = {
  reshape: { syntax: { word: "reshape", number: "none", activation: false }, params: ["shape"] },
  flatten: { syntax: { word: "flatten", number: "none", activation: false }, params: [] },
};

export const isShapeStep = (k: LayerKind | ShapeStep): k is ShapeStep => k in SHAPE_STEPS;

/** Whether a layer word's kind (or shape step) takes `with …` (options count; a kind that does not exist is left to
 *  the semantics stage). */
export const takesParameters = (k: LayerKind | ShapeStep): boolean =>
  isShapeStep(k)
    ? SHAPE_STEPS[k].params.length > 0
    : LAYER_KINDS[k] === undefined || LAYER_KINDS[k].params.length > 0 || LAYER_KINDS[k].shaped !== undefined; // unknown: semantics says

/** A word that opens a layer in a spec: how the layer is written, and the kind it names (a family's word: the kind
 *  its number picks; `order_k` for a k out of range, which semantics rejects; a shape step's word: the step). */
export interface LayerWord {
  syntax: LayerSyntax;
  kind(argument: number | undefined): LayerKind | ShapeStep;
  /** Which numbers a family's word takes, for the message about one it does not. */
  argumentNote?: string;
}

/** Every layer word, from the kinds themselves: the grammar, the lexer's reserved words and the editors read this. */
export const LAYER_WORDS: ReadonlyMap<string, LayerWord> = new Map<string, LayerWord>([
  ...Object.values(FIXED).map((def): [string, LayerWord] => [def.syntax.word, { syntax: def.syntax, kind: () => def.keyword }]),
  ...(Object.keys(SHAPE_STEPS) as ShapeStep[]).map((step): [string, LayerWord] => [
    SHAPE_STEPS[step].syntax.word,
    { syntax: SHAPE_STEPS[step].syntax, kind: () => step },
  ]),
  [
    ORDER_SYNTAX.word,
    {
      syntax: ORDER_SYNTAX,
      kind: (k = NaN) => orderKindName(k) ?? `order_${k}`,
      argumentNote: `the order k of an 'order k' layer is a whole number from 1 to ${MAX_ORDER}`,
    },
  ],
  [
    MULTISTEP_SYNTAX.word,
    {
      syntax: MULTISTEP_SYNTAX,
      kind: (k = NaN) => multistepKindName(k) ?? `multistep_${k}`,
      argumentNote: `the order k of a 'multistep k' layer is a whole number from 1 to ${MAX_MULTISTEP} (from 7 on it is not zero-stable)`,
    },
  ],
]);

export { MAX_ORDER } from "./order.js";
export { MAX_SKIP, skipKind } from "./skip.js";
export type * from "./types.js";
export type * from "./shape.js";
