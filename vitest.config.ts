import { defineConfig } from "vitest/config";
import type { Reporter, TestModule } from "vitest/node";

/** Ends the run with the plain line "tests: N passed, N failed" that CI reads. */
class PlainSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    let passed = 0,
      failed = 0,
      skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
      // a file that failed to load, or whose beforeAll failed (its tests are then only skipped)
      if (m.state() === "failed" && ![...m.children.allTests()].some((t) => t.result().state === "failed")) failed++;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  }
}

/**
 * Suites `npm run test:fast` leaves out (`npm test` runs them too): a file over about 30 s, and the suites that drive
 * pdflatex, Chromium or `npm pack`. Seconds per file from one `vitest run --reporter=json` of the whole suite on the
 * 2-core machine, shared with other jobs (load 3.5–5; the whole run 442 s wall). The next longest fast files:
 * semantics/robustness 22.5 s, hostile/escaping 18.3 s, import/python 15.9 s.
 */
const SLOW = [
  "test/numeric/experiments.test.ts", // 148.6 s
  "test/derive/matrix.test.ts", // 33.3 s
  "test/render/html.test.ts", // 15.5 s, Chromium
  "test/render/latex.test.ts", // 10.9 s, pdflatex
  "test/package/**/*.test.ts", // 9.6 s, npm pack and install
  "test/web/browser.test.ts", // 7.1 s, Chromium
  "test/python/**/*.test.ts", // a venv, pip install, torch and ONNX export; the notebook; a Dask cluster
];

export default defineConfig({
  test: {
    // A guard against hangs, not a performance assertion: performance lives in bench/.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default", new PlainSummary()],
    projects: [
      { extends: true, test: { name: "fast", include: ["test/**/*.test.ts"], exclude: SLOW } },
      { extends: true, test: { name: "slow", include: SLOW } },
    ],
  },
});
