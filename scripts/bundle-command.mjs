// The `latchkey` command bundled with esbuild into <dist>/cli/bundle.js (see bundleCommand).
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The command in a few files instead of some 500 modules: loading them one by one was most of the
 * time `latchkey check` took. Latchkey's own modules and the pure-JavaScript dependencies named
 * below go in; every other package stays one the bundle imports (a new dependency too, until it is
 * named): the native ones, the optional peers (not installed unless used), those Latchkey resolves
 * itself at run time (hash-pool.ts, peer.ts, numbers.ts), and pino (its transports load files by
 * path in worker threads). Each command's modules are chunks of their own, loaded when it runs,
 * as in dist/cli/main.js, so `--help` still loads nothing. The chunks sit in dist/cli/, at the
 * depth of main.js: the paths modules find relative to themselves (package.json, bin/) hold, and
 * the docs page's files are copied beside them (common.ts looks for the package root itself).
 * `root` is the checkout, `dist` the folder tsc compiled it into (scripts/build.mjs, bench/build.ts).
 */
export async function bundleCommand(root, dist) {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    // Without it the command runs dist/cli/main.js, as bin/latchkey.cjs falls back to.
    console.log("build: esbuild is not installed; dist/cli/bundle.js not built");
    return;
  }
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const packages = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ];
  const bundled = new Set(["kysely", "zod", "jose", "oauth4webapi", "otpauth"]);
  const external = packages.filter((name) => !bundled.has(name)).flatMap((name) => [name, `${name}/*`]);
  const cli = join(dist, "cli");
  await esbuild.build({
    entryPoints: { bundle: join(root, "src", "cli", "main.ts") },
    outdir: cli,
    chunkNames: "bundle-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external,
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
  });
  for (const name of ["docs.html", "docs.js", "docs.css"]) {
    copyFileSync(join(root, "src", "openapi", name), join(cli, name));
  }
}
