import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // The demo's end-to-end tests need it installed and built: `npm run test:e2e` runs them.
    exclude: [...configDefaults.exclude, "test/e2e/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Test files share their worker's module cache: nothing in Latchkey keeps state in modules
    // (every server is its own createLatchkey), and loading the source once per worker rather than
    // once per file saves most of the run's time.
    poolOptions: { forks: { isolate: false } },
    reporters: ["default"],
  },
});
