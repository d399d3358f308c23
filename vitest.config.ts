import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A guard against hangs, not a performance assertion: performance lives in bench/.
    testTimeout: 120_000,
  },
});
