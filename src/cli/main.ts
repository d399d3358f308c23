// The rgnn command line. `run` is the whole program minus process.exit, for in-process tests.
// Each command's module is imported only when that command runs, so that a command does not pay
// for the dependencies of the others (KaTeX, resvg, cli-progress) at start-up. The commands and their
// options are data: an option several commands take is declared once in OPTIONS, and help texts that
// list a registry's entries (quantities, derivation formats, plot kinds, data sets) are built from it.
import { INDEX_CONVENTIONS, QUANTITY_NAMES } from "../core/quantities.js";
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { RgnnError } from "../core/errors.js";
import { DATASETS } from "../numeric/data.js";
import type { DERIVATION_FORMATS } from "../render/formats.js";
import type { PlotKind } from "../render/plot/figures.js";
import { EXIT, processIO, type IO } from "./io.js";
import { FORMATS } from "./formats.js";
import { asOneRequest } from "../symbolic/expr.js";
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

/** The registries whose modules are too heavy for start-up (KaTeX, resvg): loaded only when help is shown. */
export interface HelpRegistries {
  formats: typeof DERIVATION_FORMATS;
  plotKinds: readonly PlotKind[];
}

async function helpRegistries(): Promise<HelpRegistries> {
  const [{ DERIVATION_FORMATS: formats }, { PLOT_KINDS: plotKinds }] = await Promise.all([
    import("../render/formats.js"),
    import("../render/plot/figures.js"),
  ]);
  return { formats, plotKinds };
}

/** Whether commander will print a help text for this command line (as `-h`, `--help`, `help`, a cluster `-qh`, or nothing). */
const wantsHelp = (argv: readonly string[]) =>
  argv.length === 0 || argv[0] === "help" || argv.some((a) => /^(--help$|-[A-Za-z]*h)/.test(a));

/** "a, b or c" */
const alternatives = (xs: readonly string[]) => (xs.length < 2 ? xs.join("") : `${xs.slice(0, -1).join(", ")} or ${xs.at(-1)}`);

interface OptionSpec {
  flags: string;
  /** A function of the registries for a text that lists one of them. */
  description: string | ((r: HelpRegistries) => string);
  default?: string;
  required?: boolean;
  /** Given more than once, the values are joined with commas (--set a=1 --set b=2 is --set a=1,b=2). */
  repeatable?: boolean;
}

/** Options more than one command takes, declared once. */
const OPTIONS = {
  metric: { flags: "-m, --metric <name>", description: "which metric (default: the first declared)" },
  network: { flags: "-n, --network <name>", description: "which network (default: the first)" },
  at: { flags: "--at <point>", description: "evaluate at a point" },
  atInput: {
    flags: "--at-input <point>",
    description:
      "evaluate at the image of an input point P: P in the network's input coordinates, mapped through its layers up to the " +
      "metric's chart first (layer k with --layer k, layer A-1 along 'layers A to B'); the output names both points",
  },
  set: { flags: "--set <assignments>", description: "values for symbols" },
  weights: { flags: "-w, --weights <file>", description: "values for the spec's symbolic weights (JSON or .safetensors)" },
  format: { flags: "-f, --format <format>", description: "text or json", default: "text" },
  output: { flags: "-o, --output <file>", description: "the file to write" },
  threads: { flags: "--threads <n>", description: "worker threads" },
  quiet: { flags: "-q, --quiet", description: "no progress output" },
  witnessPoints: { flags: "--points <n>", description: "random points per check", default: "8" },
  seed: { flags: "--seed <s>", description: "seed for the random points", default: "1" },
  tol: { flags: "--tol <t>", description: "relative tolerance", default: "1e-9" },
} satisfies Record<string, OptionSpec>;

/** A shared option with this command's own wording. */
const worded = (o: OptionSpec, description: OptionSpec["description"]): OptionSpec => ({ ...o, description });
/** --set with an example. */
const setEg = (example: string) => worded(OPTIONS.set, `values for symbols, e.g. ${example}`);
/** --format with the formats this command writes. */
const formats = (names: readonly string[]) => worded(OPTIONS.format, alternatives(names));

/** The random points every witnessed check uses (derive, verify). */
const WITNESS = [OPTIONS.witnessPoints, OPTIONS.seed, OPTIONS.tol];

