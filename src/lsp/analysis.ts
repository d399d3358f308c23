// What the language server knows about one document, as plain functions of its text and of the last model
// that checked clean: diagnostics, declarations, hover text, completions. The server (server.ts) only
// translates these to the protocol, so they are tested through it with the same words the CLI prints.
import { RESERVED } from "../../grammar/lexer.js";
import { REGISTRY } from "../core/functions.js";
import { LAYER_KINDS, LAYER_WORDS } from "../core/layers/index.js";
import { CLAIM_FUNCTIONS, QUANTITY_PHRASES } from "../core/quantities.js";
import {
  type CheckResult,
  checkSpec,
  type Diagnostic,
  type Layer,
  type MatrixMetric,
  type Mapping,
  type Metric,
  type Model,
  closedFormTex,
  INTERACTIVE_LAYERS,
  interactiveForm,
  metricSymbolic,
} from "../index.js";
import { latexSymbol } from "../render/latex-expr.js";
import { ACTIVATIONS, type Activation, QUANTITIES } from "../semantics/model.js";
import { layerLabel } from "../semantics/labels.js";

/** Words matched by text where only they can stand (grammar/rgnn.ne), besides the lexer's reserved words. */
const CONTEXT_WORDS = ["then", "layer", "layers", "over", "group", "fibre", "rank", "velocity", "diffeomorphism"];
export const KEYWORDS: readonly string[] = [...new Set([...RESERVED, ...CONTEXT_WORDS])].sort();

export type DeclKind = "constant" | "manifold" | "map" | "network" | "metric" | "bundle";
/** A declared name and where its name is written. */
export interface Declaration {
  name: string;
  kind: DeclKind;
  offset: number;
  end: number;
  /** The whole statement, to its last line. */
  itemEnd: number;
}

/** Comments blanked out (same length), so that scans of the text never match inside them. */
const uncommented = (text: string) => text.replace(/#[^\n]*/g, (c) => " ".repeat(c.length));

const DECLARATION = /^[ \t]*(constant|manifold|map|network|metric|principal[ \t]+bundle|associated[ \t]+bundle)[ \t]+([A-Za-z_]\w*)/gm;
const RESERVED_SET = new Set<string>(RESERVED);

/**
 * Declarations found in the text itself, so that outline and go-to-definition keep working while the
 * document does not parse. A statement runs to the next declaration or request at the start of a line.
 */
export function declarations(text: string): Declaration[] {
  const clean = uncommented(text);
  const out: Declaration[] = [];
  for (const m of clean.matchAll(DECLARATION)) {
    const name = m[2];
    if (RESERVED_SET.has(name)) continue;
    const offset = m.index + m[0].length - name.length;
    const kw = m[1].split(/[ \t]/)[0];
    const kind: DeclKind = kw === "principal" || kw === "associated" ? "bundle" : (kw as DeclKind);
    out.push({ name, kind, offset, end: offset + name.length, itemEnd: offset + name.length });
  }
  // A statement ends where the next one starts (blank lines and trailing whitespace trimmed).
  const starts = [
    ...clean.matchAll(/^[ \t]*(?:constant|manifold|map|network|metric|principal|associated|action|show|evaluate|check)\b/gm),
  ].map((m) => m.index);
  for (const d of out) {
    const next = starts.find((s) => s > d.offset) ?? clean.length;
    d.itemEnd = d.offset + clean.slice(d.offset, next).trimEnd().length;
  }
  return out;
}

/** The identifier around a character offset, if any. */
export function wordAt(text: string, offset: number): { word: string; offset: number; end: number } | null {
  const isWord = (c: string | undefined) => c !== undefined && /\w/.test(c);
  let a = offset,
    b = offset;
  while (a > 0 && isWord(text[a - 1])) a--;
  while (b < text.length && isWord(text[b])) b++;
  const word = text.slice(a, b);
  return /^[A-Za-z_]\w*$/.test(word) ? { word, offset: a, end: b } : null;
}

/** Check a document exactly as `rgnn check` does. */
export function check(text: string, file: string, baseDir: string): CheckResult {
  return checkSpec(text, file, { baseDir });
}

/** A diagnostic's text as the CLI prints it under the caret: the message, then its notes. */
export const diagnosticText = (d: Diagnostic) => [d.message, ...(d.notes ?? [])].join("\n");

/** The name a "did you mean 'X'?" note proposes, if the diagnostic has one. */
export function suggestedName(d: Diagnostic): string | null {
  for (const n of d.notes ?? []) {
    const m = /^did you mean '([^']+)'\?$/.exec(n);
    if (m) return m[1];
  }
  return null;
}

