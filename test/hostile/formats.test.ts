// Every generated format, one loop: derivations (each of DERIVATION_FORMATS), Python modules (each export target),
// figures (svg, png), eval's and distances' outputs (each of FORMATS.eval / FORMATS.distances written with -o) and the
// playground, all from a spec whose file name and folder are hostile in every language the outputs are written in —
// TeX (`$\input{…}$`), HTML (`<img … onerror=…>`), Markdown (`[a](b)`), Python (`"""`, `'`), the terminal (ESC, BEL) —
// and whose text carries `</script><script>` for the pages that embed it. Each output must come out escaped for its own
// language. Then the same command again under `ulimit -f 1` (a write fails with EFBIG after 1 KiB, as on a full
// disk) over an old file: the old file stays whole or the new one is complete — never half-written — no temporary file
// is left beside it, and a failure is one clean message, exit 1.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FORMATS } from "../../src/cli/formats.js";
import { DERIVATION_FORMATS, FORMAT_NAMES } from "../../src/render/formats.js";
import { PYTHON, requireTorch } from "../import/tools.js";
import { BIN, folder } from "./tools.js";

const { dir: root } = folder("formats");
const HOSTILE_NAME = 'n$\\input{hostname}$<img src=x onerror=alert(1)>&"""\'`*[a](b)#%_~^{}\x1b]0;T\x07.rgnn';
const dir = join(root, "d <b>$\x1b[31m");
mkdirSync(dir);
const SPEC_TEXT = `# </script><script>alert("spec")</script> <!-- $\\input{hostname}$ -->
manifold I (x, y)
network n : I -> R^2 {
  dense 2 tanh with W = [[1.2, -0.7], [0.4, 0.9]], b = [0.1, -0.2]
  dense 2 linear with W = [[1.0, 0.5], [-0.3, 0.8]], b = [0, 0]
}
metric g = pullback of euclidean along n
check g is symmetric
`;
const spec = join(dir, HOSTILE_NAME);
writeFileSync(spec, SPEC_TEXT);
const points = join(dir, "points.csv");
writeFileSync(
  points,
  `x,y\n${Array.from({ length: 40 }, (_, k) => `${(k / 20 - 1).toFixed(3)},${(0.5 - k / 40).toFixed(3)}`).join("\n")}\n`,
);
const few = join(dir, "few.csv");
writeFileSync(few, "x,y\n0.3,-0.7\n-0.5,0.2\n0.9,0.4\n");

type Check = (out: Buffer) => void;
interface Case {
  name: string;
  args: (out: string) => string[];
  /** the file the command writes (a folder's index.html for the playground) */
  ext: string;
  check: Check;
  folder?: boolean;
}

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/; // tab and newline aside
const text = (b: Buffer) => b.toString("utf8");
const noControls: Check = (b) => expect(text(b)).not.toMatch(CONTROL);
const markup: Check = (b) => {
  noControls(b);
  expect(text(b)).not.toContain("<img src=x"); // the name as markup
  expect(text(b)).not.toContain('</script><script>alert("spec")'); // the spec's text breaking out of a script
};
const CHECKS: Record<string, Check> = {
  tex: (b) => {
    noControls(b);
    expect(text(b)).not.toContain("\\input{hostname}");
  },
  html: markup,
  svg: markup,
  md: (b) => {
    noControls(b);
    expect(text(b)).not.toMatch(/(^|[^\\])<img src=x/); // CommonMark's \< is a literal <
    expect(text(b)).not.toContain("*[a](b)");
    expect(text(b)).toContain("\\*\\[a\\]\\(b\\)");
  },
  json: (b) => {
    noControls(b);
    expect(() => JSON.parse(text(b))).not.toThrow();
  },
  py: noControls, // and compiled by Python below
  csv: noControls,
  txt: noControls,
  npy: (b) => expect(b.subarray(0, 6).toString("latin1")).toBe("\x93NUMPY"),
  png: (b) => expect(b.subarray(1, 4).toString("latin1")).toBe("PNG"),
};