/** The data set a model is trained on or drawn with (train, plot). */
const DATA_SET: OptionSpec[] = [
  {
    flags: "-d, --data <name|file.csv>",
    description: `${DATASETS.join(", ")}, or a CSV of x,y,label (a first line without numbers is a header)`,
  },
  { flags: "--points <n>", description: "points in a generated data set", default: "400" },
  { flags: "--noise <s>", description: "noise of a generated data set" },
  { flags: "--data-seed <s>", description: "seed of a generated data set", default: "7" },
];

const SPEC = "spec file ('-' for standard input)";

interface CommandSpec {
  name: string;
  description: string;
  /** `<name>` or `[name]` and its description. */
  args?: [string, string][];
  options?: OptionSpec[];
  /** Text after the options in its help. */
  after?: string;
  /** Runs the command: its argument (if it takes one) and its parsed options. */
  // biome-ignore lint/suspicious/noExplicitAny: commander's parsed options; each command declares its own type
  run(io: IO, arg: any, opts: any): number | Promise<number>;
}

/** Every command, in the order of `rgnn --help`. */
const COMMANDS: CommandSpec[] = [
  {
    name: "check",
    description: "parse and check .rgnn specs ('-' reads standard input)",
    args: [["<files...>", "spec files"]],
    run: async (io, files) => (await import("./commands/check.js")).checkCommand(io, files),
  },
  {
    name: "run",
    description: "carry out the spec's own show, evaluate and check requests, in order (exit 1 if a check fails)",
    args: [["<file>", SPEC]],
    options: [setEg("h=0.1"), OPTIONS.weights],
    run: async (io, file, opts) => (await import("./commands/run.js")).runCommand(io, file, opts),
  },
  {
    name: "metric",
    description: "a metric's components: symbolic, or evaluated with --at",
    args: [["<file>", SPEC]],
    options: [
      OPTIONS.metric,
      {
        flags: "-l, --layer <k>",
        description: "pull back to layer k of the network instead (0 = input): the metric on layer k's coordinates x{k}_1, …",
      },
      formats(FORMATS.metric),
      worded(
        OPTIONS.at,
        "evaluate at a point of the metric's chart, e.g. 0.3,-0.7: the input's coordinates, or with --layer k layer k's " +
          "(as many as its width), along 'layers A to B' layer A-1's",
      ),
      OPTIONS.atInput,
      {
        flags: "--points <file.csv>",
        description:
          "evaluate at every point of a CSV file (one point of the metric's chart a line, as eval --points reads them); " +
          "-f csv writes a row per point: the point, g's upper triangle, rank, signature, eigenvalues, det",
      },
      setEg("h=0.1,W1_11=2"),
      {
        flags: "--form <form>",
        description:
          "auto, explicit (write out in full), layers (name z_l, x_l, J_l, g_l) or matrix (the recursion in matrices, any width)",
        default: "auto",
      },
      OPTIONS.weights,
    ],
    run: async (io, file, opts) => (await import("./commands/metric.js")).metricCommand(io, file, opts),
  },
  {
    name: "eval",
    description: "a network's output, Jacobian and pulled-back metric at points",
    args: [["<file>", SPEC]],
    options: [
      worded(OPTIONS.network, "which network or map (default: the first network; 'mlp[1..2]': layers 1 to 2 of mlp)"),
      worded(OPTIONS.at, "one point, e.g. 0.3,-0.7"),
      { flags: "--points <file.csv>", description: "one point per line; a first line none of whose fields is a number is a header" },
      formats(FORMATS.eval),
      worded(OPTIONS.output, "write to this file (npy, binary: one float64 row per point, the csv's columns)"),
      setEg("h=0.1"),
      OPTIONS.weights,
      worded(OPTIONS.threads, "worker threads for --points (default: one per core, up to 4, from 10000 points; 1: none)"),
    ],
    run: async (io, file, opts) => (await import("./commands/eval.js")).evalCommand(io, file, opts),
  },
  {
    name: "geometry",
    description: "what follows from a metric: volume, inverse, Christoffel symbols, curvature",
    args: [["<file>", SPEC]],
    options: [
      OPTIONS.metric,
      {
        flags: "-q, --quantity <q>",
        description: `${QUANTITY_NAMES.slice(0, -1).join(", ")} or ${QUANTITY_NAMES.at(-1)}`,
        default: "scalar",
      },
      worded(OPTIONS.at, "evaluate at a point of the metric's chart (along 'layers A to B': layer A-1's coordinates)"),
      OPTIONS.atInput,
      { flags: "--points <file.csv>", description: "one point per line, every component at each (--format csv or npy)" },
      formats(FORMATS.geometry),
      worded(OPTIONS.output, "write to this file (npy, binary: points × the quantity's shape, float64)"),
      setEg("R=2"),
      OPTIONS.weights,
    ],
    after: `\n${INDEX_CONVENTIONS}\n`,
    run: async (io, file, opts) => (await import("./commands/geometry.js")).geometryCommand(io, file, opts),
  },
  {
    name: "geodesic",
    description: "a geodesic from a point, to a point (shooting) or with a velocity, and its length",
    args: [["<file>", SPEC]],
    options: [
      OPTIONS.metric,
      { flags: "--from <point>", description: "start point", required: true },
      { flags: "--to <point>", description: "end point (boundary-value problem)" },
      { flags: "--velocity <vector>", description: "initial velocity (initial-value problem, t from 0 to 1): the exp map" },
      { flags: "--log", description: "with --to: print only log_from(to), the initial velocity of the geodesic to the point" },
      { flags: "--samples <n>", description: "points along the path in the output", default: "101" },
      formats(FORMATS.geodesic),
      OPTIONS.set,
      OPTIONS.weights,
    ],
    run: async (io, file, opts) => (await import("./commands/geodesic.js")).geodesicCommand(io, file, opts),
  },
  {
    name: "distances",
    description: "the matrix of geodesic distances between the points of a CSV file",
    args: [["<file>", SPEC]],
    options: [
      { flags: "--points <file.csv>", description: "points, one per line (an optional header line of names)", required: true },
      OPTIONS.metric,
      formats(FORMATS.distances),
      worded(OPTIONS.output, "write to this file (npy, binary: the points × points float64 matrix, NaN where no geodesic)"),
      OPTIONS.set,
      OPTIONS.weights,
      worded(OPTIONS.threads, "worker threads (default: one per core, up to 4, from 24 pairs; 1: none)"),
    ],
    run: async (io, file, opts) => (await import("./commands/distances.js")).distancesCommand(io, file, opts),
  },
  {
    name: "flow",
    description: "how a residual (or second-order) network converges to the ODE flow it discretises",
    args: [["<file>", SPEC]],
    options: [
      OPTIONS.network,
      { flags: "--depths <list>", description: "depths N to compare, e.g. 4,8,16 (default 4 … 1024)" },
      { flags: "--interpolation <how>", description: "W(t) between layers: linear or constant", default: "linear" },
      worded(OPTIONS.at, "the starting point x(0) (default 0.3, -0.7, …)"),
      formats(FORMATS.flow),
      OPTIONS.set,
      OPTIONS.weights,
      { flags: "--domain <box>", description: "where to test that every step is a diffeomorphism: [a,b]x[c,d] or a,b (default -1.5,1.5)" },
    ],
    run: async (io, file, opts) => (await import("./commands/flow.js")).flowCommand(io, file, opts),
  },
  {
    name: "data",
    description: `write a toy data set (${DATASETS.join(", ")}) as CSV`,
    args: [["<name>", alternatives(DATASETS)]],
    options: [
      { flags: "--points <n>", description: "number of points", default: "400" },
      { flags: "--noise <s>", description: "standard deviation of the noise" },
      { flags: "--seed <s>", description: "seed", default: "7" },
      { flags: "-o, --output <file.csv>", description: "output file (default: standard output)" },
    ],
    run: async (io, name, opts) => (await import("./commands/learn.js")).dataCommand(io, name, opts),
  },
  {
    name: "train",
    description: "fit a spec's symbolic weights to a toy data set (cross-entropy, Adam, early stopping)",
    args: [["<file>", "spec file"]],
    options: [
      OPTIONS.network,
      { flags: "--epochs <n>", description: "at most this many epochs", default: "1500" },
      { flags: "--seed <s>", description: "seed for initial weights and batches", default: "1" },
      { flags: "--lr <rate>", description: "Adam learning rate", default: "0.01" },
      { flags: "--batch <n>", description: "mini-batch size", default: "32" },
      { flags: "--patience <n>", description: "stop after this many epochs without a better validation loss", default: "400" },
      {
        flags: "--step-bound <c>",
        description: "cap c·sup|σ′|·‖W‖₂ of every residual step while training (below 1: every step invertible)",
      },
      {
        flags: "-o, --output <weights.json>",
        description: "where to write the weights, and a .curve.csv beside them (default: SPEC.weights.json)",
      },
      { flags: "--force", description: "replace SPEC.weights.json if it exists (an -o file is always replaced)" },
      worded(OPTIONS.set, "values for other symbols"),
      OPTIONS.quiet,
      ...DATA_SET,
    ],
    run: async (io, file, opts) => (await import("./commands/learn.js")).trainCommand(io, file, opts),
  },
  {
    name: "plot",
    description: "figures: grid or data through the layers, metric ellipses, volume heat map, geodesics",
    args: [["<file>", "spec file"]],
    options: [
      { flags: "-k, --kind <kind>", description: (r) => alternatives(r.plotKinds), required: true },
      worded(OPTIONS.output, "out.svg or out.png (default: KIND.svg)"),
      OPTIONS.weights,
      worded(OPTIONS.network, "which network (default: the first; 'mlp[1..2]': layers 1 to 2 of mlp)"),
      { flags: "--width <px>", description: "PNG width in pixels (default: 3 per SVG unit, print resolution; at most 8192)" },
      { flags: "--pairs <A:B,...>", description: "volume: geodesics between the typical points of these classes" },
      { flags: "--domain <A,B|U0,U1,V0,V1>", description: "volume: the square [A, B]² or box drawn (default: the data's)" },
      worded(OPTIONS.metric, "ellipses, volume, geodesics: which metric, pulled back along the network (default: the Euclidean one's)"),
      {
        flags: "-l, --layer <k>",
        description: "ellipses, volume, geodesics: the metric on layer k's coordinates (0 = input; ellipses: that panel only)",
      },
      worded(OPTIONS.set, "values for other symbols"),
      ...DATA_SET,
    ],
    run: async (io, file, opts) => (await import("./commands/learn.js")).plotCommand(io, file, opts),
  },
  {
    name: "experiment",
    description: "train every run of DIR/experiments.json with its seed and draw every figure",
    args: [["<dir>", "folder with experiments.json and its specs"]],
    options: [
      { flags: "-o, --output <dir>", description: "where to write weights, curves and figures", default: "figures" },
      OPTIONS.quiet,
    ],
    run: async (io, dir, opts) => (await import("./commands/learn.js")).experimentCommand(io, dir, opts),
  },
  {
    name: "derive",
    description: "write the checked, step-by-step derivation as LaTeX, a self-contained HTML page, JSON or Markdown",
    args: [["<file>", SPEC]],
    options: [
      worded(
        OPTIONS.output,
        (r) => `${alternatives(Object.values(r.formats).map((f) => `out${f.extensions[0]}`))} (default: LaTeX on standard output)`,
      ),
      { flags: OPTIONS.format.flags, description: (r) => `${alternatives(Object.keys(r.formats))} (default: from the -o name)` },
      ...WITNESS,
      {
        flags: "--form <form>",
        description:
          "scalar (every component), layered (components through named layer quantities), matrix (the recursion with the " +
          "weights as matrices) or auto: the first that the output format can typeset",
        default: "auto",
      },
      { flags: "--allow-failures", description: "exit 0 even if a step fails its check (it is still marked as failed)" },
    ],
    run: async (io, file, opts) => (await import("./commands/derive.js")).deriveCommand(io, file, opts),
  },
  {
    name: "import",
    description: "an ONNX model as a spec, with its weights as safetensors beside it",
    args: [["<model>", "an .onnx file"]],
    options: [worded(OPTIONS.output, "the spec to write (default: the model's name with .rgnn)")],
    run: async (io, file, opts) => (await import("./commands/import.js")).importCommand(io, file, opts),
  },
  {
    name: "export",
    description: "a self-contained Python module: network, Jacobian, metric, inverse, volume, Christoffel symbols, curvature",
    args: [["<file>", SPEC]],
    options: [
      { flags: "-t, --target <target>", description: "torch or numpy", required: true },
      worded(OPTIONS.output, "module.py to write (default: standard output)"),
      { ...worded(OPTIONS.set, "values for symbols, e.g. R=3 (repeatable; the module is written with them)"), repeatable: true },
      OPTIONS.weights,
      { flags: "--form <form>", description: "scalar (closed forms) or matrix (weights as arrays); default: by size" },
    ],
    run: async (io, file, opts) => (await import("./commands/export.js")).exportCommand(io, file, opts),
  },
  {
    name: "verify",
    description: "check every derivation step and every claim numerically; exit 0 only if all hold",
    args: [["<file>", SPEC]],
    options: [...WITNESS, formats(FORMATS.verify)],
    run: async (io, file, opts) => (await import("./commands/verify.js")).verifyCommand(io, file, opts),
  },
  {
    name: "lsp",
    description: "a language server for editors, over standard input and output",
    options: [
      { flags: "--stdio", description: "talk over standard input and output (the only transport; accepted for editors that pass it)" },
    ],
    run: async () => (await import("../lsp/server.js")).serve(),
  },
  {
    name: "serve",
    description: "the library API over JSON-RPC on standard input and output, for other languages (the Python package)",
    run: async () => (await import("../serve/server.js")).serve(),
  },
  {
    name: "playground",
    description: "write the playground: an offline page with an editor, live diagnostics, the metric and its figures",
    args: [["[file]", "spec the page opens with (default: examples/paper-toy.rgnn; '-' for standard input)"]],
    options: [
      { flags: "-o, --output <dir>", description: "folder to write index.html, playground.js and playground.css into", default: "site" },
    ],
    run: async (io, file, opts) => (await import("./commands/playground.js")).playgroundCommand(io, file, opts),
  },
];

