// The one writer of numeric CSV rows (`eval`, `geometry` and `metric --points`): a table of doubles as text, each number
// exactly as JavaScript's String(x) writes it (the shortest decimal that reads back as the same double; NaN, Infinity,
// -Infinity; -0 as 0), "," between the numbers of a row and "\n" after its last. The digits come from a WebAssembly
// module (dtoa.wat, built by scripts/dtoa.mjs, `npm run dtoa`) that writes a whole table into its memory in one call:
// about a third of String(x)'s time, with no string per number for the collector (test/cli/csv-rows.test.ts holds it
// to String(x) on millions of doubles).
import { DTOA_WASM_BASE64 } from "./dtoa.wasm.js";

interface Dtoa {
  memory: WebAssembly.Memory;
  heap: WebAssembly.Global;
  /** count doubles at src as rows of cols numbers at dst; returns the end of the text. */
  rows(src: number, count: number, cols: number, dst: number): number;
  /** x at p; returns the end of its text. */
  number(x: number, p: number): number;
}

/** Bytes one number may take with its separator ("-0.0000012345678901234567," is 26). */
const MAX_BYTES = 26;

let instance: Dtoa | undefined;
const dtoa = (): Dtoa =>
  (instance ??= new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(DTOA_WASM_BASE64, "base64")), {}).exports as unknown as Dtoa);

/** The formatter's memory grown to hold `bytes` from its heap on; the heap's offset. */
function reserve(d: Dtoa, bytes: number): number {
  const heap = d.heap.value as number,
    pages = Math.ceil((heap + bytes) / 65536) - d.memory.buffer.byteLength / 65536;
  if (pages > 0) d.memory.grow(pages);
  return heap;
}

/** `values` (rows × columns, row after row) as CSV rows: ASCII bytes, every row ended by "\n". */
export function csvRows(values: Float64Array, columns: number): Buffer {
  if (values.length % columns !== 0) throw new Error(`csvRows: ${values.length} values are not rows of ${columns}`);
  const d = dtoa(),
    src = reserve(d, values.length * (8 + MAX_BYTES));
  new Float64Array(d.memory.buffer, src, values.length).set(values);
  const dst = src + values.length * 8,
    end = d.rows(src, values.length, columns, dst);
  return Buffer.from(new Uint8Array(d.memory.buffer, dst, end - dst)); // a copy: the memory is reused
}

/** One number as csvRows writes it (String(x)). */
export function csvNumber(x: number): string {
  const d = dtoa(),
    p = reserve(d, MAX_BYTES);
  return Buffer.from(d.memory.buffer, p, d.number(x, p) - p).toString("latin1");
}
