import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { countRows, insertUser, isVerified, PASSWORD, unique } from "../helpers/accounts.js";
import { type SentMail, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep } from "../helpers/totp.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/**
 * Email verification and password reset by code through the compact API: the answer that mails
 * a code hands out the token of its pending flow (`verification_token`, `reset_token`); the code
 * goes back with that token. A wrong code leaves the token valid until the code process's own
 * attempts are used up; an address without an account gets a token that looks the same and never
 * works.
 */

const TOKEN = /^\d+\.[\w-]{43}$/;
const NEW_PASSWORD = "a new long passphrase";
const LOGIN_TIMEOUT = 900 * 1000;
const RESET_TIMEOUT = 180 * 1000;

/** The code of the newest mail to an address (on a line of its own, indented). */
function mailedCode(server: TestServer, email: string): string {
  const mail: SentMail = server.lastMail(email);
  const code = /^ {4}(\S+)\s*$/m.exec(mail.text)?.[1];
  if (!code) throw new Error(`no code in ${mail.text}`);
  return code;
}

/** A code of the same format that is not the mailed one. */
function wrong(code: string): string {
  return code.startsWith("B") ? `C${code.slice(1)}` : `B${code.slice(1)}`;
}

async function markUnverified(server: TestServer, email: string): Promise<void> {
  await server.latchkey.runtime.store.db
    .updateTable("email_address")
    .set({ verified: 0 })
    .where("email_lower", "=", email)
    .execute();
}

function newEmail(): string {
  return `${unique("code")}@example.org`;
}

const VERIFICATION_BY_CODE: LatchkeyOptions = {
  account: {
    loginMethods: ["email"],
    signupFields: ["email*", "password1*"],
    emailVerification: "mandatory",
    emailVerificationByCode: { enabled: true },
  },
};

