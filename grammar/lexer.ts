// The .rgnn lexer. Reserved words are the ones that could otherwise be read as names where
// that would make a statement ambiguous; a few more ("then", "layer", "over", "group",
// "fibre", "rank", "velocity", "layers") are matched by text where only they can stand.
// The words that open a layer come from the layer kinds (LAYER_WORDS) as tokens of their own type, `kind`.
import moo from "moo";
import { LAYER_WORDS } from "../src/core/layers/index.js";

const KEYWORDS = [
  "constant",
  "manifold",
  "map",
  "network",
  "metric",
  "principal",
  "associated",
  "bundle",
  "action",
  "show",
  "evaluate",
  "check",
  "equals",
  "is",
  "has",
  "of",
  "on",
  "at",
  "from",
  "to",
  "with",
  "along",
  "pullback",
  "embedded",
  "in",
  "weights",
  "repeat",
  "skip",
  "euclidean",
];

/** Every reserved word: the keywords and the layer words. */
export const RESERVED: readonly string[] = [...KEYWORDS, ...LAYER_WORDS.keys()];

const rules = moo.compile({
  ws: /[ \t\r]+/,
  nl: { match: /\n/, lineBreaks: true },
  comment: /#[^\n]*/,
  number: /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/,
  string: { match: /"(?:\\["\\]|[^\n"\\])*"/, value: (s: string) => s.slice(1, -1).replace(/\\(["\\])/g, "$1") },
  ident: { match: /[A-Za-z_][A-Za-z0-9_]*/, type: moo.keywords({ kw: KEYWORDS, kind: [...LAYER_WORDS.keys()] }) },
  arrow: "->",
  punct: ["(", ")", "[", "]", "{", "}", ",", "=", ":", "+", "-", "*", "/", "^"],
  error: moo.error,
});

const SKIPPED = new Set(["ws", "nl", "comment"]);

/** moo has no skip rule: wrap next() so the parser never sees blanks or comments. */
export const lexer = {
  reset(chunk: string, state?: moo.LexerState) {
    rules.reset(chunk, state);
  },
  next(): moo.Token | undefined {
    let tok: moo.Token | undefined;
    do tok = rules.next();
    while (tok && SKIPPED.has(tok.type!));
    return tok;
  },
  save: () => rules.save(),
  formatError: (tok: moo.Token, message?: string) => rules.formatError(tok, message),
  has: (name: string) => rules.has(name),
};
