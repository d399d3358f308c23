// The VS Code support: the TextMate grammar tokenizes every example with a scope on every token and nothing
// "invalid" (and does mark what the lexer refuses); it is the grammar the generator makes from the language's
// own tables; and the .vsix script writes a zip with the layout VS Code installs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadWASM, OnigScanner, OnigString } from "vscode-oniguruma";
import { type IGrammar, INITIAL, Registry } from "vscode-textmate";
import { RESERVED } from "../../grammar/lexer.js";
import { FUNCTIONS, REGISTRY } from "../../src/core/functions.js";
import { LAYER_WORDS } from "../../src/core/layers/index.js";
import { CLAIM_FUNCTIONS, QUANTITY_PHRASES } from "../../src/core/quantities.js";
import { KEYWORDS } from "../../src/lsp/analysis.js";
import { GROUPS } from "../../src/semantics/analyze.js";
import { PROPERTIES } from "../../src/semantics/requests.js";

const require = createRequire(import.meta.url);
const GRAMMAR = "editors/vscode/syntaxes/rgnn.tmLanguage.json";

/** Every .rgnn file under examples/. */
function examples(dir = "examples"): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? examples(p) : p.endsWith(".rgnn") ? [p] : [];
  });
}

let grammar: IGrammar;

beforeAll(async () => {
  await loadWASM(readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer);
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new OnigScanner(p), createOnigString: (s) => new OnigString(s) }),
    loadGrammar: async (scope) => (scope === "source.rgnn" ? JSON.parse(readFileSync(GRAMMAR, "utf8")) : null),
  });
  grammar = (await registry.loadGrammar("source.rgnn"))!;
});

/** The tokens of a text that are not blank, each with its text and scopes. */
function tokens(text: string): { text: string; scopes: string[] }[] {
  let stack = INITIAL;
  const out: { text: string; scopes: string[] }[] = [];
  for (const line of text.split("\n")) {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      const s = line.slice(t.startIndex, t.endIndex);
      if (s.trim()) out.push({ text: s, scopes: t.scopes });
    }
    stack = r.ruleStack;
  }
  return out;
}
const scopeOf = (text: string, word: string) =>
  tokens(text)
    .find((t) => t.text === word)
    ?.scopes.at(-1);

