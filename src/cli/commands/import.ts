// rgnn import MODEL.onnx: the network an ONNX model computes, as a spec with its weights beside it.
import { basename, dirname, extname, join } from "node:path";
import { importModel, OnnxImportError } from "../../import/model.js";
import { InputError, readInput } from "../../syntax/input.js";
import { EXIT, type IO } from "../io.js";
import { checkOutputs, writeOutputs } from "../output.js";

export function importCommand(io: IO, file: string, opts: { output?: string }): number {
  const specPath = opts.output ?? join(dirname(file), `${basename(file, extname(file))}.rgnn`);
  const weightsName = `${basename(specPath, extname(specPath))}.safetensors`;
  const weightsPath = join(dirname(specPath), weightsName);
  // neither output may be the model or the other output: refused before the model is read
  checkOutputs([specPath, weightsPath], [file]);
  let bytes: Uint8Array;
  try {
    // the one reader: regular files only (a FIFO or /dev/zero would hang), within the size limit
    bytes = readInput(file, "weights");
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    io.err(`rgnn import: cannot read '${file}': ${e.message}\n`);
    return EXIT.failure;
  }
  try {
    const m = importModel(bytes, basename(specPath, extname(specPath)), basename(file));
    // as a set: a failure leaves the old spec beside its old weights
    writeOutputs(
      [
        { path: weightsPath, data: m.weights },
        { path: specPath, data: m.spec },
      ],
      [file],
    );
    io.out(`wrote ${specPath} (${m.layers} layers) and ${weightsPath}\n`);
    for (const note of m.notes) io.out(`${note}\n`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof OnnxImportError)) throw e;
    io.err(`rgnn import: ${file}: ${e.message}\n`);
    return EXIT.failure;
  }
}
