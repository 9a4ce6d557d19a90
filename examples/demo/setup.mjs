// Gets the demo ready to build in this checkout: Latchkey's dist/ built from the current sources
// (the demo imports the package as users do, through its dist/), and the demo's own packages
// installed. Each step runs only when needed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const demo = fileURLToPath(new URL(".", import.meta.url));
const root = join(demo, "..", "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(args, cwd) {
  console.log(`demo setup: npm ${args.join(" ")} (in ${cwd})`);
  const result = spawnSync(npm, args, { cwd, stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) process.exit(result.status ?? 1);
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

/** scripts/build.mjs stamps dist/ with the time it started: later changes to src/ make it stale. */
function builtIsCurrent() {
  try {
    return newest(join(root, "src")) < Number(readFileSync(join(root, "dist", ".build-started"), "utf8"));
  } catch {
    return false;
  }
}

/** npm's record of what it installed is missing, or older than the lockfile. */
function demoInstallIsStale() {
  const installed = join(demo, "node_modules", ".package-lock.json");
  return (
    !existsSync(installed) || statSync(installed).mtimeMs < statSync(join(demo, "package-lock.json")).mtimeMs
  );
}

if (!existsSync(join(root, "node_modules"))) run(["install"], root);
else if (!builtIsCurrent()) run(["run", "build"], root);
// No install scripts: Latchkey's (a build) is the step above, and the demo's packages need none.
if (demoInstallIsStale()) run(["ci", "--ignore-scripts"], demo);
