import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { insertUser } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  addressRows,
  freshClient,
  freshEmail,
  linkKey,
  PASSWORD,
  pendingFlow,
  userIdOf,
} from "./email-helpers.js";

/** Verification by link (allauth test_email_verification.py, test_signup.py; §7 items 9–10, 19–21). */

const ANONYMOUS = [{ id: "login" }, { id: "signup" }];
const PENDING = [...ANONYMOUS, { id: "verify_email", is_pending: true }];
const BAD_KEY = {
  status: 400,
  errors: [{ message: "Invalid or expired key.", code: "invalid_or_expired_key", param: "key" }],
};
const REQUIRED_KEY = {
  status: 400,
  errors: [{ message: "This field is required.", code: "required", param: "key" }],
};

function mandatory(extra: LatchkeyOptions["account"] = {}): LatchkeyOptions {
  return {
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "mandatory",
      ...extra,
    },
  };
}

describe.each(dialects)("verification by link, mandatory (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    ...mandatory(),
    rateLimits: { actions: { confirm_email: "1/m/key" } },
  });

  describe.each(clients)("%s client", (kind) => {
    it("signup: 401 verify_email; GET shows the key's address; POST verifies and answers 401 (§7 10, 20)", async () => {
      const c = await freshClient(server, kind);
      const email = freshEmail("signup");
      const signup = await c.post("/auth/signup", { email, password: PASSWORD });
      expectStatus(signup, 401);
      expect(signup.body.data.flows).toEqual(PENDING);
      expect(signup.body.meta.is_authenticated).toBe(false);
      if (kind === Client.APP) expect(signup.body.meta.session_token).toEqual(expect.any(String));

      const mails = server.mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toContain("Please Confirm Your Email Address");
      expect(mails[0]!.text).toContain("to register an account");
      const key = linkKey(server, email);

      expect(pendingFlow(await c.get("/auth/session"))).toEqual({ id: "verify_email", is_pending: true });
      const info = await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": key } });
      expectStatus(info, 200);
      const userId = await userIdOf(server, email);
      expect(info.body).toEqual({
        status: 200,
        data: {
          email,
          user: {
            id: userId,
            display: expect.any(String),
            email,
            has_usable_password: true,
            username: expect.any(String),
          },
        },
        meta: { is_authenticating: true },
      });

      const verified = await c.post("/auth/email/verify", { key });
      expectStatus(verified, 401);
      // Without account.loginOnEmailConfirmation the staged login is dropped.
      expect(verified.body.data.flows).toEqual(ANONYMOUS);
      expect(await addressRows(server, userId!)).toEqual([{ email, verified: 1, is_primary: 1 }]);
      expect(pendingFlow(await c.get("/auth/session"))).toBeUndefined();

      // Single use: the key is spent.
      expect((await c.post("/auth/email/verify", { key })).body).toEqual(BAD_KEY);
      // Now the login goes through.
      expectStatus(await c.post("/auth/login", { email, password: PASSWORD }), 200);
    });

    it("a login with an unverified address stops at verify_email and mails a key, once per cooldown", async () => {
      const user = await insertUser(server, { email: freshEmail("login") });
      const c = await freshClient(server, kind);
      const first = await c.post("/auth/login", { email: user.email, password: PASSWORD });
      expectStatus(first, 401);
      expect(first.body.data.flows).toEqual(PENDING);
      expect(server.mailsTo(user.email!)).toHaveLength(1);
      // The confirm_email cooldown skips the mail silently: the first key still works.
      const again = await c.post("/auth/login", { email: user.email, password: PASSWORD });
      expectStatus(again, 401);
      expect(pendingFlow(again)).toEqual({ id: "verify_email", is_pending: true });
      expect(server.mailsTo(user.email!)).toHaveLength(1);
      const verified = await c.post("/auth/email/verify", { key: linkKey(server, user.email!) });
      expectStatus(verified, 401);
    });

    it("bad, missing and malformed keys are 400 on GET and POST (§7 21)", async () => {
      const c = await freshClient(server, kind);
      expect(
        (await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": "bad" } })).body,
      ).toEqual(BAD_KEY);
      expect((await c.post("/auth/email/verify", { key: "bad" })).body).toEqual(BAD_KEY);
      expect((await c.get("/auth/email/verify")).body).toEqual(REQUIRED_KEY);
      // A ?key= query parameter is ignored (§1.2).
      expect((await c.get("/auth/email/verify?key=bad")).body).toEqual(REQUIRED_KEY);
      expect((await c.post("/auth/email/verify", {})).body).toEqual(REQUIRED_KEY);
      expect((await c.post("/auth/email/verify", { key: null })).body).toEqual(REQUIRED_KEY);
      expect((await c.post("/auth/email/verify", { key: "   " })).body).toEqual(REQUIRED_KEY);
      const wrongType = await c.post("/auth/email/verify", { key: 12 });
      expectStatus(wrongType, 400);
      expect(wrongType.body.errors).toEqual([
        { message: "Enter a valid value.", code: "invalid", param: "key" },
      ]);
      expectStatus(await c.post("/auth/email/verify", undefined, { raw: "{nope" }), 400);
      expectStatus(await c.post("/auth/email/verify", [1, 2]), 400);
    });

    it("a logged-in user verifies another user's key and stays themselves (§7 19)", async () => {
      const other = await insertUser(server, { email: freshEmail("other") });
      const mailer = await freshClient(server, kind);
      expectStatus(await mailer.post("/auth/login", { email: other.email, password: PASSWORD }), 401);
      const key = linkKey(server, other.email!);

      const me = await insertUser(server, { email: freshEmail("me"), verified: true });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: me.email, password: PASSWORD }), 200);
      const info = await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": key } });
      expectStatus(info, 200);
      expect(info.body.data.user.id).toBe(other.id);
      expect(info.body.meta).toEqual({ is_authenticating: false });
      const res = await c.post("/auth/email/verify", { key });
      expectStatus(res, 200);
      expect(res.body.data.user.id).toBe(me.id);
      expect(res.body.meta.is_authenticated).toBe(true);
      expect(await addressRows(server, other.id)).toEqual([
        { email: other.email, verified: 1, is_primary: 1 },
      ]);
    });

    it("a key from any session verifies; keys expire after emailConfirmationExpireDays", async () => {
      const user = await insertUser(server, { email: freshEmail("exp") });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 401);
      const key = linkKey(server, user.email!);
      server.advance(3 * 86_400_000 + 1000);
      try {
        const stranger = await freshClient(server, kind);
        expect((await stranger.post("/auth/email/verify", { key })).body).toEqual(BAD_KEY);
      } finally {
        server.advance(-(3 * 86_400_000 + 1000));
      }
      // Before expiry a fresh session verifies it and stays anonymous (401, nothing pending).
      const stranger = await freshClient(server, kind);
      const res = await stranger.post("/auth/email/verify", { key });
      expectStatus(res, 401);
      expect(res.body.data.flows).toEqual(ANONYMOUS);
      // The pending login of the first session is untouched by a verification elsewhere.
      expect(pendingFlow(await c.get("/auth/session"))).toEqual({ id: "verify_email", is_pending: true });
    });

    it("an address another account verified meanwhile is email_taken (param key)", async () => {
      const email = freshEmail("race");
      const user = await insertUser(server, { email });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email, password: PASSWORD }), 401);
      const key = linkKey(server, email);
      const rival = await insertUser(server, { email: freshEmail("rival"), verified: true });
      await server.latchkey.runtime.store.db
        .insertInto("email_address")
        .values({ user_id: rival.id, email, email_lower: email, verified: 1, is_primary: 0 })
        .execute();
      const taken = {
        status: 400,
        errors: [
          {
            message: "A user is already registered with this email address.",
            code: "email_taken",
            param: "key",
          },
        ],
      };
      expect(
        (await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": key } })).body,
      ).toEqual(taken);
      expect((await c.post("/auth/email/verify", { key })).body).toEqual(taken);
      expect(await addressRows(server, user.id)).toEqual([{ email, verified: 0, is_primary: 1 }]);
    });

    it("resend is for verification by code only: 409", async () => {
      const c = await freshClient(server, kind);
      expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 409 });
    });
  });
});

