import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The end-to-end run's global setup: the demo as `npm run demo` prepares it (Latchkey's dist/
 * current, the demo's packages installed: setup.mjs), then its app built into examples/demo/dist/.
 */
const DEMO_DIR = fileURLToPath(new URL("../../examples/demo/", import.meta.url));

export default function buildDemo(): void {
  run(["setup.mjs"]);
  run([join("node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"]);
}

function run(args: string[]): void {
  const result = spawnSync(process.execPath, args, { cwd: DEMO_DIR, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed in ${DEMO_DIR}`);
}
