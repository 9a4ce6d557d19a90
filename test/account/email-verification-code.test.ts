import { describe, expect, it } from "vitest";
import type { Client } from "../../src/core/enums.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { insertUser } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  addressRows,
  freshClient,
  freshEmail,
  mailedCode,
  markLoggedInBefore,
  PASSWORD,
  pendingFlow,
  userIdOf,
} from "./email-helpers.js";

/**
 * Verification by code (allauth test_email_verification_by_code.py, test_change_email.py;
 * §7 items 22–28, 37, 38).
 */

const ANONYMOUS = [{ id: "login" }, { id: "signup" }];
const VERIFY_PENDING = { id: "verify_email", is_pending: true };
const INCORRECT = {
  status: 400,
  errors: [{ message: "Incorrect code.", code: "incorrect_code", param: "key" }],
};

function byCode(extra: LatchkeyOptions["account"] = {}, rest: LatchkeyOptions = {}): LatchkeyOptions {
  return {
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "mandatory",
      emailVerificationByCode: { enabled: true },
      emailVerificationSupportsResend: 2,
      emailVerificationSupportsChange: 2,
      ...extra,
    },
    ...rest,
  };
}

async function signUp(
  server: TestServer,
  kind: Client,
  prefix = "s",
): Promise<{ c: TestClient; email: string }> {
  const c = await freshClient(server, kind);
  const email = freshEmail(prefix);
  const res = await c.post("/auth/signup", { email, password: PASSWORD });
  expectStatus(res, 401);
  expect(pendingFlow(res)).toEqual(VERIFY_PENDING);
  return { c, email };
}

