// Source text -> syntax tree. nearley's own error text is long and points at the wrong line,
// so errors are rebuilt here from the failing token and the parser's expected terminals.
import type moo from "moo";
import nearley from "nearley";
import grammar from "../../grammar/rgnn.generated.js";
import type { Item, Spec } from "./ast.js";
import { lexer } from "../../grammar/lexer.js";
import { LAYER_WORDS, takesParameters } from "../core/layers/index.js";
import { type Diagnostic, DiagnosticError, spanAt } from "./diagnostics.js";
import { clip } from "./text.js";

type Symbol = { literal?: string; type?: string } | string;

const TYPE_NAMES: Record<string, string> = {
  ident: "a name",
  number: "a number",
  string: "a quoted string",
  arrow: "'->'",
};

function describeSymbol(sym: Symbol): string[] {
  if (typeof sym === "string") return []; // a nonterminal: its terminals are listed too
  if (sym.literal !== undefined) return [`'${sym.literal}'`];
  if (sym.type === "kind") return [...LAYER_WORDS.keys()].map((w) => `'${w}'`);
  if (sym.type !== undefined) return [TYPE_NAMES[sym.type] ?? sym.type];
  return [];
}

/** The terminals the parser could accept next, from the states of its last good column. */
function expectedAt(parser: nearley.Parser, column: number): string[] {
  // nearley's chart is not in its type declarations
  const chart = (parser as unknown as { table: { states: { rule: nearley.Rule; dot: number }[] }[] }).table;
  const states = chart[column]?.states ?? [];
  const out = new Set<string>();
  for (const st of states) {
    const sym = st.rule.symbols[st.dot];
    if (sym !== undefined) for (const d of describeSymbol(sym)) out.add(d);
  }
  return [...out].sort((a, b) => (a.startsWith("'") ? 1 : 0) - (b.startsWith("'") ? 1 : 0) || a.localeCompare(b));
}

function describeToken(tok: moo.Token): string {
  const text = clip(String(tok.text));
  if (tok.type === "kw" || tok.type === "kind") return `keyword '${text}'`;
  if (tok.type === "ident") return `name '${text}'`;
  if (tok.type === "number") return `number ${text}`;
  if (tok.type === "string") return `string ${text}`;
  return `'${text}'`;
}

/** Limits on expressions, so that the recursive passes after parsing (semantic checks, symbolic
 * algebra, printing) never exhaust the stack: brackets nested at most MAX_NESTING deep, and at most
 * MAX_OPERATORS operators chained in one expression (counting those of the enclosing brackets). */
export const MAX_NESTING = 256,
  MAX_OPERATORS = 1000;

const OPEN = new Set(["(", "["]),
  CLOSE = new Set([")", "]"]),
  OPERATORS = new Set(["+", "-", "*", "/", "^"]);

/**
 * One pass over the tokens that enforces the limits; the grammar itself reports unbalanced brackets.
 * `chain` bounds the expression tree's depth at the current bracket level: each operator adds one, a
 * closed bracket adds the deepest of its comma-separated items, so `(a + (b + c)) + d` counts 3.
 */
function checkLimits(source: string, file: string): void {
  const outer: { chain: number; widest: number }[] = []; // the enclosing bracket levels
  let enclosing = 0,
    chain = 0,
    widest = 0,
    blocks = 0; // `{ … }` of networks, repeat and skip blocks: the stages walk them recursively too
  const fail = (tok: moo.Token, message: string) => {
    throw new DiagnosticError([{ file, source, span: spanAt(source, tok.offset, 1), message }]);
  };
  lexer.reset(source);
  for (let tok = lexer.next(); tok; tok = lexer.next()) {
    const t = (tok.type === "punct" || tok.type === "arrow" ? tok.text : tok.type) ?? "";
    if (t === "{" && ++blocks > MAX_NESTING) fail(tok, `blocks { … } nested more than ${MAX_NESTING} deep (see docs/security.md)`);
    if (t === "}") blocks = Math.max(0, blocks - 1);
    if (OPEN.has(t)) {
      if (outer.length >= MAX_NESTING) fail(tok, `brackets nested more than ${MAX_NESTING} deep (see docs/security.md)`);
      outer.push({ chain, widest });
      enclosing += chain;
      chain = 0;
      widest = 0;
    } else if (CLOSE.has(t)) {
      const inner = Math.max(chain, widest),
        up = outer.pop() ?? { chain: 0, widest: 0 };
      enclosing -= up.chain;
      chain = up.chain + inner;
      widest = up.widest;
    } else if (OPERATORS.has(t)) {
      chain++;
      if (chain + enclosing > MAX_OPERATORS)
        fail(tok, `more than ${MAX_OPERATORS} operators in one expression; split it using constants (see docs/security.md)`);
    } else if (t === ",") {
      widest = Math.max(widest, chain);
      chain = 0;
    } else if (t !== "ident" && t !== "number") {
      outer.length = 0;
      enclosing = 0;
      chain = 0;
      widest = 0;
    } // outside any expression
  }
}