const EXT = { text: "txt", json: "json", csv: "csv", npy: "npy" } as const;
const CASES: Case[] = [
  ...FORMAT_NAMES.map((f) => {
    const ext = DERIVATION_FORMATS[f].extensions[0].slice(1);
    return { name: `derive ${f}`, args: (o: string) => ["derive", spec, "-o", o], ext, check: CHECKS[ext] };
  }),
  ...(["torch", "numpy"] as const).map((t) => ({
    name: `export ${t}`,
    args: (o: string) => ["export", spec, "-t", t, "-o", o],
    ext: "py",
    check: CHECKS.py,
  })),
  ...(["svg", "png"] as const).map((e) => ({
    name: `plot ${e}`,
    args: (o: string) => ["plot", spec, "-k", "grid", "-d", "xor", "--points", "40", "-o", o],
    ext: e,
    check: CHECKS[e],
  })),
  ...FORMATS.eval.map((f) => ({
    name: `eval ${f}`,
    args: (o: string) => ["eval", spec, "--points", points, "--format", f, "-o", o],
    ext: EXT[f],
    check: CHECKS[EXT[f]],
  })),
  ...FORMATS.distances.map((f) => ({
    name: `distances ${f}`,
    args: (o: string) => ["distances", spec, "--points", few, "--format", f, "--threads", "1", "-o", o],
    ext: EXT[f],
    check: CHECKS[EXT[f]],
  })),
  { name: "playground", args: (o: string) => ["playground", spec, "-o", o], ext: "html", check: markup, folder: true },
];

/** The CLI as a child, optionally with its files limited to `blocks` KiB (ulimit -f). */
function run(args: string[], blocks?: number) {
  const r = blocks
    ? spawnSync("bash", ["-c", `ulimit -f ${blocks}; exec "$0" "$@"`, process.execPath, BIN, ...args], {
        encoding: "utf8",
        timeout: 120_000,
      })
    : spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 120_000 });
  return { code: r.status, err: r.stderr ?? "" };
}
const temporaries = (where: string) => readdirSync(where).filter((f) => f.endsWith(".tmp") || f.includes(".tmp."));

describe("every generated format, from a spec with a hostile name, folder and text", () => {
  const written: string[] = [];
  let failed = 0;

  it.each(CASES.map((c) => [c.name, c]))("%s: escaped for its language; never half-written", (_, c) => {
    const tag = c.name.replace(/\W+/g, "-");
    const out = c.folder ? join(root, `${tag}-site`) : join(root, `${tag}.${c.ext}`);
    const file = c.folder ? join(out, "index.html") : out;
    const r = run(c.args(out));
    expect(r.code, r.err).toBe(0);
    c.check(readFileSync(file));
    if (c.ext === "py") written.push(file);

    // over an old file, with writes failing past 1 KiB: the old file whole, or the new one complete
    if (c.folder) mkdirSync(out, { recursive: true });
    writeFileSync(file, "OLD\n");
    const limited = run(c.args(out), 1);
    const after = readFileSync(file);
    if (limited.code === 0) c.check(after);
    else {
      failed++;
      expect(limited.code, limited.err).toBe(1);
      expect(limited.err).toMatch(/error: cannot write .*: the file is too large for the file system$/m);
      expect(limited.err.trim().split("\n")).toHaveLength(1);
      expect(limited.err).not.toMatch(CONTROL);
      expect(text(after)).toBe("OLD\n");
    }
    expect(temporaries(c.folder ? out : root)).toEqual([]);
    if (c.name === "playground") expect(failed).toBeGreaterThan(5); // the limit did bite: most outputs pass 1 KiB
  });

  it.runIf(requireTorch())("the Python modules compile, and importing them runs nothing of the name's", () => {
    const r = execFileSync(
      PYTHON,
      ["-c", "import sys\nfor p in sys.argv[1:]: compile(open(p).read(), p, 'exec')\nprint(len(sys.argv) - 1)", ...written],
      {
        encoding: "utf8",
      },
    );
    expect(Number(r.trim())).toBe(2);
    expect(existsSync(join(root, "PWNED_EXPORT"))).toBe(false);
  });
});
