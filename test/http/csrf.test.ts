import { describe, expect, it } from "vitest";
import { expectEnvelope, insertUser, loginClient, PASSWORD } from "../helpers/accounts.js";
import type { TestResponse } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const TRUSTED = "https://trusted.example.com";
const CORS_ORIGIN = "https://spa.example.com";

function expectCsrfFailure(res: TestResponse): void {
  expect(res.status).toBe(403);
  expectEnvelope(res);
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors[0].code).toBe("csrf_failed");
  expect(res.body.errors[0].message).toMatch(/^CSRF verification failed\. Request aborted\./);
  expect(res.body.errors[0].param).toBeUndefined();
  expect(Object.keys(res.body).sort()).toEqual(["errors", "status"]);
}

function csrfCookie(res: TestResponse): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith("csrftoken="));
}

describe.each(dialects)("CSRF protection of the browser tree (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    csrf: { trustedOrigins: [TRUSTED] },
    cors: { allowedOrigins: [CORS_ORIGIN] },
  });

  it("sets a readable csrftoken cookie on every response, keeping its value", async () => {
    const c = server.client(Client.BROWSER);
    const config = await c.get("/config");
    const cookie = csrfCookie(config);
    expect(cookie).toMatch(/^csrftoken=[A-Za-z0-9]{32}; /);
    expect(cookie).not.toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=31449600/);
    const token = c.cookies.get("csrftoken");

    for (const res of [
      await c.get("/auth/session"),
      await c.get("/config"),
      await c.post("/auth/login", {}),
      await c.post("/auth/login", { username: "nobody", password: "wrong" }),
    ]) {
      expect(csrfCookie(res)).toBeDefined();
      expect(c.cookies.get("csrftoken")).toBe(token);
    }
  });

  it("refuses unsafe requests without the X-CSRFToken header", async () => {
    const c = server.client(Client.BROWSER);
    await c.get("/config");
    for (const [method, path] of [
      ["POST", "/auth/login"],
      ["POST", "/auth/signup"],
      ["DELETE", "/auth/session"],
    ] as const) {
      const res = await c.request(method, path, {}, { noCsrf: true });
      expectCsrfFailure(res);
    }
  });

  it("refuses a wrong token and a missing cookie", async () => {
    const c = server.client(Client.BROWSER);
    await c.get("/config");
    const wrong = await c.post(
      "/auth/login",
      {},
      { noCsrf: true, headers: { "x-csrftoken": "x".repeat(32) } },
    );
    expectCsrfFailure(wrong);

    const token = c.cookies.get("csrftoken")!;
    const noCookie = server.client(Client.BROWSER);
    const res = await noCookie.post("/auth/login", {}, { noCsrf: true, headers: { "x-csrftoken": token } });
    expectCsrfFailure(res);
  });

  it("checks Origin against the API's own origin and the trusted ones", async () => {
    const c = server.client(Client.BROWSER);
    await c.get("/config");
    for (const origin of [
      "https://evil.example.com",
      "null",
      "http://localhost:8001",
      "https://localhost:8000",
    ]) {
      expectCsrfFailure(await c.post("/auth/login", {}, { headers: { origin } }));
    }
    for (const origin of ["http://localhost:8000", TRUSTED, CORS_ORIGIN]) {
      const res = await c.post("/auth/login", {}, { headers: { origin } });
      expect(res.status, origin).toBe(400);
    }
  });

  it("does not guard safe methods", async () => {
    const c = server.client(Client.BROWSER);
    const res = await c.get("/auth/session", { headers: { origin: "https://evil.example.com" } });
    expect(res.status).toBe(401);
  });

  it("rotates the token at login, so the old one then fails", async () => {
    const user = await insertUser(server);
    const c = server.client(Client.BROWSER);
    await c.get("/config");
    const before = c.cookies.get("csrftoken")!;
    const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
    expect(login.status).toBe(200);
    const after = c.cookies.get("csrftoken")!;
    expect(after).not.toBe(before);

    const stale = await c.delete("/auth/session", undefined, {
      noCsrf: true,
      headers: { "x-csrftoken": before },
    });
    expectCsrfFailure(stale);
    expect((await c.get("/auth/session")).status).toBe(200);

    const fresh = await c.delete("/auth/session");
    expect(fresh.status).toBe(401);
  });

  it("guards logout, so a forged request cannot end a session", async () => {
    const user = await insertUser(server);
    const c = await loginClient(server, Client.BROWSER, user);
    expectCsrfFailure(await c.delete("/auth/session", undefined, { noCsrf: true }));
    expect((await c.get("/auth/session")).status).toBe(200);
  });

  it("leaves the app tree without CSRF or cookies", async () => {
    const user = await insertUser(server);
    const app = server.client(Client.APP);
    const res = await app.post(
      "/auth/login",
      { username: user.username, password: PASSWORD },
      { headers: { origin: "https://evil.example.com" } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect((await app.get("/config")).headers.getSetCookie()).toEqual([]);
    const logout = await app.delete("/auth/session", undefined, {
      headers: { cookie: "csrftoken=abc", "x-csrftoken": "def" },
    });
    expect(logout.status).toBe(401);
  });
});
