// `rgnn lsp`: a language server over standard input and output. Every document is checked as `rgnn check`
// checks it, on each change; the last model that checked clean answers hover while the text is broken.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CodeActionKind,
  CompletionItemKind,
  createConnection,
  type Diagnostic as LspDiagnostic,
  DiagnosticSeverity,
  DocumentSymbol,
  MarkupKind,
  type Position,
  type Range,
  StreamMessageReader,
  StreamMessageWriter,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { inGraph, type Model, newGraph } from "../index.js";
import {
  check,
  completions,
  type DeclKind,
  declarations,
  diagnosticText,
  type HoverFormat,
  hoverFormat,
  hoverText,
  layersAt,
  layersHover,
  suggestedName,
  wordAt,
} from "./analysis.js";
import { resynchronisingFraming } from "./framing.js";

const SYMBOL_KIND: Record<DeclKind, SymbolKind> = {
  constant: SymbolKind.Constant,
  manifold: SymbolKind.Namespace,
  map: SymbolKind.Function,
  network: SymbolKind.Class,
  metric: SymbolKind.Field,
  bundle: SymbolKind.Struct,
};
const COMPLETION_KIND = {
  keyword: CompletionItemKind.Keyword,
  name: CompletionItemKind.Variable,
  activation: CompletionItemKind.Function,
  quantity: CompletionItemKind.Property,
} as const;

function fileOf(uri: string): { file: string; baseDir: string } {
  if (uri.startsWith("file:")) {
    const file = fileURLToPath(uri);
    return { file, baseDir: dirname(file) };
  }
  return { file: uri, baseDir: process.cwd() };
}

