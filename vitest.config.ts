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

/** Suites that take most of the run's time: `npm test` runs them too, `npm run test:fast` leaves them out. */
const SLOW = [
  "test/numeric/experiments.test.ts",
  "test/render/html.test.ts",
  "test/web/browser.test.ts",
  "test/render/latex.test.ts",
  "test/package/**/*.test.ts",
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
