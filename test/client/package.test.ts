import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * `latchkey/client` runs in browsers and React Native: its JavaScript may import nothing but its
 * own files (the server's wire and input types it uses are type-only imports, gone once compiled).
 */

const CLIENT = fileURLToPath(new URL("../../src/client/", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("latchkey/client", () => {
  it("each file's compiled JavaScript imports only files of src/client", async () => {
    const files = readdirSync(CLIENT).filter((name) => name.endsWith(".ts"));
    expect(files).toContain("index.ts");
    for (const name of files) {
      // esbuild drops type-only imports as tsc does under verbatimModuleSyntax.
      const { code } = await transform(readFileSync(`${CLIENT}${name}`, "utf8"), {
        loader: "ts",
        format: "esm",
      });
      const specifiers = [
        ...code.matchAll(/(?:^|\n)\s*(?:import|export)[^"'\n]*?from\s*["']([^"']+)["']/g),
      ].map((m) => m[1]);
      for (const specifier of specifiers) expect(specifier, name).toMatch(/^\.\/[\w-]+\.js$/);
      expect(code, name).not.toMatch(/\bimport\s*\(|\brequire\s*\(/);
    }
  });

  it("bundles from src/client alone, with no package", async () => {
    const result = await build({
      entryPoints: [`${CLIENT}index.ts`],
      absWorkingDir: ROOT,
      bundle: true,
      format: "esm",
      platform: "neutral",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(1);
    for (const input of inputs) expect(input).toMatch(/^src\/client\/[\w-]+\.ts$/);
  });

  it("is a subpath export of the package, with its types", () => {
    const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8"));
    expect(manifest.exports["./client"]).toEqual({
      types: "./dist/client/index.d.ts",
      default: "./dist/client/index.js",
    });
    expect(manifest.typesVersions["*"].client).toEqual(["./dist/client/index.d.ts"]);
  });
});
