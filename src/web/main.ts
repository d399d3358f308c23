// The playground page: a CodeMirror 6 editor with the spec, and beside it what playground.ts computes from it,
// recomputed (debounced) as the text changes. Runs offline from file://: everything is in the bundle.
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import katex from "katex";
import { RESERVED } from "../../grammar/lexer.js";
import { ACTIVATIONS } from "../semantics/model.js";
import type { Model } from "../semantics/model.js";
import { checkText, frameOfPoint, gridFigure, type MetricView, metricView, pointOnFrame, valueAt } from "./playground.js";

/** The spec the page opens with (examples/paper-toy.rgnn, put in by scripts/bundle.mjs). */
declare const PLAYGROUND_EXAMPLE: string;

/** What the page has shown, for tests and for the load-time measurement. */
interface PlaygroundState {
  /** performance.now() when the bundle started running (after it was fetched and parsed). */
  startedAt: number;
  /** performance.now() when a metric's closed form and ellipses were first on screen. */
  firstShownAt: number | null;
  /** How many times the right-hand side was redrawn from a clean check. */
  renders: number;
  /** Whether what is shown is of an earlier text: the spec has errors now. */
  stale: boolean;
}
const state: PlaygroundState = { startedAt: performance.now(), firstShownAt: null, renders: 0, stale: false };
(window as unknown as { rgnnPlayground: PlaygroundState }).rgnnPlayground = state;

const keywords = new Set<string>(RESERVED);
const activations = new Set<string>(ACTIVATIONS);

