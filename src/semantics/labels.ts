// How a layer is named in listings, matrix forms, hovers, figures and exports: its kind's label and activation. A
// `skip { … }` block that ends in a convolution has the kind skip_k; it is named by the convolution it was written as.
import { LAYER_KINDS } from "../core/layers/index.js";
import type { Layer } from "./model.js";

/** "dense tanh", "end of skip 2: conv relu" (form text), or the figures' shorter "conv + skip 2 relu" (form short). */
export function layerLabel(layer: Pick<Layer, "kind" | "activation" | "shaped">, form: "text" | "short" = "text"): string {
  const own = LAYER_KINDS[layer.kind],
    written = layer.shaped && layer.shaped.kind !== layer.kind ? LAYER_KINDS[layer.shaped.kind].labels : null;
  const name = !written
    ? own.labels[form]
    : form === "text"
      ? `end of skip ${own.reads}: ${written.text}`
      : `${written.short} + skip ${own.reads}`; // the activation follows, as in "dense + skip 2 tanh"
  return own.labels.activation ? `${name} ${layer.activation}` : name;
}