describe.each(dialects)("compact API: email verification by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, VERIFICATION_BY_CODE);

  it("signup hands out a verification_token; the mailed code with it logs in", async () => {
    const c = new CompactClient(server);
    const email = newEmail();
    const signup = await c.post("/signup", { email, password: PASSWORD });
    expect(signup.status, signup.text).toBe(200);
    expect(signup.body).toEqual({
      flow: "verify_email",
      verification_sent: true,
      verification_token: expect.stringMatching(TOKEN),
    });
    expect(c.access).toBeNull();
    const token: string = signup.body.verification_token;
    const code = mailedCode(server, email);

    // The code alone is not enough: it belongs to the signup the token names.
    expectError(await c.post("/email/verify", { key: code }), 400, "required", "token");
    expectError(await c.post("/email/verify", { token: 5, key: code }), 400, "invalid", "token");
    expectError(await c.post("/email/verify", { token: "1.nope", key: code }), 400, "invalid_token", "token");
    // It is no access token.
    expectError(await c.get("/user", { token }), 401, "invalid_token");

    // A wrong code is refused and counted; the token stays good.
    expectError(await c.post("/email/verify", { token, key: wrong(code) }), 400, "incorrect_code", "key");
    const verified = await c.post("/email/verify", { token, key: code });
    expectTokens(verified);
    expect(verified.body.user.email).toBe(email);
    expect(await isVerified(server, email)).toBe(true);
    expect((await c.get("/user")).body.email).toBe(email);
    // Spent by the success.
    expectError(await c.post("/email/verify", { token, key: code }), 400, "invalid_token", "token");
  });

  it("a taken address gets the same answer, whose token no code completes", async () => {
    const owner = await insertUser(server, { email: newEmail(), verified: true });
    const c = new CompactClient(server);
    const real = await c.post("/signup", { email: newEmail(), password: PASSWORD });
    const decoy = await c.post("/signup", { email: owner.email, password: PASSWORD });
    expect(decoy.status).toBe(200);
    expect(Object.keys(decoy.body).sort()).toEqual(Object.keys(real.body).sort());
    expect(decoy.body).toEqual({ ...real.body, verification_token: expect.stringMatching(TOKEN) });
    expect(server.lastMail(owner.email!).text).not.toMatch(/^ {4}\S+\s*$/m);

    // Both count the attempts alike (account.emailVerificationByCode.maxAttempts: 3); the last
    // wrong one ends the flow, and its token with it.
    for (const token of [real.body.verification_token, decoy.body.verification_token]) {
      const guesses = [];
      for (const key of ["BBBB-BBBB", "not a code", "CCCC-CCCC", "BBBB-CCCC"]) {
        const res = await c.post("/email/verify", { token, key });
        guesses.push([res.status, res.body.errors[0].code]);
      }
      expect(guesses).toEqual([
        [400, "incorrect_code"],
        [400, "incorrect_code"],
        [400, "incorrect_code"],
        [400, "invalid_token"],
      ]);
    }
  });

  it("a malformed code counts as an attempt; the last one ends the flow even with the right code after it", async () => {
    const c = new CompactClient(server);
    const email = newEmail();
    const token: string = (await c.post("/signup", { email, password: PASSWORD })).body.verification_token;
    const code = mailedCode(server, email);
    expectError(await c.post("/email/verify", { token }), 400, "required", "key");
    expectError(await c.post("/email/verify", { token, key: ["x"] }), 400, "invalid", "key");
    expectError(await c.post("/email/verify", { token, key: wrong(code) }), 400, "incorrect_code", "key");
    expectError(await c.post("/email/verify", { token, key: code }), 400, "invalid_token", "token");
    expect(await isVerified(server, email)).toBe(false);
  });

  it("a login of an unverified user hands out a verification_token; the code goes on to MFA", async () => {
    const email = newEmail();
    const user = await insertUser(server, { email, verified: true });
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { email, password: PASSWORD }));
    const { secret } = (await c.post("/mfa/totp/add")).body;
    expect((await c.post("/mfa/totp/confirm", { secret, code: currentCode(server, secret) })).status).toBe(
      200,
    );
    expect((await c.post("/logout")).status).toBe(200);
    nextStep(server);
    await markUnverified(server, email);

    const login = await c.post("/login", { email, password: PASSWORD });
    expect(login.status, login.text).toBe(200);
    expect(login.body).toEqual({ flow: "verify_email", verification_token: expect.stringMatching(TOKEN) });
    const token: string = login.body.verification_token;
    const code = mailedCode(server, email);
    // Another flow's route refuses it, and leaves it good.
    expectError(await c.post("/mfa/authenticate", { token, code: "000000" }), 400, "invalid_token", "token");
    expectError(await c.post("/email/verify", { token, key: wrong(code) }), 400, "incorrect_code", "key");

    const verified = await c.post("/email/verify", { token, key: code });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toEqual({
      flow: "mfa_authenticate",
      types: ["recovery_codes", "totp"],
      mfa_token: expect.stringMatching(TOKEN),
    });
    expect(await isVerified(server, email)).toBe(true);
    expectError(await c.post("/email/verify", { token, key: code }), 400, "invalid_token", "token");
    const done = await c.post("/mfa/authenticate", {
      token: verified.body.mfa_token,
      code: currentCode(server, secret),
    });
    expectTokens(done);
    expect(done.body.user.id).toBe(user.id);
  });

  it("the token ends with the login timeout", async () => {
    const c = new CompactClient(server);
    const email = newEmail();
    const sessions = await countRows(server, "session");
    const token: string = (await c.post("/signup", { email, password: PASSWORD })).body.verification_token;
    expect(await countRows(server, "session")).toBe(sessions + 1);
    server.advance(LOGIN_TIMEOUT + 1000);
    expectError(
      await c.post("/email/verify", { token, key: mailedCode(server, email) }),
      400,
      "invalid_token",
      "token",
    );
  });
});

const RESET_BY_CODE: LatchkeyOptions = {
  account: { loginMethods: ["email"], passwordResetByCode: { enabled: true } },
};