// --- hover ---------------------------------------------------------------------------------------

/**
 * How a hover is written: Markdown with TeX math (`$…$`, `$$…$$`), or plain text with the formulas in rgnn's own
 * text syntax, for a client that does not declare Markdown for hovers (`textDocument.hover.contentFormat`).
 */
export type HoverFormat = "markdown" | "plaintext";

/** The format a client's capabilities ask for: Markdown only when it lists it, as the protocol says. */
export const hoverFormat = (contentFormat: readonly string[] | undefined): HoverFormat =>
  contentFormat?.includes("markdown") ? "markdown" : "plaintext";

const actTex = (a: Activation) => REGISTRY[a].tex;
const chart = (coords: string[]) => `(${coords.join(", ")})`;

/** The two spellings of a hover's parts: a kind of thing in bold, a name as code, in Markdown; as they are in text. */
const spelling = (f: HoverFormat) =>
  f === "markdown"
    ? { kind: (k: string) => `**${k}**`, name: (n: string) => `\`${n}\`` }
    : { kind: (k: string) => k, name: (n: string) => n };

function layerLine(l: Layer, f: HoverFormat): string {
  const def = LAYER_KINDS[l.kind];
  const head = `- layer ${l.index}: ${layerLabel(l)}, width ${l.inWidth} → ${l.outWidth}`;
  return f === "markdown" ? `${head}: $${def.derivation.general(l.index, actTex(l.activation))}$` : head;
}

/** Layers a metric is pulled back through (a closed form's cost grows with them). */
function depth(metric: Metric): number {
  const along = (f: Mapping): number =>
    f.kind === "network" ? f.layers.length : f.kind === "compose" ? along(f.first) + along(f.second) : 0;
  return metric.def.kind === "pullback" ? depth(metric.def.of) + along(metric.def.along) : 0;
}
/** Beyond these a hover would stall the editor (seconds to minutes) or flood it: it points to the CLI instead. */
export const HOVER_MAX_CHARS = 20_000;

/** A matrix form's parameters with their shapes, while a line can hold them (deep networks: how many). */
function weightsLine(parameters: MatrixMetric["parameters"], f: HoverFormat): string {
  const cli = f === "markdown" ? "`rgnn metric --form matrix`" : "rgnn metric --form matrix";
  if (parameters.length > 12) return `${parameters.length} matrices, vectors and scalars (${cli} lists them)`;
  if (f === "plaintext")
    return parameters
      .map((p) => `${p.name}${p.shape.length ? ` (${p.shape.join("×")})` : p.value !== undefined ? ` = ${p.value}` : ""}`)
      .join(", ");
  const shape = (p: MatrixMetric["parameters"][number]) =>
    p.shape.length ? ` \\in \\mathbb{R}^{${p.shape.join(" \\times ")}}` : p.value !== undefined ? ` = ${p.value}` : "";
  return parameters.map((p) => `$${latexSymbol(p.name)}${shape(p)}$`).join(", ");
}

