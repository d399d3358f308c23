// Writes syntaxes/rgnn.tmLanguage.json, the TextMate grammar of .rgnn, from the language's own tables: the
// lexer's reserved words and the context words (grammar/, src/lsp/analysis.ts), the layer kinds, the functions
// and the quantities (src/core/), the properties of `check … is` and the matrix groups (src/semantics/). Run after
// `npm run build`; `--check` fails if the committed file is stale. test/editors/vscode.test.ts tokenizes every word of
// these tables with the committed file.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("../../../dist/", import.meta.url);
const { FUNCTIONS } = await import(new URL("src/core/functions.js", dist).href);
const { LAYER_WORDS } = await import(new URL("src/core/layers/index.js", dist).href);
const { QUANTITY_PHRASES, CLAIM_FUNCTIONS } = await import(new URL("src/core/quantities.js", dist).href);
const { KEYWORDS } = await import(new URL("src/lsp/analysis.js", dist).href);
const { PROPERTIES } = await import(new URL("src/semantics/requests.js", dist).href);
const { GROUPS } = await import(new URL("src/semantics/analyze.js", dist).href);

const words = (list) => [...new Set(list)].sort((a, b) => b.length - a.length || a.localeCompare(b));
const alt = (list) => words(list).map((w) => w.replace(/ /g, "\\s+")).join("|");
// the words that open a layer, one per kind or family of kinds (`order K`)
const layerKinds = [...LAYER_WORDS.keys()];
const keywords = KEYWORDS.filter((k) => !layerKinds.includes(k));
const ident = "[A-Za-z_][A-Za-z0-9_]*";
const notKeyword = `(?!(?:${alt(KEYWORDS)})\\b)`;

/** A declaration keyword and the name it declares. */
const declaration = (kw, scope) => ({
  match: `\\b(${kw})\\s+${notKeyword}(${ident})`,
  captures: { 1: { name: "keyword.other.declaration.rgnn" }, 2: { name: `${scope}.rgnn` } },
});

const grammar = {
  $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  name: "rgnn",
  scopeName: "source.rgnn",
  fileTypes: ["rgnn"],
  patterns: [
    { name: "comment.line.number-sign.rgnn", match: "#.*$" },
    { name: "string.quoted.double.rgnn", match: '"(?:\\\\["\\\\]|[^"\\\\])*"' },
    declaration("manifold", "entity.name.type.manifold"),
    declaration("map|network", "entity.name.function"),
    declaration("metric", "entity.name.variable.metric"),
    declaration("constant", "variable.other.constant"),
    declaration("(?:principal|associated)\\s+bundle", "entity.name.type.bundle"),
    { name: "storage.type.layer.rgnn", match: `\\b(?:${alt(layerKinds)})\\b` },
    // `check g is positive definite`: the property after `is`
    {
      match: `\\b(is)\\s+(${alt(PROPERTIES)})\\b`,
      captures: { 1: { name: "keyword.control.rgnn" }, 2: { name: "support.constant.property.rgnn" } },
    },
    // `with group GL(2)`, `in SO(3)`: a group is its name before a bracket
    { name: "support.type.group.rgnn", match: `\\b(?:${alt(Object.keys(GROUPS))})(?=\\s*\\()` },
    { name: "keyword.control.rgnn", match: `\\b(?:${alt(keywords)})\\b` },
    { name: "support.constant.quantity.rgnn", match: `\\b(?:${alt([...QUANTITY_PHRASES, ...CLAIM_FUNCTIONS, "jacobian"])})\\b` },
    { name: "support.function.rgnn", match: `\\b(?:${alt([...FUNCTIONS, "linear"])})\\b` },
    { name: "constant.numeric.rgnn", match: "(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?" },
    { name: "variable.other.rgnn", match: ident },
    { name: "keyword.operator.arrow.rgnn", match: "->" },
    { name: "keyword.operator.rgnn", match: "[-+*/^=]" },
    { name: "punctuation.separator.comma.rgnn", match: "," },
    { name: "punctuation.separator.colon.rgnn", match: ":" },
    { name: "punctuation.section.bracket.rgnn", match: "[()\\[\\]{}]" },
    // Anything the lexer would refuse.
    { name: "invalid.illegal.rgnn", match: "[^\\s]" },
  ],
};

const out = fileURLToPath(new URL("../syntaxes/rgnn.tmLanguage.json", import.meta.url));
const text = `${JSON.stringify(grammar, null, 2)}\n`;
if (process.argv.includes("--check")) {
  if (readFileSync(out, "utf8") !== text) {
    process.stderr.write(`${out} is stale: run node editors/vscode/scripts/grammar.mjs\n`);
    process.exit(1);
  }
} else writeFileSync(out, text);
