import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import {
  anonymousClient,
  expectEnvelope,
  insertUser,
  isVerified,
  loginClient,
  PASSWORD,
  userBody,
} from "../helpers/accounts.js";
import { clients, type TestClient } from "../helpers/client.js";
import { Client, type SentMail, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const NEW_PASSWORD = "Another-Horse-Battery-7";
const KEY_HEADER = "X-Password-Reset-Key";
const SIGNUP_URL = "https://app.example.org/signup";

const flows = (pending: boolean) => [
  { id: "login" },
  { id: "signup" },
  { id: "password_reset_by_code", is_pending: pending },
];

/** The code in a password_reset_code mail (on a line of its own, indented). */
function codeFrom(mail: SentMail): string {
  const match = /^ {4}(\S+)\s*$/m.exec(mail.text);
  if (!match) throw new Error(`no code in ${mail.text}`);
  return match[1]!;
}

function errorsOf(res: { body: { errors?: { code: string; param?: string }[] } }) {
  return (res.body.errors ?? []).map((e) => ({ code: e.code, param: e.param }));
}

/** Asks for a reset code for the address; returns the code mailed (for a known address). */
async function requestCode(server: TestServer, c: TestClient, email: string): Promise<string> {
  const res = await c.post("/auth/password/request", { email });
  expect(res.status).toBe(401);
  expect(res.body.data.flows).toEqual(flows(true));
  return codeFrom(server.lastMail(email));
}

/** A code that is not the mailed one. */
function wrong(code: string): string {
  return code.startsWith("B") ? `C${code.slice(1)}` : `B${code.slice(1)}`;
}

const BASE: LatchkeyOptions = {
  account: {
    loginMethods: ["email"],
    emailNotifications: true,
    passwordResetByCode: { enabled: true },
  },
  frontendUrls: { accountSignup: SIGNUP_URL },
};

describe.each(dialects)("password reset by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, BASE);

  describe.each(clients)("%s client", (kind) => {
    it("runs the whole flow: 401 pending, code shows the user, weak password, reset, then 409", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const before = await c.get("/auth/session");
      expect(before.body.data.flows).toEqual(flows(false));

      const requested = await c.post("/auth/password/request", { email: user.email });
      expectEnvelope(requested);
      expect(requested.status).toBe(401);
      expect(requested.body.data).toEqual({ flows: flows(true) });
      expect(requested.body.meta.is_authenticated).toBe(false);
      if (kind === Client.APP) expect(requested.body.meta.session_token).toEqual(expect.any(String));
      const mail = server.lastMail(user.email!);
      expect(mail.subject).toContain("Password Reset Code");
      const code = codeFrom(mail);
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(flows(true));

      // case and punctuation do not matter
      const typed = code.toLowerCase().replace("-", " ");
      const info = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: typed } });
      expect(info.status).toBe(200);
      expect(info.body).toEqual({ status: 200, data: { user: userBody(user) } });
      expect(await isVerified(server, user.email!)).toBe(true);

      const weak = await c.post("/auth/password/reset", { key: code, password: "a" });
      expect(weak.status).toBe(400);
      expect(errorsOf(weak)).toContainEqual({ code: "password_too_short", param: "password" });

      const done = await c.post("/auth/password/reset", { key: code, password: NEW_PASSWORD });
      expectEnvelope(done);
      expect(done.status).toBe(401);
      expect(done.body.data).toEqual({ flows: flows(false) });
      const notice = server.lastMail(user.email!);
      expect(notice.subject).toContain("Password Changed");

      const replay = await c.post("/auth/password/reset", { key: code, password: NEW_PASSWORD });
      expect(replay.status).toBe(409);
      expect(replay.body).toEqual({ status: 409 });
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(409);

      const login = await anonymousClient(server, kind);
      expect((await login.post("/auth/login", { email: user.email, password: NEW_PASSWORD })).status).toBe(
        200,
      );
    });

    it("counts wrong codes by GET toward the POST: 400 until max attempts, then 409", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const res = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: wrong(code) } });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          { message: "Incorrect code.", code: "incorrect_code", param: "key" },
        ]);
        const pending = (await c.get("/auth/session")).body.data.flows.at(-1);
        expect(pending).toEqual({ id: "password_reset_by_code", is_pending: attempt < 3 });
      }
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(409);
      expect((await c.post("/auth/password/reset", { key: code, password: NEW_PASSWORD })).status).toBe(409);
    });

    it("counts wrong codes by POST and a missing header by GET as well", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      const badPost = await c.post("/auth/password/reset", { key: wrong(code), password: NEW_PASSWORD });
      expect(errorsOf(badPost)).toEqual([{ code: "incorrect_code", param: "key" }]);
      const bare = await c.get("/auth/password/reset");
      expect(errorsOf(bare)).toEqual([{ code: "required", param: "key" }]);
      const third = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: wrong(code) } });
      expect(third.status).toBe(400);
      expect((await c.post("/auth/password/reset", { key: code, password: NEW_PASSWORD })).status).toBe(409);
    });

    it("verifies the address on a POST without a GET, and a new request replaces the code", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const first = await requestCode(server, c, user.email!);
      const second = await requestCode(server, c, user.email!);
      expect(second).not.toBe(first);
      expect(errorsOf(await c.post("/auth/password/reset", { key: first, password: NEW_PASSWORD }))).toEqual([
        { code: "incorrect_code", param: "key" },
      ]);
      const done = await c.post("/auth/password/reset", { key: second, password: NEW_PASSWORD });
      expect(done.status).toBe(401);
      expect(await isVerified(server, user.email!)).toBe(true);
    });

    it("answers 409 when nothing is pending or the code timed out", async () => {
      const c = await anonymousClient(server, kind);
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: "ABCD-EFGH" } })).body).toEqual({
        status: 409,
      });
      expect(
        (await c.post("/auth/password/reset", { key: "ABCD-EFGH", password: NEW_PASSWORD })).status,
      ).toBe(409);
      const user = await insertUser(server);
      const code = await requestCode(server, c, user.email!);
      server.advance(181_000);
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(409);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(flows(false));
    });

    it("keeps the process in the caller's session only", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      const stranger = await anonymousClient(server, kind);
      expect((await stranger.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(
        409,
      );
    });

    it("gives an unknown address the same 401, a process no code completes, and an unknown-account mail", async () => {
      const email = `nobody-${kind}-${Date.now()}@example.org`;
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/password/request", { email });
      expect(res.status).toBe(401);
      expect(res.body.data).toEqual({ flows: flows(true) });
      const mail = server.lastMail(email);
      expect(mail.text).toContain(SIGNUP_URL);
      for (const key of ["BCDF-GHJK", "", "ZZZZ-ZZZZ"]) {
        const get = await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: key } });
        expect(get.status).toBe(400);
      }
      expect(
        (await c.post("/auth/password/reset", { key: "BCDF-GHJK", password: NEW_PASSWORD })).status,
      ).toBe(409);
    });

    it("answers a logged-in caller with its authenticated state (allauth AuthenticationResponse)", async () => {
      const user = await insertUser(server);
      const owner = await loginClient(server, kind, user);
      const res = await owner.post("/auth/password/request", { email: user.email });
      expect(res.status).toBe(200);
      expect(res.body.meta.is_authenticated).toBe(true);
      const code = codeFrom(server.lastMail(user.email!));
      expect((await owner.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(200);
    });

    it("validates inputs", async () => {
      const c = await anonymousClient(server, kind);
      expect(errorsOf(await c.post("/auth/password/request", { email: ["a@b.c"] }))).toEqual([
        { code: "invalid", param: "email" },
      ]);
      const user = await insertUser(server);
      await requestCode(server, c, user.email!);
      expect(errorsOf(await c.post("/auth/password/reset", { key: "x" }))).toEqual([
        { code: "required", param: "password" },
      ]);
      expect(
        errorsOf(await c.post("/auth/password/reset", { key: 12345678, password: NEW_PASSWORD })),
      ).toEqual([{ code: "invalid", param: "key" }]);
    });
  });
});

