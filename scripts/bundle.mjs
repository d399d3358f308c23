// Builds the playground page into dist/web/ after `tsc` (npm run build): esbuild bundles dist/src/web/main.js with
// CodeMirror, KaTeX and the checker; KaTeX's stylesheet gets its fonts inlined (file:// pages may not load font
// files). An installed package has no esbuild: `rgnn playground` only copies these files.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { inlinedKatexCss } from "../dist/src/render/html.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(repo, "dist/web");
mkdirSync(out, { recursive: true });

/** semantics/mathnodes.js loads mathjs with Node's require; the page builds the classes from their factories (web/mathnodes.ts). */
const browserMathNodes = {
  name: "browser-mathnodes",
  setup(build) {
    const nodeOnly = join(repo, "dist/src/semantics/mathnodes.js");
    // the node factories by path: mathjs's package "exports" does not list them
    build.onResolve({ filter: /^mathjs\/lib\/esm\/expression\/node\// }, (args) => ({ path: join(repo, "node_modules", args.path) }));
    build.onResolve({ filter: /mathnodes\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === nodeOnly ? { path: join(repo, "dist/src/web/mathnodes.js") } : undefined,
    );
  },
};

const result = await esbuild.build({
  entryPoints: [join(repo, "dist/src/web/main.js")],
  outfile: join(out, "playground.js"),
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  metafile: true,
  // a page has no environment: variables such as RGNN_ROUTE (tests' route override) are unset there
  define: { "process.env": "{}", PLAYGROUND_EXAMPLE: JSON.stringify(readFileSync(join(repo, "examples/paper-toy.rgnn"), "utf8")) },
  plugins: [browserMathNodes],
  logLevel: "warning",
});
// the bundle must not reach Node: an import of a node: module would fail only in the browser
const nodeImports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.path.startsWith("node:")));
if (nodeImports.length) throw new Error(`the playground bundle imports ${nodeImports.map((x) => x.path).join(", ")}`);
writeFileSync(join(out, "playground.css"), `${inlinedKatexCss()}\n${readFileSync(join(repo, "src/web/assets/playground.css"), "utf8")}`);
copyFileSync(join(repo, "src/web/assets/index.html"), join(out, "index.html"));
