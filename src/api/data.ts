// The toy data sets of the paper's kind, apart from training and plotting so that `rgnn data` loads neither.
import { type Dataset, DATASETS, type DatasetName, generate } from "../numeric/data.js";
import { LookupError } from "./errors.js";

export { type Dataset, DATASETS, type DatasetName, toCsv as datasetCsv } from "../numeric/data.js";

/**
 * A toy data set of two classes in about [-1, 1]², generated from a seed (400 points and seed 7 unless given).
 * @example
 * const d = dataset("moons", { points: 100 }); // d.x: 200 coordinates, d.y: 100 labels 0 or 1
 */
export function dataset(name: DatasetName, options: { points?: number; noise?: number; seed?: number } = {}): Dataset {
  if (!(DATASETS as readonly string[]).includes(name)) {
    throw new LookupError(`the data set must be one of ${DATASETS.join(", ")}, not '${name}'`);
  }
  return generate(name, { points: options.points ?? 400, noise: options.noise, seed: options.seed ?? 7 });
}