/** A metric's closed form, in the form an interactive view takes (the matrix recursion for wide or deep networks). */
function metricHover(metric: Metric, f: HoverFormat): string {
  const { kind, name } = spelling(f);
  const head = `${kind("metric")} ${name(metric.name)} on ${name(metric.manifold.name)} ${chart(metric.manifold.coords)}`;
  const cli = `${name(`rgnn metric FILE --metric ${metric.name}`)} writes it out`;
  const form = interactiveForm(metric);
  // a deep pullback along composed maps or several networks has no matrix form to fall back to
  if (form !== "matrix" && depth(metric) > INTERACTIVE_LAYERS) return `${head}\n\nA pullback through ${depth(metric)} layers: ${cli}.`;
  let s: ReturnType<typeof metricSymbolic>;
  try {
    s = metricSymbolic(metric, form);
  } catch (e) {
    return `${head}\n\n(no closed form: ${e instanceof Error ? e.message : String(e)})`;
  }
  const how =
    s.form === "matrix"
      ? `In matrix form, the weights named: ${weightsLine(s.parameters, f)}.`
      : s.form === "layers"
        ? "In layered form:"
        : "";
  const body = f === "markdown" ? `$$\n${closedFormTex(s)}\n$$` : closedFormText(s);
  const text = [head, ...(how ? [how] : []), body].join("\n\n");
  return text.length > HOVER_MAX_CHARS ? `${head}\n\nIts closed form is ${text.length} characters long: ${cli}.` : text;
}

/** A closed form in rgnn's text syntax: the named quantities, then g as an aligned matrix or component by component. */
function closedFormText(s: ReturnType<typeof metricSymbolic>): string {
  const lines: string[] = [];
  let group = "";
  for (const d of s.definitions) {
    if (d.group !== group) {
      group = d.group;
      lines.push(`${lines.length ? "\n" : ""}${group}:`);
    }
    lines.push(`  ${d.name} = ${d.expr}`);
  }
  if (s.form === "matrix") return lines.join("\n");
  if (lines.length) lines.push("");
  const cells = s.components;
  if (cells.flat().every((c) => c.length <= 40)) {
    const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
    const pad = " ".repeat(s.name.length + 3);
    for (const [i, r] of cells.entries())
      lines.push(`${i === 0 ? `${s.name} = ` : pad}[ ${r.map((c, j) => c.padEnd(widths[j])).join("  ")} ]`);
  } else
    for (let i = 0; i < s.coords.length; i++)
      for (let j = i; j < s.coords.length; j++) lines.push(`${s.name}[${s.coords[i]}][${s.coords[j]}] = ${cells[i][j]}`);
  return lines.join("\n");
}

/** A declared name (or a coordinate) of the model in the hover's format, or null if it names nothing there. */
export function hoverText(model: Model, name: string, f: HoverFormat = "markdown"): string | null {
  const { kind, name: code } = spelling(f);
  const c = model.constants.get(name);
  if (c) return `${kind("constant")} ${code(name)}${c.value === undefined ? " (a free symbol)" : ` = ${c.value}`}`;
  const m = model.manifolds.get(name);
  if (m) {
    const emb = m.embedding ? `, embedded in ${code(m.embedding.target.name)}` : "";
    return `${kind("manifold")} ${code(name)}: dimension ${m.dim}, chart ${chart(m.coords)}${emb}`;
  }
  const map = model.mappings.get(name);
  if (map) {
    const head =
      `${kind(map.kind)} ${code(name)}: ${code(map.source.name)} ${chart(map.source.coords)} → ${code(map.target.name)} ` +
      `${chart(map.target.coords)}`;
    if (map.kind === "network") return `${head}\n\n${layersHover(map.layers, f)}`;
    if (map.kind === "compose") return `${head}\n\n${code(`${map.second.name} ∘ ${map.first.name}`)}`;
    const rows = map.components.map((e, i) => `${map.target.coords[i]} = ${e.toString()}`).join("\n");
    return f === "markdown" ? `${head}\n\n\`\`\`\n${rows}\n\`\`\`` : `${head}\n\n${rows}`;
  }
  const g = model.metrics.get(name);
  if (g) return metricHover(g, f);
  const b = model.bundles.get(name);
  if (b) {
    return b.kind === "principal"
      ? `${kind("principal bundle")} ${code(name)} over ${code(b.base.name)} with group ${b.group.name}(${b.group.n})`
      : `${kind("associated bundle")} ${code(name)} of ${code(b.principal.name)} with fibre ${b.fibre}`;
  }
  const owners = [...model.manifolds.values()].filter((x) => x.coords.includes(name));
  if (owners.length) return owners.map((x) => `${kind("coordinate")} ${code(name)} of ${code(x.name)} ${chart(x.coords)}`).join("\n\n");
  return null;
}

