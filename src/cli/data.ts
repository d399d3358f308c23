// Data for training and plots: a generated toy set (--data spirals) or a CSV file (x,y,label).
import { type Dataset, DATASETS, type DatasetName, generate } from "../numeric/data.js";
import { formatDiagnostic, spanAt } from "../syntax/diagnostics.js";
import { InputError } from "../syntax/input.js";
import type { IO } from "./io.js";
import { UsageError } from "./io.js";
import { InputFileError } from "./options.js";

export interface DataOptions {
  data?: string;
  points?: string;
  noise?: string;
  dataSeed?: string;
}

export function loadData(io: IO, opts: DataOptions): Dataset {
  const name = opts.data;
  if (!name) throw new UsageError(`--data is required: one of ${DATASETS.join(", ")}, or a CSV file of x,y,label`);
  if ((DATASETS as readonly string[]).includes(name)) {
    const points = opts.points === undefined ? 400 : Number(opts.points);
    const noise = opts.noise === undefined ? undefined : Number(opts.noise);
    const seed = opts.dataSeed === undefined ? 7 : Number(opts.dataSeed);
    if (!Number.isInteger(points) || points < 4 || points > 1_000_000)
      throw new UsageError(`--points must be a whole number from 4 to 1000000, not '${opts.points}'`);
    if (noise !== undefined && !(noise >= 0 && noise < 10)) throw new UsageError(`--noise must be a number ≥ 0, not '${opts.noise}'`);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--data-seed must be a whole number ≥ 0`);
    return generate(name as DatasetName, { points, noise, seed });
  }
  if (!name.endsWith(".csv")) throw new UsageError(`--data must be one of ${DATASETS.join(", ")}, or a .csv file`);
  let text: string;
  try {
    text = io.readFile(name, "data");
  } catch (e: any) {
    throw new InputFileError(
      `${name}: error: cannot read: ${e instanceof InputError ? e.message : e?.code === "ENOENT" ? "no such file" : String(e?.message ?? e)}`,
    );
  }
  const xs: number[] = [],
    ys: number[] = [];
  let offset = 0;
  text.split("\n").forEach((raw, li) => {
    const at = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, "").trim();
    if (!line || line.startsWith("#") || (li === 0 && /[a-df-zA-DF-Z]/.test(line))) return;
    const cells = line.split(",").map(Number);
    if (cells.length !== 3 || !cells.every(Number.isFinite) || !(cells[2] === 0 || cells[2] === 1)) {
      throw new InputFileError(
        formatDiagnostic({
          file: name,
          source: text,
          span: spanAt(text, at, Math.max(1, raw.length)),
          message: "expected x,y,label with finite numbers and label 0 or 1",
        }),
      );
    }
    xs.push(cells[0], cells[1]);
    ys.push(cells[2]);
  });
  if (ys.length < 2) throw new InputFileError(`${name}: error: fewer than two points`);
  return { name, x: Float64Array.from(xs), y: Int32Array.from(ys), count: ys.length };
}
