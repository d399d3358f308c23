// The package as a user gets it: `npm pack`, installed offline into an empty project (npm's cache holds the
// dependencies after `npm ci`), then the `rgnn` binary and `import … from "rgnn"` in TypeScript, type-checked
// with this repository's tsc and run with node. Catches a missing file in "files", a stale "exports" path, and
// declarations that do not resolve. Needs the built dist/ (npm test builds first).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "../..");
const tsc = join(repo, "node_modules/typescript/bin/tsc");
let dir = "";
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const program = `import { checkSpec, metricAt, metricSymbolic, pickMetric, valuesOf, type MetricValue } from "rgnn";

const r = checkSpec("manifold P (r, theta)\\nmetric g on P = [[1, 0], [0, r^2]]\\n", "polar.rgnn");
if (!r.ok) throw new Error(r.message);
const g = pickMetric(r.model);
const [v]: MetricValue[] = metricAt(g, [[2, 0.5]], valuesOf(r.model));
const bad = checkSpec("manifold P (x)\\nshow q\\n", "bad.rgnn");
console.log(JSON.stringify({ component: metricSymbolic(g, "explicit").components[1][1], determinant: v.determinant, rank: v.rank,
  line: bad.ok ? null : bad.diagnostics[0].span.line }));
`;

describe("the packed package", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rgnn-pack-"));
    // --ignore-scripts: `prepare` would rebuild dist/ under the feet of the other test files
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: repo, stdio: "ignore" });
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    // npm resolves a bare tarball's dependencies from full registry documents, which `npm ci` does not cache; a lock
    // file with this repository's locked run-time packages makes it fetch only the cached tarballs, at the tested versions.
    const own = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
    const locked = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")).packages as Record<string, { dev?: boolean }>;
    const dependencies = { rgnn: `file:${tgz}` };
    const packages: Record<string, unknown> = {
      "": { name: "uses-rgnn", dependencies },
      "node_modules/rgnn": { version: own.version, resolved: `file:${tgz}`, dependencies: own.dependencies, bin: own.bin },
    };
    for (const [path, entry] of Object.entries(locked)) if (path.startsWith("node_modules/") && !entry.dev) packages[path] = entry;
    const manifest = { name: "uses-rgnn", private: true, type: "module", dependencies, overrides: own.overrides };
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
    writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "uses-rgnn", lockfileVersion: 3, requires: true, packages }));
    sh("npm", ["install", "--offline", "--no-audit", "--no-fund"]);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ships the built CLI: `npx rgnn check` on an example", () => {
    const out = sh("npx", ["--no", "rgnn", "check", join(repo, "examples/polar.rgnn")]);
    expect(out).toMatch(/polar\.rgnn: ok: 2 manifolds, 1 map, 1 metric/);
  });

  it('type-checks and runs `import { … } from "rgnn"` (NodeNext)', () => {
    writeFileSync(join(dir, "main.ts"), program);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, types: [], outDir: "out" },
        files: ["main.ts"],
      }),
    );
    sh("node", [tsc, "-p", ".", "--noEmit"]);
    sh("node", [tsc, "-p", "."]);
    const res = JSON.parse(sh("node", ["out/main.js"]));
    // polar coordinates: g_θθ = r², det g = r² = 4 at r = 2; full rank; the error is on line 2
    expect(res).toEqual({ component: "r^2", determinant: 4, rank: 2, line: 2 });
  });

  it("holds what it needs at run time and not the sources", () => {
    const files = sh("tar", ["-tzf", readdirSync(dir).find((f) => f.endsWith(".tgz"))!]).split("\n");
    const needed = ["bin/rgnn.js", "dist/src/index.js", "dist/src/index.d.ts", "dist/grammar/rgnn.generated.js", "README.md"];
    for (const f of needed.map((n) => `package/${n}`)) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith("package/src/") || f.startsWith("package/test/"))).toEqual([]);
  });
});
