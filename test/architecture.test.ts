// docs/architecture.md stays true: its stage diagram names every folder under src/, and data flows one way
// along it — a file imports only its own stage or earlier ones (stages on one step of the diagram, such as
// the front ends import, lsp and web, do not import each other).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..");
const doc = readFileSync(join(repo, "docs/architecture.md"), "utf8");

/** The diagram's line `core → syntax → … → cli`, as stage → rank (stages separated by commas share one). */
function diagramRanks(text: string): Map<string, number> {
  const line = text.split("\n").find((l) => l.startsWith("core →"));
  if (!line) throw new Error("docs/architecture.md has no stage diagram starting `core →`");
  return new Map(line.split("→").flatMap((step, rank) => step.split(",").map((s) => [s.trim(), rank] as const)));
}

/** grammar/ is the syntax stage's, src/index.ts the api's; everything else is its folder under src/. */
function stageOf(file: string): string {
  const [top, second, third] = relative(repo, file).split(/[\\/]/);
  if (top === "grammar") return "syntax";
  if (top !== "src") return top;
  return third === undefined ? "api" : second;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative import of a file — static, `export … from`, `import type` and dynamic `import()` — as "from → to". */
function crossings(files: string[], read: (f: string) => string, ranks: Map<string, number>): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = stageOf(file);
    for (const ref of ts.preProcessFile(read(file), true, true).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const to = stageOf(resolve(dirname(file), ref.fileName));
      if (to !== from && !((ranks.get(to) ?? Infinity) < (ranks.get(from) ?? -Infinity))) {
        bad.push(`${relative(repo, file)} (${from}) imports ${ref.fileName} (${to})`);
      }
    }
  }
  return bad;
}

const ranks = diagramRanks(doc);
const code = [...sources(join(repo, "src")), ...sources(join(repo, "grammar"))].filter((f) => /\.ts$/.test(f));

describe("the stages of docs/architecture.md", () => {
  it("the diagram names every folder under src/, and the stage table lists each", () => {
    const folders = readdirSync(join(repo, "src"), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect([...ranks.keys()].sort()).toEqual(folders.sort());
    for (const f of folders) expect(doc, `no row for src/${f}/`).toMatch(new RegExp(`^\\| [^|]+ \\| [^|]*\`src/${f}/\``, "m"));
  });

  it("no file imports a later stage", () => {
    expect(code.length).toBeGreaterThan(100);
    expect(crossings(code, (f) => readFileSync(f, "utf8"), ranks)).toEqual([]);
  });

  it("the check sees every kind of import", () => {
    // a core file importing later stages in each form the language has
    const file = join(repo, "src/core/x.ts");
    const text = [
      'import { a } from "../symbolic/expr.js";',
      'import type { M } from "../semantics/model.js";',
      'export { b } from "../cli/main.js";',
      'const c = await import("../api/spec.js");',
      'import "../web/main.js";',
      'import { d } from "./functions.js";',
      'import { e } from "../../grammar/lexer.js";',
    ].join("\n");
    expect(crossings([file], () => text, ranks).map((l) => l.replace(/.* \((\w+)\)$/, "$1"))).toEqual([
      "symbolic",
      "semantics",
      "cli",
      "api",
      "web",
      "syntax",
    ]);
    // a front end may not import another that shares its step of the diagram
    expect(crossings([join(repo, "src/lsp/x.ts")], () => 'import "../web/main.js";', ranks)).toHaveLength(1);
    expect(crossings([join(repo, "src/cli/x.ts")], () => 'import "../lsp/server.js";', ranks)).toEqual([]);
  });

  it("build scripts live under scripts/, not src/", () => {
    expect(sources(join(repo, "src")).filter((f) => /\.(m|c)?js$/.test(f))).toEqual([]);
  });
});
