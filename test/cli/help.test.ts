// The help texts that list a registry are built from it: every entry appears. And the one place where rgnn's
// errors become exit codes.
import { describe, expect, it } from "vitest";
import { EXIT, type RgnnError } from "../../src/core/errors.js";
import { QUANTITY_NAMES } from "../../src/core/quantities.js";
import { DATASETS } from "../../src/numeric/data.js";
import { DERIVATION_FORMATS, FORMAT_NAMES } from "../../src/render/formats.js";
import { PLOT_KINDS } from "../../src/render/plot/figures.js";
import { LookupError } from "../../src/api/errors.js";
import { UsageError } from "../../src/cli/io.js";
import { COMMANDS, failed, OPTIONS } from "../../src/cli/main.js";
import { OutputClosed, OutputError } from "../../src/cli/output.js";
import { InputFileError } from "../../src/cli/options.js";
import { SymbolicSizeError } from "../../src/symbolic/size.js";
import { DiagnosticError } from "../../src/syntax/diagnostics.js";
import { cli } from "../helpers.js";

/** The help of a command with its line breaks undone (commander wraps descriptions at 80 columns). */
async function help(command: string): Promise<string> {
  const r = await cli([command, "--help"]);
  expect(r.code).toBe(0);
  return r.out.replace(/\s+/g, " ");
}

describe("help texts list every registry entry", () => {
  it("geometry --quantity: every quantity of QUANTITY_TABLE", async () => {
    const text = await help("geometry");
    for (const q of QUANTITY_NAMES) expect(text).toMatch(new RegExp(`--quantity <q> [a-z, ]*\\b${q}\\b`));
  });

  it("derive -o and --format: every format of DERIVATION_FORMATS and its extension", async () => {
    const text = await help("derive");
    for (const f of FORMAT_NAMES) {
      expect(text).toContain(`out${DERIVATION_FORMATS[f].extensions[0]}`);
      expect(text).toMatch(new RegExp(`--format <format> [a-z, ]*\\b${f}\\b`));
    }
  });

  it("plot --kind: every plot kind; plot, train and data: every data set", async () => {
    const plot = await help("plot");
    for (const k of PLOT_KINDS) expect(plot).toMatch(new RegExp(`--kind <kind> [a-z, ]*\\b${k}\\b`));
    for (const command of ["plot", "train", "data"]) {
      const text = await help(command);
      for (const d of DATASETS) expect(text).toContain(d);
    }
  });
});

describe("the option table", () => {
  it("--weights and --set are declared once and taken by every command that evaluates a spec's symbols", () => {
    const takes = (o: { flags: string }) => COMMANDS.filter((c) => c.options?.some((x) => x.flags === o.flags)).map((c) => c.name);
    expect(takes(OPTIONS.weights)).toEqual(["run", "metric", "eval", "geometry", "geodesic", "distances", "flow", "plot", "export"]);
    expect(takes(OPTIONS.set)).toEqual(["run", "metric", "eval", "geometry", "geodesic", "distances", "flow", "train", "plot", "export"]);
  });
});

describe("errors become exit codes in one place", () => {
  const report = (e: RgnnError) => {
    let err = "";
    const code = failed({ out: () => {}, err: (t) => (err += t), readStdin: () => "", readFile: () => "" }, e);
    return { code, err };
  };

  it("a bad command line or request: exit 2 with the usage hint", () => {
    for (const e of [new UsageError("--at: bad"), new LookupError("no metric 'q'")])
      expect(report(e)).toEqual({ code: EXIT.usage, err: `rgnn: ${e.message}\n(run 'rgnn --help' for usage)\n` });
  });

  it("bad input or output: exit 1 with the message; a closed standard output: exit 0, silently", () => {
    expect(report(new OutputError("cannot write x: no space left on device"))).toEqual({
      code: EXIT.failure,
      err: "rgnn: error: cannot write x: no space left on device\n",
    });
    expect(report(new SymbolicSizeError("too large"))).toEqual({ code: EXIT.failure, err: "rgnn: too large\n" });
    expect(report(new InputFileError("pts.csv:2:3: error: not a number")).code).toBe(EXIT.failure);
    expect(report(new DiagnosticError([])).code).toBe(EXIT.failure);
    expect(report(new OutputClosed("standard output closed"))).toEqual({ code: EXIT.ok, err: "" });
  });

  it("anything else is a bug and is thrown on", () => {
    expect(() => report(new Error("bug") as RgnnError)).toThrow("bug");
  });
});