describe("the TextMate grammar", () => {
  test("is the one generated from the language's tables", () => {
    execFileSync(process.execPath, ["editors/vscode/scripts/grammar.mjs", "--check"]);
  });

  test.each(examples())("scopes every token of %s, none invalid", (file) => {
    const toks = tokens(readFileSync(file, "utf8"));
    expect(toks.length).toBeGreaterThan(10);
    for (const t of toks) {
      expect(t.scopes.length, `'${t.text}' has no scope`).toBeGreaterThan(1);
      expect(
        t.scopes.filter((s) => s.startsWith("invalid")),
        `'${t.text}' in ${file}`,
      ).toEqual([]);
    }
  });

  test("names the parts of a spec", () => {
    const spec =
      "manifold P (r, theta)  # polar\nnetwork f : P -> R^2 {\n  dense 2 tanh with W = [[1, 2e-3], [0, 1]]\n}\nshow scalar curvature of g\n";
    expect(scopeOf(spec, "manifold")).toBe("keyword.other.declaration.rgnn");
    expect(scopeOf(spec, "P")).toBe("entity.name.type.manifold.rgnn");
    expect(scopeOf(spec, "f")).toBe("entity.name.function.rgnn");
    expect(scopeOf(spec, "# polar")).toBe("comment.line.number-sign.rgnn");
    expect(scopeOf(spec, "dense")).toBe("storage.type.layer.rgnn");
    expect(scopeOf(spec, "tanh")).toBe("support.function.rgnn");
    expect(scopeOf(spec, "2e-3")).toBe("constant.numeric.rgnn");
    expect(scopeOf(spec, "->")).toBe("keyword.operator.arrow.rgnn");
    expect(scopeOf(spec, "scalar curvature")).toBe("support.constant.quantity.rgnn");
    expect(scopeOf(spec, "of")).toBe("keyword.control.rgnn");
    expect(scopeOf(spec, "theta")).toBe("variable.other.rgnn");
  });

  // Every word of the language, read from the tables that define it (so a layer kind, function, quantity, property or
  // group added there is covered the moment it exists), must get its own scope from the committed grammar: a word
  // added to the language but not to rgnn.tmLanguage.json (node editors/vscode/scripts/grammar.mjs) fails here.
  const layerWords = [...LAYER_WORDS.keys()];
  const coverage: [string, readonly string[], (w: string) => string, string[]][] = [
    [
      "the lexer's reserved words and the context words",
      [...RESERVED, ...KEYWORDS].filter((w) => !layerWords.includes(w)),
      (w) => w,
      ["keyword.control.rgnn", "keyword.other.declaration.rgnn"],
    ],
    ["the layer words", layerWords, (w) => `  ${w} 4 tanh`, ["storage.type.layer.rgnn"]],
    ["the registry's functions", [...FUNCTIONS, ...Object.keys(REGISTRY)], (w) => `  y = ${w}(x)`, ["support.function.rgnn"]],
    ["the quantities", QUANTITY_PHRASES, (w) => `show ${w} of g`, ["support.constant.quantity.rgnn"]],
    ["the claim functions", CLAIM_FUNCTIONS, (w) => `check ${w}(g) equals 1`, ["support.constant.quantity.rgnn"]],
    ["the properties", PROPERTIES, (w) => `check g is ${w}`, ["support.constant.property.rgnn"]],
    ["the groups", Object.keys(GROUPS), (w) => `principal bundle F over P with group ${w}(2)`, ["support.type.group.rgnn"]],
  ];
  for (const [what, words, line, scopes] of coverage)
    test(`colours every word of ${what} (${new Set(words).size})`, () => {
      expect(words.length).toBeGreaterThan(0);
      for (const w of new Set(words)) expect(scopes, `'${w}' in '${line(w)}'`).toContain(scopeOf(line(w), w));
    });

  test("colours a group only as a group, and a property only after 'is'", () => {
    expect(scopeOf("manifold P (O, x)", "O")).toBe("variable.other.rgnn");
    expect(scopeOf("action of f on P in SO(2)", "SO")).toBe("support.type.group.rgnn");
    expect(scopeOf("  y = symmetric * x", "symmetric")).toBe("variable.other.rgnn");
  });

  test("marks what the lexer refuses as invalid", () => {
    expect(scopeOf("manifold P (x) $ @", "$")).toBe("invalid.illegal.rgnn");
    expect(scopeOf("metric g on P = [[1]] ;", ";")).toBe("invalid.illegal.rgnn");
  });
});

describe("the .vsix", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rgnn-vsix-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("is a zip with VS Code's layout, the manifest and the bundled client", () => {
    const out = join(dir, "rgnn.vsix");
    execFileSync(process.execPath, ["editors/vscode/scripts/package.mjs", "-o", out]);
    const list = execFileSync("unzip", ["-Z1", out], { encoding: "utf8" }).trim().split("\n");
    expect(list.sort()).toEqual(
      [
        "[Content_Types].xml",
        "extension.vsixmanifest",
        "extension/dist/extension.js",
        "extension/language-configuration.json",
        "extension/package.json",
        "extension/readme.md",
        "extension/syntaxes/rgnn.tmLanguage.json",
      ].sort(),
    );
    execFileSync("unzip", ["-tq", out]);
    const read = (name: string) => execFileSync("unzip", ["-p", out, name], { encoding: "utf8" });
    const pkg = JSON.parse(read("extension/package.json"));
    expect(read("extension.vsixmanifest")).toContain(`<Identity Language="en-US" Id="rgnn" Version="${pkg.version}" Publisher="rgnn" />`);
    expect(pkg.contributes.grammars[0].path).toBe("./syntaxes/rgnn.tmLanguage.json");
    expect(read("extension/syntaxes/rgnn.tmLanguage.json")).toBe(readFileSync(GRAMMAR, "utf8"));
    // Bundled: the only module left to load at run time is VS Code's own API (and Node's built-ins).
    const js = read("extension/dist/extension.js");
    const required = new Set([...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    expect([...required].filter((m) => m !== "vscode" && !m.startsWith("node:") && !isBuiltin(m))).toEqual([]);
    expect(js).toContain('"lsp"');
  });
});