describe.each(dialects)("verification by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, byCode());

  describe.each(clients)("%s client", (kind) => {
    it("signup: the code mail, GET info, POST logs in whatever loginOnEmailConfirmation says (§7 25)", async () => {
      const { c, email } = await signUp(server, kind);
      const mails = server.mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain("to register an account");
      const code = mailedCode(server, email);
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);

      const info = await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": code } });
      expectStatus(info, 200);
      expect(info.body.data.email).toBe(email);
      expect(info.body.meta).toEqual({ is_authenticating: true });
      // Codes compare case-insensitively, ignoring punctuation and whitespace.
      const res = await c.post("/auth/email/verify", { key: ` ${code.replace("-", "").toLowerCase()} ` });
      expectStatus(res, 200);
      expect(res.body.meta.is_authenticated).toBe(true);
      expect(res.body.data.methods).toEqual([]);
      const userId = await userIdOf(server, email);
      expect(await addressRows(server, userId!)).toEqual([{ email, verified: 1, is_primary: 1 }]);
      // The process is over.
      expect((await c.post("/auth/email/verify", { key: code })).body).toEqual({ status: 409 });
    });

    it.each(["GET", "POST"] as const)(
      "wrong codes by %s: 400 until maxAttempts, then 409 (§7 23)",
      async (method) => {
        const { c } = await signUp(server, kind);
        const send = (key: string) =>
          method === "GET"
            ? c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": key } })
            : c.post("/auth/email/verify", { key });
        for (let i = 0; i < 3; i++) expect((await send("123")).body).toEqual(INCORRECT);
        expect((await send("123")).body).toEqual({ status: 409 });
        // The process was aborted, and the staged login with it.
        expect((await c.get("/auth/session")).body.data.flows).toEqual(ANONYMOUS);
      },
    );

    it("bad input counts as an attempt; a missing GET header is required", async () => {
      const { c, email } = await signUp(server, kind);
      const required = {
        status: 400,
        errors: [{ message: "This field is required.", code: "required", param: "key" }],
      };
      expect((await c.post("/auth/email/verify", {})).body).toEqual(required);
      expect((await c.get("/auth/email/verify")).body).toEqual(required);
      expectStatus(await c.post("/auth/email/verify", { key: 5 }), 400);
      expect((await c.post("/auth/email/verify", { key: mailedCode(server, email) })).body).toEqual({
        status: 409,
      });
    });

    it("an expired process is 409 and ends the login", async () => {
      const { c, email } = await signUp(server, kind);
      const code = mailedCode(server, email);
      server.advance(900_001);
      try {
        expect((await c.post("/auth/email/verify", { key: code })).body).toEqual({ status: 409 });
        expect((await c.get("/auth/session")).body.data.flows).toEqual(ANONYMOUS);
      } finally {
        server.advance(-900_001);
      }
    });

    it("nothing pending: verify and resend are 409", async () => {
      const c = await freshClient(server, kind);
      expect((await c.post("/auth/email/verify", { key: "ABCD-EFGH" })).body).toEqual({ status: 409 });
      expect(
        (await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": "x" } })).body,
      ).toEqual({
        status: 409,
      });
      // 409 comes before input validation.
      expect((await c.post("/auth/email/verify", {})).body).toEqual({ status: 409 });
      expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 409 });
    });

    it("resend: a new code each time (the old one dies), up to the resend count (§7 26)", async () => {
      const { c, email } = await signUp(server, kind);
      const first = mailedCode(server, email);
      expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 200 });
      const second = mailedCode(server, email);
      expect(second).not.toBe(first);
      expect((await c.post("/auth/email/verify/resend", {})).body).toEqual({ status: 200 });
      const third = mailedCode(server, email);
      expect(third).not.toBe(second);
      expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 409 });
      expect(server.mailsTo(email)).toHaveLength(3);
      expect((await c.post("/auth/email/verify", { key: first })).body).toEqual(INCORRECT);
      expectStatus(await c.post("/auth/email/verify", { key: third }), 200);
    });

    it("a returning user's login mails the non-signup code; the login completes with its record", async () => {
      const user = await insertUser(server, { email: freshEmail("back") });
      await markLoggedInBefore(server, user.id);
      const c = await freshClient(server, kind);
      const res = await c.post("/auth/login", { email: user.email, password: PASSWORD });
      expectStatus(res, 401);
      expect(pendingFlow(res)).toEqual(VERIFY_PENDING);
      const mail = server.lastMail(user.email!);
      expect(mail.text).toContain("to connect it to their account");
      const done = await c.post("/auth/email/verify", { key: mailedCode(server, user.email!) });
      expectStatus(done, 200);
      expect(done.body.data.methods).toEqual([
        { method: "password", at: expect.any(Number), email: user.email },
      ]);
    });

    it("change of address at signup: 200 list of one, new code; old process code dies (§7 38)", async () => {
      const { c, email } = await signUp(server, kind);
      const userId = await userIdOf(server, email);
      const oldCode = mailedCode(server, email);
      const same = await c.post("/account/email", { email: email.toUpperCase() });
      expect(same.body).toEqual({
        status: 400,
        errors: [
          {
            message: "The new value must be different from the current one.",
            code: "same_as_current",
            param: "email",
          },
        ],
      });
      expectStatus(await c.post("/account/email", { email: "not-an-email" }), 400);

      const next = freshEmail("changed");
      const changed = await c.post("/account/email", { email: next });
      expectStatus(changed, 200);
      expect(changed.body.data).toEqual([{ email: next, verified: false, primary: true }]);
      expect(await addressRows(server, userId!)).toEqual([{ email: next, verified: 0, is_primary: 1 }]);
      expect(pendingFlow(await c.get("/auth/session"))).toEqual(VERIFY_PENDING);
      expect((await c.post("/auth/email/verify", { key: oldCode })).body).toEqual(INCORRECT);

      const info = await c.get("/auth/email/verify", {
        headers: { "X-Email-Verification-Key": mailedCode(server, next) },
      });
      expect(info.body.data.email).toBe(next);
      const done = await c.post("/auth/email/verify", { key: mailedCode(server, next) });
      expectStatus(done, 200);
      expect(done.body.data.user.email).toBe(next);
      expect(await addressRows(server, userId!)).toEqual([{ email: next, verified: 1, is_primary: 1 }]);
    });

    it("changes are limited by emailVerificationSupportsChange; anonymous without a process is 409", async () => {
      const { c } = await signUp(server, kind);
      expectStatus(await c.post("/account/email", { email: freshEmail("c1") }), 200);
      expectStatus(await c.post("/account/email", { email: freshEmail("c2") }), 200);
      expect((await c.post("/account/email", { email: freshEmail("c3") })).body).toEqual({ status: 409 });

      const anon = await freshClient(server, kind);
      expect((await anon.post("/account/email", { email: freshEmail() })).body).toEqual({ status: 409 });
      expect((await anon.post("/account/email", {})).body).toEqual({ status: 409 });
      expectStatus(await anon.get("/account/email"), 401);
      expectStatus(await anon.put("/account/email", { email: freshEmail() }), 401);
    });

    it("changing to another account's address answers the same and mails that address, but cannot verify", async () => {
      const owner = await insertUser(server, { email: freshEmail("owner"), verified: true });
      const { c, email } = await signUp(server, kind);
      const userId = await userIdOf(server, email);
      const res = await c.post("/account/email", { email: owner.email });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([{ email: owner.email, verified: false, primary: true }]);
      const mail = server.lastMail(owner.email!);
      expect(mail.text).toContain("an account using that email address already exists");
      // Nothing stored changed for the signup.
      expect(await addressRows(server, userId!)).toEqual([{ email, verified: 0, is_primary: 1 }]);
      expect((await c.post("/auth/email/verify", { key: "ABCD-EFGH" })).body).toEqual(INCORRECT);
      // Changing again to a free address works.
      const free = freshEmail("free");
      expectStatus(await c.post("/account/email", { email: free }), 200);
      expectStatus(await c.post("/auth/email/verify", { key: mailedCode(server, free) }), 200);
    });

    it("a logged-in user adds an address: listed but not stored until its code verifies it (§7 24, 27, 28)", async () => {
      const user = await insertUser(server, { email: freshEmail("me"), verified: true });
      await markLoggedInBefore(server, user.id);
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 200);

      const added = freshEmail("added");
      const res = await c.post("/account/email", { email: added });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([
        { email: user.email, verified: true, primary: true },
        { email: added, verified: false, primary: false },
      ]);
      expect((await c.get("/account/email")).body.data).toEqual(res.body.data);
      expect(await addressRows(server, user.id)).toHaveLength(1);
      expect(server.lastMail(added).text).toContain("to connect it to their account");

      // PUT sends a new code, which verifies it; the old one is dead.
      const firstCode = mailedCode(server, added);
      expect((await c.put("/account/email", { email: added })).body).toEqual({ status: 200 });
      const secondCode = mailedCode(server, added);
      expect(secondCode).not.toBe(firstCode);
      expect((await c.post("/auth/email/verify", { key: firstCode })).body).toEqual(INCORRECT);
      const info = await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": secondCode } });
      expect(info.body.meta).toEqual({ is_authenticating: false });
      const done = await c.post("/auth/email/verify", { key: secondCode });
      expectStatus(done, 200);
      expect(done.body.data.user.id).toBe(user.id);
      expect(done.body.data.user.email).toBe(user.email);
      expect(await addressRows(server, user.id)).toEqual([
        { email: user.email, verified: 1, is_primary: 1 },
        { email: added, verified: 1, is_primary: 0 },
      ]);
      expect((await c.post("/auth/email/verify", { key: secondCode })).body).toEqual({ status: 409 });

      // DELETE of an address still waiting for its code ends that verification.
      const pending = freshEmail("pending");
      expectStatus(await c.post("/account/email", { email: pending }), 200);
      const removed = await c.delete("/account/email", { email: pending });
      expectStatus(removed, 200);
      expect(removed.body.data.map((a: { email: string }) => a.email)).toEqual([user.email, added]);
      expect((await c.post("/auth/email/verify", { key: mailedCode(server, pending) })).body).toEqual({
        status: 409,
      });
      // With nothing pending, PUT names no known address.
      expect((await c.put("/account/email", { email: pending })).body.errors).toEqual([
        { message: "Unknown email address.", code: "unknown_email", param: "email" },
      ]);
    });
  });
});

