// The syntax tree of a .rgnn file, exactly as written, with source spans for error messages.
import { LAYER_WORDS } from "../core/layers/index.js";

/** A source range: 1-based line and column of the start, and [offset, end) in characters. */
export interface Span {
  line: number;
  col: number;
  offset: number;
  end: number;
}

export interface Name {
  name: string;
  span: Span;
}
export interface Int {
  value: number;
  span: Span;
}

export type Expr =
  | { kind: "num"; value: number; text: string; span: Span }
  | { kind: "ident"; name: string; span: Span }
  | { kind: "call"; fn: string; args: Expr[]; span: Span }
  | { kind: "binary"; op: "+" | "-" | "*" | "/" | "^"; left: Expr; right: Expr; span: Span }
  | { kind: "neg"; arg: Expr; span: Span }
  | { kind: "list"; items: Expr[]; span: Span };

/** `R^n` (an anonymous Euclidean space) or the name of a declared manifold. */
export type SpaceRef = { kind: "named"; name: string; span: Span } | { kind: "euclidean"; base: string; dim: Int; span: Span };

export interface Assign {
  target: Name;
  value: Expr;
  span: Span;
}
/** A parameter's value: an expression, or (quoted) the key of a weights-file entry such as "fc1.weight". */
export interface Param {
  name: Name;
  value: Expr | { kind: "key"; key: string; span: Span };
  span: Span;
}

import type { LayerKind, ShapeStep } from "../core/layers/index.js";
export type { LayerKind } from "../core/layers/index.js";
export type LayerAst =
  /** `word [number] [activation] [with params]`: `type` is the kind the word names; `argument` the number that picks
   *  it from a family (k in `order k`; semantics rejects a kind that does not exist), `width` a chosen width (a shaped
   *  kind's output channels); `reshape`/`flatten` are no layer but shape the state (core/layers SHAPE_STEPS). */
  | { kind: "layer"; type: LayerKind | ShapeStep; word: Name; argument?: Int; width?: Int; activation?: Name; params: Param[]; span: Span }
  | { kind: "repeat"; count: Int; body: LayerAst[]; span: Span }
  /** `skip { … }`: the layers inside, their output plus the state before the block (x + F(x)). */
  | { kind: "skip"; body: LayerAst[]; span: Span };

export interface GroupAst {
  name: Name;
  n: Int;
  span: Span;
}

export type MetricDefAst =
  | { kind: "euclidean"; span: Span }
  | { kind: "components"; value: Expr; span: Span }
  /** `layers`: the sub-network `along NET layers A to B`; `layer`: `to layer K`, the chart the metric is taken to. */
  | { kind: "pullback"; of?: Name; along: Name; layers?: LayerRangeAst; layer?: Int; span: Span };

/** `layers A to B` (or `layer A`, A = B). */
export interface LayerRangeAst {
  from: Int;
  to: Int;
  span: Span;
}

export interface Clauses {
  at?: Expr[];
  from?: Expr[];
  to?: Expr[];
  velocity?: Expr[];
}

/** `[a, b]`: one side of a box. */
export interface Interval {
  lo: Expr;
  hi: Expr;
  span: Span;
}

export type Item =
  | { kind: "constant"; name: Name; value?: Expr; span: Span }
  | {
      kind: "manifold";
      name: Name;
      dim?: Int & { base: Name };
      coords?: Name[];
      /** `on [a,b] x [c,d]`: where the chart's coordinates live (witnesses sample there). */
      domain?: Interval[];
      embedding?: { target: Name; components: Assign[] };
      span: Span;
    }
  | { kind: "map"; name: Name; source: SpaceRef; target: SpaceRef; components: Assign[]; span: Span }
  | { kind: "compose"; name: Name; first: Name; second: Name; span: Span }
  | {
      kind: "network";
      name: Name;
      input: SpaceRef;
      output?: SpaceRef;
      weights?: { path: string; span: Span };
      layers: LayerAst[];
      span: Span;
    }
  | { kind: "metric"; name: Name; on?: SpaceRef; def: MetricDefAst; span: Span }
  | { kind: "principal"; name: Name; base: Name; group: GroupAst; span: Span }
  | { kind: "associated"; name: Name; principal: Name; fibre: Name; span: Span }
  | { kind: "action"; of: Name; layers?: LayerRangeAst; on: Name; group?: GroupAst; span: Span }
  | { kind: "show"; verb: "show" | "evaluate"; words: Name[]; of?: Name; clauses: Clauses; span: Span }
  | { kind: "check_equals"; left: Expr; right: Expr; clauses: Clauses; span: Span }
  | { kind: "check_property"; subject: Expr; words: Name[]; span: Span }
  | { kind: "check_rank"; subject: Expr; rank: Int; span: Span }
  /** `check NET is a diffeomorphism on [a,b]x[c,d]`: one interval per input coordinate. */
  | { kind: "check_domain"; subject: Expr; words: Name[]; domain: Interval[]; span: Span };

export interface Spec {
  file: string;
  source: string;
  items: Item[];
}

// --- constructors used by the grammar's postprocessors ---------------------------------------

interface Tok {
  text: string;
  value: string;
  line: number;
  col: number;
  offset: number;
}
type Spanned = { span: Span } | Tok;

function spanOf(x: Spanned): Span {
  if ("span" in x) return x.span;
  return { line: x.line, col: x.col, offset: x.offset, end: x.offset + x.text.length };
}

/** The span from the start of `first` to the end of `last`. */
export function join(first: Spanned, last: Spanned): Span {
  const a = spanOf(first),
    b = spanOf(last);
  return { line: a.line, col: a.col, offset: a.offset, end: b.end };
}

export const name = (t: Tok): Name => ({ name: t.value, span: spanOf(t) });
export const int = (t: Tok): Int => ({ value: Number(t.value), span: spanOf(t) });
export const tokSpan = (t: Tok): Span => spanOf(t);

/** A layer, its kind resolved through LAYER_WORDS; the number is read as its word's syntax says (parse.ts rejects
 *  a number, activation or `with` the syntax does not allow, so nothing is dropped here). */
export function layer(word: Tok, number: Tok | null, act: Tok | null, params: Param[]): LayerAst {
  const { syntax, kind } = LAYER_WORDS.get(word.value)!;
  const n = number ? int(number) : undefined;
  const argument = syntax.number === "argument" ? n : undefined;
  return {
    kind: "layer",
    type: kind(argument?.value),
    word: name(word),
    argument,
    width: syntax.number === "width" ? n : undefined,
    activation: act ? name(act) : undefined,
    params,
    span: join(word, params[params.length - 1] ?? act ?? number ?? word),
  };
}