describe.each(dialects)("compact API: password reset by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, RESET_BY_CODE);

  it("hands out a reset_token, for an unknown address too; the code and the token reset the password", async () => {
    const user = await insertUser(server, { email: newEmail() });
    const c = new CompactClient(server);
    const known = await c.post("/password/reset", { email: user.email });
    const unknown = await c.post("/password/reset", { email: newEmail() });
    expect(known.status, known.text).toBe(200);
    expect(known.body).toEqual({ flow: "password_reset_by_code", reset_token: expect.stringMatching(TOKEN) });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ ...known.body, reset_token: expect.stringMatching(TOKEN) });
    expectError(await c.post("/password/reset", { email: "nope" }), 400, "invalid", "email");
    const token: string = known.body.reset_token;
    const code = mailedCode(server, user.email!);

    expectError(
      await c.post("/password/reset/confirm", { key: code, password: NEW_PASSWORD }),
      400,
      "required",
      "token",
    );
    expectError(
      await c.post("/password/reset/confirm", { token, key: wrong(code), password: NEW_PASSWORD }),
      400,
      "incorrect_code",
      "key",
    );
    // The right code with a refused password: the code is not spent, nor the token.
    expectError(
      await c.post("/password/reset/confirm", { token, key: code, password: "short" }),
      400,
      "password_too_short",
      "password",
    );
    expectError(await c.post("/password/reset/confirm", { token, key: code }), 400, "required", "password");
    const done = await c.post("/password/reset/confirm", { token, key: code, password: NEW_PASSWORD });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({});
    expect(c.access).toBeNull();
    // Resetting by a mailed code proves the address.
    expect(await isVerified(server, user.email!)).toBe(true);
    expectError(
      await c.post("/password/reset/confirm", { token, key: code, password: "another long passphrase" }),
      400,
      "invalid_token",
      "token",
    );
    expectError(
      await c.post("/login", { email: user.email, password: PASSWORD }),
      400,
      "email_password_mismatch",
    );
    expectTokens(await c.post("/login", { email: user.email, password: NEW_PASSWORD }));
  });

  it("an unknown address's token fails exactly as a known one's does with wrong codes", async () => {
    const user = await insertUser(server, { email: newEmail() });
    const c = new CompactClient(server);
    const known = (await c.post("/password/reset", { email: user.email })).body.reset_token;
    const unknown = (await c.post("/password/reset", { email: newEmail() })).body.reset_token;
    const answers = [];
    for (const token of [known, unknown]) {
      const guesses = [];
      for (const key of ["BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "BBBB-CCCC"]) {
        const res = await c.post("/password/reset/confirm", { token, key, password: NEW_PASSWORD });
        guesses.push({ status: res.status, body: res.body });
      }
      answers.push(guesses);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.map((a) => a.body.errors[0].code)).toEqual([
      "incorrect_code",
      "incorrect_code",
      "incorrect_code",
      "invalid_token",
    ]);
  });

  it("a reset_token continues only the reset; the code's timeout ends the flow and the token", async () => {
    const user = await insertUser(server, { email: newEmail() });
    const c = new CompactClient(server);
    const token: string = (await c.post("/password/reset", { email: user.email })).body.reset_token;
    const code = mailedCode(server, user.email!);
    expectError(await c.post("/mfa/authenticate", { token, code: "000000" }), 400, "invalid_token", "token");
    expectError(
      await c.post("/password/reset/confirm", { token, key: wrong(code), password: NEW_PASSWORD }),
      400,
      "incorrect_code",
      "key",
    );
    server.advance(RESET_TIMEOUT + 1000);
    // The app tree's answer when no reset is in progress; the token is spent with the flow.
    expectError(
      await c.post("/password/reset/confirm", { token, key: code, password: NEW_PASSWORD }),
      409,
      "conflict",
    );
    expectError(
      await c.post("/password/reset/confirm", { token, key: code, password: NEW_PASSWORD }),
      400,
      "invalid_token",
      "token",
    );
  });

  it("logs in at the reset with loginOnPasswordReset", async () => {
    const options = { account: { ...RESET_BY_CODE.account, loginOnPasswordReset: true } };
    const own = await startLatchkey(dialect, options);
    const user = await insertUser(own, { email: newEmail() });
    const c = new CompactClient(own);
    const token: string = (await c.post("/password/reset", { email: user.email })).body.reset_token;
    const done = await c.post("/password/reset/confirm", {
      token,
      key: mailedCode(own, user.email!),
      password: NEW_PASSWORD,
    });
    expectTokens(done);
    expect(done.body.user.id).toBe(user.id);
    expect((await c.get("/user")).body.id).toBe(user.id);
  });
});
