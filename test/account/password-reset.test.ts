import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import {
  anonymousClient,
  expectEnvelope,
  insertUser,
  isVerified,
  loginClient,
  PASSWORD,
  type TestUser,
  userBody,
} from "../helpers/accounts.js";
import { clients, type TestClient } from "../helpers/client.js";
import { Client, type SentMail, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const NEW_PASSWORD = "Another-Horse-Battery-7";
const KEY_HEADER = "X-Password-Reset-Key";
const FROM_KEY_URL = "https://app.example.org/reset/{key}/done";
const SIGNUP_URL = "https://app.example.org/signup";
const ANONYMOUS_FLOWS = [{ id: "login" }, { id: "signup" }];

/** The key in a password_reset_key mail, as the frontend reads it from its URL. */
function keyFrom(mail: SentMail): string {
  const match = /https:\/\/app\.example\.org\/reset\/([^/\s]+)\/done/.exec(mail.text);
  if (!match) throw new Error(`no reset link in ${mail.text}`);
  return decodeURIComponent(match[1]!);
}

async function requestKey(server: TestServer, c: TestClient, email: string): Promise<string> {
  const res = await c.post("/auth/password/request", { email });
  expect(res.status).toBe(200);
  return keyFrom(server.lastMail(email));
}

function errorsOf(res: { body: { errors?: { code: string; param?: string }[] } }) {
  return (res.body.errors ?? []).map((e) => ({ code: e.code, param: e.param }));
}

describe.each(dialects)("password reset by link (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: { loginMethods: ["email"], emailNotifications: true, passwordResetTimeout: 600 },
    frontendUrls: { accountResetPasswordFromKey: FROM_KEY_URL, accountSignup: SIGNUP_URL },
  });

  describe.each(clients)("%s client", (kind) => {
    it("mails a key that shows the user, rejects a weak password, then resets once", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const requested = await c.post("/auth/password/request", { email: user.email!.toUpperCase() });
      expectEnvelope(requested);
      expect(requested.body).toEqual({ status: 200 });
      const mail = server.lastMail(user.email!);
      expect(mail.subject).toContain("Password Reset");
      const key = keyFrom(mail);

      const info = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } });
      expect(info.status).toBe(200);
      expect(info.body).toEqual({ status: 200, data: { user: userBody(user) } });

      const weak = await c.post("/auth/password/reset", { key, password: "a" });
      expect(weak.status).toBe(400);
      expect(errorsOf(weak)).toContainEqual({ code: "password_too_short", param: "password" });
      expect(errorsOf(weak).every((e) => e.param === "password")).toBe(true);

      const before = server.mails().length;
      const done = await c.post("/auth/password/reset", { key, password: NEW_PASSWORD });
      expectEnvelope(done);
      expect(done.status).toBe(401);
      expect(done.body.data).toEqual({ flows: ANONYMOUS_FLOWS });
      expect(done.body.meta.is_authenticated).toBe(false);
      const after = server.mails();
      expect(after.length).toBe(before + 1);
      expect(after[after.length - 1]!.subject).toContain("Password Changed");
      expect(await isVerified(server, user.email!)).toBe(true);

      const replay = await c.post("/auth/password/reset", { key, password: "Yet-Another-Horse-5" });
      expect(replay.status).toBe(400);
      expect(errorsOf(replay)).toEqual([{ code: "invalid_password_reset", param: "key" }]);
      const replayInfo = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } });
      expect(replayInfo.status).toBe(400);

      const login = await anonymousClient(server, kind);
      expect((await login.post("/auth/login", { email: user.email, password: PASSWORD })).status).toBe(400);
      expect((await login.post("/auth/login", { email: user.email, password: NEW_PASSWORD })).status).toBe(
        200,
      );
    });

    it("answers 400 invalid_password_reset for wrong keys, and `required` without one", async () => {
      const c = await anonymousClient(server, kind);
      for (const key of ["nope", "x".repeat(43), "1-abc"]) {
        const get = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } });
        expect(get.status).toBe(400);
        expect(get.body).toEqual({
          status: 400,
          errors: [
            {
              message: "The password reset token was invalid.",
              code: "invalid_password_reset",
              param: "key",
            },
          ],
        });
        const post = await c.post("/auth/password/reset", { key, password: NEW_PASSWORD });
        expect(post.status).toBe(400);
        expect(errorsOf(post)).toEqual([{ code: "invalid_password_reset", param: "key" }]);
      }
      const bare = await c.get("/auth/password/reset");
      expect(bare.status).toBe(400);
      expect(errorsOf(bare)).toEqual([{ code: "required", param: "key" }]);
      const query = await c.get("/auth/password/reset?key=whatever");
      expect(errorsOf(query)).toEqual([{ code: "required", param: "key" }]);
    });

    it("kills keys issued before any password change (another reset, or a change)", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const first = await requestKey(server, c, user.email!);
      const second = await requestKey(server, c, user.email!);
      expect(second).not.toBe(first);
      expect((await c.post("/auth/password/reset", { key: second, password: NEW_PASSWORD })).status).toBe(
        401,
      );
      const stale = await c.post("/auth/password/reset", { key: first, password: "Yet-Another-Horse-5" });
      expect(errorsOf(stale)).toEqual([{ code: "invalid_password_reset", param: "key" }]);

      const third = await requestKey(server, c, user.email!);
      const owner = await loginClient(server, kind, { ...user, password: NEW_PASSWORD });
      const changed = await owner.post("/account/password/change", {
        current_password: NEW_PASSWORD,
        new_password: "Changed-Horse-Battery-3",
      });
      expect(changed.status).toBe(200);
      const dead = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: third } });
      expect(errorsOf(dead)).toEqual([{ code: "invalid_password_reset", param: "key" }]);
    });

    it("expires keys after account.passwordResetTimeout", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const key = await requestKey(server, c, user.email!);
      server.advance(601_000);
      const get = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } });
      expect(errorsOf(get)).toEqual([{ code: "invalid_password_reset", param: "key" }]);
    });

    it("ends the user's other sessions", async () => {
      const user = await insertUser(server);
      const other = await loginClient(server, kind, user);
      expect((await other.get("/auth/session")).status).toBe(200);
      const c = await anonymousClient(server, kind);
      const key = await requestKey(server, c, user.email!);
      expect((await c.post("/auth/password/reset", { key, password: NEW_PASSWORD })).status).toBe(401);
      const after = await other.get("/auth/session");
      expect(after.status).toBe(kind === Client.APP ? 410 : 401);
    });

    it("answers an unknown address like a known one and mails it the signup link", async () => {
      const email = `nobody-${kind}-${Date.now()}@example.org`;
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/password/request", { email });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 200 });
      const mail = server.lastMail(email);
      expect(mail.subject).toContain("Password Reset Email");
      expect(mail.text).toContain(SIGNUP_URL);
      expect(mail.text).toContain(email);
    });

    it("ignores inactive accounts (treated as unknown)", async () => {
      const user = await insertUser(server, { isActive: false });
      const c = await anonymousClient(server, kind);
      expect((await c.post("/auth/password/request", { email: user.email })).body).toEqual({ status: 200 });
      expect(server.lastMail(user.email!).text).toContain(SIGNUP_URL);
    });

    it("validates inputs as allauth's forms do", async () => {
      const c = await anonymousClient(server, kind);
      expect(errorsOf(await c.post("/auth/password/request", {}))).toEqual([
        { code: "required", param: "email" },
      ]);
      expect(errorsOf(await c.post("/auth/password/request", { email: "" }))).toEqual([
        { code: "required", param: "email" },
      ]);
      expect(errorsOf(await c.post("/auth/password/request", { email: 42 }))).toEqual([
        { code: "invalid", param: "email" },
      ]);
      const notAnEmail = await c.post("/auth/password/request", { email: "not-an-address" });
      expect(notAnEmail.body.errors).toEqual([
        { message: "Enter a valid email address.", code: "invalid", param: "email" },
      ]);
      expect(errorsOf(await c.post("/auth/password/reset", {}))).toEqual([
        { code: "required", param: "key" },
        { code: "required", param: "password" },
      ]);
      expect(errorsOf(await c.post("/auth/password/reset", { key: 5, password: ["x"] }))).toEqual([
        { code: "invalid", param: "key" },
        { code: "invalid", param: "password" },
      ]);
      const malformed = await c.post("/auth/password/request", undefined, { raw: "{" });
      expect(malformed.status).toBe(400);
    });
  });
});

