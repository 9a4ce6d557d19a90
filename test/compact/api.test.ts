import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/latchkey.js";
import type { OptionsError } from "../../src/options/resolve.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { countRows, insertUser, loginClient, PASSWORD } from "../helpers/accounts.js";
import { Client, startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/**
 * The compact API as HTTP: every route with and without the trailing slash, what it answers an
 * anonymous caller and bad bodies, unknown paths and methods, its options, and how its tokens
 * stand with the allauth API and getSession.
 */

const WITH_DUMMY: LatchkeyOptions = { socialaccount: { providers: { dummy: {} } } };

/** Every route (with a provider configured), and what an anonymous caller sending `{}` gets. */
const EVERY_ROUTE: [method: string, path: string, status: number, code: string | null][] = [
  ["POST", "/signup", 400, "required"],
  ["POST", "/email/verify", 400, "required"],
  ["POST", "/login", 400, "required"],
  ["POST", "/mfa/authenticate", 400, "required"],
  ["GET", "/user", 401, "not_authenticated"],
  ["POST", "/logout", 401, "not_authenticated"],
  ["POST", "/token/refresh", 400, "required"],
  ["POST", "/reauthenticate", 401, "not_authenticated"],
  ["POST", "/mfa/reauthenticate", 401, "not_authenticated"],
  ["POST", "/mfa/totp/add", 401, "not_authenticated"],
  ["POST", "/mfa/totp/confirm", 401, "not_authenticated"],
  ["POST", "/password/reset", 400, "required"],
  ["POST", "/password/reset/confirm", 400, "required"],
  ["POST", "/password/change", 401, "not_authenticated"],
  ["GET", "/providers", 200, null],
  ["POST", "/providers/dummy/redirect", 200, null],
  ["POST", "/providers/dummy/callback", 400, "required"],
  ["POST", "/providers/dummy/token", 400, "token_required"],
  ["POST", "/providers/signup", 400, "required"],
];

describe.each(dialects)("compact API over HTTP (%s)", (dialect) => {
  const server = useLatchkey(dialect, WITH_DUMMY);

  it("serves every route with and without the trailing slash, alike", async () => {
    for (const [method, path, status, code] of EVERY_ROUTE) {
      for (const slash of [true, false]) {
        const c = new CompactClient(server, slash);
        const res = await c.request(method, path, method === "GET" ? undefined : {});
        expect(res.status, `${method} ${path}${slash ? "/" : ""}: ${res.text}`).toBe(status);
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        expect(res.headers.get("cache-control")).toContain("no-store");
        if (code !== null) expectError(res, status, code);
        if (status === 401) expect(res.headers.get("www-authenticate")).toBe("Bearer");
      }
    }
    // Every path answers its methods (and only those) in Allow.
    for (const [method, path] of EVERY_ROUTE) {
      const c = new CompactClient(server);
      const other = await c.request(method === "GET" ? "POST" : "GET", path);
      expectError(other, 405, "method_not_allowed");
      expect(other.headers.get("allow")).toBe(method === "GET" ? "GET, HEAD, OPTIONS" : "POST, OPTIONS");
    }
  });

  it("leaves nothing behind for anonymous calls and refusals", async () => {
    const before = await countRows(server, "session");
    const c = new CompactClient(server);
    const user = await insertUser(server);
    expectError(
      await c.post("/login", { username: user.username, password: "wrong" }),
      400,
      "username_password_mismatch",
      "password",
    );
    expectError(await c.post("/signup", { username: "x", password: "1" }), 400, "password_too_short");
    expectError(await c.post("/email/verify", { key: "nope" }), 400, "invalid_or_expired_key", "key");
    expect((await c.post("/password/reset", { email: "nobody@example.org" })).status).toBe(200);
    expect(await countRows(server, "session")).toBe(before);
  });

  it("answers unknown paths 404 and other methods 405, in the envelope", async () => {
    const c = new CompactClient(server);
    for (const path of ["/nope", "/login/extra", "", "/", "/LOGIN", "/providers/dummy"]) {
      expectError(await c.request("POST", c.url("").replace(/\/$/, "") + path), 404, "not_found");
    }
    expectError(await c.request("POST", "http://localhost:8000/auth/login//"), 404, "not_found");
    expectError(
      await c.request("POST", "http://localhost:8000/auth/providers/no%ZZpe/token/"),
      404,
      "not_found",
    );
    const put = await c.request("PUT", "/login", {});
    expectError(put, 405, "method_not_allowed");
    expect(put.headers.get("allow")).toBe("POST, OPTIONS");
    const head = await c.request("HEAD", "/providers");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    const options = await c.request("OPTIONS", "/user");
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("refuses malformed JSON, bodies that are no object, oversized bodies and wrong types", async () => {
    const c = new CompactClient(server);
    const before = await countRows(server, "session");
    expectError(await c.post("/login", undefined, { raw: "{nope" }), 400, "invalid_json");
    expectError(await c.post("/login", undefined, { raw: "[1,2]" }), 400, "invalid_json");
    expect((await c.post("/login", undefined, { raw: "[1,2]" })).body.errors[0].message).toBe(
      "The request body must be a JSON object.",
    );
    const big = JSON.stringify({ username: "x".repeat(70_000), password: "y" });
    expectError(await c.post("/login", undefined, { raw: big }), 413, "payload_too_large");
    const typed = await c.post("/login", { username: 5, password: ["x"] });
    expectError(typed, 400, "invalid", "username");
    expectError(await c.post("/mfa/authenticate", { token: 5, code: "123456" }), 400, "invalid", "token");
    expectError(
      await c.post("/mfa/authenticate", { token: "1.abc", code: "1" }),
      400,
      "invalid_token",
      "token",
    );
    expectError(await c.post("/token/refresh", { refresh_token: ["x"] }), 400, "invalid", "refresh_token");
    expectError(await c.post("/providers/signup", { token: "" }), 400, "required", "token");
    expect(await countRows(server, "session")).toBe(before);
  });

  it("refuses a missing, malformed or unknown access token with RFC 6750's challenge", async () => {
    const c = new CompactClient(server);
    const missing = await c.get("/user");
    expectError(missing, 401, "not_authenticated");
    expect(missing.headers.get("www-authenticate")).toBe("Bearer");
    for (const header of [
      "Bearer 1.nope",
      "Bearer 999999.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
      "Bearer",
    ]) {
      const res = await c.get("/user", { headers: { authorization: header } });
      if (header === "Bearer") {
        expectError(res, 401, "not_authenticated");
      } else {
        expectError(res, 401, "invalid_token");
        expect(res.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      }
    }
  });

  it("issues tokens that work only as Bearer tokens of the compact API and getSession", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server, false);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const access = c.access!;
    // Not as the allauth API's session credentials: an app token naming no session is 410.
    const app = server.client(Client.APP);
    const asSession = await app.get("/auth/session", { headers: { "x-session-token": access } });
    expect(asSession.status).toBe(410);
    const asJwt = await app.get("/auth/session", { headers: { authorization: `Bearer ${access}` } });
    expect(asJwt.status).toBe(401);
    const browser = server.client(Client.BROWSER);
    browser.cookies.set("sessionid", access);
    expect((await browser.get("/auth/session")).status).toBe(401);
    expect(await server.latchkey.validateSessionToken(access)).toBeNull();
    // getSession (requireUser) takes it.
    const found = await server.latchkey.getSession(new Headers({ authorization: `Bearer ${access}` }));
    expect(found?.user.id).toBe(user.id);
    expect(found?.session.via).toBe("access_token");
    expect(await server.latchkey.getSession({ authorization: `Bearer ${c.refresh}` })).toBeNull();
    expect((await c.post("/logout")).status).toBe(200);
    expect(await server.latchkey.getSession({ authorization: `Bearer ${access}` })).toBeNull();
  });

  it("ignores a Bearer token sent to a route that logs in", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    const res = await c.post("/login", { username: user.username, password: PASSWORD }, { token: "1.stale" });
    expectTokens(res);
  });

  it("answers a CORS preflight from an allowed origin", async () => {
    const cors = await startLatchkey(dialect, { cors: { allowedOrigins: ["https://app.example.org"] } });
    const c = new CompactClient(cors);
    const res = await c.request("OPTIONS", "/login", undefined, {
      headers: { origin: "https://app.example.org", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.org");
    expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});

describe("compact API options", () => {
  const refusal = (input: LatchkeyOptions) => {
    try {
      resolveOptions(input);
    } catch (err) {
      return err as OptionsError;
    }
    throw new Error("the options were accepted");
  };

  it("are checked: a base path inside the allauth trees, malformed paths and URLs are refused", () => {
    for (const basePath of ["/_allauth/app", "/_allauth/browser/v1", "/_allauth/health"]) {
      expect(refusal({ compactApi: { basePath } }).path).toBe("compactApi.basePath");
    }
    expect(refusal({ basePath: "/x", compactApi: { basePath: "/x/app/auth" } }).path).toBe(
      "compactApi.basePath",
    );
    for (const basePath of ["/auth/", "auth", "", "/a b"]) {
      expect(refusal({ compactApi: { basePath } }).path).toBe("compactApi.basePath");
    }
    expect(refusal({ compactApi: { basePath: true as unknown as false } }).path).toBe("compactApi.basePath");
    expect(refusal({ compactApi: { accessTokenLifetime: 0 } }).path).toBe("compactApi.accessTokenLifetime");
    expect(refusal({ compactApi: { providerCallbackUrl: "/auth/callback" } }).path).toBe(
      "compactApi.providerCallbackUrl",
    );
    expect(refusal({ compactApi: { providerCallbackUrl: "javascript:alert(1)" } }).path).toBe(
      "compactApi.providerCallbackUrl",
    );
    const o = resolveOptions({ basePath: "/auth" });
    expect(o.compactApi).toEqual({
      basePath: "/auth",
      accessTokenLifetime: 3600,
      providerCallbackUrl: "http://localhost:3000/auth/callback",
    });
    expect(resolveOptions({ compactApi: { basePath: false } }).compactApi.basePath).toBe(false);
  });
});

describe.each(dialects)("compact API options (%s)", (dialect) => {
  it("is off with basePath false: its paths are 404, the allauth API works", async () => {
    const off = await startLatchkey(dialect, { compactApi: { basePath: false } });
    const user = await insertUser(off);
    const c = new CompactClient(off);
    const res = await c.request("POST", "http://localhost:8000/auth/login/", {
      username: user.username,
      password: PASSWORD,
    });
    expectError(res, 404, "not_found");
    expect(off.latchkey.prefixes).not.toContain("/auth");
    await loginClient(off, Client.APP, user);
  });

  it("shares the allauth API's base path, or moves", async () => {
    const shared = await startLatchkey(dialect, { basePath: "/auth" });
    const user = await insertUser(shared);
    expectTokens(
      await new CompactClient(shared).post("/login", { username: user.username, password: PASSWORD }),
    );
    await loginClient(shared, Client.APP, user);
    expect((await shared.client(Client.APP).get("http://localhost:8000/auth/health")).status).toBe(200);

    const moved = await startLatchkey(dialect, {
      compactApi: { basePath: "/api/v2/auth", accessTokenLifetime: 60 },
    });
    const other = await insertUser(moved);
    const c = new CompactClient(moved);
    expect(c.url("/login")).toBe("http://localhost:8000/api/v2/auth/login/");
    expectTokens(await c.post("/login", { username: other.username, password: PASSWORD }), 60);
    expect(moved.latchkey.prefixes).toContain("/api/v2/auth");
  });

  it("inherits the rate limits of the routes it translates to (counted with the allauth API's)", async () => {
    const limited = await startLatchkey(dialect, { rateLimits: { actions: { login: "3/m/ip" } } });
    const user = await insertUser(limited);
    const c = new CompactClient(limited);
    const body = { username: user.username, password: PASSWORD };
    expectTokens(await c.post("/login", body));
    expect((await limited.client(Client.APP).post("/auth/login", body)).status).toBe(200);
    expectTokens(await c.post("/login", body));
    expectError(await c.post("/login", body), 429, "too_many_requests");
    expectError(await c.post("/providers/dummy/token", { id_token: "{}" }), 404, "not_found");
    // Another address has its own count.
    expectTokens(await new CompactClient(limited, true, "10.9.8.7").post("/login", body));
  });

  it("is served only when clients includes app: with the browser alone its paths are 404, no tokens", async () => {
    const browserOnly = await startLatchkey(dialect, { clients: ["browser"] });
    const user = await insertUser(browserOnly);
    const c = new CompactClient(browserOnly);
    const body = { username: user.username, password: PASSWORD };
    expectError(await c.post("/login", body), 404, "not_found");
    expectError(await c.post("/token/refresh", { refresh_token: "1.x" }), 404, "not_found");
    expectError(await c.get("/user"), 404, "not_found");
    expect(c.access).toBeNull();
    expect(browserOnly.latchkey.prefixes).not.toContain("/auth");
    await loginClient(browserOnly, Client.BROWSER, user);
  });

  it("works whatever tokens.strategy says, with the app tree alone", async () => {
    const appOnly = await startLatchkey(dialect, {
      clients: ["app"],
      tokens: {
        strategy: "jwt",
        jwt: { algorithm: "HS256", privateKey: "a-test-secret-of-at-least-thirty-two-bytes" },
      },
    });
    const user = await insertUser(appOnly);
    const c = new CompactClient(appOnly);
    expect((await appOnly.client(Client.BROWSER).get("/config")).status).toBe(404);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    expect((await c.get("/user")).body.id).toBe(user.id);
    const found = await appOnly.latchkey.getSession({ authorization: `Bearer ${c.access}` });
    expect(found?.user.id).toBe(user.id);
  });
});
