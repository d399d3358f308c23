// Text layout shared by commands: numbers, aligned matrices, JSON.
import { rounded } from "../core/numbers.js";

export const fmt = (v: number) => (Number.isInteger(v) ? String(v) : rounded(v, 12));

/** Rows of strings as an aligned bracketed matrix, prefixed by `label = `. */
export function matrixText(label: string, rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const pad = " ".repeat(label.length + 3);
  return rows.map((r, i) => `${i === 0 ? `${label} = ` : pad}[ ${r.map((c, j) => c.padEnd(widths[j])).join("  ")} ]`).join("\n");
}

export const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
