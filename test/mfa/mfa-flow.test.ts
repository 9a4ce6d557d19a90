import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  currentCode,
  nextStep,
  passwordLogin,
  pendingFlow,
  primeCsrf,
  serverNow,
  signUp,
  totpCode,
  userWithTotp,
} from "../helpers/totp.js";

const INCORRECT = { code: "incorrect_code", message: "Incorrect code.", param: "code" };

describe.each(dialects)("MFA login stage (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  describe.each(clients)("%s client", (kind) => {
    it("asks for the second factor after the password, then logs in with a TOTP code", async () => {
      const setup = server.client(kind);
      const { username, password, secret } = await userWithTotp(server, setup);
      nextStep(server);

      const c = server.client(kind);
      const pending = await passwordLogin(c, username, password);
      expectStatus(pending, 401);
      expect(pending.body.meta.is_authenticated).toBe(false);
      expect(pending.body.data.flows).toEqual([
        { id: "login" },
        { id: "signup" },
        { id: "mfa_authenticate", is_pending: true, types: ["recovery_codes", "totp"] },
      ]);
      if (kind === Client.APP) expect(pending.body.meta.session_token).toEqual(expect.any(String));
      const firstToken = c.token;

      // The session shows the same pending stage.
      const session = await c.get("/auth/session");
      expectStatus(session, 401);
      expect(pendingFlow(session)).toEqual(pendingFlow(pending));

      const wrong = await c.post("/auth/2fa/authenticate", {
        code: currentCode(server, secret) === "000000" ? "111111" : "000000",
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([INCORRECT]);

      const ok = await c.post("/auth/2fa/authenticate", { code: currentCode(server, secret) });
      expectStatus(ok, 200);
      expect(ok.body.meta.is_authenticated).toBe(true);
      expect(ok.body.data.user.username).toBe(username);
      const totpRow = await server.latchkey.runtime.store.db
        .selectFrom("authenticator")
        .select(["id", "last_used_at"])
        .where("type", "=", "totp")
        .where("user_id", "=", ok.body.data.user.id)
        .executeTakeFirstOrThrow();
      expect(ok.body.data.methods).toEqual([
        { method: "password", at: expect.any(Number), username },
        { method: "mfa", at: expect.any(Number), id: totpRow.id, type: "totp" },
      ]);
      expect(totpRow.last_used_at).toEqual(expect.any(Number));
      if (kind === Client.APP) {
        // 2FA completion rotates the session token.
        expect(ok.body.meta.session_token).toEqual(expect.any(String));
        expect(ok.body.meta.session_token).not.toBe(firstToken);
      }
      const me = await c.get("/auth/session");
      expectStatus(me, 200);

      // The TOTP status shows the use.
      const status = await c.get("/account/authenticators/totp");
      expect(status.body.data.last_used_at).toBeCloseTo(totpRow.last_used_at! / 1000, 3);

      // A used code cannot be used again within its window.
      const replay = server.client(kind);
      expectStatus(await passwordLogin(replay, username, password), 401);
      const again = await replay.post("/auth/2fa/authenticate", {
        code: totpCode(secret, serverNow(server)),
      });
      expectStatus(again, 400);
      expect(again.body.errors).toEqual([INCORRECT]);
      nextStep(server);
      expectStatus(await replay.post("/auth/2fa/authenticate", { code: currentCode(server, secret) }), 200);
    });

    it("the activation code cannot pass the login's second step", async () => {
      const setup = server.client(kind);
      const { username, password, secret } = await userWithTotp(server, setup);
      const c = server.client(kind);
      expectStatus(await passwordLogin(c, username, password), 401);
      // Still within the activation step, unless the clock happened to cross it.
      const code = totpCode(secret, serverNow(server));
      const activationStep = Math.floor(serverNow(server) / 30_000);
      const r = await c.post("/auth/2fa/authenticate", { code });
      if (Math.floor(serverNow(server) / 30_000) === activationStep) expectStatus(r, 400);
      nextStep(server);
    });

    it("rejects bad inputs", async () => {
      const setup = server.client(kind);
      const { username, password } = await userWithTotp(server, setup);
      const c = server.client(kind);
      expectStatus(await passwordLogin(c, username, password), 401);
      for (const [body, code] of [
        [{}, "required"],
        [{ code: "" }, "required"],
        [{ code: null }, "required"],
        [{ code: 123456 }, "invalid"],
        [{ code: true }, "invalid"],
      ] as const) {
        const r = await c.post("/auth/2fa/authenticate", body);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([expect.objectContaining({ code, param: "code" })]);
        const re = await setup.post("/auth/2fa/reauthenticate", body);
        expectStatus(re, 400);
        expect(re.body.errors).toEqual([expect.objectContaining({ code, param: "code" })]);
      }
      for (const code of ["abcdef", "1234567", "12345", "x".repeat(500)]) {
        const r = await c.post("/auth/2fa/authenticate", { code });
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([INCORRECT]);
      }
      // The stage is still pending.
      expect(pendingFlow(await c.get("/auth/session"))?.id).toBe("mfa_authenticate");
    });

    it("answers 401 with is_authenticated null when the stage is not pending", async () => {
      const c = server.client(kind);
      await primeCsrf(c);
      const r = await c.post("/auth/2fa/authenticate", { code: "123456" });
      expectStatus(r, 401);
      expect(r.body.meta.is_authenticated).toBeNull();
      expect(r.body.data.flows).toEqual([{ id: "login" }, { id: "signup" }]);

      // Logged in: no stage either.
      const logged = server.client(kind);
      await signUp(server, logged);
      const r2 = await logged.post("/auth/2fa/authenticate", { code: "123456" });
      expectStatus(r2, 401);
      expect(r2.body.meta.is_authenticated).toBeNull();
    });

    it("logout while MFA is pending clears the pending flows (§7 69)", async () => {
      const setup = server.client(kind);
      const { username, password, secret } = await userWithTotp(server, setup);
      nextStep(server);
      const c = server.client(kind);
      expectStatus(await passwordLogin(c, username, password), 401);
      const out = await c.delete("/auth/session");
      expectStatus(out, 401);
      expect(out.body.data.flows).toEqual([{ id: "login" }, { id: "signup" }]);
      expect(out.body.meta.session_token).toBeUndefined();
      const session = await c.get("/auth/session");
      if (kind === Client.APP) {
        expect([401, 410]).toContain(session.status);
      } else {
        expectStatus(session, 401);
        expect(pendingFlow(session)).toBeUndefined();
      }
      const r = await c.post("/auth/2fa/authenticate", { code: currentCode(server, secret) });
      expect(r.status).toBe(401);
      expect(r.body.meta.is_authenticated).toBeNull();
    });

    it("does not ask users without TOTP or WebAuthn (recovery codes alone are no second factor)", async () => {
      const setup = server.client(kind);
      const { username, password } = await signUp(server, setup);
      const c = server.client(kind);
      expectStatus(await passwordLogin(c, username, password), 200);
      // A stray recovery-codes row (no other authenticator) does not trigger the stage.
      const db = server.latchkey.runtime.store.db;
      const user = await db
        .selectFrom("user")
        .select("id")
        .where("username", "=", username)
        .executeTakeFirstOrThrow();
      await db
        .insertInto("authenticator")
        .values({
          user_id: user.id,
          type: "recovery_codes",
          data: JSON.stringify({ hashes: [] }),
          created_at: Date.now(),
          last_used_at: null,
        })
        .execute();
      expectStatus(await passwordLogin(server.client(kind), username, password), 200);
    });

    it("2fa/reauthenticate: 401 flows when anonymous; a code records mfa without reauthenticated", async () => {
      const anon = server.client(kind);
      await primeCsrf(anon);
      const a = await anon.post("/auth/2fa/reauthenticate", { code: "123456" });
      expectStatus(a, 401);
      expect(a.body.meta.is_authenticated).toBe(false);

      const c = server.client(kind);
      const { secret } = await userWithTotp(server, c);
      nextStep(server);
      const wrong = await c.post("/auth/2fa/reauthenticate", {
        code: currentCode(server, secret) === "000000" ? "111111" : "000000",
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([INCORRECT]);
      const before = c.token;
      const r = await c.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) });
      expectStatus(r, 200);
      const last = r.body.data.methods.at(-1);
      expect(Object.keys(last).sort()).toEqual(["at", "id", "method", "type"]);
      expect(last).toMatchObject({ method: "mfa", type: "totp" });
      if (kind === Client.APP) expect(r.body.meta.session_token).not.toBe(before);
      // Reuse within the window is refused here too.
      expectStatus(await c.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) }), 400);
    });
  });
});

