// `rgnn playground [FILE] -o DIR`: the playground page (src/web/), an offline static site of three files. The
// bundle is built by `npm run build` into dist/web/ (an installed package has no esbuild); this copies it, with
// FILE's text in place of the example spec when one is given.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, stripBom } from "../../syntax/input.js";
import { EXIT, type IO } from "../io.js";
import { checkOutputs, writeFileSet } from "../output.js";

export const PLAYGROUND_FILES = ["index.html", "playground.js", "playground.css"] as const;

/** dist/web of this package, from src/cli/commands (tests) or dist/src/cli/commands (the built CLI). */
function bundleDir(): string | null {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, "package.json"))) {
      const web = join(dir, "dist", "web");
      return PLAYGROUND_FILES.every((f) => existsSync(join(web, f))) ? web : null;
    }
  return null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export function playgroundCommand(io: IO, file: string | undefined, opts: { output: string }): number {
  const web = bundleDir();
  if (!web) {
    io.err("rgnn: error: the playground bundle (dist/web/) is missing; build it with `npm run build`\n");
    return EXIT.failure;
  }
  checkOutputs(
    PLAYGROUND_FILES.map((f) => join(opts.output, f)),
    [file],
  );
  const files = new Map<string, string | Uint8Array>(PLAYGROUND_FILES.map((f) => [f, readFileSync(join(web, f))]));
  if (file !== undefined) {
    let text: string;
    try {
      text = stripBom(file === "-" ? io.readStdin() : io.readFile(file, "spec"));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err(`${file === "-" ? "<stdin>" : file}: error: cannot read: ${e.message}\n`);
      return EXIT.failure;
    }
    // a <textarea> holds text as it is (entities decoded, no markup): the page opens with it (src/web/main.ts)
    const html = readFileSync(join(web, "index.html"), "utf8");
    files.set("index.html", html.replace("<body>", `<body>\n<textarea id="spec" hidden>${escapeHtml(text)}</textarea>`));
  }
  writeFileSet(opts.output, files, [file], { io, detail: `open ${join(opts.output, "index.html")} in a browser` });
  return EXIT.ok;
}
