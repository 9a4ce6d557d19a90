import { describe, expect, it } from "vitest";
import { countRows, insertUser, PASSWORD, sessionRows, type TestUser } from "../helpers/accounts.js";
import { heldBodies } from "../helpers/client.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep, serverNow } from "../helpers/totp.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/**
 * TOTP through the compact API: setup (with its QR image), the reauthentication it asks for when
 * the login is not recent, and the login's second step with its short-lived mfa_token (spent by
 * the login, kept by a wrong code).
 */

const LOGIN_TIMEOUT = 900 * 1000;
const REAUTHENTICATION_TIMEOUT = 300 * 1000;

async function loggedIn(server: TestServer, user: TestUser, slash = true): Promise<CompactClient> {
  const c = new CompactClient(server, slash);
  expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
  return c;
}

/** A user with TOTP active, set up through the compact API; returns the secret and recovery codes. */
async function withTotp(server: TestServer): Promise<{ user: TestUser; secret: string; codes: string[] }> {
  const user = await insertUser(server, { verified: true });
  const c = await loggedIn(server, user);
  const added = await c.post("/mfa/totp/add");
  const secret: string = added.body.secret;
  const confirmed = await c.post("/mfa/totp/confirm", { secret, code: currentCode(server, secret) });
  expect(confirmed.status, confirmed.text).toBe(200);
  expect((await c.post("/logout")).status).toBe(200);
  nextStep(server);
  return { user, secret, codes: confirmed.body.recovery_codes };
}

