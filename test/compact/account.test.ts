import { describe, expect, it } from "vitest";
import type { MailMessage as SentMail } from "../../src/mail/index.js";
import { countRows, insertUser, isVerified, PASSWORD, unique } from "../helpers/accounts.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/** Signup, email verification, password reset and change through the compact API. */

function verificationKey(mail: SentMail): string {
  const key = /verify-email\/([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!key) throw new Error(`no verification link in ${mail.text}`);
  return key;
}

function resetKey(mail: SentMail): string {
  const key = /password\/reset\/key\/(\S+)/.exec(mail.text)?.[1];
  if (!key) throw new Error(`no reset link in ${mail.text}`);
  return decodeURIComponent(key);
}

function newPerson() {
  const username = unique("compact");
  return { username, email: `${username}@example.org`, password: PASSWORD };
}

describe.each(dialects)("compact API: account (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  it("signs up and logs in, mailing a verification; the mailed key verifies", async () => {
    const c = new CompactClient(server);
    const person = newPerson();
    const res = await c.post("/signup", person);
    expectTokens(res);
    expect(res.body.verification_sent).toBe(true);
    expect(res.body.user).toMatchObject({ username: person.username, email: person.email });
    expect((await c.get("/user")).body.username).toBe(person.username);
    const key = verificationKey(server.lastMail(person.email));
    expect(await isVerified(server, person.email)).toBe(false);

    const verifier = new CompactClient(server, false);
    expectError(await verifier.post("/email/verify", { key: "nope" }), 400, "invalid_or_expired_key", "key");
    expectError(await verifier.post("/email/verify", {}), 400, "required", "key");
    const verified = await verifier.post("/email/verify", { key });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toEqual({});
    expect(await isVerified(server, person.email)).toBe(true);
    expectError(await verifier.post("/email/verify", { key }), 400, "invalid_or_expired_key", "key");

    const { email: _, ...withoutEmail } = newPerson();
    const plain = await c.post("/signup", withoutEmail);
    expectTokens(plain);
    expect(plain.body.verification_sent).toBe(false);
  });

  it("refuses a bad signup as allauth does, writing nothing", async () => {
    const c = new CompactClient(server);
    const taken = await insertUser(server);
    const users = await countRows(server, "user");
    const sessions = await countRows(server, "session");
    expectError(
      await c.post("/signup", { ...newPerson(), username: taken.username }),
      400,
      "username_taken",
      "username",
    );
    expectError(
      await c.post("/signup", { ...newPerson(), password: "short" }),
      400,
      "password_too_short",
      "password",
    );
    expectError(
      await c.post("/signup", { ...newPerson(), email: "not-an-address" }),
      400,
      "invalid",
      "email",
    );
    expectError(await c.post("/signup", { email: "x@example.org" }), 400, "required");
    expect(await countRows(server, "user")).toBe(users);
    expect(await countRows(server, "session")).toBe(sessions);
  });

  it("resets a password: the same answer for unknown addresses, the key sets a new password", async () => {
    const user = await insertUser(server, { verified: true });
    const c = new CompactClient(server);
    const known = await c.post("/password/reset", { email: user.email });
    const unknown = await c.post("/password/reset", { email: "nobody-at-all@example.org" });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(known.body).toEqual({});
    expect(unknown.body).toEqual(known.body);
    expectError(await c.post("/password/reset", { email: "nope" }), 400, "invalid", "email");
    const key = resetKey(server.lastMail(user.email!));

    expectError(
      await c.post("/password/reset/confirm", { key: "nope", password: "a new long passphrase" }),
      400,
      "invalid_password_reset",
      "key",
    );
    expectError(
      await c.post("/password/reset/confirm", { key, password: "short" }),
      400,
      "password_too_short",
      "password",
    );
    const done = await c.post("/password/reset/confirm", { key, password: "a new long passphrase" });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({});
    expectError(
      await c.post("/password/reset/confirm", { key, password: "another long passphrase" }),
      400,
      "invalid_password_reset",
      "key",
    );
    expectError(
      await c.post("/login", { username: user.username, password: PASSWORD }),
      400,
      "username_password_mismatch",
    );
    expectTokens(await c.post("/login", { username: user.username, password: "a new long passphrase" }));
  });

  it("changes the password: other sessions end, this one stays", async () => {
    const user = await insertUser(server);
    const c = new CompactClient(server);
    expectTokens(await c.post("/login", { username: user.username, password: PASSWORD }));
    const other = new CompactClient(server);
    expectTokens(await other.post("/login", { username: user.username, password: PASSWORD }));

    expectError(
      await c.post("/password/change", { current_password: "wrong", new_password: "a new long passphrase" }),
      400,
      "enter_current_password",
      "current_password",
    );
    expectError(
      await c.post("/password/change", { current_password: PASSWORD, new_password: "short" }),
      400,
      "password_too_short",
      "new_password",
    );
    expect((await other.get("/user")).status).toBe(200);
    const changed = await c.post("/password/change", {
      current_password: PASSWORD,
      new_password: "a new long passphrase",
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toEqual({});
    expect((await c.get("/user")).status).toBe(200);
    expect((await c.post("/token/refresh", { refresh_token: c.refresh })).status).toBe(200);
    expectError(await other.get("/user"), 401, "invalid_token");
    expectError(await other.post("/token/refresh", { refresh_token: other.refresh }), 400, "invalid_token");
  });
});

