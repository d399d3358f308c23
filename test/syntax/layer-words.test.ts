// Layer kinds are written as their own modules say (LayerKindDef.syntax, gathered in LAYER_WORDS): the grammar has one
// layer rule and names no kind, so a new kind needs no edit in grammar/ or src/syntax/, and the editors follow.
import { readdirSync, readFileSync } from "node:fs";
import nearley from "nearley";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RESERVED } from "../../grammar/lexer.js";
import grammar from "../../grammar/rgnn.generated.js";
import { LAYER_KINDS, LAYER_WORDS, type LayerKindDef, type LayerWord } from "../../src/core/layers/index.js";
import { KEYWORDS } from "../../src/lsp/analysis.js";
import type { Item } from "../../src/syntax/ast.js";
import { parse } from "../../src/syntax/parse.js";

/** A layer written as its word's syntax says: `word [k] [tanh] [with …]`. */
function layerText(word: string, { syntax, kind }: LayerWord, k = 3): string {
  const def = (LAYER_KINDS as Record<string, LayerKindDef | undefined>)[kind(syntax.number === "argument" ? k : undefined)];
  const params = def?.params.some((p) => p.name === "h") ? " with h = 0.1" : ""; // no def: reshape, flatten
  return [word, syntax.number === "none" ? "" : ` ${k}`, syntax.activation ? " tanh" : "", params].join("");
}
const kindOf = (w: LayerWord) => w.kind(w.syntax.number === "argument" ? 3 : undefined);
const network = (layers: string) => `manifold P (x, y, z)\nnetwork n : P {\n  ${layers}\n}\n`;
function parses(text: string): unknown[] {
  const p = new nearley.Parser(nearley.Grammar.fromCompiled(grammar as unknown as nearley.CompiledRules));
  p.feed(text);
  return p.results;
}
const layersOf = (text: string) => (parse(text, "t.rgnn").items[1] as Extract<Item, { kind: "network" }>).layers;

describe("layer words", () => {
  it("come from the kinds: every fixed kind's word names it, and every kind's syntax word is a layer word", () => {
    for (const [key, def] of Object.entries(LAYER_KINDS)) expect(LAYER_WORDS.get(def.syntax.word)!.kind(undefined)).toBe(key);
    for (const k of [3, 8]) expect(LAYER_WORDS.has(LAYER_KINDS[`order_${k}`].syntax.word)).toBe(true);
  });

  it.each([...LAYER_WORDS])("'%s' parses in exactly one way, after and before every other word, to the kind it names", (word, w) => {
    const kind = kindOf(w);
    for (const [other, v] of LAYER_WORDS) {
      const text = network(`${layerText(word, w)}  ${layerText(other, v)}  ${layerText(word, w)}`);
      expect(parses(text), text).toHaveLength(1);
      expect(layersOf(text).map((l) => l.kind === "layer" && l.type)).toEqual([kind, kindOf(v), kind]);
    }
  });

  it("are reserved, highlighted by the playground (RESERVED), completed by the language server and scoped by TextMate", () => {
    const tm = JSON.parse(readFileSync("editors/vscode/syntaxes/rgnn.tmLanguage.json", "utf8"));
    const layerScope = tm.patterns.find((p: { name?: string }) => p.name === "storage.type.layer.rgnn");
    for (const word of LAYER_WORDS.keys()) {
      expect(RESERVED).toContain(word);
      expect(KEYWORDS).toContain(word);
      expect(new RegExp(`^(?:${layerScope.match})$`).test(word), word).toBe(true);
    }
  });

  it("are named nowhere in grammar/ or src/syntax/: the grammar resolves every kind through the table", () => {
    const words = [...LAYER_WORDS.keys(), ...Object.keys(LAYER_KINDS)];
    const files = [...["grammar/rgnn.ne", "grammar/lexer.ts"], ...readdirSync("src/syntax").map((f) => `src/syntax/${f}`)];
    for (const f of files) {
      const text = readFileSync(f, "utf8").replace(/\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\//g, ""); // code, not comments
      for (const word of words) expect(text, `${f} names '${word}'`).not.toMatch(new RegExp(`["'\`]${word}["'\`]`));
    }
  });
});

describe("a kind added to the table alone", () => {
  afterEach(() => {
    vi.doUnmock("../../src/core/layers/index.js");
    vi.resetModules();
  });

  it("is lexed, parsed, resolved and checked with no edit outside core/layers", async () => {
    vi.resetModules();
    // a throwaway kind written `gated ACT`: a residual step under another word
    vi.doMock("../../src/core/layers/index.js", async (original) => {
      const real = await original<typeof import("../../src/core/layers/index.js")>();
      const gated: LayerKindDef = {
        ...real.LAYER_KINDS.residual,
        keyword: "gated" as never,
        syntax: { word: "gated", number: "none", activation: true },
      };
      const kinds = new Proxy(real.LAYER_KINDS, { get: (t, k, r) => (k === "gated" ? gated : Reflect.get(t, k, r)) });
      const words = new Map(real.LAYER_WORDS).set("gated", { syntax: gated.syntax, kind: () => "gated" as never });
      return { ...real, LAYER_KINDS: kinds, LAYER_WORDS: words };
    });
    const { checkSpec } = await import("../../src/index.js");
    const text = network("dense 3 tanh  gated sin with h = 0.2  softmax").replace("(x, y, z)", "(x, y)");
    const r = checkSpec(text, "t.rgnn");
    if (!r.ok) throw new Error(r.message);
    const net = r.model.mappings.get("n")!;
    expect(net.kind === "network" && net.layers.map((l) => [l.kind, l.activation])).toEqual([
      ["dense", "tanh"],
      ["gated", "sin"],
      ["softmax", "linear"],
    ]);
    // its syntax is held like any other kind's
    const bad = checkSpec(network("gated 3 tanh"), "t.rgnn");
    expect(!bad.ok && [bad.diagnostics[0].message, bad.diagnostics[0].notes]).toEqual(["unexpected number 3", ["expected a name"]]);
  });
});
