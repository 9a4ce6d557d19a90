import { describe, expect, it } from "vitest";
import {
  ANONYMOUS_FLOWS,
  anonymousClient,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  sessionRows,
  storedPasswordHash,
  unique,
  userBody,
} from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import {
  Client,
  FAST_HASHING,
  startLatchkey,
  startSecondLatchkey,
  useLatchkey,
} from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const REQUIRED = "This field is required.";
const USERNAME_MISMATCH = {
  message: "The username and/or password you specified are not correct.",
  code: "username_password_mismatch",
  param: "password",
};
const EMAIL_MISMATCH = {
  message: "The email address and/or password you specified are not correct.",
  code: "email_password_mismatch",
  param: "password",
};
const INVALID_LOGIN = { message: "Invalid login.", code: "invalid_login" };
const TOO_MANY = {
  message: "Too many failed login attempts. Try again later.",
  code: "too_many_login_attempts",
};

describe.each(dialects)("POST /auth/login (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    describe("by username (the default)", () => {
      const server = useLatchkey(dialect);

      it("requires username then password", async () => {
        const res = await (await anonymousClient(server, kind)).post("/auth/login", {});
        expectEnvelope(res);
        expect(res.body).toEqual({
          status: 400,
          errors: [
            { message: REQUIRED, code: "required", param: "username" },
            { message: REQUIRED, code: "required", param: "password" },
          ],
        });
      });

      it("logs in, recording the password method; GET session answers the same", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const before = Date.now() / 1000;
        const res = await c.post("/auth/login", { username: user.username, password: PASSWORD });
        expectEnvelope(res);
        expect(res.status).toBe(200);
        const meta =
          kind === Client.APP
            ? { is_authenticated: true, session_token: expect.any(String) }
            : { is_authenticated: true };
        expect(res.body).toEqual({
          status: 200,
          data: {
            user: {
              id: user.id,
              display: user.username,
              email: user.email,
              username: user.username,
              has_usable_password: true,
            },
            methods: [{ method: "password", at: expect.any(Number), username: user.username }],
          },
          meta,
        });
        const at = res.body.data.methods[0].at;
        expect(at).toBeGreaterThanOrEqual(before - 1);
        expect(at).toBeLessThanOrEqual(Date.now() / 1000 + 1);
        const session = await c.get("/auth/session");
        expect(session.body).toEqual({ ...res.body, meta: { is_authenticated: true } });
        const row = await server.latchkey.runtime.store.db
          .selectFrom("user")
          .select("last_login")
          .where("id", "=", user.id)
          .executeTakeFirstOrThrow();
        expect(row.last_login).toBeGreaterThan(0);
      });

      it("matches the username case-insensitively", async () => {
        const user = await insertUser(server, { username: unique("MixedCase") });
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", {
          username: user.username!.toUpperCase(),
          password: PASSWORD,
        });
        expect(res.status).toBe(200);
        expect(res.body.data.user.username).toBe(user.username);
      });

      it("logs in with a unicode username and password, and keeps the password's spaces", async () => {
        const password = "  pässwörd-лог-🔑  ";
        const user = await insertUser(server, { username: unique("jürgen"), password });
        const c = server.client(kind);
        await c.get("/config");
        const trimmed = await c.post("/auth/login", { username: user.username, password: password.trim() });
        expect(trimmed.body.errors).toEqual([USERNAME_MISMATCH]);
        const res = await c.post("/auth/login", { username: ` ${user.username} `, password });
        expect(res.status).toBe(200);
      });

      it("answers a wrong password and an unknown user alike", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const wrong = await c.post("/auth/login", { username: user.username, password: "wrong" });
        const unknown = await c.post("/auth/login", { username: unique("nobody"), password: PASSWORD });
        for (const res of [wrong, unknown]) {
          expectEnvelope(res);
          expect(res.body).toEqual({ status: 400, errors: [USERNAME_MISMATCH] });
        }
        const noPassword = await insertUser(server, { password: null });
        const unusable = await c.post("/auth/login", { username: noPassword.username, password: "" });
        expect(unusable.body.errors).toEqual([{ message: REQUIRED, code: "required", param: "password" }]);
        const anything = await c.post("/auth/login", { username: noPassword.username, password: "anything" });
        expect(anything.body).toEqual({ status: 400, errors: [USERNAME_MISMATCH] });
        expect((await c.get("/auth/session")).status).toBe(401);
      });

      it("ignores an email field it does not use, and unknown fields", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", {
          username: user.username,
          email: "not an email",
          password: PASSWORD,
          remember: true,
          extra: { nested: [1] },
        });
        expect(res.status).toBe(200);
      });

      it("answers 401 with the flows to an inactive user, and logs nobody in", async () => {
        const user = await insertUser(server, { isActive: false });
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", { username: user.username, password: PASSWORD });
        expectEnvelope(res);
        expect(res.status).toBe(401);
        expect(res.body.data).toEqual({ flows: ANONYMOUS_FLOWS });
        expect(res.body.meta.is_authenticated).toBe(false);
        expect((await c.get("/auth/session")).status).toBe(401);
        expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toEqual([]);
      });

      it("answers exactly {status: 409} when already logged in", async () => {
        const user = await insertUser(server);
        const other = await insertUser(server);
        const c = await loginClient(server, kind, user);
        for (const body of [
          { username: user.username, password: PASSWORD },
          { username: other.username, password: PASSWORD },
        ]) {
          const res = await c.post("/auth/login", body);
          expectEnvelope(res);
          expect(res.body).toEqual({ status: 409 });
        }
        expect((await c.get("/auth/session")).body.data.user.id).toBe(user.id);
      });

      it("validates before answering 409", async () => {
        const user = await insertUser(server);
        const c = await loginClient(server, kind, user);
        const res = await c.post("/auth/login", {});
        expect(res.status).toBe(400);
      });

      it("rejects overlong usernames without a database error", async () => {
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", { username: "u".repeat(20_000), password: PASSWORD });
        expect(res.body).toEqual({ status: 400, errors: [USERNAME_MISMATCH] });
      });
    });

    describe("by email", () => {
      const server = useLatchkey(dialect, {
        account: { loginMethods: ["email"], signupFields: ["email*", "username*", "password1*"] },
      });

      it("requires email then password", async () => {
        const c = await anonymousClient(server, kind);
        const res = await c.post("/auth/login", { username: "x" });
        expect(res.body).toEqual({
          status: 400,
          errors: [
            { message: REQUIRED, code: "required", param: "email" },
            { message: REQUIRED, code: "required", param: "password" },
          ],
        });
        const invalid = await c.post("/auth/login", { email: "nope", password: "x" });
        expect(invalid.body).toEqual({
          status: 400,
          errors: [{ message: "Enter a valid email address.", code: "invalid", param: "email" }],
        });
      });

      it("answers email_password_mismatch for a wrong password or unknown address", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        for (const body of [
          { email: user.email, password: "wrong" },
          { email: `${unique("nobody")}@example.org`, password: PASSWORD },
        ]) {
          const res = await c.post("/auth/login", body);
          expect(res.body).toEqual({ status: 400, errors: [EMAIL_MISMATCH] });
        }
      });

      it("logs in with the email, recording it", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", { email: user.email, password: PASSWORD });
        expect(res.status).toBe(200);
        expect(res.body.data.user).toEqual(userBody(user));
        expect(res.body.data.methods).toEqual([
          { method: "password", at: expect.any(Number), email: user.email },
        ]);
        expect((await c.get("/auth/session")).body.data).toEqual(res.body.data);
      });

      it("matches the address case-insensitively", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", {
          email: `  ${user.email!.toUpperCase()} `,
          password: PASSWORD,
        });
        expect(res.status).toBe(200);
        expect(res.body.data.user.id).toBe(user.id);
      });

      it("does not log in by an unverified secondary address", async () => {
        const owner = await insertUser(server);
        const claimer = await insertUser(server);
        const secondary = `${unique("secondary")}@example.org`;
        await server.latchkey.runtime.store.db
          .insertInto("email_address")
          .values({
            user_id: claimer.id,
            email: secondary,
            email_lower: secondary,
            verified: 0,
            is_primary: 0,
          })
          .execute();
        const c = server.client(kind);
        await c.get("/config");
        const res = await c.post("/auth/login", { email: secondary, password: PASSWORD });
        expect(res.body.errors).toEqual([EMAIL_MISMATCH]);
        expect(owner.id).not.toBe(claimer.id);
      });
    });

    describe("by email or username", () => {
      const server = useLatchkey(dialect, {
        account: {
          loginMethods: ["email", "username"],
          signupFields: ["email*", "username*", "password1*"],
        },
      });

      it("needs exactly one identifier", async () => {
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        expect((await c.post("/auth/login", {})).body).toEqual({
          status: 400,
          errors: [{ message: REQUIRED, code: "required", param: "password" }],
        });
        for (const body of [
          { password: PASSWORD },
          { email: user.email, username: user.username, password: PASSWORD },
          { email: "", username: "", password: PASSWORD },
          { email: null, username: "   ", password: PASSWORD },
        ]) {
          const res = await c.post("/auth/login", body);
          expect(res.body, JSON.stringify(body)).toEqual({ status: 400, errors: [INVALID_LOGIN] });
        }
        // Field errors come alone: the form-level check waits for valid fields.
        const fieldError = await c.post("/auth/login", {
          email: "nope",
          username: user.username,
          password: PASSWORD,
        });
        expect(fieldError.body).toEqual({
          status: 400,
          errors: [{ message: "Enter a valid email address.", code: "invalid", param: "email" }],
        });
      });

      it("logs in by either, with the matching mismatch code", async () => {
        const user = await insertUser(server);
        const byEmail = server.client(kind);
        await byEmail.get("/config");
        expect((await byEmail.post("/auth/login", { email: user.email, password: "x" })).body.errors).toEqual(
          [EMAIL_MISMATCH],
        );
        const one = await byEmail.post("/auth/login", { email: user.email, password: PASSWORD });
        expect(one.body.data.methods).toEqual([
          { method: "password", at: expect.any(Number), email: user.email },
        ]);
        const byUsername = server.client(kind);
        await byUsername.get("/config");
        expect(
          (await byUsername.post("/auth/login", { username: user.username, password: "x" })).body.errors,
        ).toEqual([USERNAME_MISMATCH]);
        const two = await byUsername.post("/auth/login", { username: user.username, password: PASSWORD });
        expect(two.body.data.methods).toEqual([
          { method: "password", at: expect.any(Number), username: user.username },
        ]);
      });
    });

    describe("rate limits", () => {
      it("login_failed: the 2nd bad attempt is 400 too_many_login_attempts without param", async () => {
        const server = await startLatchkey(dialect, { rateLimits: { actions: { login_failed: "1/m/key" } } });
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        const first = await c.post("/auth/login", { username: user.username, password: "wrong" });
        expect(first.body).toEqual({ status: 400, errors: [USERNAME_MISMATCH] });
        const second = await c.post("/auth/login", { username: user.username, password: "wrong" });
        expectEnvelope(second);
        expect(second.body).toEqual({ status: 400, errors: [TOO_MANY] });
        // The key is the identifier (case-insensitively) at this address: even the right password is refused now...
        const right = await c.post("/auth/login", {
          username: user.username!.toUpperCase(),
          password: PASSWORD,
        });
        expect(right.body).toEqual({ status: 400, errors: [TOO_MANY] });
        // ...while another account is not affected.
        const other = await insertUser(server);
        expect((await c.post("/auth/login", { username: other.username, password: PASSWORD })).status).toBe(
          200,
        );
      });

      it("login_failed is cleared by a successful login", async () => {
        const server = await startLatchkey(dialect, { rateLimits: { actions: { login_failed: "2/m/key" } } });
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        expect((await c.post("/auth/login", { username: user.username, password: "wrong" })).status).toBe(
          400,
        );
        expect((await c.post("/auth/login", { username: user.username, password: PASSWORD })).status).toBe(
          200,
        );
        const other = server.client(kind);
        await other.get("/config");
        expect(
          (await other.post("/auth/login", { username: user.username, password: "wrong" })).body.errors,
        ).toEqual([USERNAME_MISMATCH]);
      });

      it("login: the 2nd attempt is 429 {status: 429}", async () => {
        const server = await startLatchkey(dialect, { rateLimits: { actions: { login: "1/m/ip" } } });
        const user = await insertUser(server);
        const c = server.client(kind);
        await c.get("/config");
        expect((await c.post("/auth/login", { username: user.username, password: "wrong" })).status).toBe(
          400,
        );
        const second = await c.post("/auth/login", { username: user.username, password: PASSWORD });
        expectEnvelope(second);
        expect(second.status).toBe(429);
        expect(second.body).toEqual({ status: 429 });
        expect((await c.get("/auth/session")).status).toBe(401);
      });
    });

    it("rehashes the stored password at login when the hashing parameters change", async () => {
      const server = await startLatchkey(dialect);
      const user = await insertUser(server);
      const original = (await storedPasswordHash(server, user.id))!;
      expect(original).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

      // Same parameters: nothing is rewritten.
      await loginClient(server, kind, user);
      expect(await storedPasswordHash(server, user.id)).toBe(original);

      const stronger = await startSecondLatchkey(server, {
        password: { hashing: { ...FAST_HASHING, memoryCost: 2048, timeCost: 2 } },
      });
      const c = stronger.client(kind);
      await c.get("/config");
      const bad = await c.post("/auth/login", { username: user.username, password: "wrong" });
      expect(bad.status).toBe(400);
      expect(await storedPasswordHash(server, user.id)).toBe(original);
      const res = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      expect(res.status).toBe(200);
      const rehashed = (await storedPasswordHash(server, user.id))!;
      expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
      // The first instance verifies the new hash, and brings it back to its own parameters.
      await loginClient(server, kind, user);
      expect(await storedPasswordHash(server, user.id)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    });
  });
});