describe.each(dialects)("compact API: TOTP (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  it("sets up TOTP: a secret, its otpauth URL and a QR image; confirmation gives recovery codes", async () => {
    const user = await insertUser(server, { verified: true });
    const c = await loggedIn(server, user, false);
    const added = await c.post("/mfa/totp/add");
    expect(added.status, added.text).toBe(200);
    expect(Object.keys(added.body).sort()).toEqual(["qr_code", "secret", "totp_url"]);
    expect(added.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(added.body.totp_url).toBe(
      `otpauth://totp/${encodeURIComponent(user.email!)}?secret=${added.body.secret}&issuer=Latchkey`,
    );
    const [prefix, data] = added.body.qr_code.split(",");
    expect(prefix).toBe("data:image/svg+xml;base64");
    expect(Buffer.from(data, "base64").toString("utf8")).toMatch(/^<svg [^>]*>.*<\/svg>\s*$/s);

    // Another add offers another secret: only the newest one confirms.
    const again = await c.post("/mfa/totp/add");
    const secret: string = again.body.secret;
    expect(secret).not.toBe(added.body.secret);
    const stale = await c.post("/mfa/totp/confirm", {
      secret: added.body.secret,
      code: currentCode(server, added.body.secret),
    });
    expectError(stale, 400, "invalid", "secret");
    expectError(await c.post("/mfa/totp/confirm", { code: "123456" }), 400, "required", "secret");
    expectError(await c.post("/mfa/totp/confirm", { secret: 42, code: "123456" }), 400, "invalid", "secret");
    expectError(await c.post("/mfa/totp/confirm", { secret, code: "000000" }), 400, "incorrect_code", "code");
    expectError(await c.post("/mfa/totp/confirm", { secret }), 400, "required", "code");

    const confirmed = await c.post("/mfa/totp/confirm", { secret, code: currentCode(server, secret) });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    for (const code of confirmed.body.recovery_codes) expect(code).toMatch(/^\d{8}$/);
    expectError(await c.post("/mfa/totp/add"), 409, "conflict");
  });

  it("asks for reauthentication when the login is not recent", async () => {
    const user = await insertUser(server, { verified: true });
    const c = await loggedIn(server, user);
    const { secret } = (await c.post("/mfa/totp/add")).body;
    server.advance(REAUTHENTICATION_TIMEOUT + 1000);
    const refused = await c.post("/mfa/totp/confirm", { secret, code: currentCode(server, secret) });
    expectError(refused, 401, "reauthentication_required");
    expect(refused.body.flow).toBe("reauthenticate");
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect(await server.latchkey.runtime.authenticators.list(user.id)).toEqual([]);

    expectError(
      await c.post("/reauthenticate", { password: "wrong" }),
      400,
      "incorrect_password",
      "password",
    );
    expectError(await c.post("/reauthenticate", {}), 400, "required", "password");
    const reauthenticated = await c.post("/reauthenticate", { password: PASSWORD });
    expect(reauthenticated.status, reauthenticated.text).toBe(200);
    expect(reauthenticated.body.user.id).toBe(user.id);
    // The access token stays the same.
    expect((await c.get("/user")).status).toBe(200);
    nextStep(server);
    const confirmed = await c.post("/mfa/totp/confirm", { secret, code: currentCode(server, secret) });
    expect(confirmed.status, confirmed.text).toBe(200);
  });

  it("logs in with the second factor: the mfa_token is spent by the login and is no access token", async () => {
    const { user, secret } = await withTotp(server);
    const c = new CompactClient(server);
    const first = await c.post("/login", { username: user.username, password: PASSWORD });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({
      flow: "mfa_authenticate",
      types: ["recovery_codes", "totp"],
      mfa_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
    });
    const token: string = first.body.mfa_token;
    expectError(await c.get("/user", { token }), 401, "invalid_token");
    expectError(await c.post("/token/refresh", { refresh_token: token }), 400, "invalid_token");

    const done = await c.post("/mfa/authenticate", { token, code: currentCode(server, secret) });
    expectTokens(done);
    expect(done.body.user.id).toBe(user.id);
    expect((await c.get("/user")).body.id).toBe(user.id);
    nextStep(server);
    expectError(
      await c.post("/mfa/authenticate", { token, code: currentCode(server, secret) }),
      400,
      "invalid_token",
      "token",
    );
  });

  it("keeps the pending login at a wrong code; ends it at success and after the login timeout", async () => {
    const { user, secret } = await withTotp(server);
    const c = new CompactClient(server, false);
    const sessions = await countRows(server, "session");
    const first = await c.post("/login", { username: user.username, password: PASSWORD });
    expect(await countRows(server, "session")).toBe(sessions + 1);
    const token: string = first.body.mfa_token;
    // The pending login's row lives no longer than the login may.
    const row = (await sessionRows(server)).find((r) => r.id === Number(token.split(".")[0]))!;
    expect(Number(row.expires_at)).toBeLessThanOrEqual(serverNow(server) + LOGIN_TIMEOUT);

    // A typo, a missing or malformed code: refused, and the token still continues the login.
    expectError(await c.post("/mfa/authenticate", { token, code: "000000" }), 400, "incorrect_code", "code");
    expectError(await c.post("/mfa/authenticate", { token }), 400, "required", "code");
    expectError(await c.post("/mfa/authenticate", { token, code: 123456 }), 400, "invalid", "code");
    expect(await countRows(server, "session")).toBe(sessions + 1);
    const done = await c.post("/mfa/authenticate", { token, code: currentCode(server, secret) });
    expectTokens(done);
    expect(done.body.user.id).toBe(user.id);
    // Spent by the success: the login's session is the logged-in one now.
    expect(await countRows(server, "session")).toBe(sessions + 1);
    nextStep(server);
    expectError(
      await c.post("/mfa/authenticate", { token, code: currentCode(server, secret) }),
      400,
      "invalid_token",
      "token",
    );

    const late = await c.post("/login", { username: user.username, password: PASSWORD });
    expectError(
      await c.post("/mfa/authenticate", { token: late.body.mfa_token, code: "000000" }),
      400,
      "incorrect_code",
    );
    // A wrong code does not extend the token's life: it ends account.loginTimeout after the login.
    server.advance(LOGIN_TIMEOUT + 1000);
    expectError(
      await c.post("/mfa/authenticate", { token: late.body.mfa_token, code: currentCode(server, secret) }),
      400,
      "invalid_token",
      "token",
    );
    // In time, it works.
    const fresh = await c.post("/login", { username: user.username, password: PASSWORD });
    server.advance(LOGIN_TIMEOUT - 60_000);
    expectTokens(
      await c.post("/mfa/authenticate", { token: fresh.body.mfa_token, code: currentCode(server, secret) }),
    );
  });

  it("lets one request of two racing with the same mfa_token through", async () => {
    const { user, codes } = await withTotp(server);
    const c = new CompactClient(server);
    const first = await c.post("/login", { username: user.username, password: PASSWORD });
    const token = first.body.mfa_token;
    // Two good (different) recovery codes: only the token's single use can refuse one.
    const held = heldBodies(2);
    const send = (code: string) =>
      new CompactClient(server)
        .post("/mfa/authenticate", undefined, { stream: held.body({ token, code }) })
        .finally(held.release);
    const answers = await Promise.all([send(codes[1]!), send(codes[2]!)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    expectError(answers.find((a) => a.status === 400)!, 400, "invalid_token", "token");
  });

  it("counts wrong codes under the failed-login limits, whatever the token", async () => {
    const limited = await startLatchkey(dialect, { rateLimits: {} });
    const { user, secret } = await withTotp(limited);
    const c = new CompactClient(limited);
    const { mfa_token: token } = (await c.post("/login", { username: user.username, password: PASSWORD }))
      .body;
    // allauth's login_failed: 5 failures per 5 minutes at one account from one IP.
    for (let i = 0; i < 5; i++) {
      expectError(
        await c.post("/mfa/authenticate", { token, code: "000000" }),
        400,
        "incorrect_code",
        "code",
      );
    }
    const locked = await c.post("/mfa/authenticate", { token, code: currentCode(limited, secret) });
    expectError(locked, 400, "too_many_login_attempts", "code");
    // A new login (a new token) does not reset the count; the first token is still the login's.
    const again = await c.post("/login", { username: user.username, password: PASSWORD });
    expectError(
      await c.post("/mfa/authenticate", { token: again.body.mfa_token, code: currentCode(limited, secret) }),
      400,
      "too_many_login_attempts",
    );
    expectError(
      await c.post("/mfa/authenticate", { token, code: currentCode(limited, secret) }),
      400,
      "too_many_login_attempts",
    );
  });

  it("takes a recovery code as the second factor, and reauthenticates with a code", async () => {
    const { user, secret, codes } = await withTotp(server);
    const c = new CompactClient(server);
    const first = await c.post("/login", { username: user.username, password: PASSWORD });
    const done = await c.post("/mfa/authenticate", { token: first.body.mfa_token, code: codes[0] });
    expectTokens(done);
    const second = await c.post("/login", { username: user.username, password: PASSWORD });
    expectError(
      await c.post("/mfa/authenticate", { token: second.body.mfa_token, code: codes[0] }),
      400,
      "incorrect_code",
    );
    expectError(await c.post("/mfa/reauthenticate", { code: "000000" }), 400, "incorrect_code", "code");
    const reauthenticated = await c.post("/mfa/reauthenticate", { code: currentCode(server, secret) });
    expect(reauthenticated.status, reauthenticated.text).toBe(200);
    expect(reauthenticated.body.user.id).toBe(user.id);
  });
});
