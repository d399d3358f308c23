// rgnn import MODEL.onnx: the network an ONNX model computes, as a spec with its weights beside it.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { importModel, OnnxImportError } from "../../import/model.js";
import { EXIT, type IO } from "../io.js";

/** Write through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, data);
  renameSync(temp, path);
}

export function importCommand(io: IO, file: string, opts: { output?: string }): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    io.err(
      `rgnn import: cannot read '${file}': ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}\n`,
    );
    return EXIT.failure;
  }
  const specPath = opts.output ?? join(dirname(file), `${basename(file, extname(file))}.rgnn`);
  try {
    const m = importModel(bytes, basename(specPath, extname(specPath)), basename(file));
    const weightsPath = join(dirname(specPath), m.weightsFile);
    writeAtomic(weightsPath, m.weights);
    writeAtomic(specPath, m.spec);
    io.out(`wrote ${specPath} (${m.layers} layers) and ${weightsPath}\n`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof OnnxImportError)) throw e;
    io.err(`rgnn import: ${file}: ${e.message}\n`);
    return EXIT.failure;
  }
}
