import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { SecurityEventInfo, SignupAttempt } from "../../src/base/hooks.js";
import { SECURITY_EVENTS } from "../../src/base/hooks.js";
import { createLatchkey } from "../../src/latchkey.js";
import { linkKey } from "../account/email-helpers.js";
import { anonymousClient, expectEnvelope, unique } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode } from "../helpers/totp.js";

/**
 * createLatchkey's hooks, through the API: isOpenForSignup deciding signups, signupFields adding
 * validated fields stored with the user and shown in its user object, and `on` receiving every
 * security event, each also logged as one structured line.
 */

const PASSWORD = "Correct-Horse-Battery-9";

/** A pino logger whose JSON lines a test can read. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}

async function signUp(c: TestClient, fields: Record<string, unknown> = {}) {
  const email = `${unique("hook")}@example.org`;
  const res = await c.post("/auth/signup", { email, password: PASSWORD, ...fields });
  return { email, res };
}

describe.each(dialects)("isOpenForSignup (%s)", (dialect) => {
  const asked: { ip: string; userAgent: string; client: string; attempt: SignupAttempt }[] = [];
  const server = useLatchkey(
    dialect,
    { account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] } },
    {
      isOpenForSignup(request, attempt) {
        asked.push({ ip: request.ip, userAgent: request.userAgent, client: request.client, attempt });
        return !attempt.email?.endsWith("@blocked.example");
      },
    },
  );

  describe.each(clients)("%s client", (kind) => {
    it("refuses what the hook refuses (403, nothing stored) and lets the rest through", async () => {
      const c = await anonymousClient(server, kind);
      const blocked = `${unique("no")}@blocked.example`;
      const refused = await c.post("/auth/signup", { email: blocked, password: PASSWORD });
      expectStatus(refused, 403);
      expectEnvelope(refused);
      expect(await server.latchkey.runtime.users.findByEmail(blocked)).toBeNull();
      expect(asked.at(-1)).toEqual({
        ip: "127.0.0.1",
        userAgent: expect.any(String),
        client: kind,
        attempt: { via: "form", email: blocked },
      });
      const { email, res } = await signUp(c);
      expectStatus(res, 200);
      expect(res.body.data.user.email).toBe(email);
    });
  });
});

describe.each(dialects)("signupFields (%s)", (dialect) => {
  const signupFields = z.object({
    company: z.string().trim().min(2, "Tell us the company's name (two letters at least)."),
    newsletter: z.boolean().optional(),
  });
  const server = useLatchkey(
    dialect,
    { account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] } },
    { signupFields },
  );

  describe.each(clients)("%s client", (kind) => {
    it("validates them with the form's fields, in one envelope, with the schema's own messages", async () => {
      const c = await anonymousClient(server, kind);
      const missing = await c.post("/auth/signup", { email: "not an address", password: PASSWORD });
      expectStatus(missing, 400);
      expect(missing.body.errors).toEqual([
        { code: "invalid", param: "email", message: "Enter a valid email address." },
        { code: "required", param: "company", message: "This field is required." },
      ]);
      const short = await signUp(c, { company: " X ", newsletter: "yes" });
      expectStatus(short.res, 400);
      expect(short.res.body.errors).toEqual([
        { code: "required", param: "company", message: "Tell us the company's name (two letters at least)." },
        { code: "invalid", param: "newsletter", message: expect.any(String) },
      ]);
      expect(await server.latchkey.runtime.users.findByEmail(short.email)).toBeNull();
    });

    it("stores them with the user and shows them in the user object, also after a new login", async () => {
      const c = await anonymousClient(server, kind);
      const { email, res } = await signUp(c, { company: "  Acme  ", newsletter: true, ignored: 1 });
      expectStatus(res, 200);
      expect(res.body.data.user).toMatchObject({ email, company: "Acme", newsletter: true });
      expect(res.body.data.user).not.toHaveProperty("ignored");
      const stored = await server.latchkey.runtime.store.db
        .selectFrom("user")
        .select("extra")
        .where("id", "=", res.body.data.user.id)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(stored.extra!)).toEqual({ company: "Acme", newsletter: true });
      const other = await anonymousClient(server, kind);
      const login = await other.post("/auth/login", { email, password: PASSWORD });
      expectStatus(login, 200);
      expect(login.body.data.user).toMatchObject({ company: "Acme", newsletter: true });
      expect((await other.get("/auth/session")).body.data.user.company).toBe("Acme");
    });
  });

  it("refuses a field named like a standard one when the server is made", () => {
    expect(() =>
      createLatchkey(
        { database: { url: "sqlite::memory:" } },
        { signupFields: z.object({ email: z.string() }) },
      ),
    ).toThrow(/signupFields: "email"/);
  });
});

describe.each(dialects)("hooks and provider signups (%s)", (dialect) => {
  const asked: SignupAttempt[] = [];
  const server = useLatchkey(
    dialect,
    {
      account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] },
      socialaccount: { providers: { dummy: {} } },
    },
    {
      signupFields: z.object({ company: z.string().min(2) }),
      isOpenForSignup(_request, attempt) {
        asked.push(attempt);
        return !attempt.email?.endsWith("@blocked.example");
      },
    },
  );

  function token(email: string) {
    const account = { id: Math.floor(Math.random() * 1e9), email, email_verified: true };
    return { provider: "dummy", process: "login", token: { id_token: JSON.stringify(account) } };
  }

  describe.each(clients)("%s client", (kind) => {
    it("asks the hook with the provider, and refuses as a closed signup", async () => {
      const c = await anonymousClient(server, kind);
      const email = `${unique("prov")}@blocked.example`;
      expectStatus(await c.post("/auth/provider/token", token(email)), 403);
      expect(asked.at(-1)).toEqual({ via: "provider", provider: "dummy", email });
      expect(await server.latchkey.runtime.users.findByEmail(email)).toBeNull();
    });

    it("asks a required extra field through the provider signup form instead of signing up automatically", async () => {
      const c = await anonymousClient(server, kind);
      const email = `${unique("prov")}@example.org`;
      const pending = await c.post("/auth/provider/token", token(email));
      expectStatus(pending, 401);
      expect(pending.body.data.flows).toContainEqual(
        expect.objectContaining({ id: "provider_signup", is_pending: true }),
      );
      const missing = await c.post("/auth/provider/signup", { email });
      expectStatus(missing, 400);
      expect(missing.body.errors).toEqual([
        { code: "required", param: "company", message: "This field is required." },
      ]);
      const done = await c.post("/auth/provider/signup", { email, company: "Acme" });
      expectStatus(done, 200);
      expect(done.body.data.user).toMatchObject({ email, company: "Acme" });
    });
  });
});

describe.each(dialects)("security events (%s)", (dialect) => {
  const events: SecurityEventInfo[] = [];
  const { logger, lines } = capturedLogger();
  let failNext = false;
  const on = Object.fromEntries(
    SECURITY_EVENTS.map((event) => [
      event,
      (info: SecurityEventInfo) => {
        events.push(info);
        if (failNext) {
          failNext = false;
          throw new Error("the handler failed");
        }
      },
    ]),
  );
  const server = useLatchkey(
    dialect,
    {
      account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] },
      mfa: { supportedTypes: ["totp", "recovery_codes"] },
    },
    { on, logger },
  );

  /** The events since `from`, as [event, user email or null, details]. */
  function since(from: number) {
    return events.slice(from).map((e) => [e.event, e.user?.email ?? null, e.details]);
  }

  async function loggedIn(c: TestClient): Promise<string> {
    const { email, res } = await signUp(c);
    expectStatus(res, 200);
    return email;
  }

  describe.each(clients)("%s client", (kind) => {
    it("signup, login, failed logins, logout: each handed over and logged once", async () => {
      const c = await anonymousClient(server, kind);
      const from = events.length;
      const email = await loggedIn(c);
      expectStatus(await c.delete("/auth/session"), 401);
      const again = await anonymousClient(server, kind);
      const wrong = await again.post("/auth/login", { email, password: "Wrong-Horse-1" });
      expectStatus(wrong, 400);
      const nobody = `${unique("nobody")}@example.org`;
      expectStatus(await again.post("/auth/login", { email: nobody, password: PASSWORD }), 400);
      expectStatus(await again.post("/auth/login", { email, password: PASSWORD }), 200);
      expect(since(from)).toEqual([
        ["signup", email, { via: "form" }],
        ["login", email, { methods: [] }],
        ["logout", email, {}],
        ["loginFailed", email, { method: "password", email, reason: "wrong_password" }],
        ["loginFailed", null, { method: "password", email: nobody, reason: "unknown_account" }],
        ["login", email, { methods: ["password"] }],
      ]);
      const info = events.at(-1)!;
      expect(info).toMatchObject({
        ip: "127.0.0.1",
        client: kind,
        user: { email, has_usable_password: true },
      });
      expect(info.at).toBeInstanceOf(Date);
      const logged = lines.filter((l) => l.event === "loginFailed" && l.email === nobody);
      expect(logged).toEqual([
        expect.objectContaining({ level: 30, msg: "loginFailed", user: null, ip: "127.0.0.1", client: kind }),
      ]);
    });

    it("password change and reset, addresses added, verified and removed", async () => {
      const c = await anonymousClient(server, kind);
      const email = await loggedIn(c);
      const from = events.length;
      const changed = "Another-Horse-Battery-7";
      expectStatus(
        await c.post("/account/password/change", { current_password: PASSWORD, new_password: changed }),
        200,
      );
      const second = `${unique("second")}@example.org`;
      expectStatus(await c.post("/account/email", { email: second }), 200);
      const verify = await c.post("/auth/email/verify", { key: linkKey(server, second) });
      expect(verify.status).toBe(200);
      expectStatus(await c.delete("/account/email", { email: second }), 200);
      const anon = await anonymousClient(server, kind);
      expectStatus(await anon.post("/auth/password/request", { email }), 200);
      const key = /reset\/key\/([^\s/]+)/.exec(server.lastMail(email).text)![1]!;
      expectStatus(await anon.post("/auth/password/reset", { key, password: "Third-Horse-Battery-5" }), 401);
      expect(since(from)).toEqual([
        ["passwordChanged", email, { set: false }],
        ["emailAdded", email, { email: second }],
        ["emailVerified", email, { email: second }],
        ["emailRemoved", email, { email: second }],
        ["passwordReset", email, { email }],
      ]);
    });

    it("authenticators added and removed, sessions revoked", async () => {
      const c = await anonymousClient(server, kind);
      const email = await loggedIn(c);
      await server.latchkey.runtime.store.db
        .updateTable("email_address")
        .set({ verified: 1 })
        .where("email_lower", "=", email)
        .execute();
      const other = await anonymousClient(server, kind);
      expectStatus(await other.post("/auth/login", { email, password: PASSWORD }), 200);
      expectStatus(await c.post("/auth/reauthenticate", { password: PASSWORD }), 200);
      const from = events.length;
      const secret: string = (await c.get("/account/authenticators/totp")).body.meta.secret;
      expectStatus(await c.post("/account/authenticators/totp", { code: currentCode(server, secret) }), 200);
      expectStatus(await c.delete("/account/authenticators/totp"), 200);
      const sessions = (await c.get("/auth/sessions")).body.data as { id: number; is_current: boolean }[];
      const others = sessions.filter((s) => !s.is_current).map((s) => s.id);
      expectStatus(await c.delete("/auth/sessions", { sessions: others }), 200);
      expect(since(from)).toEqual([
        ["mfaAdded", email, { type: "totp" }],
        ["mfaAdded", email, { type: "recovery_codes" }],
        ["mfaRemoved", email, { type: "totp" }],
        ["sessionRevoked", email, { sessions: others }],
      ]);
    });

    it("a handler that throws answers a logged JSON 500; the change stays made", async () => {
      const c = await anonymousClient(server, kind);
      failNext = true;
      const { email, res } = await signUp(c);
      expectStatus(res, 500);
      expect(res.body).toEqual({
        status: 500,
        errors: [{ code: "internal_error", message: expect.any(String) }],
      });
      expect(JSON.stringify(res.body)).not.toContain("the handler failed");
      expect(
        lines.some(
          (l) => l.msg === "unhandled error" && JSON.stringify(l.err).includes("the handler failed"),
        ),
      ).toBe(true);
      expect(await server.latchkey.runtime.users.findByEmail(email)).not.toBeNull();
    });
  });
});