describe.each(dialects)("verification by code with changeEmail (%s)", (dialect) => {
  const server = useLatchkey(dialect, byCode({ changeEmail: true }));

  describe.each(clients)("%s client", (kind) => {
    async function loggedIn() {
      const user = await insertUser(server, { email: freshEmail("cur"), verified: true });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 200);
      return { user, c };
    }

    it("verifying the new address replaces the old one (§7 24, 37)", async () => {
      const { user, c } = await loggedIn();
      const next = freshEmail("new");
      const res = await c.post("/account/email", { email: next });
      expectStatus(res, 200);
      expect(res.body.data).toHaveLength(2);
      expect((await c.post("/auth/email/verify", { key: "key" })).body).toEqual(INCORRECT);
      const done = await c.post("/auth/email/verify", { key: mailedCode(server, next) });
      expectStatus(done, 200);
      expect(done.body.data.user.email).toBe(next);
      expect(await addressRows(server, user.id)).toEqual([{ email: next, verified: 1, is_primary: 1 }]);
      expect((await c.get("/account/email")).body.data).toEqual([
        { email: next, verified: true, primary: true },
      ]);
    });

    it("changing to an address another account verified: POST 200, verify 400 email_taken (§7 36)", async () => {
      const other = await insertUser(server, { email: freshEmail("taken"), verified: true });
      const { user, c } = await loggedIn();
      const res = await c.post("/account/email", { email: other.email });
      expectStatus(res, 200);
      expect(res.body.data).toHaveLength(2);
      const verify = await c.post("/auth/email/verify", { key: mailedCode(server, other.email!) });
      expect(verify.body).toEqual({
        status: 400,
        errors: [
          {
            message: "A user is already registered with this email address.",
            code: "email_taken",
            param: "key",
          },
        ],
      });
      expect(await addressRows(server, user.id)).toEqual([{ email: user.email, verified: 1, is_primary: 1 }]);
    });
  });
});

