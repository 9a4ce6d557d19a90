import { describe, expect, it } from "vitest";
import { compactApi } from "../../src/compact/area.js";
import { Client } from "../../src/core/enums.js";
import { createLatchkey } from "../../src/latchkey.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { privateKeyFor } from "../tokens/support.js";
import { deref, documentOf, EVERY_FEATURE, type Json, operations } from "./documents.js";

/**
 * The document against the route table it is built from: every route of both trees, every page
 * and every compact API route has an operation with its summary, its body's schema and the answers
 * it declares, and nothing else is documented; options that turn routes off take them out.
 */

const CONFIGURATIONS: [string, LatchkeyOptions][] = [
  ["the defaults", {}],
  ["every feature", EVERY_FEATURE],
  ["the browser client alone", { clients: ["browser"] }],
  [
    "the app client alone, JWT",
    {
      clients: ["app"],
      tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: privateKeyFor("HS256") } },
    },
  ],
];

/** ":name" → "{name}", as OpenAPI writes path parameters. */
const templated = (path: string) => path.replace(/:(\w+)/g, "{$1}");

function bodySchema(doc: Json, operation: Json): Json {
  const content = deref(doc, operation.requestBody)?.content ?? {};
  return deref(doc, (content["application/json"] ?? content["application/x-www-form-urlencoded"])?.schema);
}

function fieldNames(doc: Json, schema: Json): string[] {
  const s = deref(doc, schema);
  const branches = s?.anyOf ?? s?.oneOf ?? s?.allOf;
  if (branches) return branches.flatMap((b: Json) => fieldNames(doc, b));
  return Object.keys(s?.properties ?? {});
}

describe.each(CONFIGURATIONS)("every route is documented (%s)", (_, options) => {
  it("each route of each tree it is in: summary, body schema, headers read, declared answers", async () => {
    const latchkey = createLatchkey({ ...options, database: { url: "sqlite::memory:" } });
    await latchkey.close();
    const doc: Json = latchkey.openApiDocument();
    const o = latchkey.options;
    let documented = 0;
    for (const route of latchkey.routes) {
      const trees = (route.clients ?? [Client.BROWSER, Client.APP]).filter((c) => o.clients.includes(c));
      if (trees.length > 0) documented += 1;
      for (const tree of trees) {
        const name = `${route.method} ${route.path} (${tree})`;
        const operation =
          doc.paths[`${o.basePath}/{client}/v1${route.path}`]?.[route.method.toLowerCase()] ??
          doc.paths[`${o.basePath}/${tree}/v1${route.path}`]?.[route.method.toLowerCase()];
        expect(operation, name).toBeDefined();
        expect(operation.summary, name).toBe(route.summary);
        const declared = Object.keys(route.responses ?? {});
        expect(declared.length, `${name} declares no answer`).toBeGreaterThan(0);
        for (const status of declared)
          expect(operation.responses[status], `${name}: ${status}`).toBeDefined();
        const body = route.method === "GET" ? undefined : (route.input ?? route.reads?.body);
        if (body)
          expect(fieldNames(doc, bodySchema(doc, operation)).length, `${name}: body fields`).toBeGreaterThan(
            0,
          );
        else expect(operation.requestBody, name).toBeUndefined();
        for (const header of Object.values(route.inputFromHeaders ?? {})) {
          const parameters = operation.parameters.map((p: Json) => deref(doc, p));
          expect(
            parameters.some((p: Json) => p.in === "header" && p.name.toLowerCase() === header),
            `${name}: header ${header}`,
          ).toBe(true);
        }
      }
    }
    for (const page of latchkey.pages) {
      const operation = doc.paths[templated(page.path)]?.[page.method.toLowerCase()];
      expect(operation, page.path).toBeDefined();
      expect(operation.summary).toBe(page.summary);
      expect(Object.keys(operation.responses).length, page.path).toBeGreaterThan(0);
      documented += 1;
    }
    const mounted = compactApi(o, latchkey.routes);
    for (const route of mounted?.routes ?? []) {
      const name = `${route.method} ${route.path} (compact)`;
      const operation =
        doc.paths[`${mounted!.basePath}${templated(route.path)}/`]?.[route.method.toLowerCase()];
      expect(operation, name).toBeDefined();
      expect(operation.summary, name).toBe(route.doc.summary);
      expect(Object.keys(route.doc.responses).length, name).toBeGreaterThan(0);
      if (route.doc.input)
        expect(fieldNames(doc, bodySchema(doc, operation)).length, name).toBeGreaterThan(0);
      documented += 1;
    }
    // Nothing is documented that is not served.
    expect(operations(doc)).toHaveLength(documented);
  });
});

