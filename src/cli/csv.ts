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

/** Whether a line starting with this character code is a row for certain (a digit, sign or point): not blank, not #. */
const startsRow = (c: number) => (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 43;

/** The rows of numbers of a CSV text with `columns` fields per row (`at` left empty without `offsets`); throws InputFileError. */
export function readNumberCsv(text: string, file: string, columns: number, what: string, offsets = true): CsvRows {
  const fail = (offset: number, length: number, message: string) =>
    new InputFileError(formatDiagnostic({ file, source: text, span: spanAt(text, offset, Math.max(1, length)), message }));
  const rows: number[][] = [],
    at: number[][] = [];
  let first = true;
  for (let lineStart = 0; lineStart <= text.length; ) {
    let end = text.indexOf("\n", lineStart);
    if (end === -1) end = text.length;
    const start = lineStart;
    lineStart = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // \r\n
    const line = text.slice(start, end);
    if (!startsRow(line.charCodeAt(0)) && (line.trim() === "" || line.trimStart().startsWith("#"))) continue;
    const fields = line.split(",");
    const header = first && !fields.some(looksNumeric);
    first = false;
    if (header) continue;
    const row = new Array<number>(fields.length),
      starts = offsets ? new Array<number>(fields.length) : null;
    let col = 0;
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f],
        v = Number(field);
      // Number("") and Number(" ") are 0: a blank field is no number
      if (!Number.isFinite(v) || (v === 0 && field.trim() === "")) {
        const shown = clip(field.trim());
        if (!looksNumeric(field)) throw fail(start + col, field.length, `'${shown}' is not a finite number`);
        throw fail(start + col, field.length, `'${shown}' is not a finite number (it is beyond the range of a double)`);
      }
      row[f] = v;
      if (starts) starts[f] = start + col;
      col += field.length + 1;
    }
    if (row.length !== columns) throw fail(start, line.length, `expected ${what}, found ${row.length} field${row.length === 1 ? "" : "s"}`);
    rows.push(row);
    if (starts) at.push(starts);
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

/**
 * Refuse CSV text of more than `max` rows (a header aside) by counting its lines, before a number is parsed: every
 * line is a row but the header, comments and blank lines, which are rare. `why` says what a row costs, `instead` what
 * to do (by default: split the file and run each part).
 */
export function assertRowCount(text: string, file: string, max: number, why: string, instead?: string): void {
  let lines = 0;
  for (let at = text.indexOf("\n"); at !== -1 && lines <= max + 1; at = text.indexOf("\n", at + 1)) lines++;
  if (lines > max + 1)
    throw new InputFileError(
      `${file}: error: more than ${max.toLocaleString("en")} lines: ${why}; ` +
        (instead ?? `split the file (split -l ${max} ${file} part-) and run each part`),
    );
}

/** Points from CSV text, `dim` coordinates per line; throws InputFileError (also, before parsing, past MAX_POINTS lines). */
export function parsePointsCsv(text: string, file: string, dim: number): number[][] {
  assertRowCount(text, file, MAX_POINTS, "more points than one run reads (about 600 bytes of memory each while evaluated)");
  const { rows } = readNumberCsv(text, file, dim, `${dim} coordinates per point`, false);
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
