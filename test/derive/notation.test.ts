// The structured notation: each constructor's text and TeX, and escaping per format.
import { describe, expect, it } from "vitest";
import {
  app,
  eq,
  fromTex,
  ident,
  indexed,
  list,
  mathSymbols,
  mathText,
  op,
  prose,
  proseText,
  seq,
  slash,
  statements,
  sym,
  userText,
} from "../../src/core/notation.js";
import { escapeMarkdown, escapeTex, mathTex, nameTex, proseHtml, proseMarkdown, proseTex } from "../../src/render/notation.js";

describe("math", () => {
  it("typesets symbols with layer, indices and transpose", () => {
    const J = sym("J", { layer: 3, transpose: true });
    expect(mathTex(J)).toBe("J^{(3)\\mathsf{T}}");
    expect(mathText(J)).toBe("J^(3)T");
    const x = sym("x", { sup: sym("a", { sub: { kind: "num", value: "2" } }) });
    expect(mathTex(x)).toBe("x^{a_{2}}");
    expect(mathText(x)).toBe("x^(a_2)");
    expect(mathTex(sym("delta"))).toBe("\\delta");
    expect(mathText(sym("delta"))).toBe("δ");
  });

  it("typesets equations, lists, applications, quotients, statements", () => {
    const m = eq(sym("P"), slash(seq(sym("partial"), sym("x", { layer: 2 })), seq(sym("partial"), sym("x", { layer: 0 })), true));
    expect(mathTex(m)).toBe("P = \\partial x^{(2)} / \\partial x^{(0)}");
    expect(mathText(m)).toBe("P = ∂ x^(2)/∂ x^(0)");
    expect(mathTex(list([ident("r"), ident("theta")], true))).toBe("(r, \\theta)");
    expect(mathTex(app(sym("f"), sym("x")))).toBe("f(x)");
    expect(mathTex(statements(sym("a"), sym("b")))).toBe("a, \\qquad b");
    expect(mathTex(seq(sym("a"), op("thin"), sym("b")))).toBe("a\\, b");
    expect(mathTex(indexed(ident("g"), { transpose: true }))).toBe("{g}^{\\mathsf{T}}");
    expect([...mathSymbols(eq(ident("g"), seq(sym("J", { transpose: true }), sym("G"))))].sort()).toEqual(["G", "J", "g"]);
  });

  it("a spec name that is not an identifier is escaped upright text in math", () => {
    expect(nameTex("W1_12")).toBe("W^{(1)}_{12}");
    expect(nameTex("$\\frac$")).toBe("\\text{\\$\\textbackslash{}frac\\$}");
  });
});

describe("prose", () => {
  const p = prose("The metric ", userText("a$b\\c"), " is ", eq(sym("g", { sub: sym("ab") }), sym("delta", { sub: sym("ab") })), ".");

  it("renders text, names and math in each format, escaping the text", () => {
    expect(proseText(p)).toBe("The metric a$b\\c is g_ab = δ_ab.");
    expect(proseTex(p)).toBe("The metric a\\$b\\textbackslash{}c is $g_{ab} = \\delta_{ab}$.");
    expect(proseMarkdown(p)).toBe("The metric a\\$b\\\\c is $g_{ab} = \\delta_{ab}$.");
    expect(proseHtml(p, (t) => `[${t}]`)).toBe("The metric a$b\\c is [g_{ab} = \\delta_{ab}].");
  });

  it("fromTex reads our own $…$ sentences", () => {
    expect(fromTex("Pull $g$ back.")).toEqual([
      { kind: "text", text: "Pull " },
      { kind: "math", math: { kind: "fixed", tex: "g", text: "g" } },
      { kind: "text", text: " back." },
    ]);
  });

  it("escapers neutralise every special character", () => {
    expect(escapeTex("\\input{x}$&#_%^~")).toBe("\\textbackslash{}input\\{x\\}\\$\\&\\#\\_\\%\\^{}\\~{}");
    expect(escapeMarkdown("*a*_[b](c)`$<x>|")).toBe("\\*a\\*\\_\\[b\\]\\(c\\)\\`\\$\\<x\\>\\|");
  });
});
