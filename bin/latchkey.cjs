#!/usr/bin/env node
// The `latchkey` command. The installed package runs the compiled CLI in dist/: its bundle
// (dist/cli/bundle.js, a few files that load much faster than the modules they hold), or the
// modules themselves (dist/cli/main.js) where the build made no bundle. A source checkout runs
// dist/ too while it is current (built, by `npm run build` or `npm install`, from sources no
// file of src/ is newer than), and otherwise the source itself through tsx: it never runs a stale
// build.
//
// CommonJS on purpose: password hashes run on libuv's thread pool, one worker per core uses every
// core, and libuv sizes the pool when it is first used. Loading an ES module entry already uses
// it; this file runs before anything has, so the size set here is the one libuv takes, in this
// very process (no second process that signals would have to be passed on to).
"use strict";
const { existsSync, readdirSync, readFileSync, statSync } = require("node:fs");
const { availableParallelism } = require("node:os");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(availableParallelism());
}

const root = join(__dirname, "..");
const sources = join(root, "src");
const bundle = join(root, "dist", "cli", "bundle.js");
const built = join(root, "dist", "cli", "main.js");

function fail(message) {
  console.error(`latchkey: ${message}`);
  process.exit(1);
}

/** The newest modification time of the files under a folder (epoch ms). */
function newest(folder) {
  let latest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Whether dist/ was built from the sources as they are (scripts/build.mjs stamps when it started). */
function builtIsCurrent() {
  try {
    return newest(sources) < Number(readFileSync(join(root, "dist", ".build-started"), "utf8"));
  } catch {
    return false;
  }
}

async function start() {
  if (existsSync(sources) && !builtIsCurrent()) {
    const tsx = await import("tsx/esm/api").catch(() => null);
    if (!tsx) fail("dist/ is older than src/ and tsx is not installed: run `npm install` or `npm run build`");
    tsx.register();
    return import(pathToFileURL(join(sources, "cli", "main.ts")).href);
  }
  if (existsSync(bundle)) return import(pathToFileURL(bundle).href);
  if (!existsSync(built)) fail("dist/cli/main.js is missing: reinstall the package");
  return import(pathToFileURL(built).href);
}

start().catch((err) => fail(err instanceof Error ? err.message : String(err)));
