// The notation derivation text is written in: prose as a list of parts (our text, names from
// the spec, math, references to other steps) and math as a small tree. It holds structure, not
// TeX, so every renderer (LaTeX, KaTeX, Markdown, JSON, plain text) typesets it its own way and
// escapes user text (spec names, paths) in one place per format.

/** MathNode: just rich enough for what the derivations write. */
export type MathNode =
  /** A symbol of our vocabulary (`J`, `g`, `delta`, `sigma`…) with optional indices; `layer` is the (l) superscript. */
  | { kind: "sym"; name: string; sub?: MathNode; sup?: MathNode; layer?: MathNode; transpose?: boolean }
  /** A name from the spec (metric, coordinate, map): user text, typeset in index notation. */
  | { kind: "ident"; name: string }
  /** Indices on a whole expression: `{g}_{ab}`, `{J_F}^T`. */
  | { kind: "indexed"; of: MathNode; sub?: MathNode; sup?: MathNode; transpose?: boolean }
  | { kind: "num"; value: string }
  /** Juxtaposition (products, `lhs = rhs` chains), separated by a space. */
  | { kind: "seq"; items: MathNode[] }
  /** Comma-separated, in parentheses when `paren`; `wide` separates statements (`, \qquad`). */
  | { kind: "list"; items: MathNode[]; paren?: boolean; wide?: boolean }
  | { kind: "app"; fn: MathNode; args: MathNode[] }
  | { kind: "frac"; num: MathNode; den: MathNode }
  /** `num/den` inline, with spaces around the slash when `spaced`. */
  | { kind: "slash"; num: MathNode; den: MathNode; spaced?: boolean }
  | { kind: "op"; op: Op }
  /**
   * A formula of our own vocabulary kept whole: its TeX and its plain text. It never holds user
   * text (names are `name` nodes); producers not yet decomposed into the tree use it.
   */
  | { kind: "fixed"; tex: string; text: string };

/** `thin` is a thin space, set tight against what precedes it. */
export type Op = "=" | "+" | "-" | "circ" | "cdots" | "," | "geq" | "succeq" | "succ" | "thin";

/** Prose: a sentence as parts. */
export type Part =
  | { kind: "text"; text: string }
  /** User text: a spec name, a path, a quoted string from the spec. */
  | { kind: "name"; name: string }
  | { kind: "math"; math: MathNode }
  /** Another step of the derivation, by id, with the words that refer to it. */
  | { kind: "ref"; step: string; text: string };
export type Prose = Part[];

// constructors
export const sym = (name: string, o: { sub?: MathNode; sup?: MathNode; layer?: MathNode | number; transpose?: boolean } = {}): MathNode => {
  const s: MathNode = { kind: "sym", name };
  if (o.sub) s.sub = o.sub;
  if (o.sup) s.sup = o.sup;
  if (o.layer !== undefined) s.layer = typeof o.layer === "number" ? num(o.layer) : o.layer;
  if (o.transpose) s.transpose = true;
  return s;
};
export const ident = (n: string): MathNode => ({ kind: "ident", name: n });
export const indexed = (of: MathNode, o: { sub?: MathNode; sup?: MathNode; transpose?: boolean }): MathNode => ({
  kind: "indexed",
  of,
  ...o,
});
export const num = (v: number | string): MathNode => ({ kind: "num", value: String(v) });
export const seq = (...items: MathNode[]): MathNode => ({ kind: "seq", items });
export const list = (items: MathNode[], paren = false): MathNode => (paren ? { kind: "list", items, paren } : { kind: "list", items });
export const statements = (...items: MathNode[]): MathNode => ({ kind: "list", items, wide: true });
export const slash = (n: MathNode, d: MathNode, spaced = false): MathNode =>
  spaced ? { kind: "slash", num: n, den: d, spaced } : { kind: "slash", num: n, den: d };
export const app = (fn: MathNode, ...args: MathNode[]): MathNode => ({ kind: "app", fn, args });
export const frac = (n: MathNode, d: MathNode): MathNode => ({ kind: "frac", num: n, den: d });
export const op = (o: Op): MathNode => ({ kind: "op", op: o });
export const eq = (...sides: MathNode[]): MathNode => seq(...sides.flatMap((s, i) => (i ? [op("="), s] : [s])));
export const fixed = (tex: string, text: string = tex): MathNode => ({ kind: "fixed", tex, text });
export const fixedOf = (f: { tex: string; text: string }): MathNode => fixed(f.tex, f.text);

