// `npm run build` (and `prepare`, so that an install from git builds too): dist/ anew from src/,
// with the sources inside the source maps (src/ is not published), the `latchkey` command bundled
// into dist/cli/bundle.js, and a stamp that says which sources it was built from:
// bin/latchkey.cjs runs dist/ in a checkout only while no file in src/ is newer than the stamp, so
// it never runs a stale build.
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleCommand } from "./bundle-command.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

let tsc;
try {
  const manifest = createRequire(import.meta.url).resolve("typescript/package.json");
  const bin = JSON.parse(readFileSync(manifest, "utf8")).bin;
  tsc = join(dirname(manifest), typeof bin === "string" ? bin : bin.tsc);
} catch {
  // A production install of a checkout (npm ci --omit=dev) has no compiler, and needs no build:
  // the published package ships dist/, and a checkout runs from src/ through tsx.
  console.log("build: TypeScript is not installed; skipping the build of dist/");
  process.exit(0);
}

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
const result = spawnSync(
  process.execPath,
  [tsc, "-p", join(root, "tsconfig.build.json"), "--inlineSources"],
  {
    stdio: "inherit",
  },
);
if (result.status !== 0) process.exit(result.status ?? 1);
// The docs page's files are served as they are, read from beside the module that serves them.
for (const name of ["docs.html", "docs.js", "docs.css"]) {
  copyFileSync(join(root, "src", "openapi", name), join(dist, "openapi", name));
}
await bundleCommand(root, dist);
writeFileSync(join(dist, ".build-started"), `${started}\n`);