/** The one place an error becomes an exit code: rgnn's own errors carry theirs; anything else is a bug and is thrown. */
export function failed(io: IO, e: unknown): number {
  if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? EXIT.ok : EXIT.usage;
  if (!(e instanceof RgnnError)) throw e;
  // The reader of our output has all it wanted (`rgnn … | head`): not a failure of rgnn, and nothing to say.
  if (e instanceof OutputClosed) return e.exitCode;
  if (e.exitCode === EXIT.usage) io.err(`rgnn: ${e.message}\n(run 'rgnn --help' for usage)\n`);
  else io.err(`rgnn: ${e instanceof OutputError ? "error: " : ""}${e.message}\n`);
  return e.exitCode;
}

/** The program: every command of `commands` with its arguments and options; `registries` for the help texts that list them. */
export function program(
  io: IO,
  commands: readonly CommandSpec[],
  registries: HelpRegistries | null,
  done: (status: number) => void,
): Command {
  const program = new Command("rgnn")
    .description("Riemannian geometry of neural networks: layer maps, pulled-back metrics, derivations and checks")
    .version(version(), "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run 'rgnn --help' for usage)");
  // without the registries (help is not being shown) a text that lists one is left empty: nobody reads it
  const text = (d: OptionSpec["description"]) => (typeof d === "string" ? d : registries ? d(registries) : "");
  for (const c of commands) {
    const command = program.command(c.name).description(c.description);
    for (const [name, description] of c.args ?? []) command.argument(name, description);
    for (const o of c.options ?? []) {
      if (o.required) command.requiredOption(o.flags, text(o.description), o.default);
      else if (o.repeatable) command.option(o.flags, text(o.description), (v: string, prev?: string) => (prev ? `${prev},${v}` : v));
      else command.option(o.flags, text(o.description), o.default);
    }
    if (c.after) command.addHelpText("after", c.after);
    command.action(async (...args: unknown[]) => {
      // commander passes the arguments, then the options, then the command
      done(await c.run(io, c.args?.length ? args[0] : undefined, args[c.args?.length ? 1 : 0]));
    });
  }
  return program;
}

export async function run(argv: string[], io: IO = processIO): Promise<number> {
  let status: number = EXIT.ok;
  const cli = program(io, COMMANDS, wantsHelp(argv) ? await helpRegistries() : null, (s) => {
    status = s;
  });
  try {
    // one command is one request: its API calls share the process's graph (the language server scopes its own)
    await asOneRequest(() => cli.parseAsync(argv, { from: "user" }));
  } catch (e) {
    return failed(io, e);
  }
  if (argv.length === 0) {
    io.err(cli.helpInformation());
    return EXIT.usage;
  }
  return status;
}

export { COMMANDS, type CommandSpec, OPTIONS, type OptionSpec };