describe.each(dialects)("verification by link with loginOnEmailConfirmation (%s)", (dialect) => {
  const server = useLatchkey(dialect, mandatory({ loginOnEmailConfirmation: true }));

  describe.each(clients)("%s client", (kind) => {
    it("signup then verify logs in (200, no methods) (§7 10)", async () => {
      const c = await freshClient(server, kind);
      const email = freshEmail("s");
      expectStatus(await c.post("/auth/signup", { email, password: PASSWORD }), 401);
      const res = await c.post("/auth/email/verify", { key: linkKey(server, email) });
      expectStatus(res, 200);
      expect(res.body.data.user.email).toBe(email);
      expect(res.body.data.methods).toEqual([]);
      expect(res.body.meta.is_authenticated).toBe(true);
      if (kind === Client.APP) expect(res.body.meta.session_token).toBe(c.token);
      expectStatus(await c.get("/auth/session"), 200);
    });

    it("a login resumes after verification with its password record (§7 20)", async () => {
      const user = await insertUser(server, { email: freshEmail("l") });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 401);
      const res = await c.post("/auth/email/verify", { key: linkKey(server, user.email!) });
      expectStatus(res, 200);
      expect(res.body.data.methods).toEqual([
        { method: "password", at: expect.any(Number), email: user.email },
      ]);
    });

    it("verifying someone else's key drops the pending login instead of completing it", async () => {
      const other = await insertUser(server, { email: freshEmail("o") });
      const helper = await freshClient(server, kind);
      expectStatus(await helper.post("/auth/login", { email: other.email, password: PASSWORD }), 401);
      const otherKey = linkKey(server, other.email!);

      const user = await insertUser(server, { email: freshEmail("u") });
      const c = await freshClient(server, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 401);
      const res = await c.post("/auth/email/verify", { key: otherKey });
      expectStatus(res, 401);
      expect(res.body.data.flows).toEqual(ANONYMOUS);
      expect(await addressRows(server, other.id)).toEqual([
        { email: other.email, verified: 1, is_primary: 1 },
      ]);
    });
  });
});

