// A small SVG writer for paper-style figures: panels with axes, ticks and titles; no DOM needed.
import { rounded } from "../../core/numbers.js";

export const FONT = "'DejaVu Sans', Verdana, sans-serif";
export const CLASS_COLORS = ["#1f5fa8", "#c8322c"];
/**
 * The palette for more than two classes: Tableau 10 (matplotlib's default cycle), distinct in print and, but for
 * red–green pairs, for most readers with a colour-vision deficiency; classes past ten take evenly spread hues.
 */
export const CATEGORICAL_COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The colour of the k-th of n classes (k from 0, in the order of the sorted labels). */
export function classColour(k: number, n: number): string {
  if (n <= 2) return CLASS_COLORS[k];
  if (k < CATEGORICAL_COLORS.length) return CATEGORICAL_COLORS[k];
  return `hsl(${Math.round((k * 137.508) % 360)},65%,42%)`;
}

/** A text's box on the canvas, estimated from DejaVu Sans's advance widths: what the layout tests check. */
export interface TextBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  text: string;
}

/** An estimate of a string's advance width in DejaVu Sans at size 1 (em units), erring wide. */
export function textWidth(s: string, bold = false): number {
  let w = 0;
  for (const c of s) {
    if (/[ il.,:;'|!ıj]/.test(c)) w += 0.32;
    else if (/[ftrI()[\]1-]/.test(c)) w += 0.45;
    else if (/[mwMW—…]/.test(c)) w += 0.95;
    else if (/[A-Z√→–]/.test(c)) w += 0.75;
    else if (/[₀-₉ᵢ₊₋]/.test(c)) w += 0.42;
    else w += 0.64;
  }
  return bold ? w * 1.1 : w;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
const f = (x: number) => (Math.round(x * 100) / 100).toString();

export class Svg {
  private readonly parts: string[] = [];
  /** Every text drawn, as the box it covers (rotated texts as rotated): the layout tests' input. */
  readonly textBoxes: TextBox[] = [];
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
  add(raw: string): this {
    this.parts.push(raw);
    return this;
  }
  rect(x: number, y: number, w: number, h: number, fill: string, extra = ""): this {
    return this.add(`<rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" fill="${fill}"${extra}/>`);
  }
  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, extra = ""): this {
    return this.add(`<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${stroke}" stroke-width="${width}"${extra}/>`);
  }
  path(points: [number, number][], stroke: string, width = 1, extra = ""): this {
    if (points.length < 2) return this;
    return this.add(
      `<path d="M${points.map(([x, y]) => `${f(x)},${f(y)}`).join("L")}" fill="none" stroke="${stroke}" ` +
        `stroke-width="${width}" stroke-linejoin="round"${extra}/>`,
    );
  }
  circle(x: number, y: number, r: number, fill: string, extra = ""): this {
    return this.add(`<circle cx="${f(x)}" cy="${f(y)}" r="${r}" fill="${fill}"${extra}/>`);
  }
  ellipse(x: number, y: number, rx: number, ry: number, angleDeg: number, stroke: string, fill = "none", width = 1): this {
    return this.add(
      `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(rx)}" ry="${f(ry)}" transform="rotate(${f(angleDeg)} ${f(x)} ${f(y)})" ` +
        `fill="${fill}" stroke="${stroke}" stroke-width="${width}"/>`,
    );
  }
  text(x: number, y: number, s: string, size = 12, anchor: "start" | "middle" | "end" = "start", extra = ""): this {
    const w = size * textWidth(s, /bold/.test(extra)),
      start = anchor === "start" ? 0 : anchor === "middle" ? -w / 2 : -w;
    if (/rotate\(-90/.test(extra))
      this.textBoxes.push({ x0: x - 0.8 * size, x1: x + 0.25 * size, y0: y - start - w, y1: y - start, text: s });
    else this.textBoxes.push({ x0: x + start, x1: x + start + w, y0: y - 0.8 * size, y1: y + 0.25 * size, text: s });
    return this.add(
      `<text x="${f(x)}" y="${f(y)}" font-size="${size}" text-anchor="${anchor}" font-family="${FONT}" ` +
        `fill="#222"${extra}>${esc(s)}</text>`,
    );
  }
  toString(): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" ` +
      `height="${this.height}" viewBox="0 0 ${this.width} ${this.height}">\n<rect width="100%" height="100%" ` +
      `fill="white"/>\n${this.parts.join("\n")}\n</svg>\n`
    );
  }
}

/** Ticks at 1, 2 or 5 × 10^k, about n of them, covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / n,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) out.push(Math.abs(t) < 1e-12 * span ? 0 : t);
  return out;
}

const tickText = (t: number) => rounded(t, 6);

export interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** A panel: a data box mapped onto a pixel rectangle, with axes, ticks and a title. */
export class Panel {
  constructor(
    readonly svg: Svg,
    readonly px: number,
    readonly py: number,
    readonly pw: number,
    readonly ph: number,
    readonly box: Box,
  ) {}
  X(x: number) {
    return this.px + ((x - this.box.x0) / (this.box.x1 - this.box.x0)) * this.pw;
  }
  Y(y: number) {
    return this.py + this.ph - ((y - this.box.y0) / (this.box.y1 - this.box.y0)) * this.ph;
  }
  /** Pixels per data unit (equal on both axes when the box was made square). */
  get scaleX() {
    return this.pw / (this.box.x1 - this.box.x0);
  }
  clip(id: string): string {
    this.svg.add(`<clipPath id="${id}"><rect x="${this.px}" y="${this.py}" width="${this.pw}" height="${this.ph}"/></clipPath>`);
    return ` clip-path="url(#${id})"`;
  }
  axes(title: string, xLabel = "", yLabel = "", size = 11): void {
    const s = this.svg;
    s.rect(this.px, this.py, this.pw, this.ph, "none", ` stroke="#444" stroke-width="0.8"`);
    for (const t of niceTicks(this.box.x0, this.box.x1, Math.max(5, Math.round(this.pw / 35)))) {
      const x = this.X(t);
      s.line(x, this.py + this.ph, x, this.py + this.ph + 4, "#444", 0.8);
      s.text(x, this.py + this.ph + 15, tickText(t), size - 2, "middle");
    }
    for (const t of niceTicks(this.box.y0, this.box.y1, Math.max(5, Math.round(this.ph / 35)))) {
      const y = this.Y(t);
      s.line(this.px - 4, y, this.px, y, "#444", 0.8);
      s.text(this.px - 6, y + 3.5, tickText(t), size - 2, "end");
    }
    // a title wider than the panel and half the gutters beside it is set smaller, so that neighbours' titles never meet
    const titleSize = Math.min(size + 1, (this.pw + 50) / Math.max(textWidth(title, true), 1e-9));
    s.text(this.px + this.pw / 2, this.py - 7, title, Math.round(titleSize * 10) / 10, "middle", ` font-weight="bold"`);
    if (xLabel) s.text(this.px + this.pw / 2, this.py + this.ph + 30, xLabel, size, "middle", ` font-style="italic"`);
    if (yLabel)
      s.text(
        this.px - 32,
        this.py + this.ph / 2,
        yLabel,
        size,
        "middle",
        ` font-style="italic" transform="rotate(-90 ${this.px - 32} ${this.py + this.ph / 2})"`,
      );
  }
}

/** The bounding box of points, padded, optionally squared (equal units on both axes). */
export function boundingBox(points: number[][], pad = 0.08, square = false): Box {
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (const [x, y] of points) {
    if (Number.isFinite(x) && Number.isFinite(y)) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (!Number.isFinite(x0)) return { x0: -1, x1: 1, y0: -1, y1: 1 };
  let w = Math.max(x1 - x0, 1e-6),
    h = Math.max(y1 - y0, 1e-6);
  if (square) {
    const m = Math.max(w, h);
    x0 -= (m - w) / 2;
    y0 -= (m - h) / 2;
    w = h = m;
  }
  return { x0: x0 - pad * w, x1: x0 + w + pad * w, y0: y0 - pad * h, y1: y0 + h + pad * h };
}

/** Viridis, sampled: t in [0, 1] -> colour. */
const VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];
export function viridisRGB(t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1),
    i = Math.min(VIRIDIS.length - 2, Math.floor(u)),
    s = u - i;
  const c = (k: number) => [1, 3, 5].map((o) => parseInt(VIRIDIS[k].slice(o, o + 2), 16));
  const [a, b] = [c(i), c(i + 1)];
  return a.map((v, j) => Math.round(v + s * (b[j] - v))) as [number, number, number];
}
export function viridis(t: number): string {
  return `rgb(${viridisRGB(t).join(",")})`;
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An RGB image as a PNG data URI, in plain JS (stored deflate blocks, no zlib): rows top to bottom. */
export function pngDataUri(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): string {
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0, o = 0; y < height; y++) {
    raw[o++] = 0; // filter: none
    for (let x = 0; x < width; x++) for (const v of rgb(x, y)) raw[o++] = v;
  }
  const blocks: number[] = [0x78, 0x01];
  for (let i = 0; i < raw.length || i === 0; i += 65535) {
    const n = Math.min(65535, raw.length - i);
    blocks.push(i + n >= raw.length ? 1 : 0, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff);
    for (let k = 0; k < n; k++) blocks.push(raw[i + k]);
  }
  let a = 1,
    b = 0;
  for (const v of raw) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  blocks.push(b >> 8, b & 0xff, a >> 8, a & 0xff);
  const be = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  const chunk = (type: string, data: number[] | Uint8Array) => {
    const td = Uint8Array.from([...type].map((c) => c.charCodeAt(0)).concat([...data]));
    return [...be(data.length), ...td, ...be(crc32(td))];
  };
  const png = Uint8Array.from([
    137,
    80,
    78,
    71,
    13,
    10,
    26,
    10,
    ...chunk("IHDR", [...be(width), ...be(height), 8, 2, 0, 0, 0]),
    ...chunk("IDAT", blocks),
    ...chunk("IEND", []),
  ]);
  let bin = "";
  for (const v of png) bin += String.fromCharCode(v);
  return `data:image/png;base64,${btoa(bin)}`;
}

/** A vertical colour bar with labelled ticks. */
export function colorBar(
  svg: Svg,
  x: number,
  y: number,
  h: number,
  lo: number,
  hi: number,
  label: string,
  fmt: (v: number) => string,
): void {
  const n = 60;
  for (let i = 0; i < n; i++) svg.rect(x, y + h - ((i + 1) * h) / n, 14, h / n + 0.5, viridis(i / (n - 1)));
  svg.rect(x, y, 14, h, "none", ` stroke="#444" stroke-width="0.8"`);
  for (const t of niceTicks(lo, hi, 5)) {
    const yy = y + h - ((t - lo) / (hi - lo)) * h;
    svg.line(x + 14, yy, x + 18, yy, "#444", 0.8);
    svg.text(x + 21, yy + 3.5, fmt(t), 10);
  }
  svg.text(x + 7, y - 8, label, 11, "middle");
}
