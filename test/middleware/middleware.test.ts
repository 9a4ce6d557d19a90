import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { LatchkeyVerifier } from "../../src/middleware/caller.js";
import {
  csrfProtect as csrfExpress,
  requireUser as requireUserExpress,
} from "../../src/middleware/express.js";
import {
  csrfProtect as csrfFastify,
  requireUser as requireUserFastify,
} from "../../src/middleware/fastify.js";
import {
  csrfProtect as csrfHono,
  type LatchkeyVariables,
  requireUser as requireUserHono,
} from "../../src/middleware/hono.js";
import { csrfProtect as csrfNode, requireUser as requireUserNode } from "../../src/middleware/node.js";
import type { TestClient } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { clockedLatchkey } from "../ops/support.js";
import { newUser, PASSWORD, privateKeyFor } from "../tokens/support.js";

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  headers: Headers;
}

/**
 * Your own API, protected by one framework's middleware: GET and POST /api/me behind requireUser,
 * POST /api/form behind csrfProtect alone. `origin` is its own origin (what a same-origin browser sends).
 */
interface OwnApi {
  origin: string;
  call(method: "GET" | "POST", path: string, headers: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

async function listening(server: Server): Promise<{ origin: string; close(): Promise<void> }> {
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

function overHttp(origin: string, close: () => Promise<void>): OwnApi {
  return {
    origin,
    async call(method, path, headers) {
      const r = await fetch(`${origin}${path}`, { method, headers });
      return { status: r.status, body: await r.json(), headers: r.headers };
    },
    close,
  };
}

async function expressApi(latchkey: LatchkeyVerifier): Promise<OwnApi> {
  const app = express();
  app.get("/api/me", requireUserExpress(latchkey), (req, res) => {
    res.json({ caller: req.latchkeyUser });
  });
  app.post("/api/me", requireUserExpress(latchkey), (req, res) => {
    res.json({ caller: req.latchkeyUser });
  });
  app.post("/api/form", csrfExpress(latchkey), (_req, res) => {
    res.json({ done: true });
  });
  const { origin, close } = await listening(createServer(app));
  return overHttp(origin, close);
}

async function honoApi(latchkey: LatchkeyVerifier): Promise<OwnApi> {
  const app = new Hono<{ Variables: LatchkeyVariables }>();
  app.use("/api/me", requireUserHono(latchkey));
  app.get("/api/me", (c) => c.json({ caller: c.get("latchkeyUser") }));
  app.post("/api/me", (c) => c.json({ caller: c.get("latchkeyUser") }));
  app.post("/api/form", csrfHono(latchkey), (c) => c.json({ done: true }));
  const origin = "http://localhost";
  return {
    origin,
    async call(method, path, headers) {
      const r = await app.fetch(new Request(`${origin}${path}`, { method, headers }));
      return { status: r.status, body: await r.json(), headers: r.headers };
    },
    close: async () => {},
  };
}

async function fastifyApi(latchkey: LatchkeyVerifier): Promise<OwnApi> {
  const app = Fastify();
  app.get("/api/me", { preHandler: requireUserFastify(latchkey) }, async (request) => ({
    caller: request.latchkeyUser,
  }));
  app.post("/api/me", { preHandler: requireUserFastify(latchkey) }, async (request) => ({
    caller: request.latchkeyUser,
  }));
  app.post("/api/form", { preHandler: csrfFastify(latchkey) }, async () => ({ done: true }));
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  return overHttp(origin, () => app.close());
}

async function nodeApi(latchkey: LatchkeyVerifier): Promise<OwnApi> {
  const requireUser = requireUserNode(latchkey);
  const csrfProtect = csrfNode(latchkey);
  const server = createServer(async (req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/api/me") {
      const caller = await requireUser(req, res);
      if (caller) json({ caller });
    } else if (req.url === "/api/form" && csrfProtect(req, res)) {
      json({ done: true });
    }
  });
  const { origin, close } = await listening(server);
  return overHttp(origin, close);
}

const frameworks = [
  ["Express", expressApi],
  ["Hono", honoApi],
  ["Fastify", fastifyApi],
  ["node", nodeApi],
] as const;

/** The Cookie header of a browser client (what the browser sends to the app's own origin too). */
function cookieHeader(browser: TestClient): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
}

describe.each(dialects)("requireUser and csrfProtect (%s)", (dialect) => {
  describe.each(frameworks)("%s", (_name, mount) => {
    describe("JWT strategy", () => {
      const server = useLatchkey(dialect, {
        tokens: { strategy: "jwt", jwt: { algorithm: "ES256", privateKey: privateKeyFor("ES256") } },
      });
      let api: OwnApi;
      beforeAll(async () => {
        api = await mount(server.latchkey);
      });
      afterAll(() => api.close());

      async function login() {
        const { username, id } = await newUser(server, server.client(Client.APP), "mw");
        const app = server.client(Client.APP);
        const r = await app.post("/auth/login", { username, password: PASSWORD });
        expect(r.status).toBe(200);
        return { id, app, meta: r.body.meta as { session_token: string; access_token: string } };
      }

      it("answers 401 {status:401} without credentials or with bad ones", async () => {
        const cases: Record<string, string>[] = [
          {},
          { "x-session-token": "nope" },
          { authorization: "Bearer nope" },
          { authorization: "Bearer" },
          { authorization: "" },
          { cookie: "sessionid=nope" },
        ];
        for (const headers of cases) {
          const r = await api.call("GET", "/api/me", headers);
          expect(r.status, JSON.stringify(headers)).toBe(401);
          expect(r.body).toEqual({ status: 401 });
        }
      });

      it("accepts X-Session-Token and sets the caller with the user and methods", async () => {
        const { id, meta } = await login();
        const r = await api.call("GET", "/api/me", { "x-session-token": meta.session_token });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({
          caller: {
            userId: id,
            via: "session_token",
            user: { id, has_usable_password: true },
            methods: [{ method: "password" }],
          },
        });
      });

      it("accepts Authorization: Bearer <access token> (scheme case-insensitive) with the claims", async () => {
        const { id, meta } = await login();
        for (const scheme of ["Bearer", "bearer"]) {
          const r = await api.call("GET", "/api/me", { authorization: `${scheme} ${meta.access_token}` });
          expect(r.status).toBe(200);
          expect(r.body).toMatchObject({
            caller: {
              userId: id,
              via: "access_token",
              user: { id },
              claims: { sub: String(id), token_use: "access" },
            },
          });
          const caller = r.body.caller as { sessionId: number; claims: { sid: string } };
          expect(String(caller.sessionId)).toBe(caller.claims.sid);
        }
        expect(
          (await api.call("GET", "/api/me", { authorization: `Token ${meta.access_token}` })).status,
        ).toBe(401);
      });

      it("an invalid X-Session-Token is not rescued by a valid Bearer token", async () => {
        const { meta } = await login();
        const r = await api.call("GET", "/api/me", {
          "x-session-token": "nope",
          authorization: `Bearer ${meta.access_token}`,
        });
        expect(r.status).toBe(401);
      });

      it("refuses a session token after logout, the session's access tokens too, and an expired access token", async () => {
        const first = await login();
        await first.app.delete("/auth/session");
        expect(
          (await api.call("GET", "/api/me", { "x-session-token": first.meta.session_token })).status,
        ).toBe(401);
        // The session is read, as the API reads it: its access tokens end with it.
        expect(
          (await api.call("GET", "/api/me", { authorization: `Bearer ${first.meta.access_token}` })).status,
        ).toBe(401);
        const second = await login();
        expect(
          (await api.call("GET", "/api/me", { authorization: `Bearer ${second.meta.access_token}` })).status,
        ).toBe(200);
        server.advance(301_000);
        expect(
          (await api.call("GET", "/api/me", { authorization: `Bearer ${second.meta.access_token}` })).status,
        ).toBe(401);
      });

      it("app callers need no CSRF token on POST", async () => {
        const { meta } = await login();
        const r = await api.call("POST", "/api/me", { "x-session-token": meta.session_token });
        expect(r.status).toBe(200);
      });
    });

    describe("browser session cookie", () => {
      const server = useLatchkey(dialect);
      let api: OwnApi;
      beforeAll(async () => {
        api = await mount(server.latchkey);
      });
      afterAll(() => api.close());

      async function browserUser() {
        const { id, client } = await newUser(server, server.client(Client.BROWSER), "cookie");
        return { id, browser: client, csrf: client.cookies.get("csrftoken")! };
      }

      it("accepts the session cookie of a browser logged in through the browser API", async () => {
        const { id, browser } = await browserUser();
        const r = await api.call("GET", "/api/me", { cookie: cookieHeader(browser) });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body).toMatchObject({ caller: { userId: id, via: "cookie", user: { id } } });
        await browser.delete("/auth/session");
        expect((await api.call("GET", "/api/me", { cookie: cookieHeader(browser) })).status).toBe(401);
      });

      it("a cookie caller's POST needs the CSRF token and an own or trusted origin (403 otherwise)", async () => {
        const { browser, csrf } = await browserUser();
        const cookie = cookieHeader(browser);
        const missing = await api.call("POST", "/api/me", { cookie, origin: api.origin });
        expect(missing.status).toBe(403);
        expect(missing.body).toEqual({
          status: 403,
          errors: [{ code: "csrf_failed", message: expect.stringContaining("CSRF token missing") }],
        });
        const wrong = await api.call("POST", "/api/me", { cookie, "x-csrftoken": "x".repeat(32) });
        expect(wrong.status).toBe(403);
        const foreign = await api.call("POST", "/api/me", {
          cookie,
          "x-csrftoken": csrf,
          origin: "http://localhost:3000",
        });
        expect(foreign.status).toBe(403);
        expect(foreign.body.errors[0].message).toContain("origin not trusted: add it to csrf.trustedOrigins");
        const good = await api.call("POST", "/api/me", { cookie, "x-csrftoken": csrf, origin: api.origin });
        expect(good.status, JSON.stringify(good.body)).toBe(200);
        expect(good.body.caller.via).toBe("cookie");
      });

      it("csrfProtect guards a route of its own the same way; safe methods and no cookie at all are Django's rules", async () => {
        const { browser, csrf } = await browserUser();
        const cookie = cookieHeader(browser);
        expect((await api.call("POST", "/api/form", { cookie })).status).toBe(403);
        expect((await api.call("POST", "/api/form", {})).status).toBe(403);
        const passed = await api.call("POST", "/api/form", {
          cookie,
          "x-csrftoken": csrf,
          origin: api.origin,
        });
        expect(passed).toMatchObject({ status: 200, body: { done: true } });
      });
    });

    describe("database unreachable", () => {
      it("answers 503 with Retry-After in the envelope", async () => {
        const down = clockedLatchkey({ database: { url: "sqlite:/nonexistent-dir/latchkey/db.sqlite3" } });
        await down.latchkey.ready().catch(() => {});
        const api = await mount(down.latchkey);
        try {
          const r = await api.call("GET", "/api/me", { "x-session-token": "anything" });
          expect(r.status).toBe(503);
          expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
          expect(r.body).toEqual({
            status: 503,
            errors: [expect.objectContaining({ code: "service_unavailable" })],
          });
        } finally {
          await api.close();
        }
      });
    });
  });
});
