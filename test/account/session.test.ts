import { describe, expect, it } from "vitest";
import {
  ANONYMOUS_FLOWS,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  plantAnonymousSession,
  sessionRows,
  userBody,
} from "../helpers/accounts.js";
import { clients, type TestClient, type TestResponse } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const ANONYMOUS = { status: 401, data: { flows: ANONYMOUS_FLOWS }, meta: { is_authenticated: false } };
const GONE = { status: 410, data: { flows: ANONYMOUS_FLOWS }, meta: { is_authenticated: null } };

const MINUTE = 60_000;
const IDLE_SECONDS = 600;
const MAX_AGE_SECONDS = 1800;

function sessionCookie(res: TestResponse): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith("sessionid="));
}

/** What an anonymous caller sees, per client: the browser drops a dead cookie, the app gets 410 for a dead token. */
async function expectSessionEnded(c: TestClient, kind: Client): Promise<void> {
  const res = await c.get("/auth/session");
  if (kind === Client.APP) {
    expect(res.body).toEqual(GONE);
  } else {
    expect(res.body).toEqual(ANONYMOUS);
    expect(sessionCookie(res)).toMatch(/^sessionid=; Max-Age=0/);
  }
}

describe.each(dialects)("sessions (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    sessions: { idleTimeout: IDLE_SECONDS, maxAge: MAX_AGE_SECONDS },
  });

  const rowOf = async (userId: number) => {
    const rows = (await sessionRows(server)).filter((r) => r.user_id === userId);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  describe.each(clients)("%s client", (kind) => {
    it("GET /auth/session is 401 with the flows for an anonymous caller, and creates nothing", async () => {
      const before = (await sessionRows(server)).length;
      const c = server.client(kind);
      const res = await c.get("/auth/session");
      expectEnvelope(res);
      expect(res.body).toEqual(ANONYMOUS);
      expect(sessionCookie(res)).toBeUndefined();
      expect((await sessionRows(server)).length).toBe(before);
    });

    it("GET /auth/session shows the logged-in user, exactly as the login answered", async () => {
      const user = await insertUser(server);
      const c = server.client(kind);
      await c.get("/config");
      const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      expect(login.status).toBe(200);
      const session = await c.get("/auth/session");
      expectEnvelope(session);
      expect(session.body).toEqual({ ...login.body, meta: { is_authenticated: true } });
      expect(session.body.data.user).toEqual(userBody(user));
      expect(sessionCookie(session)).toBeUndefined();
      expect(session.body.meta.session_token).toBeUndefined();
    });

    it("logout answers 401 with the flows and ends the session", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const token = kind === Client.APP ? c.token : c.cookies.get("sessionid");
      const logout = await c.delete("/auth/session");
      expectEnvelope(logout);
      expect(logout.body).toEqual(ANONYMOUS);
      expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toEqual([]);
      if (kind === Client.BROWSER) {
        const cookie = sessionCookie(logout)!;
        expect(cookie).toMatch(/^sessionid=; Max-Age=0; /);
        expect(c.cookies.has("sessionid")).toBe(false);
        expect((await c.get("/auth/session")).body).toEqual(ANONYMOUS);
        // The old cookie, replayed, is no session.
        const replay = await c.get("/auth/session", { headers: { cookie: `sessionid=${token}` } });
        expect(replay.body).toEqual(ANONYMOUS);
      } else {
        expect(logout.body.meta.session_token).toBeUndefined();
        expect((await c.get("/auth/session")).body).toEqual(GONE);
        c.token = null;
        expect((await c.get("/auth/session")).body).toEqual(ANONYMOUS);
      }
    });

    it("logout of an anonymous caller is 401 too", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const res = await c.delete("/auth/session");
      expect(res.body).toEqual(ANONYMOUS);
      expect(sessionCookie(res)).toBeUndefined();
    });

    it("ends an idle session after sessions.idleTimeout, and keeps an active one", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      // Active: a request every 4 minutes keeps it past the idle timeout (10 minutes) in total.
      for (let i = 0; i < 4; i++) {
        server.advance(4 * MINUTE);
        expect((await c.get("/auth/session")).status, `request ${i}`).toBe(200);
      }
      server.advance(IDLE_SECONDS * 1000 - 1000);
      expect((await c.get("/auth/session")).status).toBe(200);
      server.advance(IDLE_SECONDS * 1000 + 1000);
      await expectSessionEnded(c, kind);
      expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toEqual([]);
    });

    it("ends a session sessions.maxAge after it began, however active", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      let elapsed = 0;
      while (elapsed + 5 * MINUTE < MAX_AGE_SECONDS * 1000) {
        server.advance(5 * MINUTE);
        elapsed += 5 * MINUTE;
        expect((await c.get("/auth/session")).status, `after ${elapsed} ms`).toBe(200);
      }
      server.advance(MAX_AGE_SECONDS * 1000 - elapsed + 1000);
      await expectSessionEnded(c, kind);
    });

    it("writes last_seen_at at most once a minute", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const first = await rowOf(user.id);
      expect(first.last_seen_at - first.created_at).toBeGreaterThanOrEqual(0);
      expect(first.last_seen_at - first.created_at).toBeLessThan(5000);
      server.advance(20_000);
      await c.get("/auth/session");
      server.advance(20_000);
      await c.get("/config");
      expect((await rowOf(user.id)).last_seen_at).toBe(first.last_seen_at);
      expect((await rowOf(user.id)).expires_at).toBe(first.expires_at);
      server.advance(21_000);
      await c.get("/auth/session");
      const later = await rowOf(user.id);
      expect(later.last_seen_at).toBeGreaterThanOrEqual(first.last_seen_at + 61_000);
      expect(later.last_seen_at).toBeLessThan(first.last_seen_at + 70_000);
      expect(later.expires_at).toBe(later.last_seen_at + IDLE_SECONDS * 1000);
      server.advance(1000);
      await c.get("/auth/session");
      expect((await rowOf(user.id)).last_seen_at).toBe(later.last_seen_at);
    });

    it("stores the session's ip and user agent, never its token", async () => {
      const user = await insertUser(server);
      const c = server.client(kind, "192.0.2.10");
      await c.get("/config");
      await c.post(
        "/auth/login",
        { username: user.username, password: PASSWORD },
        { headers: { "user-agent": "Tests/1.0" } },
      );
      const row = await rowOf(user.id);
      expect(row.ip).toBe("192.0.2.10");
      expect(row.user_agent).toBe("Tests/1.0");
      const token = kind === Client.APP ? c.token! : c.cookies.get("sessionid")!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(row)).not.toContain(token);
    });

    it("ends the sessions when the user is deactivated: reactivating does not bring them back", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const idle = await loginClient(server, kind, user);
      await server.latchkey.runtime.users.setActive(user.id, false);
      await expectSessionEnded(c, kind);
      // No request while the account was inactive: the session must not come back with it.
      await server.latchkey.runtime.users.setActive(user.id, true);
      await expectSessionEnded(idle, kind);
    });

    it("ends the session when the user is deleted", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      await server.latchkey.runtime.store.db.deleteFrom("user").where("id", "=", user.id).execute();
      await expectSessionEnded(c, kind);
    });

    it("rotates the token at login: a token seen before login no longer works after it", async () => {
      const user = await insertUser(server);
      const before = await plantAnonymousSession(server);
      const c = server.client(kind);
      if (kind === Client.APP) c.token = before;
      else {
        await c.get("/config");
        c.cookies.set("sessionid", before);
      }
      const anonymous = await c.get("/auth/session");
      expect(anonymous.body).toEqual(ANONYMOUS);
      const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      expect(login.status).toBe(200);
      const after = kind === Client.APP ? login.body.meta.session_token : c.cookies.get("sessionid");
      expect(after).toBeTruthy();
      expect(after).not.toBe(before);
      expect((await c.get("/auth/session")).status).toBe(200);

      const stale = server.client(kind);
      if (kind === Client.APP) stale.token = before;
      else stale.cookies.set("sessionid", before);
      await expectSessionEnded(stale, kind);
    });
  });

  describe("browser client", () => {
    it("sets sessionid HttpOnly, SameSite=Lax, Path=/ when the session begins", async () => {
      const user = await insertUser(server);
      const c = server.client(Client.BROWSER);
      await c.get("/config");
      const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      const cookie = sessionCookie(login)!;
      expect(cookie).toMatch(/^sessionid=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).not.toMatch(/; Secure/);
      const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
      // The cookie outlives idle periods: the server ends idle sessions, the cookie only the absolute age.
      expect(maxAge).toBeGreaterThan(MAX_AGE_SECONDS - 5);
      expect(maxAge).toBeLessThanOrEqual(MAX_AGE_SECONDS);
    });

    it("ignores X-Session-Token", async () => {
      const user = await insertUser(server);
      const app = await loginClient(server, Client.APP, user);
      const res = await server
        .client(Client.BROWSER)
        .get("/auth/session", { headers: { "x-session-token": app.token! } });
      expect(res.body).toEqual(ANONYMOUS);
      const gone = await server
        .client(Client.BROWSER)
        .get("/auth/session", { headers: { "x-session-token": "gone" } });
      expect(gone.status).toBe(401);
    });
  });

  describe("app client", () => {
    it("hands out meta.session_token exactly when allauth does", async () => {
      const user = await insertUser(server);
      const c = server.client(Client.APP);
      // No state: no token.
      for (const res of [
        await c.get("/config"),
        await c.get("/auth/session"),
        await c.post("/auth/login", {}),
      ]) {
        expect(res.body.meta?.session_token).toBeUndefined();
      }
      const bad = await c.post("/auth/login", { username: user.username, password: "wrong" });
      expect(bad.body.meta).toBeUndefined();
      // Login: a new token.
      const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      const token = login.body.meta.session_token;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(c.token).toBe(token);
      // Later requests with it: none.
      for (const res of [await c.get("/config"), await c.get("/auth/session")]) {
        expect(res.body.meta?.session_token).toBeUndefined();
      }
      // Logout: none, and the token is dead.
      const logout = await c.delete("/auth/session");
      expect(logout.body.meta).toEqual({ is_authenticated: false });
    });

    it("hands out a token on the first request that creates state (a pending login stage)", async () => {
      const user = await insertUser(server, { verified: true });
      await server.latchkey.runtime.store.db
        .insertInto("authenticator")
        .values({ user_id: user.id, type: "totp", data: "{}", created_at: Date.now(), last_used_at: null })
        .execute();
      const c = server.client(Client.APP);
      const login = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      expect(login.status).toBe(401);
      expect(login.body.data.flows).toContainEqual({
        id: "mfa_authenticate",
        is_pending: true,
        types: ["totp"],
      });
      expect(login.body.meta.is_authenticated).toBe(false);
      const token = login.body.meta.session_token;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const again = await c.get("/auth/session");
      expect(again.status).toBe(401);
      expect(again.body.meta).toEqual({ is_authenticated: false });
      expect(again.body.data.flows).toContainEqual({
        id: "mfa_authenticate",
        is_pending: true,
        types: ["totp"],
      });
      // Logout drops the pending stage with the session.
      const logout = await c.delete("/auth/session");
      expect(logout.body).toEqual(ANONYMOUS);
    });

    it("answers 410 to a dead or unknown token on every endpoint, whatever cookies come along", async () => {
      const user = await insertUser(server);
      const browser = await loginClient(server, Client.BROWSER, user);
      const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const requests: [string, string, unknown][] = [
        ["GET", "/config", undefined],
        ["GET", "/auth/session", undefined],
        ["DELETE", "/auth/session", undefined],
        ["POST", "/auth/login", { username: user.username, password: PASSWORD }],
        ["POST", "/auth/login", {}],
        ["POST", "/auth/signup", { username: "someone", password: PASSWORD }],
        ["POST", "/auth/reauthenticate", { password: PASSWORD }],
        ["POST", "/account/password/change", { current_password: PASSWORD, new_password: `${PASSWORD}x` }],
      ];
      for (const token of ["gone", "x".repeat(43), "", " "]) {
        for (const [method, path, body] of requests) {
          const c = server.client(Client.APP);
          const res = await c.request(method, path, body, { headers: { "x-session-token": token, cookie } });
          if (token.trim() === "") {
            expect(res.status, `${method} ${path} with a blank token`).not.toBe(410);
            continue;
          }
          expect(res.status, `${method} ${path}`).toBe(410);
          expectEnvelope(res);
          expect(res.body).toEqual(GONE);
        }
      }
      expect((await browser.get("/auth/session")).status).toBe(200);
    });
  });
});
