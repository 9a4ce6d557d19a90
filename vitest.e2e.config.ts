import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e`: the demo app (examples/demo) driven in Chromium, flow by flow. Apart from
 * `vitest run` because it installs and builds the demo first (its own packages, from the registry).
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/build-demo.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
