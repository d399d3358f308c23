// The layer kinds of the language, one module each; this table is the only list of them.
import { dense } from "./dense.js";
import { residual } from "./residual.js";
import { secondOrder } from "./second-order.js";
import { softmax } from "./softmax.js";
import type { LayerKindDef } from "./types.js";

export type LayerKind = "dense" | "residual" | "second_order" | "softmax";

export const LAYER_KINDS: Record<LayerKind, LayerKindDef> = {
  dense,
  residual,
  second_order: secondOrder,
  softmax,
};

export type * from "./types.js";