describe.each(dialects)("verification by code under the confirm_email limit (%s)", (dialect) => {
  const server = useLatchkey(dialect, byCode({}, { rateLimits: { actions: { confirm_email: "1/m/key" } } }));

  describe.each(clients)("%s client", (kind) => {
    it("resend at signup over the limit is 429 and keeps the code (§7 26)", async () => {
      const { c, email } = await signUp(server, kind);
      const code = mailedCode(server, email);
      expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 429 });
      expect(server.mailsTo(email)).toHaveLength(1);
      expectStatus(await c.post("/auth/email/verify", { key: code }), 200);
    });

    it("PUT over the limit is 403; adding over the limit is 429", async () => {
      const user = await insertUser(server, { email: freshEmail("lim"), verified: true });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 200);
      const added = freshEmail("lim-add");
      expectStatus(await c.post("/account/email", { email: added }), 200);
      expect((await c.put("/account/email", { email: added })).body).toEqual({ status: 403 });
      expect((await c.post("/account/email", { email: added })).body).toEqual({ status: 429 });
      expect(server.mailsTo(added)).toHaveLength(1);
    });

    it("a repeated login over the limit is 400 too_many_login_attempts (§7 22)", async () => {
      const user = await insertUser(server, { email: freshEmail("rl") });
      for (const attempt of [0, 1]) {
        const c = await freshClient(server, kind);
        const res = await c.post("/auth/login", { email: user.email, password: PASSWORD });
        if (attempt === 0) {
          expectStatus(res, 401);
          expect(pendingFlow(res)).toEqual(VERIFY_PENDING);
        } else {
          expect(res.body).toEqual({
            status: 400,
            errors: [
              {
                message: "Too many failed login attempts. Try again later.",
                code: "too_many_login_attempts",
              },
            ],
          });
          expect(pendingFlow(await c.get("/auth/session"))).toBeUndefined();
        }
      }
    });

    it("a signup over the limit ends with 401 and nothing pending, whether real or the decoy", async () => {
      // Someone else's pending addition of the address spends its confirm_email allowance.
      const adder = await insertUser(server, { email: freshEmail("adder"), verified: true });
      const a = await freshClient(server, kind);
      expectStatus(await a.post("/auth/login", { email: adder.email, password: PASSWORD }), 200);
      const email = freshEmail("busy");
      expectStatus(await a.post("/account/email", { email }), 200);

      const c = await freshClient(server, kind);
      const real = await c.post("/auth/signup", { email, password: PASSWORD });
      expectStatus(real, 401);
      expect(real.body.data.flows).toEqual(ANONYMOUS);
      // The account exists now; a second signup with the address is the decoy, also limited.
      const d = await freshClient(server, kind);
      const decoy = await d.post("/auth/signup", { email, password: PASSWORD });
      expectStatus(decoy, 401);
      expect(decoy.body.data.flows).toEqual(ANONYMOUS);
      expect(server.mailsTo(email)).toHaveLength(1);
    });
  });
});
