#!/usr/bin/env node
// The `latchkey` command. Runs the compiled CLI (dist/, present in the published package); in a
// source checkout that has not been built it runs src/cli/main.ts through tsx (a dev dependency).
import { existsSync } from "node:fs";

const built = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source)) {
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch {
    console.error("latchkey: dist/ is missing and tsx is not installed: run `npm run build` first.");
    process.exit(1);
  }
  tsx.register();
  await import(source.href);
} else {
  console.error("latchkey: dist/cli/main.js is missing: run `npm run build` first.");
  process.exit(1);
}