/** The layers of a network whose statement covers the offset (a `repeat` block gives several). */
export function layersAt(model: Model, offset: number): Layer[] {
  for (const f of model.mappings.values())
    if (f.kind === "network") {
      const hit = f.layers.filter((l) => l.span.offset <= offset && offset < l.span.end);
      if (hit.length) return hit;
    }
  return [];
}
/** The layers' lines: paragraphs in Markdown, lines in plain text. */
export const layersHover = (layers: Layer[], f: HoverFormat = "markdown") =>
  layers.map((l) => layerLine(l, f)).join(f === "markdown" ? "\n\n" : "\n");

// --- completion ----------------------------------------------------------------------------------

export interface CompletionWord {
  label: string;
  kind: "keyword" | "name" | "activation" | "quantity";
  detail: string;
}

/**
 * What can be typed at `offset` (default: anywhere), narrowed by what precedes it on its line as the grammar allows:
 * activations after a layer kind (`dense 32 `), quantities and names after `show`, networks and maps after `along`,
 * metrics after `pullback of` or `show … of`; elsewhere keywords, declared names, activations and quantities.
 */
export function completions(text: string, model: Model | null, offset: number = text.length): CompletionWord[] {
  const out = new Map<string, CompletionWord>();
  const add = (w: CompletionWord) => {
    if (!out.has(w.label)) out.set(w.label, w);
  };
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  // the declaration being written on this line is no candidate for its own definition
  const decls = declarations(text).filter((d) => d.offset < lineStart || d.offset > offset);
  const names = (...kinds: DeclKind[]) => {
    for (const d of decls) if (kinds.includes(d.kind)) add({ label: d.name, kind: "name", detail: d.kind });
  };
  const activations = () => {
    for (const a of ACTIVATIONS) add({ label: a, kind: "activation", detail: "activation" });
  };
  const quantities = () => {
    for (const q of QUANTITIES) add({ label: q, kind: "quantity", detail: "quantity (show … of)" });
    for (const q of QUANTITY_PHRASES) add({ label: q, kind: "quantity", detail: "quantity (show … of)" });
  };
  const line = uncommented(text.slice(lineStart, offset));
  const layer = /^\s*([a-z_]+)(?:\s+\d+)?\s+\w*$/.exec(line);
  const word = layer && LAYER_WORDS.get(layer[1]);
  if (word) {
    if (word.syntax.activation) activations();
    return [...out.values()];
  }
  if (/\bpullback\s+of\s+\w*$/.test(line)) {
    names("metric");
    add({ label: "euclidean", kind: "keyword", detail: "the Euclidean metric of the target" });
    return [...out.values()];
  }
  if (/\bshow\s+.+\bof\s+\w*$/.test(line)) {
    names("metric", "map", "network");
    return [...out.values()];
  }
  if (/\balong\s+\w*$/.test(line)) {
    names("map", "network");
    return [...out.values()];
  }
  if (/\bshow\s+\w*$/.test(line)) {
    quantities();
    names("metric", "map", "network");
    return [...out.values()];
  }
  for (const d of decls) add({ label: d.name, kind: "name", detail: d.kind });
  if (model)
    for (const m of model.manifolds.values()) for (const c of m.coords) add({ label: c, kind: "name", detail: `coordinate of ${m.name}` });
  activations();
  quantities();
  for (const q of CLAIM_FUNCTIONS) add({ label: q, kind: "quantity", detail: `quantity in claims: ${q}(g)` });
  for (const k of KEYWORDS) add({ label: k, kind: "keyword", detail: "keyword" });
  return [...out.values()];
}
