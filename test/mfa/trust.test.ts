import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { expectStatus, type TestClient } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  currentCode,
  nextStep,
  passwordLogin,
  pendingFlow,
  primeCsrf,
  userWithTotp,
} from "../helpers/totp.js";

const COOKIE = "mfa_trusted";
const FOURTEEN_DAYS = 1_209_600;

/** Logs the browser out and in again with the password. */
async function relogin(c: TestClient, username: string, password: string) {
  expectStatus(await c.delete("/auth/session"), 401);
  return passwordLogin(c, username, password);
}

/** Password + TOTP until the mfa_trust stage is pending (browser). */
async function reachTrustStage(
  server: TestServer,
  c: TestClient,
  u: { username: string; password: string; secret: string },
) {
  nextStep(server);
  const pending = await relogin(c, u.username, u.password);
  expectStatus(pending, 401);
  expect(pendingFlow(pending)?.id).toBe("mfa_authenticate");
  const r = await c.post("/auth/2fa/authenticate", { code: currentCode(server, u.secret) });
  expectStatus(r, 401);
  return r;
}

describe.each(dialects)("trusted browsers (%s)", (dialect) => {
  const server = useLatchkey(dialect, { mfa: { trust: { enabled: true } } });

  it("app: the 2FA response is a direct 200, and there is no trust endpoint", async () => {
    const c = server.client(Client.APP);
    const u = await userWithTotp(server, c);
    nextStep(server);
    const login = server.client(Client.APP);
    expectStatus(await passwordLogin(login, u.username, u.password), 401);
    const r = await login.post("/auth/2fa/authenticate", { code: currentCode(server, u.secret) });
    expectStatus(r, 200);
    expectStatus(await login.post("/auth/2fa/trust", { trust: true }), 404);
  });

  it("browser: mfa_trust after 2FA; trust:true sets the cookie and the next login skips MFA", async () => {
    const c = server.client(Client.BROWSER);
    const u = await userWithTotp(server, c);
    const trustStage = await reachTrustStage(server, c, u);
    expect(trustStage.body.meta.is_authenticated).toBe(false);
    expect(trustStage.body.data.flows).toEqual([
      { id: "login" },
      { id: "signup" },
      { id: "mfa_trust", is_pending: true },
    ]);

    const r = await c.post("/auth/2fa/trust", { trust: true });
    expectStatus(r, 200);
    expect(r.body.data.methods.map((m: { method: string }) => m.method)).toEqual(["password", "mfa"]);
    const cookie = r.headers.getSetCookie().find((h) => h.startsWith(`${COOKIE}=`));
    expect(cookie).toBeDefined();
    expect(cookie).toContain(`Max-Age=${FOURTEEN_DAYS}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Path=/");
    expect(cookie).toContain("SameSite=Lax");
    const token = c.cookies.get(COOKIE)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the token's hash is stored.
    const rows = await server.latchkey.runtime.store.db
      .selectFrom("token")
      .selectAll()
      .where("kind", "=", "mfa_trust")
      .execute();
    expect(rows.some((row) => row.token_hash === token)).toBe(false);

    const next = await relogin(c, u.username, u.password);
    expectStatus(next, 200);
    expect(next.body.data.methods.map((m: { method: string }) => m.method)).toEqual(["password"]);
  });

  it("browser: trust:false (or absent) completes the login, and the next login asks again", async () => {
    for (const body of [{ trust: false }, {}, { trust: null }]) {
      const c = server.client(Client.BROWSER);
      const u = await userWithTotp(server, c);
      await reachTrustStage(server, c, u);
      const r = await c.post("/auth/2fa/trust", body);
      expectStatus(r, 200);
      expect(r.headers.getSetCookie().some((h) => h.startsWith(`${COOKIE}=`))).toBe(false);
      nextStep(server);
      const next = await relogin(c, u.username, u.password);
      expectStatus(next, 401);
      expect(pendingFlow(next)?.id).toBe("mfa_authenticate");
    }
  });

  it("answers 401 (is_authenticated null) when mfa_trust is not pending, and 400 to bad input", async () => {
    const c = server.client(Client.BROWSER);
    await primeCsrf(c);
    const r = await c.post("/auth/2fa/trust", { trust: true });
    expectStatus(r, 401);
    expect(r.body.meta.is_authenticated).toBeNull();

    const u = await userWithTotp(server, c);
    // Pending mfa_authenticate, not mfa_trust.
    nextStep(server);
    expectStatus(await relogin(c, u.username, u.password), 401);
    const early = await c.post("/auth/2fa/trust", { trust: true });
    expectStatus(early, 401);
    expect(early.body.meta.is_authenticated).toBeNull();

    expectStatus(await c.post("/auth/2fa/authenticate", { code: currentCode(server, u.secret) }), 401);
    for (const trust of ["yes", 1, [true], { a: 1 }]) {
      const bad = await c.post("/auth/2fa/trust", { trust });
      expectStatus(bad, 400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ code: "invalid", param: "trust" })]);
    }
    expectStatus(await c.post("/auth/2fa/trust", { trust: true }), 200);
  });

  it("a trust lapses when the authenticators change, when it expires, and is bound to its user", async () => {
    const c = server.client(Client.BROWSER);
    const u = await userWithTotp(server, c);
    await reachTrustStage(server, c, u);
    expectStatus(await c.post("/auth/2fa/trust", { trust: true }), 200);
    expectStatus(await relogin(c, u.username, u.password), 200);

    // Regenerating recovery codes changes the setup: MFA is asked again.
    expectStatus(await c.post("/auth/reauthenticate", { password: u.password }), 200);
    expectStatus(await c.post("/account/authenticators/recovery-codes"), 200);
    nextStep(server);
    const changed = await relogin(c, u.username, u.password);
    expectStatus(changed, 401);
    expect(pendingFlow(changed)?.id).toBe("mfa_authenticate");
    expectStatus(await c.post("/auth/2fa/authenticate", { code: currentCode(server, u.secret) }), 401);
    expectStatus(await c.post("/auth/2fa/trust", { trust: true }), 200);
    expectStatus(await relogin(c, u.username, u.password), 200);

    // Another user on the same browser is not trusted by this user's cookie; both trusts are kept.
    const other = server.client(Client.BROWSER);
    const v = await userWithTotp(server, other);
    nextStep(server);
    const asOther = await relogin(c, v.username, v.password);
    expectStatus(asOther, 401);
    expect(pendingFlow(asOther)?.id).toBe("mfa_authenticate");
    expectStatus(await c.post("/auth/2fa/authenticate", { code: currentCode(server, v.secret) }), 401);
    expectStatus(await c.post("/auth/2fa/trust", { trust: true }), 200);
    expect(c.cookies.get(COOKIE)!.split(".")).toHaveLength(2);
    expectStatus(await relogin(c, v.username, v.password), 200);
    expectStatus(await relogin(c, u.username, u.password), 200);

    // A forged or foreign cookie is worth nothing.
    const forger = server.client(Client.BROWSER);
    forger.cookies.set(COOKIE, "A".repeat(43));
    expectStatus(await passwordLogin(forger, u.username, u.password), 401);

    // Expiry.
    server.advance(FOURTEEN_DAYS * 1000 + 1000);
    const expired = await relogin(c, u.username, u.password);
    expectStatus(expired, 401);
    expect(pendingFlow(expired)?.id).toBe("mfa_authenticate");
  });

  it("a password change also ends the trust", async () => {
    const c = server.client(Client.BROWSER);
    const u = await userWithTotp(server, c);
    await reachTrustStage(server, c, u);
    expectStatus(await c.post("/auth/2fa/trust", { trust: true }), 200);
    const changed = await c.post("/account/password/change", {
      current_password: u.password,
      new_password: "Another-Horse-77",
    });
    expectStatus(changed, 200);
    nextStep(server);
    const next = await relogin(c, u.username, "Another-Horse-77");
    expectStatus(next, 401);
    expect(pendingFlow(next)?.id).toBe("mfa_authenticate");
  });
});

describe.each(dialects)("trust cookie options (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    mfa: {
      trust: {
        enabled: true,
        cookieName: "trusted_here",
        cookieAge: 3600,
        cookieDomain: "example.org",
        cookiePath: "/app",
        cookieSecure: true,
        cookieSameSite: "Strict",
      },
    },
  });

  it("sets the cookie with the configured attributes", async () => {
    const c = server.client(Client.BROWSER);
    const u = await userWithTotp(server, c);
    await reachTrustStage(server, c, u);
    const r = await c.post("/auth/2fa/trust", { trust: true });
    const cookie = r.headers.getSetCookie().find((h) => h.startsWith("trusted_here="));
    expect(cookie).toBeDefined();
    for (const part of [
      "Max-Age=3600",
      "Domain=example.org",
      "Path=/app",
      "Secure",
      "HttpOnly",
      "SameSite=Strict",
    ]) {
      expect(cookie).toContain(part);
    }
    expectStatus(await relogin(c, u.username, u.password), 200);
    server.advance(3601_000);
    expectStatus(await relogin(c, u.username, u.password), 401);
  });
});