/** Highlighting by token class: comments, numbers, strings, reserved words, activation functions. */
const rgnnLanguage = StreamLanguage.define<null>({
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match(/#.*/)) return "comment";
    if (stream.match(/"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?/)) return "number";
    const word = stream.match(/[A-Za-z_]\w*/) as RegExpMatchArray | null;
    if (word) return keywords.has(word[0]) ? "keyword" : activations.has(word[0]) ? "atom" : "variableName";
    stream.next();
    return "operator";
  },
});
const highlight = HighlightStyle.define([
  { tag: tags.comment, color: "#6a737d", fontStyle: "italic" },
  { tag: tags.keyword, color: "#8a1b9e", fontWeight: "600" },
  { tag: tags.number, color: "#1a6e2e" },
  { tag: tags.string, color: "#9a4a00" },
  { tag: tags.atom, color: "#1f5fa8" },
  { tag: tags.operator, color: "#555" },
]);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $("status"),
  metricSelect = $<HTMLSelectElement>("metric"),
  formula = $("formula"),
  value = $("value"),
  ellipses = $("ellipses"),
  grid = $("grid"),
  figureNote = $("figure-note"),
  results = $("results"),
  staleNote = $("stale");

const tex = (s: string) => katex.renderToString(s, { displayMode: true, throwOnError: false, strict: "ignore" });
/** An SVG document's text without its XML declaration, to sit inside the HTML page. */
const inline = (svg: string) => svg.replace(/^<\?xml[^>]*>\s*/, "");

let model: Model | null = null;
let shown: MetricView | null = null;

function showValue(point: number[]): void {
  if (!model || !shown) return;
  const v = valueAt(model, shown.name, point);
  value.innerHTML = "error" in v ? `<p class="note">${escapeHtml(v.error)}</p>` : tex(v.tex);
  value.dataset.point = point.join(",");
  // the point evaluated, marked on the figure
  const svg = ellipses.querySelector("svg");
  if (!svg || !shown.ellipses) return;
  const [cx, cy] = frameOfPoint(shown.ellipses.frame, point);
  svg.querySelector("#clicked")?.remove();
  const mark = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  for (const [k, v] of Object.entries({ id: "clicked", cx, cy, r: 5, fill: "none", stroke: "#e08a00", "stroke-width": 2.5 }))
    mark.setAttribute(k, String(v));
  svg.append(mark);
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

let gridTimer: ReturnType<typeof setTimeout> | undefined;

function render(): void {
  if (!model) return;
  const m = model,
    name = metricSelect.value;
  const view = metricView(m, name);
  shown = view;
  formula.innerHTML = view.tex !== null ? tex(view.tex) : `<p class="note">${escapeHtml(view.texNote ?? "")}</p>`;
  ellipses.innerHTML = view.ellipses ? inline(view.ellipses.svg) : "";
  const last = value.dataset.point?.split(",").map(Number);
  if (last && last.length === view.coords.length) showValue(last);
  else value.innerHTML = `<p class="note">click on the ellipses to evaluate ${escapeHtml(view.name)} there</p>`;
  state.renders++;
  if (state.firstShownAt === null && view.tex !== null && view.ellipses) state.firstShownAt = performance.now();
  // the grid after the metric is on screen: it runs every layer over a few thousand points
  clearTimeout(gridTimer);
  gridTimer = setTimeout(() => {
    const g = gridFigure(m, name);
    grid.innerHTML = "svg" in g ? inline(g.svg) : "";
    figureNote.textContent = [view.figureNote, "note" in g ? g.note : null].filter(Boolean).join("; ");
  });
}

/** The metric list of a new model, keeping the chosen one while it exists. */
function fillMetrics(m: Model): void {
  const names = [...m.metrics.keys()];
  const keep = names.includes(metricSelect.value) ? metricSelect.value : names[0];
  metricSelect.replaceChildren(...names.map((n) => new Option(n, n, false, n === keep)));
  metricSelect.disabled = names.length === 0;
}

/** Marks the results as those of an earlier text (faded, with a note saying why), or as current. */
function markStale(errors: number | null): void {
  state.stale = errors !== null && model !== null;
  results.classList.toggle("stale", state.stale);
  staleNote.hidden = !state.stale;
  staleNote.textContent = state.stale
    ? `out of date: the spec has ${errors} error${errors === 1 ? "" : "s"}; below is the last version that checked`
    : "";
}

function update(view: EditorView): void {
  const text = view.state.doc.toString();
  const res = checkText(text);
  if (!res.ok) {
    const diagnostics: Diagnostic[] = res.diagnostics.map((d) => ({
      from: Math.min(d.from, text.length),
      to: Math.min(d.to, text.length),
      severity: "error",
      source: "rgnn",
      message: d.message,
    }));
    view.dispatch(setDiagnostics(view.state, diagnostics));
    const first = res.diagnostics[0];
    status.className = "error";
    status.textContent =
      `${res.diagnostics.length} error${res.diagnostics.length > 1 ? "s" : ""}: line ${first.line}:${first.col}: ` +
      first.message.split("\n")[0];
    markStale(res.diagnostics.length);
    return; // the last good figures stay, as the language server keeps the last good model, marked as out of date
  }
  view.dispatch(setDiagnostics(view.state, []));
  status.className = "ok";
  const m = res.model;
  const plural = (n: number, w: string) => (n ? `${n} ${w}${n === 1 ? "" : "s"}` : "");
  const nets = [...m.mappings.values()].filter((f) => f.kind === "network").length;
  const parts = [plural(m.manifolds.size, "manifold"), plural(m.mappings.size - nets, "map"), plural(nets, "network")];
  status.textContent = `ok: ${[...parts, plural(m.metrics.size, "metric") || "no metric"].filter(Boolean).join(", ")}`;
  model = m;
  markStale(null);
  fillMetrics(m);
  if (m.metrics.size) render();
  else {
    shown = null;
    formula.innerHTML = `<p class="note">the spec declares no metric</p>`;
    ellipses.innerHTML = grid.innerHTML = value.innerHTML = "";
  }
}

const DEBOUNCE_MS = 250;
let timer: ReturnType<typeof setTimeout> | undefined;
const editor = new EditorView({
  parent: $("editor"),
  state: EditorState.create({
    // `rgnn playground FILE` puts FILE's text in a hidden textarea; else the example built into the bundle
    doc: document.querySelector<HTMLTextAreaElement>("textarea#spec")?.value ?? PLAYGROUND_EXAMPLE,
    extensions: [
      lineNumbers(),
      EditorView.lineWrapping,
      history(),
      highlightActiveLine(),
      bracketMatching(),
      lintGutter(),
      rgnnLanguage,
      syntaxHighlighting(highlight),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        clearTimeout(timer);
        timer = setTimeout(() => update(u.view), DEBOUNCE_MS);
      }),
    ],
  }),
});

metricSelect.addEventListener("change", render);
ellipses.addEventListener("click", (e) => {
  const svg = ellipses.querySelector("svg");
  const ctm = svg?.getScreenCTM();
  if (!svg || !ctm || !shown?.ellipses) return;
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
  const point = pointOnFrame(shown.ellipses.frame, p.x, p.y);
  if (point) showValue(point);
});

update(editor);