describe.each(dialects)("MFA attempt limits (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    rateLimits: { actions: { login_failed: "100/m/ip,3/300s/key" } },
  });

  it("limits code attempts per user with login_failed (keyed mfa-auth-user-<pk>)", async () => {
    const setup = server.client(Client.BROWSER);
    const { username, password, secret } = await userWithTotp(server, setup);
    nextStep(server);
    const c = server.client(Client.BROWSER);
    expectStatus(await passwordLogin(c, username, password), 401);
    for (let i = 0; i < 3; i++) {
      const r = await c.post("/auth/2fa/authenticate", { code: "99999999" });
      expect(r.body.errors).toEqual([INCORRECT]);
    }
    const limited = await c.post("/auth/2fa/authenticate", { code: currentCode(server, secret) });
    expectStatus(limited, 400);
    expect(limited.body.errors).toEqual([
      {
        code: "too_many_login_attempts",
        message: "Too many failed login attempts. Try again later.",
        param: "code",
      },
    ]);
    // The key is the user (at this address): reauthentication by code from another session is limited as well.
    const re = await setup.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) });
    expect(re.body.errors[0].code).toBe("too_many_login_attempts");
  });

  it("a success clears the count", async () => {
    const c = server.client(Client.APP);
    const { secret } = await userWithTotp(server, c);
    nextStep(server);
    for (let i = 0; i < 2; i++)
      expectStatus(await c.post("/auth/2fa/reauthenticate", { code: "99999999" }), 400);
    expectStatus(await c.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) }), 200);
    for (let i = 0; i < 2; i++)
      expectStatus(await c.post("/auth/2fa/reauthenticate", { code: "99999999" }), 400);
    nextStep(server);
    expectStatus(await c.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) }), 200);
  });
});

