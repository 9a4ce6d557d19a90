import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runHere } from "../cli/support.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { deref, EVERY_FEATURE, type Json, operations } from "./documents.js";

/**
 * The document and the docs page as served through the public handler: JSON and YAML of the same
 * valid OpenAPI 3.1 document, every documented operation routed, the headers (policy, caching), and
 * http.docs false turning all of it off. `latchkey openapi` prints the same document.
 */

const ORIGIN = "http://localhost";
const SERVED = ["/openapi.json", "/openapi.yaml", "/docs", "/docs.js", "/docs.css"];

function get(server: TestServer, path: string, init: RequestInit = {}): Promise<Response> {
  return server.latchkey.handler(new Request(`${ORIGIN}${path}`, init));
}

const JSON_SCHEMA_TYPES = new Set(["string", "number", "integer", "boolean", "object", "array", "null"]);

/** What a structural validator leaves out: the JSON Schemas themselves, names and path parameters. */
function invariantProblems(doc: Json): string[] {
  const problems: string[] = [];
  const checkSchema = (schema: Json, where: string): void => {
    if (schema === null || typeof schema !== "object") return;
    for (const type of [schema.type ?? []].flat()) {
      if (!JSON_SCHEMA_TYPES.has(type)) problems.push(`${where}: type ${type}`);
    }
    for (const key of schema.required ?? []) {
      if (schema.properties && !(key in schema.properties))
        problems.push(`${where}: required ${key} is no property`);
    }
    for (const [name, property] of Object.entries<Json>(schema.properties ?? {}))
      checkSchema(property, `${where}.${name}`);
    for (const part of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
      checkSchema(part, where);
    if (schema.items) checkSchema(schema.items, `${where}[]`);
    if (typeof schema.additionalProperties === "object")
      checkSchema(schema.additionalProperties, `${where}{}`);
  };
  const walk = (value: Json, where: string): void => {
    if (value === null || typeof value !== "object") return;
    for (const [key, child] of Object.entries<Json>(value)) {
      if (key === "schema") checkSchema(child, where);
      else walk(child, `${where}/${key}`);
    }
  };
  walk(doc.paths, "paths");
  walk(doc.components.responses, "responses");
  for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) checkSchema(schema, name);

  const ids = new Set<string>();
  const tags = new Set(doc.tags.map((t: Json) => t.name));
  for (const [path, method, operation] of operations(doc)) {
    const name = `${method} ${path}`;
    if (ids.has(operation.operationId)) problems.push(`${name}: operationId ${operation.operationId} twice`);
    ids.add(operation.operationId);
    if (!tags.has(operation.tags[0])) problems.push(`${name}: undeclared tag ${operation.tags[0]}`);
    const declared = (operation.parameters ?? []).map((p: Json) => deref(doc, p));
    for (const [, parameter] of path.matchAll(/\{(\w+)\}/g)) {
      if (!declared.some((p: Json) => p.in === "path" && p.name === parameter)) {
        problems.push(`${name}: path parameter ${parameter} undeclared`);
      }
    }
  }
  return problems;
}

