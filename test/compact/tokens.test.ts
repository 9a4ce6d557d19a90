import { describe, expect, it } from "vitest";
import { countRows, insertUser, loginClient, PASSWORD, sessionRows, userBody } from "../helpers/accounts.js";
import { heldBodies } from "../helpers/client.js";
import { Client, startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/**
 * The compact API's tokens: login, the user, logout; the access token's lifetime and the refresh
 * token's rotation and reuse detection; and that the session behind them is an ordinary one
 * (listed and ended by usersessions, ended by deactivation and by a password change elsewhere).
 */

const HOUR = 3600 * 1000;

describe.each(dialects)("compact API tokens (%s)", (dialect) => {
  const server = useLatchkey(dialect, { account: { loginMethods: ["username", "email"] } });

  it("logs in by username or email, answers the user, logs out for good", async () => {
    const user = await insertUser(server);
    for (const [slash, body] of [
      [true, { username: user.username, password: PASSWORD }],
      [false, { email: user.email, password: PASSWORD }],
    ] as const) {
      const c = new CompactClient(server, slash);
      const login = await c.post("/login", body);
      expectTokens(login);
      expect(login.body.user).toEqual(userBody(user));
      expect(Object.keys(login.body).sort()).toEqual(
        ["access_token", "expires_in", "refresh_token", "token_type", "user"].sort(),
      );
      const me = await c.get("/user");
      expect(me.status).toBe(200);
      expect(me.body).toEqual(userBody(user));
      const access = c.access!;
      const refresh = c.refresh!;
      const out = await c.post("/logout");
      expect(out.status).toBe(200);
      expect(out.body).toEqual({});
      const after = await c.get("/user", { token: access });
      expectError(after, 401, "invalid_token");
      expect(after.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      expectError(await c.post("/logout", undefined, { token: access }), 401, "invalid_token");
      expectError(
        await c.post("/token/refresh", { refresh_token: refresh }),
        400,
        "invalid_token",
        "refresh_token",
      );
    }
  });

  it("answers bad input exactly as the allauth route it translates to", async () => {
    const app = server.client(Client.APP);
    for (const body of [
      {},
      { password: PASSWORD },
      { username: "someone" },
      { username: "someone", email: "someone@example.org", password: PASSWORD },
      { username: 5, password: ["x"] },
      { username: "someone", password: PASSWORD, nonsense: true },
    ]) {
      const compact = await new CompactClient(server).post("/login", body);
      const allauth = await app.post("/auth/login", body);
      expect(compact.status, JSON.stringify(body)).toBe(allauth.status);
      expect(compact.body).toEqual({ status: allauth.status, errors: allauth.body.errors });
    }
  });

  it("refuses wrong credentials without a session, and an inactive account", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    const before = await countRows(server, "session");
    expectError(
      await c.post("/login", { username: user.username, password: "wrong" }),
      400,
      "username_password_mismatch",
    );
    expectError(
      await c.post("/login", { username: "nobody-here", password: PASSWORD }),
      400,
      "username_password_mismatch",
    );
    const inactive = await insertUser(server, { isActive: false });
    const res = await c.post("/login", { username: inactive.username, password: PASSWORD });
    expectError(res, 401, "invalid_login");
    expect(res.body.access_token).toBeUndefined();
    expect(await countRows(server, "session")).toBe(before);
  });

  it("ends the access token after its lifetime; the refresh token gives a new pair", async () => {
    server.freezeClock();
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    server.advance(HOUR - 1000);
    expect((await c.get("/user")).status).toBe(200);
    server.advance(1000);
    const expired = await c.get("/user");
    expectError(expired, 401, "invalid_token");
    expect(expired.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    const old = { access: c.access!, refresh: c.refresh! };
    const refreshed = await c.post("/token/refresh", { refresh_token: old.refresh }, { token: null });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body).toEqual({
      access_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
      refresh_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
      token_type: "Bearer",
      expires_in: 3600,
    });
    expect(refreshed.body.access_token).not.toBe(old.access);
    expect(refreshed.body.refresh_token).not.toBe(old.refresh);
    expect((await c.get("/user")).body.id).toBe(user.id);
    // The new access token lives its own hour.
    server.advance(HOUR - 1000);
    expect((await c.get("/user")).status).toBe(200);
    server.advance(1000);
    expectError(await c.get("/user"), 401, "invalid_token");
  });

  it("rotates the refresh token; a replaced one coming back ends the session", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server, false);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const first = c.refresh!;
    expect((await c.post("/token/refresh", { refresh_token: first })).status).toBe(200);
    const second = c.refresh!;
    expect((await c.post("/token/refresh", { refresh_token: second })).status).toBe(200);
    const current = { access: c.access!, refresh: c.refresh! };
    expect((await c.get("/user")).status).toBe(200);
    // The first token again: stolen, or the client's copy was. The session ends for both parties.
    expectError(
      await c.post("/token/refresh", { refresh_token: first }),
      400,
      "invalid_token",
      "refresh_token",
    );
    expectError(await c.get("/user", { token: current.access }), 401, "invalid_token");
    expectError(
      await c.post("/token/refresh", { refresh_token: current.refresh }),
      400,
      "invalid_token",
      "refresh_token",
    );
  });

  it("rotates a refresh token once when two refreshes race; the loser is refused and the session lives on", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const token = c.refresh!;
    const held = heldBodies(2);
    const send = () =>
      new CompactClient(server)
        .post("/token/refresh", undefined, { stream: held.body({ refresh_token: token }) })
        .finally(held.release);
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const winner = answers.find((a) => a.status === 200)!;
    // Two tabs of one browser refreshing at once, not a stolen token: the winner's pair works.
    expect((await c.get("/user", { token: winner.body.access_token })).status).toBe(200);
    expect((await c.post("/token/refresh", { refresh_token: winner.body.refresh_token })).status).toBe(200);
  });

  it("takes the token a refresh has just replaced for another tab for 10 s, and for a reuse after", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const replaced = c.refresh!;
    expect((await c.post("/token/refresh", { refresh_token: replaced })).status).toBe(200);
    server.advance(9_000);
    expectError(
      await c.post("/token/refresh", { refresh_token: replaced }),
      400,
      "invalid_token",
      "refresh_token",
    );
    expect((await c.get("/user")).status).toBe(200);
    server.advance(2_000);
    expectError(
      await c.post("/token/refresh", { refresh_token: replaced }),
      400,
      "invalid_token",
      "refresh_token",
    );
    expectError(await c.get("/user"), 401, "invalid_token");
  });

  it("a request that loaded the session before a refresh cannot write the replaced pair back", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const old = { access: c.access!, refresh: c.refresh! };
    // A request with the old access token, in flight: it loaded the session and changes it.
    const sessions = server.latchkey.runtime.sessions;
    const inFlight = await sessions.loadByRow(Number(old.access.split(".")[0]), Date.now());
    expect((await c.post("/token/refresh", { refresh_token: old.refresh })).status).toBe(200);
    inFlight!.session.set("reauthenticated_at", Date.now());
    await sessions.commit(inFlight!.session, { ip: "127.0.0.1", userAgent: "test" }, Date.now());
    // The new pair holds; the replaced one stays replaced (and coming back, it is a reuse).
    expect((await c.get("/user")).status).toBe(200);
    expectError(await c.get("/user", { token: old.access }), 401, "invalid_token");
    expect((await c.post("/token/refresh", { refresh_token: c.refresh })).status).toBe(200);
    expectError(
      await c.post("/token/refresh", { refresh_token: old.refresh }),
      400,
      "invalid_token",
      "refresh_token",
    );
    expectError(await c.get("/user"), 401, "invalid_token");
  });

  it("refuses refresh tokens that name no session, another secret, or an access token", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const [row] = c.refresh!.split(".");
    for (const refresh_token of [
      `${row}.${"A".repeat(43)}`,
      "999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "nonsense",
      c.access!,
    ]) {
      expectError(await c.post("/token/refresh", { refresh_token }), 400, "invalid_token", "refresh_token");
    }
    // None of these was a reuse: the session lives on.
    expect((await c.get("/user")).status).toBe(200);
    expect((await c.post("/token/refresh", { refresh_token: c.refresh })).status).toBe(200);
  });

  it("lets a refresh token live as long as its session, no longer", async () => {
    const short = await startLatchkey(dialect, { sessions: { idleTimeout: 600 } });
    const user = await insertUser(short);
    const c = new CompactClient(short);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    short.advance(599 * 1000);
    expect((await c.post("/token/refresh", { refresh_token: c.refresh })).status).toBe(200);
    short.advance(601 * 1000);
    expectError(await c.post("/token/refresh", { refresh_token: c.refresh }), 400, "invalid_token");
  });

  it("keeps its sessions with the others: listed and ended by usersessions, ended by deactivation", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const row = Number(c.access!.split(".")[0]);
    const app = await loginClient(server, Client.APP, user);
    const listed = await app.get("/auth/sessions");
    expect(listed.body.data.map((s: { id: number }) => s.id)).toContain(row);
    expect((await app.delete("/auth/sessions", { sessions: [row] })).status).toBe(200);
    expectError(await c.get("/user"), 401, "invalid_token");
    expectError(await c.post("/token/refresh", { refresh_token: c.refresh }), 400, "invalid_token");

    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    await server.latchkey.runtime.users.setActive(user.id, false);
    expectError(await c.get("/user"), 401, "invalid_token");
    expectError(await c.post("/token/refresh", { refresh_token: c.refresh }), 400, "invalid_token");
  });

  it("stores only hashes of its tokens", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const rows = await sessionRows(server);
    const secrets = [c.access!, c.refresh!].map((t) => t.split(".")[1]!);
    for (const r of rows) for (const secret of secrets) expect(JSON.stringify(r)).not.toContain(secret);
  });
});