describe.each(dialects)("password reset by code, other settings (%s)", (dialect) => {
  it("logs in after the reset with account.loginOnPasswordReset", async () => {
    const server = await startLatchkey(dialect, {
      ...BASE,
      account: { ...BASE.account, loginOnPasswordReset: true, emailNotifications: false },
    });
    for (const kind of clients) {
      const user = await insertUser(server);
      const other = await loginClient(server, kind, user);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      const done = await c.post("/auth/password/reset", { key: code, password: NEW_PASSWORD });
      expect(done.status).toBe(200);
      expect(done.body.data).toEqual({
        user: userBody(user),
        methods: [{ method: "password_reset", at: expect.any(Number), email: user.email }],
      });
      expect(done.body.meta.is_authenticated).toBe(true);
      expect((await c.get("/auth/session")).status).toBe(200);
      // the session that knew the old password is gone
      expect((await other.get("/auth/session")).status).toBe(kind === Client.APP ? 410 : 401);
      expect((await c.post("/auth/password/reset", { key: code, password: PASSWORD })).status).toBe(409);
    }
  });

  it("honours maxAttempts and timeout", async () => {
    const server = await startLatchkey(dialect, {
      ...BASE,
      account: { ...BASE.account, passwordResetByCode: { enabled: true, maxAttempts: 1, timeout: 10 } },
    });
    for (const kind of clients) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: wrong(code) } })).status).toBe(
        400,
      );
      expect((await c.get("/auth/password/reset", { headers: { [KEY_HEADER]: code } })).status).toBe(409);
      const again = await requestCode(server, c, user.email!);
      server.advance(11_000);
      expect((await c.post("/auth/password/reset", { key: again, password: NEW_PASSWORD })).status).toBe(409);
    }
  });

  it("reveals unknown addresses with account.preventEnumeration off, and rate-limits requests", async () => {
    const server = await startLatchkey(dialect, {
      ...BASE,
      account: { ...BASE.account, preventEnumeration: false },
      rateLimits: { actions: { reset_password: "20/m/ip,1/m/key" } },
    });
    for (const kind of clients) {
      const c = await anonymousClient(server, kind);
      const unknown = await c.post("/auth/password/request", { email: "ghost@example.org" });
      expect(errorsOf(unknown)).toEqual([{ code: "unknown_email", param: "email" }]);
      const user = await insertUser(server);
      await requestCode(server, c, user.email!);
      expect((await c.post("/auth/password/request", { email: user.email })).body).toEqual({ status: 429 });
    }
  });
});
