// Arrays on the wire of `rgnn serve`: { dtype: "float64", shape, data } with data the base64 of the little-endian
// float64 values in row-major order — what numpy.frombuffer reads and tobytes writes, exact to the last bit and about
// a third the size of decimal text.
import { EXIT, RgnnError } from "../core/errors.js";

export interface WireArray {
  dtype: "float64";
  shape: number[];
  data: string;
}

/** A request that cannot be served as asked: a missing or malformed parameter. */
export class RequestError extends RgnnError {
  readonly exitCode = EXIT.failure;
}

/** Most points in one request: a metric's answer keeps its eigenvalues, rank and type per point (≈ 0.5 kB each). */
export const MAX_REQUEST_POINTS = 1_000_000;

/** Nested arrays of numbers (equal lengths at each depth) as a wire array; `shape` when it cannot be read off (empty). */
export function toWire(nested: unknown, shape?: number[]): WireArray {
  const dims: number[] = [];
  for (let v = nested; Array.isArray(v); v = v[0]) dims.push(v.length);
  const flat = (dims.length ? (nested as unknown[]).flat(Number.POSITIVE_INFINITY) : [nested]) as number[];
  const values = Float64Array.from(flat);
  return { dtype: "float64", shape: shape ?? dims, data: Buffer.from(values.buffer).toString("base64") };
}

/** A wire array's values and shape; RequestError unless it is float64 of as many values as its shape says. */
export function fromWire(w: unknown): { values: Float64Array; shape: number[] } {
  const a = w as Partial<WireArray>;
  if (a?.dtype !== "float64" || !Array.isArray(a.shape) || typeof a.data !== "string")
    throw new RequestError("an array must be { dtype: 'float64', shape: [...], data: base64 }");
  if (!a.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RequestError("an array's shape must be non-negative integers");
  const bytes = Buffer.from(a.data, "base64");
  const count = a.shape.reduce((k, d) => k * d, 1);
  if (bytes.length !== count * 8)
    throw new RequestError(`an array of shape [${a.shape.join(", ")}] needs ${count * 8} bytes, not ${bytes.length}`);
  const values = new Float64Array(count);
  new Uint8Array(values.buffer).set(bytes);
  return { values, shape: a.shape };
}

/**
 * Points of a chart as rows: a wire array of shape [N, n] (or [n]: one point), or nested lists of numbers; all finite,
 * each with the chart's n coordinates (`chart` names them in the message).
 */
export function pointsOf(v: unknown, chart: { dim: number; name: string; coords: readonly string[] }, what = "points"): number[][] {
  const declared = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Partial<WireArray>).shape : undefined;
  const count = Array.isArray(v)
    ? Array.isArray(v[0])
      ? v.length
      : 1
    : Array.isArray(declared) && declared.length === 2
      ? Number(declared[0])
      : 1;
  if (count > MAX_REQUEST_POINTS)
    throw new RequestError(
      `${count.toLocaleString("en")} ${what} in one request: more than the ${MAX_REQUEST_POINTS.toLocaleString("en")} a request ` +
        "takes (each answer holds per-point values); send them in blocks (numpy.array_split), " +
        "or as a dask array, which goes block by block",
    );
  let rows: number[][];
  if (Array.isArray(v)) rows = (v.length && !Array.isArray(v[0]) ? [v] : v) as number[][];
  else {
    const { values, shape } = fromWire(v);
    if (shape.length !== 1 && shape.length !== 2)
      throw new RequestError(`${what} must have shape [N, n] or [n], not [${shape.join(", ")}]`);
    const n = shape.at(-1)!;
    rows = Array.from({ length: shape.length === 1 ? 1 : shape[0] }, (_, i) => Array.from(values.subarray(i * n, (i + 1) * n)));
  }
  for (const r of rows)
    if (!Array.isArray(r) || !r.every((x) => typeof x === "number" && Number.isFinite(x)))
      throw new RequestError(`${what} must be rows of finite numbers`);
  const bad = rows.find((r) => r.length !== chart.dim);
  if (bad)
    throw new RequestError(`${what} must have ${chart.dim} coordinates (${chart.coords.join(", ")}) of ${chart.name}, not ${bad.length}`);
  return rows;
}
