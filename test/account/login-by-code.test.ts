import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import {
  anonymousClient,
  expectEnvelope,
  insertUser,
  isVerified,
  PASSWORD,
  type TestUser,
  userBody,
} from "../helpers/accounts.js";
import { clients, type TestClient } from "../helpers/client.js";
import { Client, type SentMail, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const SIGNUP_URL = "https://app.example.org/signup";
const IDLE = [{ id: "login" }, { id: "login_by_code" }, { id: "signup" }];
const PENDING = [{ id: "login" }, { id: "login_by_code", is_pending: true }, { id: "signup" }];

function codeFrom(mail: SentMail): string {
  const match = /^ {4}(\S+)\s*$/m.exec(mail.text);
  if (!match) throw new Error(`no code in ${mail.text}`);
  return match[1]!;
}

function wrong(code: string): string {
  return code.startsWith("B") ? `C${code.slice(1)}` : `B${code.slice(1)}`;
}

function errorsOf(res: { body: { errors?: { code: string; param?: string }[] } }) {
  return (res.body.errors ?? []).map((e) => ({ code: e.code, param: e.param }));
}

/** Requests a code for the address; returns the code mailed. */
async function requestCode(server: TestServer, c: TestClient, email: string): Promise<string> {
  const res = await c.post("/auth/code/request", { email });
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  return codeFrom(server.lastMail(email));
}

async function addTotp(server: TestServer, user: TestUser): Promise<void> {
  await server.latchkey.runtime.store.db
    .insertInto("authenticator")
    .values({ user_id: user.id, type: "totp", data: "{}", created_at: Date.now(), last_used_at: null })
    .execute();
}

const BASE: LatchkeyOptions = {
  account: { loginMethods: ["email"], loginByCode: { enabled: true, supportsResend: 2 } },
  frontendUrls: { accountSignup: SIGNUP_URL },
};

describe.each(dialects)("login by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, BASE);

  describe.each(clients)("%s client", (kind) => {
    it("mails one code; confirming it logs in with a code record and verifies the address", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(IDLE);
      const before = server.mailsTo(user.email!).length;
      const requested = await c.post("/auth/code/request", { email: user.email!.toUpperCase() });
      expectEnvelope(requested);
      expect(requested.status).toBe(401);
      expect(requested.body.data).toEqual({ flows: PENDING });
      expect(requested.body.meta.is_authenticated).toBe(false);
      if (kind === Client.APP) expect(requested.body.meta.session_token).toEqual(expect.any(String));
      const mails = server.mailsTo(user.email!);
      expect(mails.length).toBe(before + 1);
      expect(mails.at(-1)!.subject).toContain("Sign-In Code");
      const code = codeFrom(mails.at(-1)!);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(PENDING);

      const done = await c.post("/auth/code/confirm", { code: code.toLowerCase() });
      expectEnvelope(done);
      expect(done.status).toBe(200);
      expect(done.body.data).toEqual({
        user: userBody(user),
        methods: [{ method: "code", at: expect.any(Number), email: user.email }],
      });
      expect(done.body.meta.is_authenticated).toBe(true);
      if (kind === Client.APP) expect(done.body.meta.session_token).toEqual(expect.any(String));
      expect(await isVerified(server, user.email!)).toBe(true);
      expect((await c.get("/auth/session")).status).toBe(200);
      expect((await c.post("/auth/code/confirm", { code })).status).toBe(409);
      expect((await c.post("/auth/code/request", { email: user.email })).status).toBe(409);
    });

    it("answers 400 to wrong codes; the one that uses up maxAttempts ends the login; then 409", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const res = await c.post("/auth/code/confirm", { code: wrong(code) });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([
          { message: "Incorrect code.", code: "incorrect_code", param: "code" },
        ]);
        const session = await c.get("/auth/session");
        expect(session.body.data.flows).toEqual(attempt < 3 ? PENDING : IDLE);
      }
      const late = await c.post("/auth/code/confirm", { code });
      expect(late.status).toBe(409);
      expect(late.body).toEqual({ status: 409 });
    });

    it("answers 409 to an expired code and when nothing is pending", async () => {
      const c = await anonymousClient(server, kind);
      expect((await c.post("/auth/code/confirm", { code: "BCDF-GHJK" })).body).toEqual({ status: 409 });
      expect((await c.post("/auth/code/resend")).body).toEqual({ status: 409 });
      const user = await insertUser(server);
      const code = await requestCode(server, c, user.email!);
      server.advance(181_000);
      expect((await c.post("/auth/code/confirm", { code })).status).toBe(409);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(IDLE);
    });

    it("resends new codes up to supportsResend times; each replaces the last", async () => {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const codes = [await requestCode(server, c, user.email!)];
      for (let n = 0; n < 2; n++) {
        const res = await c.post("/auth/code/resend");
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: 200 });
        codes.push(codeFrom(server.lastMail(user.email!)));
      }
      expect(new Set(codes).size).toBe(3);
      expect((await c.post("/auth/code/resend")).body).toEqual({ status: 409 });
      expect((await c.post("/auth/code/confirm", { code: codes[0] })).status).toBe(400);
      expect((await c.post("/auth/code/confirm", { code: codes[2] })).status).toBe(200);
    });

    it("answers 409 when another stage is pending (mfa_authenticate after the code)", async () => {
      const user = await insertUser(server);
      await addTotp(server, user);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      const next = await c.post("/auth/code/confirm", { code });
      expect(next.status).toBe(401);
      expect(next.body.data.flows.at(-1)).toEqual({
        id: "mfa_authenticate",
        is_pending: true,
        types: ["totp"],
      });
      expect((await c.post("/auth/code/confirm", { code })).status).toBe(409);
      expect((await c.post("/auth/code/resend")).status).toBe(409);
    });

    it("gives an unknown or inactive address the same 401 and a process no code completes", async () => {
      const inactive = await insertUser(server, { isActive: false });
      for (const email of [`nobody-${kind}-${Date.now()}@example.org`, inactive.email!]) {
        const c = await anonymousClient(server, kind);
        const res = await c.post("/auth/code/request", { email });
        expect(res.status).toBe(401);
        expect(res.body.data).toEqual({ flows: PENDING });
        const mail = server.lastMail(email);
        expect(mail.subject).toContain("Password Reset Email");
        expect(mail.text).toContain(SIGNUP_URL);
        const count = server.mailsTo(email).length;
        expect((await c.post("/auth/code/resend")).status).toBe(200);
        expect(server.mailsTo(email).length).toBe(count);
        for (const code of ["BCDF-GHJK", "ZZZZ-ZZZZ"]) {
          expect((await c.post("/auth/code/confirm", { code })).status).toBe(400);
        }
        expect((await c.post("/auth/code/confirm", { code: "BCDF-GHJK" })).status).toBe(400);
        expect((await c.post("/auth/code/confirm", { code: "BCDF-GHJK" })).status).toBe(409);
      }
    });

    it("validates inputs", async () => {
      const c = await anonymousClient(server, kind);
      expect(errorsOf(await c.post("/auth/code/request", {}))).toEqual([
        { code: "required", param: "email" },
      ]);
      expect(errorsOf(await c.post("/auth/code/request", { email: 7 }))).toEqual([
        { code: "invalid", param: "email" },
      ]);
      expect((await c.post("/auth/code/request", { email: "nope" })).body.errors).toEqual([
        { message: "Enter a valid email address.", code: "invalid", param: "email" },
      ]);
      const user = await insertUser(server);
      await requestCode(server, c, user.email!);
      expect(errorsOf(await c.post("/auth/code/confirm", {}))).toEqual([{ code: "required", param: "code" }]);
      expect(errorsOf(await c.post("/auth/code/confirm", { code: { a: 1 } }))).toEqual([
        { code: "invalid", param: "code" },
      ]);
      // input errors are not attempts: the code still works
      const code = codeFrom(server.lastMail(user.email!));
      expect((await c.post("/auth/code/confirm", { code })).status).toBe(200);
    });
  });
});

