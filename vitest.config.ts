import { defineConfig } from "vitest/config";

// Tests start real processes, locks and git repositories: generous per-test limits, few files at once (2-core CI).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
  },
});
