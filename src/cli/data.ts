// Data for training and plots: a generated toy set (--data spirals) or a CSV file (x,y,label).
import { type Dataset, dataset, DATASETS, type DatasetName } from "../api/data.js";
import { assertRowCount, csvFieldError, readNumberCsv } from "./csv.js";
import { InputError } from "../syntax/input.js";
import type { IO } from "./io.js";
import { UsageError } from "./io.js";

/** Most points of a data set, generated (--points) or read from a CSV file. */
const MAX_DATA_POINTS = 1_000_000;
import { InputFileError } from "./options.js";

export interface DataOptions {
  data?: string;
  points?: string;
  noise?: string;
  dataSeed?: string;
}

/**
 * `seedOption` is how the seed was given on this command line (`rgnn data` calls it --seed). A CSV's labels are 0 or 1
 * (training's two classes) unless `anyClasses` (plot): then any whole numbers, one class each.
 */
export function loadData(io: IO, opts: DataOptions, seedOption = "--data-seed", anyClasses = false): Dataset {
  const name = opts.data;
  if (!name) throw new UsageError(`--data is required: one of ${DATASETS.join(", ")}, or a CSV file of x,y,label`);
  if ((DATASETS as readonly string[]).includes(name)) {
    const points = opts.points === undefined ? 400 : Number(opts.points);
    const noise = opts.noise === undefined ? undefined : Number(opts.noise);
    const seed = opts.dataSeed === undefined ? 7 : Number(opts.dataSeed);
    if (!Number.isInteger(points) || points < 4 || points > MAX_DATA_POINTS)
      throw new UsageError(`--points must be a whole number from 4 to 1000000, not '${opts.points}'`);
    if (noise !== undefined && !(noise >= 0 && noise < 10)) throw new UsageError(`--noise must be a number ≥ 0, not '${opts.noise}'`);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`${seedOption} must be a whole number ≥ 0, not '${opts.dataSeed}'`);
    return dataset(name as DatasetName, { points, noise, seed });
  }
  if (!name.endsWith(".csv")) throw new UsageError(`--data must be one of ${DATASETS.join(", ")}, or a .csv file`);
  let text: string;
  try {
    text = io.readFile(name, "data");
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException;
    throw new InputFileError(
      `${name}: error: cannot read: ` +
        `${e instanceof InputError ? e.message : e?.code === "ENOENT" ? "no such file" : String(e?.message ?? e)}`,
    );
  }
  assertRowCount(
    text,
    name,
    MAX_DATA_POINTS,
    "more points than a data set has (a generated one too: --points at most 1,000,000)",
    `use a sample of them (e.g. shuf -n ${MAX_DATA_POINTS} ${name} > sample.csv)`,
  );
  const { rows, at } = readNumberCsv(text, name, 3, "3 fields (x,y,label)");
  rows.forEach((r, i) => {
    if (anyClasses) {
      if (!Number.isInteger(r[2]) || Math.abs(r[2]) > 2 ** 31 - 1)
        throw csvFieldError(text, name, at[i][2], `the label must be a whole number (a class), not ${r[2]}`);
    } else if (r[2] !== 0 && r[2] !== 1) throw csvFieldError(text, name, at[i][2], `the label must be 0 or 1, not ${r[2]}`);
  });
  if (rows.length < 2) throw new InputFileError(`${name}: error: fewer than two points`);
  return { name, x: Float64Array.from(rows.flatMap((r) => [r[0], r[1]])), y: Int32Array.from(rows.map((r) => r[2])), count: rows.length };
}