describe.each(dialects)("compact API: account, other options (%s)", (dialect) => {
  it("with mandatory verification: signup and login stop at verify_email; after verifying, login works", async () => {
    const server = await startLatchkey(dialect, {
      account: { emailVerification: "mandatory", signupFields: ["email*", "username*", "password1*"] },
    });
    const c = new CompactClient(server);
    const person = newPerson();
    const sessions = await countRows(server, "session");
    const res = await c.post("/signup", person);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ flow: "verify_email", verification_sent: true });
    // A taken address answers alike (the owner is mailed instead).
    const again = await c.post("/signup", { ...newPerson(), email: person.email });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await countRows(server, "session")).toBe(sessions);

    const login = await c.post("/login", { username: person.username, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ flow: "verify_email" });
    expect(c.access).toBeNull();
    expect(
      (await c.post("/email/verify", { key: verificationKey(server.lastMail(person.email)) })).status,
    ).toBe(200);
    expectTokens(await c.post("/login", { username: person.username, password: PASSWORD }));
  });

  it("without verification, says none was sent; a closed signup is 403", async () => {
    const server = await startLatchkey(dialect, { account: { emailVerification: "none" } });
    const c = new CompactClient(server);
    const person = newPerson();
    const res = await c.post("/signup", person);
    expectTokens(res);
    expect(res.body.verification_sent).toBe(false);
    expect(server.mailsTo(person.email)).toEqual([]);

    const closed = await startLatchkey(dialect, { account: { isOpenForSignup: false } });
    expectError(await new CompactClient(closed).post("/signup", newPerson()), 403, "forbidden");
  });

  it("logs in at the password reset with loginOnPasswordReset; logs out at a change with logoutOnPasswordChange", async () => {
    const server = await startLatchkey(dialect, {
      account: { loginOnPasswordReset: true, logoutOnPasswordChange: true },
    });
    const user = await insertUser(server, { verified: true });
    const c = new CompactClient(server);
    expect((await c.post("/password/reset", { email: user.email })).status).toBe(200);
    const key = resetKey(server.lastMail(user.email!));
    const reset = await c.post("/password/reset/confirm", { key, password: "a new long passphrase" });
    expectTokens(reset);
    expect(reset.body.user.id).toBe(user.id);

    const changed = await c.post("/password/change", {
      current_password: "a new long passphrase",
      new_password: "yet another long passphrase",
    });
    expect(changed.status, changed.text).toBe(200);
    expectError(await c.get("/user"), 401, "invalid_token");
  });
});
