// The rgnn command line. `run` is the whole program minus process.exit, for in-process tests.
// Each command's module is imported only when that command runs, so that a command does not pay
// for the dependencies of the others (KaTeX, resvg, cli-progress) at start-up.
import { INDEX_CONVENTIONS, QUANTITY_NAMES } from "../core/quantities.js";
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { LookupError } from "../api/errors.js";
import { asOneRequest } from "../symbolic/expr.js";
import { SymbolicSizeError } from "../symbolic/size.js";
import { EXIT, processIO, UsageError, type IO } from "./io.js";
import { OutputClosed, OutputError } from "./output.js";

function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")).version;
    } catch {
      /* next */
    }
  }
  return "unknown";
}

export async function run(argv: string[], io: IO = processIO): Promise<number> {
  let status: number = EXIT.ok;
  const program = new Command("rgnn")
    .description("Riemannian geometry of neural networks: layer maps, pulled-back metrics, derivations and checks")
    .version(version(), "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run 'rgnn --help' for usage)");

  program
    .command("check")
    .description("parse and check .rgnn specs ('-' reads standard input)")
    .argument("<files...>", "spec files")
    .action(async (files: string[]) => {
      status = (await import("./commands/check.js")).checkCommand(io, files);
    });

  program
    .command("run")
    .description("carry out the spec's own show, evaluate and check requests, in order (exit 1 if a check fails)")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("--set <assignments>", "values for symbols, e.g. h=0.1")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/run.js")).runCommand(io, file, opts);
    });

  program
    .command("metric")
    .description("a metric's components: symbolic, or evaluated with --at")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-m, --metric <name>", "which metric (default: the first declared)")
    .option("-l, --layer <k>", "pull back to layer k of the network instead (0 = input)")
    .option("-f, --format <format>", "text, latex or json", "text")
    .option("--at <point>", "evaluate at a point, e.g. 0.3,-0.7")
    .option("--set <assignments>", "values for symbols, e.g. h=0.1,W1_11=2")
    .option(
      "--form <form>",
      "auto, explicit (write out in full), layers (name z_l, x_l, J_l, g_l) or matrix (the recursion in matrices, any width)",
      "auto",
    )
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/metric.js")).metricCommand(io, file, opts);
    });

  program
    .command("eval")
    .description("a network's output, Jacobian and pulled-back metric at points")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-n, --network <name>", "which network or map (default: the first network)")
    .option("--at <point>", "one point, e.g. 0.3,-0.7")
    .option("--points <file.csv>", "one point per line; a first line none of whose fields is a number is a header")
    .option("-f, --format <format>", "text, json or csv", "text")
    .option("--set <assignments>", "values for symbols, e.g. h=0.1")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .option("--threads <n>", "worker threads for --points (default: one per core, up to 4, from 10000 points; 1: none)")
    .action(async (file: string, opts) => {
      status = await (await import("./commands/eval.js")).evalCommand(io, file, opts);
    });

  program
    .command("geometry")
    .description("what follows from a metric: volume, inverse, Christoffel symbols, curvature")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-m, --metric <name>", "which metric (default: the first declared)")
    .option("-q, --quantity <q>", `${QUANTITY_NAMES.slice(0, -1).join(", ")} or ${QUANTITY_NAMES.at(-1)}`, "scalar")
    .option("--at <point>", "evaluate at a point")
    .option("-f, --format <format>", "text, latex or json", "text")
    .option("--set <assignments>", "values for symbols, e.g. R=2")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .addHelpText("after", `\n${INDEX_CONVENTIONS}\n`)
    .action(async (file: string, opts) => {
      status = (await import("./commands/geometry.js")).geometryCommand(io, file, opts);
    });

  program
    .command("geodesic")
    .description("a geodesic from a point, to a point (shooting) or with a velocity, and its length")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-m, --metric <name>", "which metric (default: the first declared)")
    .requiredOption("--from <point>", "start point")
    .option("--to <point>", "end point (boundary-value problem)")
    .option("--velocity <vector>", "initial velocity (initial-value problem, t from 0 to 1): the exp map")
    .option("--log", "with --to: print only log_from(to), the initial velocity of the geodesic to the point")
    .option("--samples <n>", "points along the path in the output", "101")
    .option("-f, --format <format>", "text, json or csv", "text")
    .option("--set <assignments>", "values for symbols")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/geodesic.js")).geodesicCommand(io, file, opts);
    });

  program
    .command("distances")
    .description("the matrix of geodesic distances between the points of a CSV file")
    .argument("<file>", "spec file ('-' for standard input)")
    .requiredOption("--points <file.csv>", "points, one per line (an optional header line of names)")
    .option("-m, --metric <name>", "which metric (default: the first declared)")
    .option("-f, --format <format>", "text, json or csv", "text")
    .option("--set <assignments>", "values for symbols")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .option("--threads <n>", "worker threads (default: one per core, up to 4, from 24 pairs; 1: none)")
    .action(async (file: string, opts) => {
      status = await (await import("./commands/distances.js")).distancesCommand(io, file, opts);
    });

  program
    .command("flow")
    .description("how a residual (or second-order) network converges to the ODE flow it discretises")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-n, --network <name>", "which network (default: the first)")
    .option("--depths <list>", "depths N to compare, e.g. 4,8,16 (default 4 … 1024)")
    .option("--interpolation <how>", "W(t) between layers: linear or constant", "linear")
    .option("--at <point>", "the starting point x(0) (default 0.3, -0.7, …)")
    .option("-f, --format <format>", "text or json", "text")
    .option("--set <assignments>", "values for symbols")
    .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
    .option("--domain <box>", "where to test that every step is a diffeomorphism: [a,b]x[c,d] or a,b (default -1.5,1.5)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/flow.js")).flowCommand(io, file, opts);
    });

  const dataOptions = (c: Command) =>
    c
      .option("-d, --data <name|file.csv>", "spirals, rings, moons, xor, or a CSV of x,y,label (a first line without numbers is a header)")
      .option("--points <n>", "points in a generated data set", "400")
      .option("--noise <s>", "noise of a generated data set")
      .option("--data-seed <s>", "seed of a generated data set", "7");

  program
    .command("data")
    .description("write a toy data set (spirals, rings, moons, xor) as CSV")
    .argument("<name>", "spirals, rings, moons or xor")
    .option("--points <n>", "number of points", "400")
    .option("--noise <s>", "standard deviation of the noise")
    .option("--seed <s>", "seed", "7")
    .option("-o, --output <file.csv>", "output file (default: standard output)")
    .action(async (name: string, opts) => {
      status = (await import("./commands/learn.js")).dataCommand(io, name, opts);
    });

  dataOptions(
    program
      .command("train")
      .description("fit a spec's symbolic weights to a toy data set (cross-entropy, Adam, early stopping)")
      .argument("<file>", "spec file")
      .option("-n, --network <name>", "which network (default: the first)")
      .option("--epochs <n>", "at most this many epochs", "1500")
      .option("--seed <s>", "seed for initial weights and batches", "1")
      .option("--lr <rate>", "Adam learning rate", "0.01")
      .option("--batch <n>", "mini-batch size", "32")
      .option("--patience <n>", "stop after this many epochs without a better validation loss", "400")
      .option("--step-bound <c>", "cap c·sup|σ′|·‖W‖₂ of every residual step while training (below 1: every step invertible)")
      .option("-o, --output <weights.json>", "where to write the weights, and a .curve.csv beside them (default: SPEC.weights.json)")
      .option("--force", "replace SPEC.weights.json if it exists (an -o file is always replaced)")
      .option("--set <assignments>", "values for other symbols")
      .option("-q, --quiet", "no progress output"),
  ).action(async (file: string, opts) => {
    status = (await import("./commands/learn.js")).trainCommand(io, file, opts);
  });

  dataOptions(
    program
      .command("plot")
      .description("figures: grid or data through the layers, metric ellipses, volume heat map, geodesics")
      .argument("<file>", "spec file")
      .requiredOption("-k, --kind <kind>", "grid, data, ellipses, volume or geodesics")
      .option("-o, --output <file>", "out.svg or out.png (default: KIND.svg)")
      .option("-w, --weights <file>", "values for the spec's symbolic weights (JSON or .safetensors)")
      .option("-n, --network <name>", "which network (default: the first)")
      .option("--width <px>", "PNG width in pixels (at most 8192)")
      .option("--set <assignments>", "values for other symbols"),
  ).action(async (file: string, opts) => {
    status = (await import("./commands/learn.js")).plotCommand(io, file, opts);
  });

  program
    .command("experiment")
    .description("train every run of DIR/experiments.json with its seed and draw every figure")
    .argument("<dir>", "folder with experiments.json and its specs")
    .option("-o, --output <dir>", "where to write weights, curves and figures", "figures")
    .option("-q, --quiet", "no progress output")
    .action(async (dir: string, opts) => {
      status = (await import("./commands/learn.js")).experimentCommand(io, dir, opts);
    });

  program
    .command("derive")
    .description("write the checked, step-by-step derivation as LaTeX, a self-contained HTML page, JSON or Markdown")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("-o, --output <file>", "out.tex, out.html, out.json or out.md (default: LaTeX on standard output)")
    .option("-f, --format <format>", "tex, html, json or md (default: from the -o name)")
    .option("--points <n>", "random points per check", "8")
    .option("--seed <s>", "seed for the random points", "1")
    .option("--tol <t>", "relative tolerance", "1e-9")
    .option("--allow-failures", "exit 0 even if a step fails its check (it is still marked as failed)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/derive.js")).deriveCommand(io, file, opts);
    });

  program
    .command("import")
    .description("an ONNX model as a spec, with its weights as safetensors beside it")
    .argument("<model>", "an .onnx file")
    .option("-o, --output <file>", "the spec to write (default: the model's name with .rgnn)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/import.js")).importCommand(io, file, opts);
    });

  program
    .command("export")
    .description("a self-contained Python module: network, Jacobian, metric, inverse, volume, Christoffel symbols, curvature")
    .argument("<file>", "spec file ('-' for standard input)")
    .requiredOption("-t, --target <target>", "torch or numpy")
    .option("-o, --output <file>", "module.py to write (default: standard output)")
    .action(async (file: string, opts) => {
      status = (await import("./commands/export.js")).exportCommand(io, file, opts);
    });

  program
    .command("verify")
    .description("check every derivation step and every claim numerically; exit 0 only if all hold")
    .argument("<file>", "spec file ('-' for standard input)")
    .option("--points <n>", "random points per check", "8")
    .option("--seed <s>", "seed for the random points", "1")
    .option("--tol <t>", "relative tolerance", "1e-9")
    .option("-f, --format <format>", "text or json", "text")
    .action(async (file: string, opts) => {
      status = (await import("./commands/verify.js")).verifyCommand(io, file, opts);
    });

  program
    .command("lsp")
    .description("a language server for editors, over standard input and output")
    .option("--stdio", "talk over standard input and output (the only transport; accepted for editors that pass it)")
    .action(async () => {
      status = await (await import("../lsp/server.js")).serve();
    });

  program
    .command("playground")
    .description("write the playground: an offline page with an editor, live diagnostics, the metric and its figures")
    .argument("[file]", "spec the page opens with (default: examples/paper-toy.rgnn; '-' for standard input)")
    .option("-o, --output <dir>", "folder to write index.html, playground.js and playground.css into", "site")
    .action(async (file: string | undefined, opts) => {
      status = (await import("./commands/playground.js")).playgroundCommand(io, file, opts);
    });

  try {
    // one command is one request: its API calls share the process's graph (the language server scopes its own)
    await asOneRequest(() => program.parseAsync(argv, { from: "user" }));
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof SymbolicSizeError) {
      io.err(`rgnn: ${e.message}\n`);
      return EXIT.failure;
    }
    if (e instanceof UsageError || e instanceof LookupError) {
      io.err(`rgnn: ${e.message}\n(run 'rgnn --help' for usage)\n`);
      return EXIT.usage;
    }
    if (e instanceof OutputError) {
      io.err(`rgnn: error: ${e.message}\n`);
      return EXIT.failure;
    }
    // The reader of our output has all it wanted (`rgnn … | head`): not a failure of rgnn.
    if (e instanceof OutputClosed) return EXIT.ok;
    throw e;
  }
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  return status;
}
