// The one reader of numeric CSV files on the command line (`eval --points`, `train/plot --data`).
// Rules (also in the commands' help and the README): fields are separated by commas; blank lines and
// lines starting with # are skipped; the first remaining line is a header iff none of its fields
// parses as a number; every other field must be a finite number, else an error names its line and column.
import { formatDiagnostic, spanAt } from "../syntax/diagnostics.js";
import { clip, InputError } from "../syntax/input.js";
import type { IO } from "./io.js";
import { InputFileError } from "./options.js";

/** What the help texts say about the format. */
export const CSV_RULE = "a first line none of whose fields is a number is a header; # lines are comments";

const looksNumeric = (field: string) => field.trim() !== "" && !Number.isNaN(Number(field));

export interface CsvRows {
  rows: number[][];
  /** Offset in the text of each row's first character, and of each of its fields (for later messages). */
  at: number[][];
}

/** The rows of numbers of a CSV text with `columns` fields per row; throws InputFileError. */
export function readNumberCsv(text: string, file: string, columns: number, what: string): CsvRows {
  const fail = (offset: number, length: number, message: string) =>
    new InputFileError(formatDiagnostic({ file, source: text, span: spanAt(text, offset, Math.max(1, length)), message }));
  const rows: number[][] = [],
    at: number[][] = [];
  let offset = 0,
    first = true;
  for (const raw of text.split("\n")) {
    const lineStart = offset;
    offset += raw.length + 1;
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const fields = line.split(",");
    const header = first && !fields.some(looksNumeric);
    first = false;
    if (header) continue;
    const row: number[] = [],
      starts: number[] = [];
    let col = 0;
    for (const field of fields) {
      const v = Number(field),
        shown = clip(field.trim());
      if (!looksNumeric(field)) throw fail(lineStart + col, field.length, `'${shown}' is not a finite number`);
      if (!Number.isFinite(v))
        throw fail(lineStart + col, field.length, `'${shown}' is not a finite number (it is beyond the range of a double)`);
      row.push(v);
      starts.push(lineStart + col);
      col += field.length + 1;
    }
    if (row.length !== columns)
      throw fail(lineStart, line.length, `expected ${what}, found ${row.length} field${row.length === 1 ? "" : "s"}`);
    rows.push(row);
    at.push(starts);
  }
  return { rows, at };
}

/** A located error about one field of a row read by readNumberCsv. */
export function csvFieldError(text: string, file: string, offset: number, message: string): InputFileError {
  const end = text.slice(offset).search(/[,\r\n]|$/);
  return new InputFileError(formatDiagnostic({ file, source: text, span: spanAt(text, offset, Math.max(1, end)), message }));
}

/**
 * Most points one `eval --points` or `distances --points` run reads: held as arrays while they are evaluated, a point
 * costs about 600 bytes at its peak (2·10⁶ points of the paper's toy network: 1.27 GB), so 4·10⁶ stay near the 3 GB
 * a Node process is given by default; a 1 GiB file of short rows (some 8·10⁷ points) ran the process out of memory.
 */
export const MAX_POINTS = 4_000_000;

/** Points from CSV text, `dim` coordinates per line; throws InputFileError (also, before parsing, past MAX_POINTS lines). */
export function parsePointsCsv(text: string, file: string, dim: number): number[][] {
  let lines = 0;
  for (let at = text.indexOf("\n"); at !== -1 && lines <= MAX_POINTS + 1; at = text.indexOf("\n", at + 1)) lines++;
  if (lines > MAX_POINTS + 1) {
    // a header and a last line without its line break aside, every line is a point (comments and blank lines are rare)
    throw new InputFileError(
      `${file}: error: more than ${MAX_POINTS.toLocaleString("en")} lines: more points than one run reads (about 600 bytes ` +
        `of memory each while evaluated); split the file (split -l ${MAX_POINTS} ${file} part-) and run each part`,
    );
  }
  const { rows } = readNumberCsv(text, file, dim, `${dim} coordinates per point`);
  if (rows.length === 0) throw new InputFileError(`${file}: error: no points in file`);
  return rows;
}

/** The points of a CSV file, or null after printing why they cannot be read (exit 1). */
export function readPointsFile(io: IO, path: string, dim: number): number[][] | null {
  try {
    return parsePointsCsv(io.readFile(path, "data"), path, dim);
  } catch (caught) {
    const e = caught as NodeJS.ErrnoException;
    if (e instanceof InputFileError) io.err(`${e.message}\n`);
    else if (e instanceof InputError) io.err(`${path}: error: cannot read: ${e.message}\n`);
    else if (e?.code === "ENOENT") io.err(`${path}: error: cannot read: no such file\n`);
    else throw e;
    return null;
  }
}