describe.each(dialects)("verification optional and none (%s)", (dialect) => {
  const optional = useLatchkey(dialect, {
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "optional",
    },
  });
  const none = useLatchkey(dialect, {
    account: { loginMethods: ["email"], signupFields: ["email*", "password1*"], emailVerification: "none" },
  });

  describe.each(clients)("%s client", (kind) => {
    it("optional: signup logs in and mails a key; later logins do not stop or mail (§7 9)", async () => {
      const c = await freshClient(optional, kind);
      const email = freshEmail("opt");
      const res = await c.post("/auth/signup", { email, password: PASSWORD });
      expectStatus(res, 200);
      expect(res.body.data.user.email).toBe(email);
      const mails = optional.mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain("to register an account");

      const again = await freshClient(optional, kind);
      expectStatus(await again.post("/auth/login", { email, password: PASSWORD }), 200);
      expect(optional.mailsTo(email)).toHaveLength(1);

      // The key verifies the address for the logged-in user.
      const verified = await again.post("/auth/email/verify", { key: linkKey(optional, email) });
      expectStatus(verified, 200);
      expect(await addressRows(optional, res.body.data.user.id)).toEqual([
        { email, verified: 1, is_primary: 1 },
      ]);
    });

    it("none: signup logs in and mails nothing", async () => {
      const c = await freshClient(none, kind);
      const email = freshEmail("none");
      expectStatus(await c.post("/auth/signup", { email, password: PASSWORD }), 200);
      expect(none.mailsTo(email)).toHaveLength(0);
    });
  });
});