describe("the served OpenAPI document", () => {
  const server = useLatchkey("sqlite", EVERY_FEATURE);

  it("is the same data as JSON and as YAML, and what openApiDocument() gives", async () => {
    const json = await get(server, "/_allauth/openapi.json");
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toBe("application/json");
    const document = await json.json();
    expect(document).toEqual(server.latchkey.openApiDocument());
    expect(document.openapi).toBe("3.1.0");

    const yaml = await get(server, "/_allauth/openapi.yaml");
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get("content-type")).toBe("application/yaml; charset=utf-8");
    expect(parse(await yaml.text())).toEqual(document);
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const document = await (await get(server, "/_allauth/openapi.json")).json();
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(invariantProblems(document)).toEqual([]);
  });

  it("documents only operations the server routes (OPTIONS lists each one's method)", async () => {
    const document = await (await get(server, "/_allauth/openapi.json")).json();
    let checked = 0;
    for (const [path, method, operation] of operations(document)) {
      if (operation.tags[0] === "Provider callbacks") continue; // pages: no OPTIONS, checked in routes.test.ts
      const clients = path.includes("{client}") ? ["browser", "app"] : [""];
      for (const client of clients) {
        const url = path.replace("{client}", client).replace(/\{\w+\}/g, "dummy");
        const answer = await get(server, url, { method: "OPTIONS" });
        expect(answer.status, `${method} ${url}`).toBe(204);
        expect(answer.headers.get("allow")?.split(", "), `${method} ${url}`).toContain(method.toUpperCase());
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("is revalidated by its ETag, answers HEAD without a body, and only GET and HEAD", async () => {
    const first = await get(server, "/_allauth/openapi.json");
    await first.arrayBuffer();
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get("cache-control")).toBe("no-cache");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("content-security-policy")).toContain("default-src 'none'");

    const again = await get(server, "/_allauth/openapi.json", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const changed = await get(server, "/_allauth/openapi.json", { headers: { "if-none-match": '"other"' } });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();

    const head = await get(server, "/_allauth/openapi.yaml", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");

    const post = await get(server, "/_allauth/openapi.json", { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({
      status: 405,
      errors: [{ message: "Method not allowed.", code: "method_not_allowed" }],
    });
  });
});

describe("the docs page", () => {
  const server = useLatchkey("sqlite");

  it("is HTML whose policy runs only the page's own script and style, and fetches only its origin", async () => {
    const page = await get(server, "/_allauth/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const policy = page.headers.get("content-security-policy")!;
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
    ]) {
      expect(policy).toContain(directive);
    }
    expect(policy).not.toContain("unsafe");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="docs.js">');
    expect(html).not.toMatch(/https?:\/\//);

    const script = await get(server, "/_allauth/docs.js");
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await script.text();
    expect(code).toContain('fetch("openapi.json"');
    // Nothing in the renderer names another site to load from or report to.
    expect(code).not.toMatch(/https?:\/\//);
    const style = await get(server, "/_allauth/docs.css");
    expect(style.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await style.text()).not.toMatch(/url\(|@import/);
  });

  it("a path beside them is still the JSON 404", async () => {
    const answer = await get(server, "/_allauth/docs/");
    expect(answer.status).toBe(404);
    expect((await answer.json()).errors[0].code).toBe("not_found");
  });
});

describe("http.docs false and another base path", () => {
  it("http.docs false: the documents and the page answer the JSON 404", async () => {
    const server = await startLatchkey("sqlite", { http: { docs: false } });
    for (const path of SERVED) {
      const answer = await get(server, `/_allauth${path}`);
      expect(answer.status, path).toBe(404);
      expect(await answer.json(), path).toEqual({
        status: 404,
        errors: [{ message: "Not found.", code: "not_found" }],
      });
    }
  });

  it("serves under basePath, with the document's paths under it", async () => {
    const server = await startLatchkey("sqlite", { basePath: "/api/auth" });
    for (const path of SERVED) expect((await get(server, `/api/auth${path}`)).status, path).toBe(200);
    expect((await get(server, "/_allauth/openapi.json")).status).toBe(404);
    const document = await (await get(server, "/api/auth/openapi.json")).json();
    expect(document.paths["/api/auth/{client}/v1/config"]).toBeDefined();
  });
});

describe("latchkey openapi", () => {
  it("prints the document of the options as JSON, or with --yaml as YAML", async () => {
    const env = { LATCHKEY_ACCOUNT_LOGIN_BY_CODE_ENABLED: "true" };
    const json = await runHere({ command: "openapi" }, env);
    expect(json.code, json.stderr).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.openapi).toBe("3.1.0");
    expect(document.paths["/_allauth/{client}/v1/auth/code/request"]).toBeDefined();

    const yaml = await runHere({ command: "openapi", yaml: true }, env);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parse(yaml.stdout)).toEqual(document);
  });
});
