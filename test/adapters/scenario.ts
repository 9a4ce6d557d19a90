import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";

/** Listens on 127.0.0.1, a free port; returns the origin and a closer. */
export async function listen(
  listenerOrServer: RequestListener | Server,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = typeof listenerOrServer === "function" ? createServer(listenerOrServer) : listenerOrServer;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A browser: keeps cookies, sends Origin and, for unsafe methods, X-CSRFToken from the csrftoken cookie. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  async fetch(path: string, init: { method?: string; json?: unknown; csrf?: boolean } = {}) {
    const method = init.method ?? "GET";
    const headers = new Headers({ origin: this.origin });
    if (this.cookies.size > 0) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const csrf = this.cookies.get("csrftoken");
    if (csrf && method !== "GET" && init.csrf !== false) headers.set("x-csrftoken", csrf);
    let body: string | undefined;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const response = await fetch(this.origin + path, { method, headers, body });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(";")[0]!;
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      if (/max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return response;
  }
}

/** GET config: 200 JSON in allauth's envelope. */
export async function expectConfig(origin: string, base = "/_allauth"): Promise<void> {
  const response = await fetch(`${origin}${base}/app/v1/config`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.json();
  expect(body.status).toBe(200);
  expect(body.data.account.login_methods).toEqual(["username"]);
}

let userCount = 0;

/**
 * The browser flow through the adapter: config sets csrftoken; a POST without X-CSRFToken is
 * refused; signup with it logs in (sessionid and csrftoken set: two Set-Cookie headers); the
 * session cookie then authenticates GET /auth/session.
 */
export async function expectBrowserSignup(origin: string, base = "/_allauth"): Promise<void> {
  const browser = new Browser(origin);
  const config = await browser.fetch(`${base}/browser/v1/config`);
  expect(config.status).toBe(200);
  expect(browser.cookies.has("csrftoken")).toBe(true);

  const username = `adapter${++userCount}${Date.now()}`;
  const credentials = { username, password: "correct-Horse-battery-9" };
  const refused = await browser.fetch(`${base}/browser/v1/auth/signup`, {
    method: "POST",
    json: credentials,
    csrf: false,
  });
  expect(refused.status).toBe(403);
  expect((await refused.json()).errors[0].code).toBe("csrf_failed");

  const signup = await browser.fetch(`${base}/browser/v1/auth/signup`, { method: "POST", json: credentials });
  const body = await signup.json();
  expect(signup.status, JSON.stringify(body)).toBe(200);
  expect(body.data.user.username).toBe(username);
  expect(signup.headers.getSetCookie().length).toBeGreaterThanOrEqual(2);
  expect(browser.cookies.has("sessionid")).toBe(true);

  const session = await browser.fetch(`${base}/browser/v1/auth/session`);
  expect(session.status).toBe(200);
  expect((await session.json()).data.user.username).toBe(username);

  const anonymous = await fetch(`${origin}${base}/browser/v1/auth/session`);
  expect(anonymous.status).toBe(401);
}

/** A body over http.maxBodyBytes (64 KiB by default) gets Latchkey's 413 envelope. */
export async function expectPayloadTooLarge(origin: string, base = "/_allauth"): Promise<void> {
  const response = await fetch(`${origin}${base}/app/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "x".repeat(70_000), password: "y" }),
  });
  expect(response.status).toBe(413);
  const body = await response.json();
  expect(body).toEqual({ status: 413, errors: [expect.objectContaining({ code: "payload_too_large" })] });
}
