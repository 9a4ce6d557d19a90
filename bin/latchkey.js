#!/usr/bin/env node
// The `latchkey` command. Runs the compiled CLI (dist/, present in the published package); in a
// source checkout that has not been built it runs src/cli/main.ts through tsx (a dev dependency).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  // Password hashes run on the libuv pool: one worker per core uses every core without surplus
  // threads taking CPU from the event loop. libuv reads the size once, before any module of ours
  // runs, so the only way to set it is to start again with it in the environment.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, UV_THREADPOOL_SIZE: String(availableParallelism()) },
  });
  // Ctrl+C reaches the whole process group already; a SIGTERM sent to this process is passed on.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
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
}
