// The CSV writers' number formatter (src/cli/csv-rows.ts, WebAssembly from scripts/dtoa.mjs): every double exactly as
// String(x) writes it — the shortest decimal that reads back as the same double — on the hard cases (subnormals, the
// ends of the range, powers of two, where the plain and exponent layouts meet, halfway digits) and on a million
// random bit patterns; the text reads back bit for bit; tables come out as rows.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvNumber, csvRows } from "../../src/cli/csv-rows.js";

const bits = new DataView(new ArrayBuffer(8));
const fromBits = (hi: number, lo: number) => {
  bits.setUint32(0, hi);
  bits.setUint32(4, lo);
  return bits.getFloat64(0);
};
const bitsOf = (x: number) => {
  bits.setFloat64(0, x);
  return bits.getBigUint64(0);
};

/** Doubles where a shortest-digits algorithm goes wrong first. */
function hardDoubles(): number[] {
  const xs = [0, -0, 1, -1, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, 5e-324, -5e-324, 1e-323, 1.7976931348623157e308, -1.7976931348623157e308];
  xs.push(2.2250738585072014e-308, 2.225073858507201e-308, 4.9406564584124654e-324, 2 ** -1022, 2 ** -1022 - 2 ** -1074);
  xs.push(9007199254740991, 9007199254740992, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 123456789, -42, 1e15, 1e16, 1e17);
  xs.push(1e21, 1e21 - 65536, 2 ** 69 + 2 ** 17, 1e-7, 1e-6, 1.5e-7, 1e-6 * (1 - 2 ** -53), 0.000001, 1e20, 1e22, 1e23);
  xs.push(5e-310, 9.5367431640625e-7, 4.35, 2.5, 0.5, 1.0000000000000002, 0.9999999999999999, 1e308, 1e-308, 8.41e21);
  xs.push(Number.EPSILON, Number.MAX_SAFE_INTEGER, Math.PI, Math.E, 299792458, 6.02214076e23, 1.602176634e-19);
  // every power of two, and the doubles either side (the power itself has the narrower interval below)
  for (let e = -1074; e <= 1023; e++) xs.push(2 ** e, 2 ** e * (1 + 2 ** -52), 2 ** e * (1 - 2 ** -53), 2 ** e * 1.5);
  // subnormals c · 2^-1074 with few digits, and the last ones
  for (let c = 1; c <= 2000; c++) xs.push(c * 5e-324, fromBits(0x000fffff, 0xffffffff - c));
  // d·10^p and d.5·10^p across the whole range: the decimal boundaries of the layouts
  for (let p = -325; p <= 309; p++)
    for (let d = 1; d <= 9; d++) xs.push(Number(`${d}e${p}`), Number(`${d}.5e${p}`), Number(`${d}.99999999999999999e${p}`));
  return xs.flatMap((x) => [x, -x]);
}

/** A xorshift stream of 32-bit words (seeded: the same doubles every run). */
function words(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe("csvNumber: a double as String(x) writes it", () => {
  it("on the hard cases, NaN and the infinities", () => {
    const wrong = hardDoubles().filter((x) => csvNumber(x) !== String(x));
    expect(wrong.map((x) => [x, csvNumber(x)])).toEqual([]);
    expect([NaN, Infinity, -Infinity, -0, 5e-324, 1e21, 1e-7, 123e-20].map(csvNumber)).toEqual([
      "NaN",
      "Infinity",
      "-Infinity",
      "0",
      "5e-324",
      "1e+21",
      "1e-7",
      "1.23e-18",
    ]);
  });

  it("reads back as the same double (bit for bit, -0 as 0) and has no fewer digits to spare", () => {
    for (const x of hardDoubles()) {
      const text = csvNumber(x);
      expect(bitsOf(Number(text))).toBe(bitsOf(x === 0 ? 0 : x));
      // k significant digits, and the nearest decimal of k − 1 digits is another double (the interval of decimals that
      // read back as x is symmetric about it but at powers of two, where the nearer one may fall short)
      const k = text
        .replace(/e.*$/, "")
        .replace(/[-.]/g, "")
        .replace(/^0+|0+$/g, "").length;
      if (k > 1 && Number.isFinite(x) && Math.log2(Math.abs(x)) % 1 !== 0) expect(Number(x.toPrecision(k - 1))).not.toBe(x);
    }
  });

  it("on a million random bit patterns and random numbers of every size", () => {
    const next = words(2463534242);
    let wrong = 0;
    const first: number[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const x = i % 2 ? fromBits(next(), next()) : (next() / 2 ** 32 - 0.5) * 10 ** ((next() % 40) - 20);
      if (csvNumber(x) !== String(x)) {
        wrong++;
        if (first.length < 5) first.push(x);
      }
    }
    expect({ wrong, first }).toEqual({ wrong: 0, first: [] });
  });
});

describe("csvRows: a table as CSV rows", () => {
  it("separates a row's numbers by commas and ends every row with a newline", () => {
    const table = new Float64Array([0.1, -2, 5e-324, 1 / 3, 1e21, NaN]);
    expect(csvRows(table, 3).toString("latin1")).toBe("0.1,-2,5e-324\n0.3333333333333333,1e+21,NaN\n");
    expect(csvRows(table, 6).toString("latin1")).toBe("0.1,-2,5e-324,0.3333333333333333,1e+21,NaN\n");
    expect(csvRows(new Float64Array(0), 4).length).toBe(0);
    expect(() => csvRows(table, 4)).toThrow("6 values are not rows of 4");
  });

  it("writes a large table as String(x) joins it (the memory grows and is reused)", () => {
    const next = words(88172645);
    for (const rows of [20_000, 3]) {
      const table = Float64Array.from({ length: rows * 7 }, () => fromBits(next(), next()));
      const want = Array.from({ length: rows }, (_, r) => `${Array.from(table.subarray(r * 7, r * 7 + 7)).join(",")}\n`).join("");
      expect(csvRows(table, 7).toString("latin1")).toBe(want);
    }
  });

  it("is the module scripts/dtoa.mjs builds", async () => {
    // @ts-expect-error: a build script in plain JavaScript
    const { WAT, dtoaModuleSource } = await import("../../scripts/dtoa.mjs");
    const dir = join(import.meta.dirname, "../../src/cli");
    expect(readFileSync(join(dir, "dtoa.wat"), "utf8")).toBe(WAT);
    expect(readFileSync(join(dir, "dtoa.wasm.ts"), "utf8")).toBe(await dtoaModuleSource());
  });
});
