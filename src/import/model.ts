// An ONNX model as what `rgnn import` writes: the spec text and its weights as safetensors bytes, for the caller to write.
import { importedSpec, importedWeights, importOnnx } from "./onnx.js";

export { OnnxImportError } from "./onnx.js";

export interface ImportedModel {
  /** The spec: a manifold, the network (reading its weights from `weightsFile`) and its pulled-back metric. */
  spec: string;
  /** The weights as safetensors, named as the spec's layers read them (W1, b1, …, a shared h). */
  weights: Uint8Array;
  /** `NAME.safetensors`: the file the spec reads the weights from, to be written beside it. */
  weightsFile: string;
  layers: number;
  /** What the import folded without changing the function ("layer 1: BatchNormalization … folded into W and b: …"). */
  notes: string[];
}

/**
 * The network an ONNX model computes, as a spec `NAME.rgnn` and its weights `NAME.safetensors`; `source` is the
 * model's file name for the spec's header comment (default NAME.onnx). Throws `OnnxImportError` for a model or
 * operator rgnn cannot read.
 * @example
 * const m = importModel(readFileSync("mlp.onnx"), "mlp");
 * writeFileSync("mlp.rgnn", m.spec); writeFileSync(m.weightsFile, m.weights);
 */
export function importModel(bytes: Uint8Array, name: string, source = `${name}.onnx`): ImportedModel {
  const net = importOnnx(bytes);
  const weightsFile = `${name}.safetensors`;
  return {
    spec: importedSpec(net, weightsFile, source),
    weights: importedWeights(net),
    weightsFile,
    layers: net.layers.length,
    notes: net.notes,
  };
}
