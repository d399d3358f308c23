// A hostile spec name in the Python module `rgnn export` writes: the name is in the module's docstring, escaped, so
// that importing the module runs no code of the name's (`"""; import os; os.system(…)`) and every name gives a module
// that imports (`\N{`, `\x`, a trailing backslash, a line break, quotes, non-ASCII), with the name read back exactly.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PYTHON, requireTorch } from "../import/tools.js";
import { cli, folder } from "./tools.js";

const SPEC = `manifold Polar (r, theta)
manifold Plane (x, y)
map polar : Polar -> Plane {
  x = r * cos(theta)
  y = r * sin(theta)
}
metric g = pullback of euclidean along polar
`;

const HOSTILE = [
  'a"""; import os; os.system("touch PWNED_EXPORT"); """.rgnn',
  "b'''; import os; os.system('touch PWNED_EXPORT'); '''.rgnn",
  "c\\N{.rgnn",
  "d\\x.rgnn",
  "e\\u12.rgnn",
  "f\\",
  'g"\nimport os; os.system("touch PWNED_EXPORT")\n".rgnn',
  "h\u2028é\u{1F600}\t.rgnn",
];

/** Imports each module (from its folder, as a user would) and prints its docstring. */
const IMPORT = `
import importlib.util, json, sys
docs = []
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location("exported", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    docs.append(m.__doc__)
print(json.dumps(docs))
`;

describe.runIf(requireTorch())("a hostile spec name in an exported module", () => {
  const { dir } = folder("export-names");

  it("runs nothing on import, and every module imports with the name in its docstring as it is", async () => {
    const modules: string[] = [];
    for (const [k, name] of HOSTILE.entries()) {
      writeFileSync(join(dir, name), SPEC);
      for (const target of ["numpy", "torch"]) {
        const out = join(dir, `m${k}_${target}.py`);
        const r = await cli(["export", join(dir, name), "-t", target, "-o", out]);
        expect(r.code, r.err).toBe(0);
        modules.push(out);
      }
    }
    const docs: string[] = JSON.parse(
      execFileSync(PYTHON, ["-c", IMPORT, ...modules], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    );
    expect(existsSync(join(dir, "PWNED_EXPORT"))).toBe(false);
    // read back exactly: the docstring's first line holds the whole name (line breaks in it are escaped, not written)
    HOSTILE.forEach((name, k) => {
      expect(docs[2 * k]).toContain(`from "${name}" (target: numpy)`);
      expect(docs[2 * k + 1]).toContain(`from "${name}" (target: torch)`);
    });
  });
});