describe.each(dialects)("login by code, other settings (%s)", (dialect) => {
  const start = (options: LatchkeyOptions) =>
    startLatchkey(dialect, {
      ...options,
      account: { loginMethods: ["email"], ...options.account },
      frontendUrls: { accountSignup: SIGNUP_URL },
    });

  it("requires a code after a password login with loginByCode.required", async () => {
    const server = await start({ account: { loginByCode: { enabled: true, required: true } } });
    for (const kind of clients) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const login = await c.post("/auth/login", { email: user.email, password: PASSWORD });
      expect(login.status).toBe(401);
      expect(login.body.data.flows).toEqual(PENDING);
      const code = codeFrom(server.lastMail(user.email!));
      const done = await c.post("/auth/code/confirm", { code });
      expect(done.status).toBe(200);
      expect(done.body.data.methods).toEqual([
        { method: "password", at: expect.any(Number), email: user.email },
        { method: "code", at: expect.any(Number), email: user.email },
      ]);
      expect(await isVerified(server, user.email!)).toBe(true);

      // a login that started with a code needs no second one
      const other = await anonymousClient(server, kind);
      const again = await requestCode(server, other, user.email!);
      expect((await other.post("/auth/code/confirm", { code: again })).status).toBe(200);
    }
  });

  it("requires a code only after the listed first factors", async () => {
    const listed = await start({ account: { loginByCode: { enabled: true, required: ["password"] } } });
    const unlisted = await start({
      account: { loginByCode: { enabled: true, required: ["socialaccount"] } },
    });
    for (const kind of clients) {
      const a = await insertUser(listed);
      const ca = await anonymousClient(listed, kind);
      expect((await ca.post("/auth/login", { email: a.email, password: PASSWORD })).status).toBe(401);
      const b = await insertUser(unlisted);
      const cb = await anonymousClient(unlisted, kind);
      expect((await cb.post("/auth/login", { email: b.email, password: PASSWORD })).status).toBe(200);
    }
  });

  it("drops a required-code login when the user has no address to mail", async () => {
    const server = await start({
      account: { loginMethods: ["username"], loginByCode: { enabled: true, required: true } },
    });
    for (const kind of clients) {
      const user = await insertUser(server, { email: null });
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/login", { username: user.username, password: PASSWORD });
      expect(res.status).toBe(401);
      expect(res.body.data.flows).toEqual(IDLE);
    }
  });

  it("has no request or resend route when disabled; confirm answers 409", async () => {
    const server = await start({});
    for (const kind of clients) {
      const c = await anonymousClient(server, kind);
      expect((await c.post("/auth/code/request", { email: "a@example.org" })).status).toBe(404);
      expect((await c.post("/auth/code/resend")).status).toBe(404);
      expect((await c.post("/auth/code/confirm", { code: "BCDF-GHJK" })).status).toBe(409);
    }
  });

  it("answers 409 to resend without supportsResend", async () => {
    const server = await start({ account: { loginByCode: { enabled: true } } });
    for (const kind of clients) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      await requestCode(server, c, user.email!);
      expect((await c.post("/auth/code/resend")).status).toBe(409);
    }
  });

  it("ends the login on the attempt that uses up a smaller maxAttempts", async () => {
    const server = await start({ account: { loginByCode: { enabled: true, maxAttempts: 2 } } });
    for (const kind of clients) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind);
      const code = await requestCode(server, c, user.email!);
      expect((await c.post("/auth/code/confirm", { code: wrong(code) })).status).toBe(400);
      expect((await c.post("/auth/code/confirm", { code: wrong(code) })).status).toBe(400);
      expect((await c.post("/auth/code/confirm", { code })).status).toBe(409);
    }
  });

  it("reveals unknown addresses with account.preventEnumeration off", async () => {
    const server = await start({ account: { preventEnumeration: false, loginByCode: { enabled: true } } });
    for (const kind of clients) {
      const res = await (await anonymousClient(server, kind)).post("/auth/code/request", {
        email: "ghost@example.org",
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        {
          message: "The email address is not assigned to any user account.",
          code: "unknown_email",
          param: "email",
        },
      ]);
    }
  });

  it("limits requests (400 too_many_login_attempts on email) and resends (429)", async () => {
    const server = await start({
      account: { loginByCode: { enabled: true, supportsResend: 3 } },
      rateLimits: { actions: { request_login_code: "20/m/ip,2/m/key" } },
    });
    for (const [i, kind] of clients.entries()) {
      const user = await insertUser(server);
      const c = await anonymousClient(server, kind, `10.1.0.${i + 1}`);
      await requestCode(server, c, user.email!);
      expect((await c.post("/auth/code/resend")).status).toBe(200);
      const limited = await c.post("/auth/code/resend");
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ status: 429 });
      const again = await c.post("/auth/code/request", { email: user.email });
      expect(again.status).toBe(400);
      expect(again.body.errors).toEqual([
        {
          message: "Too many failed login attempts. Try again later.",
          code: "too_many_login_attempts",
          param: "email",
        },
      ]);
    }
  });
});