function expectationNote(expected: string[]): string[] {
  return expected.length ? [`expected ${expected.length > 1 ? "one of " : ""}${expected.join(", ")}`] : [];
}

/**
 * The first layer written against its kind's syntax (LAYER_WORDS): the grammar's one layer rule takes
 * `word [number] [name] [with …]` for every kind, and this pass holds each layer to what its word allows, in the words
 * the grammar would use for a rule of that shape ("unexpected number 3", "expected a name"). A layer word can only
 * start a layer, so in a text that parses every one is checked; in one that does not, only those before the parse
 * error count (parse compares offsets).
 */
function layerShapeError(source: string, file: string): Diagnostic | null {
  const toks: moo.Token[] = [];
  lexer.reset(source);
  for (let tok = lexer.next(); tok; tok = lexer.next()) toks.push(tok);
  for (let i = 0; i < toks.length; i++) {
    if (toks[i].type !== "kind") continue;
    const word = toks[i].text,
      { syntax, kind } = LAYER_WORDS.get(word)!,
      what = `a '${word}' layer`;
    const fail = (tok: moo.Token | undefined, notes: string[]): Diagnostic => {
      const span = tok ? spanAt(source, tok.offset, tok.text.length) : spanAt(source, source.replace(/\s+$/, "").length, 1);
      return { file, source, span, message: tok ? `unexpected ${describeToken(tok)}` : "unexpected end of input", notes };
    };
    let j = i + 1,
      argument: number | undefined;
    if (toks[j]?.type === "number") {
      if (syntax.number === "none") return fail(toks[j], [syntax.activation ? "expected a name" : `${what} takes no number`]);
      if (syntax.number === "argument") argument = Number(toks[j].value);
      j++;
    } else if (syntax.number === "argument") return fail(toks[j], ["expected a number"]);
    if (syntax.activation) {
      if (toks[j]?.type !== "ident")
        return fail(toks[j], [syntax.number === "width" && j === i + 1 ? "expected one of a name, a number" : "expected a name"]);
      j++;
    } else if (toks[j]?.type === "ident") return fail(toks[j], [`${what} has no activation`]);
    if (toks[j]?.type === "kw" && toks[j].text === "with" && !takesParameters(kind(argument)))
      return fail(toks[j], [`${what} has no parameters`]);
  }
  return null;
}

export function parse(source: string, file: string): Spec {
  checkLimits(source, file);
  const shape = layerShapeError(source, file);
  const parser = new nearley.Parser(nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules));
  try {
    parser.feed(source);
  } catch (err) {
    const tok = (err as { token?: moo.Token } | undefined)?.token;
    if (!tok) throw err;
    if (shape && shape.span.offset < tok.offset) throw new DiagnosticError([shape]);
    if (tok.type === "error") {
      const ch = String(tok.text)[0];
      throw new DiagnosticError([{ file, source, span: spanAt(source, tok.offset, 1), message: `unexpected character '${ch}'` }]);
    }
    const span = { line: tok.line, col: tok.col, offset: tok.offset, end: tok.offset + tok.text.length };
    throw new DiagnosticError([
      { file, source, span, message: `unexpected ${describeToken(tok)}`, notes: expectationNote(expectedAt(parser, parser.current)) },
    ]);
  }
  if (shape) throw new DiagnosticError([shape]);
  const results = parser.results as Item[][];
  if (results.length === 0) {
    const trimmed = source.replace(/\s+$/, "");
    throw new DiagnosticError([
      {
        file,
        source,
        span: spanAt(source, trimmed.length, 1),
        message: "unexpected end of input",
        notes: expectationNote(expectedAt(parser, parser.current)),
      },
    ]);
  }
  if (results.length > 1) {
    // The grammar is meant to be unambiguous; more than one parse is our bug, not the user's.
    throw new Error(`internal error: ${results.length} parses of ${file} (ambiguous grammar)`);
  }
  return { file, source, items: results[0] };
}
