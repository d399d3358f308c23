// The rgnn command line. `run` is the whole program minus process.exit, for in-process tests.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { checkCommand } from "./commands/check.js";
import { EXIT, processIO, UsageError, type IO } from "./io.js";

function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try { return JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")).version; } catch { /* next */ }
  }
  return "unknown";
}

export function run(argv: string[], io: IO = processIO): number {
  let status: number = EXIT.ok;
  const program = new Command("rgnn")
    .description("Riemannian geometry of neural networks: layer maps, pulled-back metrics, derivations and checks")
    .version(version(), "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run 'rgnn --help' for usage)");

  program.command("check")
    .description("parse and check .rgnn specs ('-' reads standard input)")
    .argument("<files...>", "spec files")
    .action((files: string[]) => { status = checkCommand(io, files); });

  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof UsageError) { io.err(`rgnn: ${e.message}\n(run 'rgnn --help' for usage)\n`); return EXIT.usage; }
    throw e;
  }
  if (argv.length === 0) { io.err(program.helpInformation()); return EXIT.usage; }
  return status;
}