describe("the document reflects the options", () => {
  const paths = async (options: LatchkeyOptions) => Object.keys((await documentOf(options)).paths);

  it("mfa off: no 2FA, authenticator or WebAuthn paths", async () => {
    const mfaPath = /\/2fa\/|\/authenticators|\/webauthn\//;
    expect((await paths({})).filter((p) => mfaPath.test(p))).not.toEqual([]);
    expect((await paths({ mfa: { enabled: false } })).filter((p) => mfaPath.test(p))).toEqual([]);
  });

  it("compactApi.basePath false: no compact API paths and no compact token scheme", async () => {
    const on: Json = await documentOf({});
    expect(Object.keys(on.paths)).toContain("/auth/login/");
    expect(on.components.securitySchemes.compactAccessToken).toBeDefined();
    const off: Json = await documentOf({ compactApi: { basePath: false } });
    expect(Object.keys(off.paths).filter((p) => !p.startsWith("/_allauth/"))).toEqual([]);
    expect(off.components.securitySchemes.compactAccessToken).toBeUndefined();
    expect(off.tags.map((t: Json) => t.name)).not.toContain("Compact API");
  });

  it("the browser client alone: no compact API (it hands out Bearer tokens, an app credential)", async () => {
    const doc: Json = await documentOf({ clients: ["browser"] });
    const outside = Object.keys(doc.paths).filter((p) => !p.startsWith("/_allauth/"));
    expect(outside).toEqual([]);
    expect(Object.keys(doc.paths)).toContain("/_allauth/browser/v1/auth/login");
    expect(doc.components.securitySchemes.compactAccessToken).toBeUndefined();
    expect(doc.tags.map((t: Json) => t.name)).not.toContain("Compact API");
  });

  it("social login: its endpoints and callback pages only with a provider", async () => {
    const social = /\/provider\/|\/providers|^\/accounts\//;
    expect((await paths({})).filter((p) => social.test(p) && p.startsWith("/_allauth/"))).toEqual([]);
    const withProvider = await paths({ socialaccount: { providers: { dummy: {} } } });
    expect(withProvider).toContain("/_allauth/{client}/v1/auth/provider/token");
    expect(withProvider).toContain("/accounts/{provider}/login/callback/");
  });

  it("login by code: requesting a code only when it is on", async () => {
    const request = "/_allauth/{client}/v1/auth/code/request";
    expect(await paths({})).not.toContain(request);
    expect(await paths({ account: { loginByCode: { enabled: true } } })).toContain(request);
  });

  it("one client tree: its own paths only, no {client} parameter, no browser security", async () => {
    const doc: Json = await documentOf({ clients: ["app"] });
    const api = Object.keys(doc.paths).filter((p) => p.startsWith("/_allauth/"));
    expect(api.length).toBeGreaterThan(10);
    expect(api.filter((p) => !p.startsWith("/_allauth/app/v1/"))).toEqual([]);
    expect(Object.keys(doc.components.securitySchemes)).not.toContain("csrfToken");
    expect(Object.keys(doc.components.securitySchemes)).not.toContain("sessionCookie");
  });

  it("the base path, the cookie and header names and the token strategy are the options'", async () => {
    const doc: Json = await documentOf({
      basePath: "/api/auth",
      csrf: { cookieName: "xsrf", headerName: "X-XSRF-Token" },
      tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: privateKeyFor("HS256") } },
    });
    const api = Object.keys(doc.paths).filter((p) => !p.startsWith("/auth/") && !p.startsWith("/accounts/"));
    expect(
      api.filter((p) => !p.startsWith("/api/auth/{client}/v1/") && !p.startsWith("/api/auth/app/v1/")),
    ).toEqual([]);
    const schemes = doc.components.securitySchemes;
    expect(schemes.csrfToken).toMatchObject({ in: "header", name: "X-XSRF-Token", "x-cookie-name": "xsrf" });
    expect(schemes.accessToken).toMatchObject({ type: "http", scheme: "bearer" });
    const session = doc.paths["/api/auth/{client}/v1/auth/session"].get;
    expect(session.security).toContainEqual({ accessToken: [] });
  });
});
