// Source text -> syntax tree. nearley's own error text is long and points at the wrong line,
// so errors are rebuilt here from the failing token and the parser's expected terminals.
import nearley from "nearley";
import grammar from "../../grammar/rgnn.generated.js";
import type { Item, Spec } from "./ast.js";
import { DiagnosticError, spanAt } from "./diagnostics.js";

type Symbol = { literal?: string; type?: string } | string;

const TYPE_NAMES: Record<string, string> = {
  ident: "a name", number: "a number", string: "a quoted string", arrow: "'->'",
};

function describeSymbol(sym: Symbol): string | null {
  if (typeof sym === "string") return null; // a nonterminal: its terminals are listed too
  if (sym.literal !== undefined) return `'${sym.literal}'`;
  if (sym.type !== undefined) return TYPE_NAMES[sym.type] ?? sym.type;
  return null;
}

/** The terminals the parser could accept next, from the states of its last good column. */
function expectedAt(parser: nearley.Parser, column: number): string[] {
  const states = (parser as any).table[column]?.states ?? [];
  const out = new Set<string>();
  for (const st of states) {
    const sym = st.rule.symbols[st.dot];
    const d = sym === undefined ? null : describeSymbol(sym);
    if (d) out.add(d);
  }
  return [...out].sort((a, b) => (a.startsWith("'") ? 1 : 0) - (b.startsWith("'") ? 1 : 0) || a.localeCompare(b));
}

function describeToken(tok: any): string {
  if (tok.type === "kw") return `keyword '${tok.text}'`;
  if (tok.type === "ident") return `name '${tok.text}'`;
  if (tok.type === "number") return `number ${tok.text}`;
  if (tok.type === "string") return `string ${tok.text}`;
  return `'${tok.text}'`;
}

function expectationNote(expected: string[]): string[] {
  return expected.length ? [`expected ${expected.length > 1 ? "one of " : ""}${expected.join(", ")}`] : [];
}

export function parse(source: string, file: string): Spec {
  const parser = new nearley.Parser(nearley.Grammar.fromCompiled(grammar as any));
  try {
    parser.feed(source);
  } catch (err: any) {
    const tok = err?.token;
    if (!tok) throw err;
    if (tok.type === "error") {
      const ch = String(tok.text)[0];
      throw new DiagnosticError([{ file, source, span: spanAt(source, tok.offset, 1),
        message: `unexpected character '${ch}'` }]);
    }
    const span = { line: tok.line, col: tok.col, offset: tok.offset, end: tok.offset + tok.text.length };
    throw new DiagnosticError([{ file, source, span, message: `unexpected ${describeToken(tok)}`,
      notes: expectationNote(expectedAt(parser, parser.current)) }]);
  }
  const results = parser.results as Item[][];
  if (results.length === 0) {
    const trimmed = source.replace(/\s+$/, "");
    throw new DiagnosticError([{ file, source, span: spanAt(source, trimmed.length, 1),
      message: "unexpected end of input", notes: expectationNote(expectedAt(parser, parser.current)) }]);
  }
  if (results.length > 1) {
    // The grammar is meant to be unambiguous; more than one parse is our bug, not the user's.
    throw new Error(`internal error: ${results.length} parses of ${file} (ambiguous grammar)`);
  }
  return { file, source, items: results[0] };
}
