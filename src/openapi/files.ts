import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ServedFile } from "../base/pipeline.js";
import type { OpenApiDocument } from "./document.js";
import { toYaml } from "./yaml.js";

/**
 * What `http.docs` serves under the API base, by path relative to it: the OpenAPI document as
 * JSON and as YAML, and the docs page (docs.html, docs.js and docs.css, beside this module; the
 * page names the others relatively, so it needs no templating). Each is made on its first request
 * and kept, so no API request ever builds the document. All of it is revalidated on every use
 * (no-cache, with an ETag): the document changes with the options and the page with the package.
 */
export function docsFiles(document: () => OpenApiDocument): Map<string, ServedFile> {
  return new Map([
    ["/openapi.json", file("application/json", DATA_HEADERS, () => JSON.stringify(document()))],
    ["/openapi.yaml", file("application/yaml; charset=utf-8", DATA_HEADERS, () => toYaml(document()))],
    ["/docs", file("text/html; charset=utf-8", PAGE_HEADERS, () => asset("docs.html"))],
    ["/docs.js", file("text/javascript; charset=utf-8", ASSET_HEADERS, () => asset("docs.js"))],
    ["/docs.css", file("text/css; charset=utf-8", ASSET_HEADERS, () => asset("docs.css"))],
  ]);
}

/**
 * The page may run its own script and style sheet, and fetch only from its own origin (the
 * document, and "try it" requests to this API); nothing else loads, and no other site may frame it.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS: readonly [string, string][] = [
  ["cache-control", "no-cache"],
  ["content-security-policy", PAGE_CSP],
  ["x-frame-options", "DENY"],
];

/** The documents are data: opened directly in a browser, nothing in them may run or load. */
const DATA_HEADERS: readonly [string, string][] = [
  ["cache-control", "no-cache"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'; sandbox"],
];

/** The page's script and style sheet (the page's own policy governs what they do). */
const ASSET_HEADERS: readonly [string, string][] = [["cache-control", "no-cache"]];

function file(contentType: string, headers: readonly [string, string][], make: () => string): ServedFile {
  let made: { body: string; etag: string } | undefined;
  return {
    contentType,
    headers,
    content() {
      if (!made) {
        const body = make();
        const digest = createHash("sha256").update(body).digest("base64url").slice(0, 22);
        made = { body, etag: `"${digest}"` };
      }
      return made;
    },
  };
}

/**
 * A file of the docs page, read from beside this module: src/openapi, dist/openapi once built, or
 * dist/cli inside the command's bundle (the build copies the files to both).
 */
function asset(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), "utf8");
}