describe.each(dialects)("unverified email and TOTP (§7 68) (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "mandatory",
      // Link mode continues the login after verification only with this (§7 20).
      loginOnEmailConfirmation: true,
      loginByCode: { enabled: true },
    },
    mfa: { supportedTypes: ["totp"] },
  });

  describe.each(clients)("%s client", (kind) => {
    it("verify_email comes first, then mfa_authenticate with the exact flow list", async () => {
      const c = server.client(kind);
      await primeCsrf(c);
      const email = `v68-${kind}-${Date.now()}@example.org`;
      const password = "Correct-Horse-9";
      const signup = await c.post("/auth/signup", { email, password });
      expectStatus(signup, 401);
      expect(pendingFlow(signup)?.id).toBe("verify_email");

      // Like allauth's user_factory(with_totp=True): TOTP set up while the address is unverified.
      const db = server.latchkey.runtime.store.db;
      const address = await db
        .selectFrom("email_address")
        .select("user_id")
        .where("email_lower", "=", email)
        .executeTakeFirstOrThrow();
      const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
      await db
        .insertInto("authenticator")
        .values({
          user_id: address.user_id,
          type: "totp",
          data: JSON.stringify({ secret }),
          created_at: serverNow(server),
          last_used_at: null,
        })
        .execute();

      const login = server.client(kind);
      const pending = await emailLogin(login, email, password);
      expectStatus(pending, 401);
      expect(pendingFlow(pending)?.id).toBe("verify_email");

      const mail = server.lastMail(email);
      const key = /verify-email\/([^\s"<>]+)/.exec(`${mail.text} ${mail.html}`)?.[1];
      expect(key).toBeDefined();
      const verified = await login.post("/auth/email/verify", { key: decodeURIComponent(key!) });
      expectStatus(verified, 401);
      expect(verified.body.data.flows).toEqual([
        { id: "login" },
        { id: "login_by_code" },
        { id: "signup" },
        { id: "mfa_authenticate", is_pending: true, types: ["totp"] },
      ]);
      const bad = await login.post("/auth/2fa/authenticate", { code: "bad" });
      expectStatus(bad, 400);
      expect(bad.body.errors).toEqual([INCORRECT]);
      expectStatus(await login.post("/auth/2fa/authenticate", { code: currentCode(server, secret) }), 200);
      nextStep(server);
    });
  });
});

async function emailLogin(c: TestClient, email: string, password: string) {
  await primeCsrf(c);
  return c.post("/auth/login", { email, password });
}
