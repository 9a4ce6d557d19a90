import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { expect, it } from "vitest";

const LIMIT = 5120;

it("AuthAPI is under 5 kB minified and gzipped", async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("../../src/client/auth-api.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const size = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
  expect(size, `${size} bytes gzipped`).toBeLessThan(LIMIT);
});
