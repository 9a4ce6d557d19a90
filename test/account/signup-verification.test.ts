import { beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { countRows, insertUser } from "../helpers/accounts.js";
import { clients, expectStatus, type TestResponse } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { freshClient, freshEmail, PASSWORD, pendingFlow } from "./email-helpers.js";

/**
 * Signup with a taken address under enumeration prevention (issue 3 item 8; allauth
 * test_signup_prevent_enumeration; §4.4 "Signup", §7 item 11).
 */

const VERIFY_PENDING = { id: "verify_email", is_pending: true };

function options(byCode: boolean, account: LatchkeyOptions["account"] = {}): LatchkeyOptions {
  return {
    account: {
      loginMethods: ["email"],
      signupFields: ["email*", "password1*"],
      emailVerification: "mandatory",
      emailVerificationByCode: { enabled: byCode },
      emailVerificationSupportsResend: true,
      emailVerificationSupportsChange: true,
      ...account,
    },
    frontendUrls: { accountResetPassword: "https://app.example/reset" },
  };
}

/**
 * What a response shows a client, with the session token's (random) value blanked, and the
 * cookies' values and lifetimes (which follow the clock: two answers can straddle a second).
 */
function visible(res: TestResponse) {
  const body = structuredClone(res.body);
  if (body.meta?.session_token !== undefined) body.meta.session_token = "<token>";
  const cookies = res.headers
    .getSetCookie()
    .map((c) =>
      c
        .replace(/=[^;]*/, "=<value>")
        .replace(/; Max-Age=\d+/i, "; Max-Age=<seconds>")
        .replace(/; Expires=[^;]*/i, "; Expires=<date>"),
    )
    .sort();
  return { status: res.status, body, cookies, contentType: res.headers.get("content-type") };
}

/** Counts password hashes made by the server (the costly step both paths must take). */
function countHashes(server: TestServer): { count: number } {
  const counter = { count: 0 };
  const hasher = server.latchkey.runtime.hasher;
  const hash = hasher.hash.bind(hasher);
  hasher.hash = (password: string) => {
    counter.count += 1;
    return hash(password);
  };
  return counter;
}

describe.each([false, true])("signup with a taken address, verification by code: %s", (byCode) => {
  describe.each(dialects)("(%s)", (dialect) => {
    const server = useLatchkey(dialect, options(byCode));
    let hashes: { count: number };
    beforeAll(() => {
      hashes = countHashes(server);
    });

    describe.each(clients)("%s client", (kind) => {
      it("answers exactly as a real signup, creates nothing and mails account_already_exists", async () => {
        const owner = await insertUser(server, { email: freshEmail("owner"), verified: true });
        const users = await countRows(server, "user");

        const real = await freshClient(server, kind);
        const before = hashes.count;
        const realRes = await real.post("/auth/signup", { email: freshEmail("new"), password: PASSWORD });
        expect(hashes.count - before).toBe(1);

        const decoy = await freshClient(server, kind);
        const decoyBefore = hashes.count;
        const decoyRes = await decoy.post("/auth/signup", { email: owner.email, password: PASSWORD });
        expect(hashes.count - decoyBefore).toBe(1);

        expect(visible(decoyRes)).toEqual(visible(realRes));
        expectStatus(decoyRes, 401);
        expect(pendingFlow(decoyRes)).toEqual(VERIFY_PENDING);
        if (kind === Client.APP) expect(decoyRes.body.meta.session_token).toEqual(expect.any(String));
        expect(visible(await decoy.get("/auth/session"))).toEqual(visible(await real.get("/auth/session")));

        expect(await countRows(server, "user")).toBe(users + 1);
        const mails = server.mailsTo(owner.email!);
        expect(mails).toHaveLength(1);
        expect(mails[0]!.subject).toContain("Account Already Exists");
        expect(mails[0]!.text).toContain("an account using that email address already exists");
        expect(mails[0]!.text).toContain("https://app.example/reset");
      });

      it("no key or code completes the decoy (§7 11)", async () => {
        const owner = await insertUser(server, { email: freshEmail("owner2"), verified: true });
        const c = await freshClient(server, kind);
        expectStatus(await c.post("/auth/signup", { email: owner.email, password: PASSWORD }), 401);
        const wrong = await c.post("/auth/email/verify", { key: "wrong" });
        expectStatus(wrong, 400);
        expect(wrong.body.errors[0].code).toBe(byCode ? "incorrect_code" : "invalid_or_expired_key");
        expectStatus(
          await c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": "x" } }),
          400,
        );
        if (byCode) {
          // Attempts run out as for a real signup, and resends mail nothing.
          expect((await c.post("/auth/email/verify/resend")).body).toEqual({ status: 200 });
          expect(server.mailsTo(owner.email!)).toHaveLength(1);
          expectStatus(await c.post("/auth/email/verify", { key: "wrong" }), 400);
          expect((await c.post("/auth/email/verify", { key: "wrong" })).body).toEqual({ status: 409 });
        } else {
          expect(pendingFlow(await c.get("/auth/session"))).toEqual(VERIFY_PENDING);
        }
      });

      it("input errors are still reported, and nothing is mailed", async () => {
        const owner = await insertUser(server, { email: freshEmail("owner3"), verified: true });
        const c = await freshClient(server, kind);
        const res = await c.post("/auth/signup", { email: owner.email, password: "123" });
        expectStatus(res, 400);
        expect(res.body.errors.map((e: { code: string }) => e.code)).toContain("password_too_short");
        expect(server.mailsTo(owner.email!)).toHaveLength(0);
      });

      it("an unverified primary address of another account counts as taken too", async () => {
        const owner = await insertUser(server, { email: freshEmail("owner4"), verified: false });
        const c = await freshClient(server, kind);
        expectStatus(await c.post("/auth/signup", { email: owner.email, password: PASSWORD }), 401);
        expect(server.lastMail(owner.email!).subject).toContain("Account Already Exists");
      });
    });
  });
});

describe.each(dialects)("signup with a taken address, no hiding (%s)", (dialect) => {
  const visibleTaken = useLatchkey(dialect, options(false, { preventEnumeration: false }));
  const strictOptional = useLatchkey(
    dialect,
    options(false, { preventEnumeration: "strict", emailVerification: "optional" }),
  );

  describe.each(clients)("%s client", (kind) => {
    it.each([
      ["preventEnumeration false", visibleTaken],
      ["strict with optional verification", strictOptional],
    ] as const)("%s: 400 email_taken", async (_, s) => {
      const owner = await insertUser(s, { email: freshEmail("own"), verified: true });
      const c = await freshClient(s, kind);
      const res = await c.post("/auth/signup", { email: owner.email, password: PASSWORD });
      expect(res.body).toEqual({
        status: 400,
        errors: [
          {
            message: "A user is already registered with this email address.",
            code: "email_taken",
            param: "email",
          },
        ],
      });
      expect(s.mailsTo(owner.email!)).toHaveLength(0);
    });
  });
});

describe.each(dialects)("signup with a taken address when a login code is required (%s)", (dialect) => {
  const server = useLatchkey(dialect, options(true, { loginByCode: { enabled: true, required: true } }));

  it.each(clients)(
    "stops at login_by_code like a real signup, and no code completes it (%s client)",
    async (kind) => {
      const owner = await insertUser(server, { email: freshEmail("owner-code"), verified: true });
      const real = await freshClient(server, kind);
      const realRes = await real.post("/auth/signup", { email: freshEmail("new-code"), password: PASSWORD });
      const decoy = await freshClient(server, kind);
      const decoyRes = await decoy.post("/auth/signup", { email: owner.email, password: PASSWORD });
      expect(visible(decoyRes)).toEqual(visible(realRes));
      expect(pendingFlow(decoyRes)).toEqual({ id: "login_by_code", is_pending: true });
      expect(visible(await decoy.get("/auth/session"))).toEqual(visible(await real.get("/auth/session")));
      const confirm = await decoy.post("/auth/code/confirm", { code: "BCDF-GHJK" });
      expect(confirm.status).toBe(400);
      expect(confirm.body.errors[0].code).toBe("incorrect_code");
    },
  );
});