/** A part of prose from a string (our text), MathNode (math), or a part. */
export type Piece = string | MathNode | Part;
const isPart = (p: MathNode | Part): p is Part => p.kind === "text" || p.kind === "math" || p.kind === "ref" || p.kind === "name";
/** Prose from pieces: strings are our text, MathNode is math; `userName` marks user text. */
export function prose(...pieces: Piece[]): Prose {
  return pieces.map((p) => (typeof p === "string" ? { kind: "text", text: p } : isPart(p) ? p : { kind: "math", math: p }));
}
/** User text inside prose (a spec name or path shown as given). */
export const userText = (n: string): Part => ({ kind: "name", name: n });
export const ref = (step: string, text: string): Part => ({ kind: "ref", step, text });

/**
 * Prose from our own TeX-flavoured sentence: `$…$` segments become fixed math. Only for sentences
 * of our vocabulary (never interpolate user text into `s`: pass it as a part instead).
 */
export function fromTex(s: string): Prose {
  return s
    .split(/(\$[^$]*\$)/g)
    .filter((p) => p !== "")
    .map((p) =>
      p.length > 1 && p.startsWith("$") && p.endsWith("$") ? { kind: "math", math: fixed(p.slice(1, -1)) } : { kind: "text", text: p },
    );
}

// plain text
const TEXT_OPS: Record<Op, string> = {
  "=": "=",
  "+": "+",
  "-": "-",
  circ: "o",
  cdots: "...",
  ",": ",",
  geq: ">=",
  succeq: ">=",
  succ: ">",
  thin: "",
};

/** Items joined by spaces, none before a thin space. */
export const joinSeq = (items: MathNode[], render: (m: MathNode) => string): string =>
  items.map((m, i) => (i && !(m.kind === "op" && m.op === "thin") ? " " : "") + render(m)).join("");
const TEXT_GREEK: Record<string, string> = { delta: "δ", sigma: "σ", rho: "ρ", Gamma: "Γ", partial: "∂" };

/** MathNode as plain text (terminals, JSON's text form): `J^(3)`, `g_ab`, `∂F^a/∂x^b`. */
export function mathText(m: MathNode): string {
  switch (m.kind) {
    case "sym": {
      const idx = (x: MathNode) => {
        const t = mathText(x);
        return /^[A-Za-z0-9]+$/.test(t) ? t : `(${t})`;
      };
      let s = TEXT_GREEK[m.name] ?? m.name;
      const sup = [m.layer ? `(${mathText(m.layer)})` : "", m.sup ? idx(m.sup) : "", m.transpose ? "T" : ""].join("");
      if (m.sub) s += `_${idx(m.sub)}`;
      if (sup) s += `^${sup}`;
      return s;
    }
    case "ident":
      return m.name;
    case "indexed": {
      const t = mathText(m.of);
      const sup = (m.sup ? mathText(m.sup) : "") + (m.transpose ? "T" : "");
      return `${t}${m.sub ? `_${mathText(m.sub)}` : ""}${sup ? `^${sup}` : ""}`;
    }
    case "num":
      return m.value;
    case "seq":
      return joinSeq(m.items, mathText);
    case "list": {
      const t = m.items.map(mathText).join(m.wide ? "; " : ", ");
      return m.paren ? `(${t})` : t;
    }
    case "app":
      return `${mathText(m.fn)}(${m.args.map(mathText).join(", ")})`;
    case "frac":
    case "slash":
      return `${mathText(m.num)}/${mathText(m.den)}`;
    case "op":
      return TEXT_OPS[m.op];
    case "fixed":
      return m.text;
  }
}

/** Prose as plain text. */
export const proseText = (p: Prose): string =>
  p.map((part) => (part.kind === "math" ? mathText(part.math) : part.kind === "name" ? part.name : part.text)).join("");

/** The symbols (our vocabulary) and spec names a formula mentions. */
export function mathSymbols(m: MathNode, out: Set<string> = new Set()): Set<string> {
  switch (m.kind) {
    case "sym": // its indices are index letters and layer numbers, not symbols
      out.add(m.name);
      break;
    case "ident":
      out.add(m.name);
      break;
    case "indexed":
      mathSymbols(m.of, out);
      break;
    case "seq":
    case "list":
      for (const x of m.items) mathSymbols(x, out);
      break;
    case "app":
      for (const x of [m.fn, ...m.args]) mathSymbols(x, out);
      break;
    case "frac":
    case "slash":
      mathSymbols(m.num, out);
      mathSymbols(m.den, out);
      break;
    case "num":
    case "op":
    case "fixed":
      break;
  }
  return out;
}

/** The symbols and names of a sentence's math and its names from the spec. */
export function proseSymbols(p: Prose): Set<string> {
  const out = new Set<string>();
  for (const part of p) {
    if (part.kind === "math") mathSymbols(part.math, out);
    else if (part.kind === "name") out.add(part.name);
  }
  return out;
}