describe.each(dialects)("password reset by link, other settings (%s)", (dialect) => {
  const start = (options: LatchkeyOptions) =>
    startLatchkey(dialect, {
      ...options,
      account: { loginMethods: ["email"], ...options.account },
      frontendUrls: { accountResetPasswordFromKey: FROM_KEY_URL, accountSignup: SIGNUP_URL },
    });

  it("logs in after the reset with account.loginOnPasswordReset (a password_reset record)", async () => {
    const server = await start({ account: { loginOnPasswordReset: true } });
    for (const kind of clients) {
      const user: TestUser = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const key = await requestKey(server, c, user.email!);
      const done = await c.post("/auth/password/reset", { key, password: NEW_PASSWORD });
      expect(done.status).toBe(200);
      expect(done.body.data.user).toEqual({ ...userBody(user) });
      expect(done.body.data.methods).toEqual([
        { method: "password_reset", at: expect.any(Number), email: user.email },
      ]);
      expect(done.body.meta.is_authenticated).toBe(true);
      if (kind === Client.APP) expect(done.body.meta.session_token).toEqual(expect.any(String));
      expect((await c.get("/auth/session")).status).toBe(200);
    }
  });

  it("reveals unknown addresses only with account.preventEnumeration off", async () => {
    const server = await start({ account: { preventEnumeration: false } });
    for (const kind of clients) {
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/password/request", { email: "ghost@example.org" });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        {
          message: "The email address is not assigned to any user account.",
          code: "unknown_email",
          param: "email",
        },
      ]);
      const user = await insertUser(server);
      expect((await c.post("/auth/password/request", { email: user.email })).status).toBe(200);
    }
    expect(server.mailsTo("ghost@example.org")).toEqual([]);
  });

  it("mails nobody at an unknown address without account.emailUnknownAccounts", async () => {
    const server = await start({ account: { emailUnknownAccounts: false } });
    for (const kind of clients) {
      const res = await (await anonymousClient(server, kind)).post("/auth/password/request", {
        email: `ghost-${kind}@example.org`,
      });
      expect(res.body).toEqual({ status: 200 });
    }
    expect(server.mails()).toEqual([]);
  });

  it("limits requests per address and per ip (reset_password) and resets per ip (reset_password_from_key)", async () => {
    const server = await start({
      rateLimits: { actions: { reset_password: "3/m/ip,1/m/key", reset_password_from_key: "1/m/ip" } },
    });
    for (const [i, kind] of clients.entries()) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind, `10.0.0.${i + 1}`);
      const key = await requestKey(server, c, user.email!);
      const again = await c.post("/auth/password/request", { email: user.email });
      expect(again.status).toBe(429);
      expect(again.body).toEqual({ status: 429 });
      // the key rule follows the address however it is spelled
      expect((await c.post("/auth/password/request", { email: user.email!.toUpperCase() })).status).toBe(429);
      expect((await c.post("/auth/password/request", { email: `other-${kind}@example.org` })).status).toBe(
        429,
      );
      const other = await anonymousClient(server, kind, `10.0.1.${i + 1}`);
      expect(
        (await other.post("/auth/password/request", { email: `fresh-${kind}@example.org` })).status,
      ).toBe(200);

      // GET is not limited; POST is, before anything else happens
      for (let n = 0; n < 3; n++) {
        expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } })).status).toBe(200);
      }
      expect((await c.post("/auth/password/reset", { key, password: "a" })).status).toBe(400);
      const limited = await c.post("/auth/password/reset", { key, password: NEW_PASSWORD });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ status: 429 });
    }
  });
});