/** Runs until the client sends `exit` (or closes the stream); resolves with the exit status. */
export function serve(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  // a malformed header is skipped and logged rather than desynchronising the stream (src/lsp/framing.ts)
  const framed = input.pipe(resynchronisingFraming((line) => process.stderr.write(line)));
  const connection = createConnection(new StreamMessageReader(framed), new StreamMessageWriter(output));
  const documents = new TextDocuments(TextDocument);
  /** The last model that checked clean, per document, and whether it is of the current text. */
  const models = new Map<string, { model: Model; current: boolean }>();

  const range = (doc: TextDocument, offset: number, end: number): Range => ({
    start: doc.positionAt(offset),
    end: doc.positionAt(Math.max(end, offset + 1)),
  });

  function validate(doc: TextDocument): void {
    const { file, baseDir } = fileOf(doc.uri);
    const text = doc.getText();
    const res = check(text, file, baseDir);
    if (res.ok) {
      models.set(doc.uri, { model: res.model, current: true });
      // warnings (a metric through a ReLU layer) do not stop the model: shown as such
      const warnings: LspDiagnostic[] = res.model.warnings.map((d) => ({
        range: range(doc, d.span.offset, d.span.end),
        severity: DiagnosticSeverity.Warning,
        source: "rgnn",
        message: diagnosticText(d),
      }));
      void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: warnings });
      return;
    }
    const last = models.get(doc.uri);
    if (last) last.current = false;
    const diagnostics: LspDiagnostic[] = res.diagnostics.map((d) => {
      // A diagnostic in another file (a weights file) is shown at the top, with its own location.
      const here = d.source === text;
      const message = here ? diagnosticText(d) : `${d.file}:${d.span.line}:${d.span.col}: ${diagnosticText(d)}`;
      const fix = suggestedName(d);
      return {
        range: here ? range(doc, d.span.offset, d.span.end) : range(doc, 0, 0),
        severity: DiagnosticSeverity.Error,
        source: "rgnn",
        message,
        ...(fix && here ? { data: { replacement: fix } } : {}),
      };
    });
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  }

  /** Markdown (with TeX math) for clients that declare it for hovers, plain text for the others. */
  let hoverKind: HoverFormat = "plaintext";
  connection.onInitialize(({ capabilities }) => {
    hoverKind = hoverFormat(capabilities.textDocument?.hover?.contentFormat);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        completionProvider: { triggerCharacters: [] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: "rgnn" },
    };
  });

  documents.onDidChangeContent((e) => inGraph(newGraph(), () => validate(e.document)));
  documents.onDidClose((e) => {
    models.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  // Each request builds its expressions in a graph of its own, dropped when it answers: a server lives for hours of
  // edits, and one process-wide graph would keep every node of every version ever hovered.
  connection.onHover(({ textDocument, position }) => inGraph(newGraph(), () => hover(textDocument.uri, position)));

  function hover(uri: string, position: Position) {
    const doc = documents.get(uri);
    const last = models.get(uri);
    if (!doc || !last) return null;
    const text = doc.getText();
    const offset = doc.offsetAt(position);
    const w = wordAt(text, offset);
    const kind = hoverKind === "markdown" ? MarkupKind.Markdown : MarkupKind.PlainText;
    const value = w ? hoverText(last.model, w.word, hoverKind) : null;
    if (w && value) return { contents: { kind, value }, range: range(doc, w.offset, w.end) };
    // On a layer's statement (spans are only valid for the text the model was made from).
    const layers = last.current ? layersAt(last.model, offset) : [];
    return layers.length ? { contents: { kind, value: layersHover(layers, hoverKind) } } : null;
  }

  connection.onDefinition(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return null;
    const text = doc.getText();
    const w = wordAt(text, doc.offsetAt(position));
    const d = w && declarations(text).find((x) => x.name === w.word);
    if (d) return { uri: doc.uri, range: range(doc, d.offset, d.end) };
    // A coordinate: the chart of the manifold that declares it.
    const model = models.get(textDocument.uri)?.model;
    const owner = w && model && [...model.manifolds.values()].find((m) => m.coords.includes(w.word));
    if (!w || !owner) return null;
    const decl = declarations(text).find((x) => x.kind === "manifold" && x.name === owner.name);
    if (!decl) return null;
    const at = text.slice(decl.end, decl.itemEnd).search(new RegExp(`\\b${w.word}\\b`));
    return at < 0 ? null : { uri: doc.uri, range: range(doc, decl.end + at, decl.end + at + w.word.length) };
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return declarations(doc.getText()).map((d) =>
      DocumentSymbol.create(d.name, d.kind, SYMBOL_KIND[d.kind], range(doc, d.offset, d.itemEnd), range(doc, d.offset, d.end)),
    );
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    return completions(doc.getText(), models.get(textDocument.uri)?.model ?? null, doc.offsetAt(position)).map((c) => ({
      label: c.label,
      kind: COMPLETION_KIND[c.kind],
      detail: c.detail,
    }));
  });

  connection.onCodeAction(({ textDocument, context }) =>
    context.diagnostics.flatMap((d) => {
      const replacement = (d.data as { replacement?: string } | undefined)?.replacement;
      if (!replacement) return [];
      return [
        {
          title: `Change to '${replacement}'`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: true,
          edit: { changes: { [textDocument.uri]: [{ range: d.range, newText: replacement }] } },
        },
      ];
    }),
  );

  documents.listen(connection);
  return new Promise((resolve) => {
    let shutdown = false;
    connection.onShutdown(() => {
      shutdown = true;
    });
    // The protocol's exit status: 0 after a shutdown request, 1 without one. A client that sent its process id
    // leaves a watchdog timer running, so a server on the process's own streams ends the process outright.
    const end = () => {
      const code = shutdown ? 0 : 1;
      // after the exit notification's own processing has finished: disposing inside it makes that processing fail,
      // and its error report (sent over the disposed connection) an unhandled rejection in the caller's process
      setImmediate(() => connection.dispose());
      if (input === process.stdin) {
        process.stdin.destroy();
        setTimeout(() => process.exit(code), 100).unref();
      }
      resolve(code);
    };
    connection.onExit(end);
    input.once("end", end);
    connection.listen();
  });
}
