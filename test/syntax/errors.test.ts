import { describe, expect, it } from "vitest";
import { DiagnosticError, formatDiagnostic } from "../../src/syntax/diagnostics.js";
import { parse } from "../../src/syntax/parse.js";

function syntaxError(text: string) {
  try {
    parse(text, "t.rgnn");
  } catch (e) {
    if (e instanceof DiagnosticError) {
      expect(e.diagnostics).toHaveLength(1);
      const d = e.diagnostics[0];
      return { message: d.message, line: d.span.line, col: d.span.col, notes: d.notes ?? [], text: formatDiagnostic(d) };
    }
    throw e;
  }
  throw new Error("expected a syntax error");
}

describe("syntax errors", () => {
  it("names the unexpected token, its position and what was expected", () => {
    const e = syntaxError("manifold P (r, theta\nmap f : P -> P { r = r }");
    expect(e).toMatchObject({ message: "unexpected keyword 'map'", line: 2, col: 1 });
    expect(e.notes).toEqual(["expected one of ',', ')'"]);
  });

  it("reports an unexpected character", () => {
    const e = syntaxError("manifold P (r)\nmap f : P -> P {\n  r = r $ 2\n}");
    expect(e).toMatchObject({ message: "unexpected character '$'", line: 3, col: 9 });
  });

  it("reports unexpected end of input at the end of the text", () => {
    const e = syntaxError("manifold P (r, theta)\nshow");
    expect(e).toMatchObject({ message: "unexpected end of input", line: 2, col: 5 });
    expect(e.notes).toEqual(["expected a name"]);
  });

  it("reports an incomplete expression", () => {
    const e = syntaxError("manifold P (r)\nmap f : P -> P {\n  r = r *\n}");
    expect(e).toMatchObject({ message: "unexpected '}'", line: 4, col: 1 });
    expect(e.notes[0]).toContain("a number");
  });

  it("rejects a keyword used as a name", () => {
    const e = syntaxError("manifold map (x)");
    expect(e).toMatchObject({ message: "unexpected keyword 'map'", line: 1, col: 10 });
  });

  it("formats with the source line and a caret under the token", () => {
    const e = syntaxError("metric g = pullback along\n");
    expect(e.text).toBe(
      [
        "t.rgnn:1:26: error: unexpected end of input",
        "  |",
        "1 | metric g = pullback along",
        "  |                          ^",
        "  = expected a name",
      ].join("\n"),
    );
  });
});
