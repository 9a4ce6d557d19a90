import { describe, expect, it } from "vitest";
import type { Client } from "../../src/core/enums.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { insertUser, type TestUser } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { addressRows, freshClient, freshEmail, linkKey, PASSWORD } from "./email-helpers.js";

/** /account/email by link (allauth test_change_email.py; §7 items 29–36, §4.1 rows 34–38). */

const error = (code: string, message: string, param = "email") => ({ message, code, param });
const UNKNOWN = error("unknown_email", "Unknown email address.");
const TAKEN = error("email_taken", "A user is already registered with this email address.");

async function loggedIn(
  server: TestServer,
  kind: Client,
  init: { verified?: boolean } = {},
): Promise<{ user: TestUser; c: TestClient }> {
  const user = await insertUser(server, { email: freshEmail("acct"), verified: init.verified ?? true });
  const c = await freshClient(server, kind);
  expectStatus(await c.post("/auth/login", { username: user.username, password: PASSWORD }), 200);
  return { user, c };
}

async function addRow(server: TestServer, userId: number, email: string, verified: boolean, primary = false) {
  await server.latchkey.runtime.store.db
    .insertInto("email_address")
    .values({
      user_id: userId,
      email,
      email_lower: email,
      verified: verified ? 1 : 0,
      is_primary: primary ? 1 : 0,
    })
    .execute();
}

const BASE: LatchkeyOptions = {
  account: { emailNotifications: true, maxEmailAddresses: 3 },
};

describe.each(dialects)("/account/email (%s)", (dialect) => {
  const server = useLatchkey(dialect, BASE);

  describe.each(clients)("%s client", (kind) => {
    it("lists the addresses; anonymous callers get 401 on every method but POST (409) (§7 29)", async () => {
      const { user, c } = await loggedIn(server, kind);
      const list = await c.get("/account/email");
      expect(list.body).toEqual({
        status: 200,
        data: [{ email: user.email, verified: true, primary: true }],
      });

      const anon = await freshClient(server, kind);
      const res = await anon.get("/account/email");
      expectStatus(res, 401);
      expect(res.body.meta.is_authenticated).toBe(false);
      for (const method of ["put", "patch", "delete"] as const) {
        expectStatus(await anon[method]("/account/email", { email: user.email }), 401);
        // The login gate comes before input validation.
        expectStatus(await anon[method]("/account/email", {}), 401);
      }
      expect((await anon.post("/account/email", { email: freshEmail() })).body).toEqual({ status: 409 });
    });

    it("adds an address: stored unverified, a link mailed, the link verifies it (§7 31)", async () => {
      const { user, c } = await loggedIn(server, kind);
      const added = freshEmail("add");
      const res = await c.post("/account/email", { email: added.toUpperCase() });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([
        { email: user.email, verified: true, primary: true },
        { email: added, verified: false, primary: false },
      ]);
      const mails = server.mailsTo(added);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain("to connect it to their account");
      const verified = await c.post("/auth/email/verify", { key: linkKey(server, added) });
      expectStatus(verified, 200);
      expect(verified.body.data.user.email).toBe(user.email);
      expect(await addressRows(server, user.id)).toEqual([
        { email: user.email, verified: 1, is_primary: 1 },
        { email: added, verified: 1, is_primary: 0 },
      ]);
    });

    it("refuses duplicates, the address limit, and bad input", async () => {
      const { user, c } = await loggedIn(server, kind);
      expect((await c.post("/account/email", { email: user.email })).body.errors).toEqual([
        error("duplicate_email", "This email address is already associated with this account."),
      ]);
      expectStatus(await c.post("/account/email", { email: freshEmail("m1") }), 200);
      expectStatus(await c.post("/account/email", { email: freshEmail("m2") }), 200);
      expect((await c.post("/account/email", { email: freshEmail("m3") })).body).toEqual({
        status: 400,
        errors: [error("max_email_addresses", "You cannot add more than 3 email addresses.")],
      });
      expect((await c.post("/account/email", {})).body.errors).toEqual([
        error("required", "This field is required."),
      ]);
      expect((await c.post("/account/email", { email: null })).body.errors).toEqual([
        error("required", "This field is required."),
      ]);
      expect((await c.post("/account/email", { email: "nope" })).body.errors).toEqual([
        error("invalid", "Enter a valid email address."),
      ]);
      expect((await c.post("/account/email", { email: 42 })).body.errors).toEqual([
        error("invalid", "Enter a valid value."),
      ]);
      expectStatus(await c.post("/account/email", undefined, { raw: "{" }), 400);
    });

    it("an account with two-factor authentication cannot add an address by link (add_email_blocked)", async () => {
      const { user, c } = await loggedIn(server, kind);
      await server.latchkey.runtime.store.db
        .insertInto("authenticator")
        .values({ user_id: user.id, type: "totp", data: "{}", created_at: Date.now(), last_used_at: null })
        .execute();
      expect((await c.post("/account/email", { email: freshEmail("mfa") })).body).toEqual({
        status: 400,
        errors: [
          error(
            "add_email_blocked",
            "You cannot add an email address to an account protected by two-factor authentication.",
          ),
        ],
      });
    });

    it("an address of another account is accepted, but its verification is email_taken (§7 36)", async () => {
      const other = await insertUser(server, { email: freshEmail("other"), verified: true });
      const { user, c } = await loggedIn(server, kind);
      expectStatus(await c.post("/account/email", { email: other.email }), 200);
      const res = await c.post("/auth/email/verify", { key: linkKey(server, other.email!) });
      expect(res.body).toEqual({ status: 400, errors: [{ ...TAKEN, param: "key" }] });
      expect(await addressRows(server, user.id)).toEqual([
        { email: user.email, verified: 1, is_primary: 1 },
        { email: other.email, verified: 0, is_primary: 0 },
      ]);
    });

    it("PUT mails the link again (§7 33); unknown 400; verified 403", async () => {
      const { user, c } = await loggedIn(server, kind);
      const pending = freshEmail("again");
      await addRow(server, user.id, pending, false);
      expect((await c.put("/account/email", { email: pending })).body).toEqual({ status: 200 });
      expect(server.mailsTo(pending)).toHaveLength(1);
      expect((await c.put("/account/email", { email: freshEmail() })).body).toEqual({
        status: 400,
        errors: [UNKNOWN],
      });
      expect((await c.put("/account/email", { email: user.email })).body).toEqual({ status: 403 });
      expect((await c.put("/account/email", {})).body.errors).toEqual([
        error("required", "This field is required."),
      ]);
    });

    it("PATCH makes a verified address primary and notifies the old one (§7 32)", async () => {
      const { user, c } = await loggedIn(server, kind);
      const second = freshEmail("second");
      await addRow(server, user.id, second, true);
      const res = await c.patch("/account/email", { email: second, primary: true });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([
        { email: user.email, verified: true, primary: false },
        { email: second, verified: true, primary: true },
      ]);
      const note = server.lastMail(user.email!);
      expect(note.subject).toContain("Email Changed");
      expect(note.text).toContain(`from ${user.email} to ${second}`);
      expect((await c.get("/auth/session")).body.data.user.email).toBe(second);
    });

    it("PATCH errors: unverified, unknown, primary missing or false, field order", async () => {
      const { user, c } = await loggedIn(server, kind);
      const unverified = freshEmail("unv");
      await addRow(server, user.id, unverified, false);
      expect((await c.patch("/account/email", { email: unverified, primary: true })).body.errors).toEqual([
        error("unverified_primary_email", "Your primary email address must be verified."),
      ]);
      expect((await c.patch("/account/email", { email: freshEmail(), primary: true })).body.errors).toEqual([
        UNKNOWN,
      ]);
      const required = error("required", "This field is required.", "primary");
      expect((await c.patch("/account/email", { email: user.email })).body.errors).toEqual([required]);
      expect((await c.patch("/account/email", { email: user.email, primary: false })).body.errors).toEqual([
        required,
      ]);
      expect(
        (await c.patch("/account/email", { email: freshEmail(), primary: "false" })).body.errors,
      ).toEqual([UNKNOWN, required]);
      expect((await c.patch("/account/email", {})).body.errors).toEqual([
        error("required", "This field is required."),
        required,
      ]);
    });

    it("PATCH to an address another account holds as primary is email_taken, not a 500 (unique index)", async () => {
      const email = freshEmail("both");
      await insertUser(server, { email, verified: false });
      const { user, c } = await loggedIn(server, kind);
      await addRow(server, user.id, email, true);
      expect((await c.patch("/account/email", { email, primary: true })).body).toEqual({
        status: 400,
        errors: [TAKEN],
      });
      expect((await addressRows(server, user.id))[0]).toEqual({
        email: user.email,
        verified: 1,
        is_primary: 1,
      });
    });

    it("an unverified address may become primary while no address is verified", async () => {
      const { user, c } = await loggedIn(server, kind, { verified: false });
      const other = freshEmail("unv2");
      await addRow(server, user.id, other, false);
      expectStatus(await c.patch("/account/email", { email: other, primary: true }), 200);
      expect(await addressRows(server, user.id)).toEqual([
        { email: user.email, verified: 0, is_primary: 0 },
        { email: other, verified: 0, is_primary: 1 },
      ]);
    });

    it("POST notifies the primary address that another was added (account.emailNotifications)", async () => {
      const { user, c } = await loggedIn(server, kind);
      const added = freshEmail("added");
      expectStatus(await c.post("/account/email", { email: added }), 200);
      const note = server.lastMail(user.email!);
      expect(note.subject).toContain("Email Added");
      expect(note.text).toContain(added);
      expect(server.lastMail(added).subject).toContain("Confirm");
    });

    it("DELETE removes a secondary address and notifies the primary (§7 30); the primary stays", async () => {
      const { user, c } = await loggedIn(server, kind);
      const extra = freshEmail("extra");
      await addRow(server, user.id, extra, false);
      const res = await c.delete("/account/email", { email: extra });
      expectStatus(res, 200);
      expect(res.body.data).toEqual([{ email: user.email, verified: true, primary: true }]);
      const note = server.lastMail(user.email!);
      expect(note.subject).toContain("Email Removed");
      expect(note.text).toContain(extra);

      await addRow(server, user.id, freshEmail("keep"), true);
      expect((await c.delete("/account/email", { email: user.email })).body).toEqual({
        status: 400,
        errors: [error("cannot_remove_primary_email", "You cannot remove your primary email address.")],
      });
      expect((await c.delete("/account/email", { email: freshEmail() })).body.errors).toEqual([UNKNOWN]);
      expect((await c.delete("/account/email", { email: ["x"] })).body.errors).toEqual([
        error("invalid", "Enter a valid value."),
      ]);
    });

    it("a deleted address's link no longer verifies", async () => {
      const { user, c } = await loggedIn(server, kind);
      const gone = freshEmail("gone");
      expectStatus(await c.post("/account/email", { email: gone }), 200);
      const key = linkKey(server, gone);
      expectStatus(await c.delete("/account/email", { email: gone }), 200);
      expect((await c.post("/auth/email/verify", { key })).body.errors).toEqual([
        error("invalid_or_expired_key", "Invalid or expired key.", "key"),
      ]);
      expect(await addressRows(server, user.id)).toHaveLength(1);
    });
  });
});

describe.each(dialects)("/account/email options (%s)", (dialect) => {
  const open = useLatchkey(dialect, { account: { preventEnumeration: false } });
  const reauth = useLatchkey(dialect, { account: { reauthenticationRequired: true } });
  const limited = useLatchkey(dialect, {
    rateLimits: { actions: { manage_email: "3/m/user", confirm_email: "1/m/key" } },
  });
  const change = useLatchkey(dialect, {
    account: { changeEmail: true, emailNotifications: true, loginMethods: ["email"] },
  });

  describe.each(clients)("%s client", (kind) => {
    it("without enumeration prevention an address of another account is email_taken", async () => {
      const other = await insertUser(open, { email: freshEmail("o"), verified: false });
      const { c } = await loggedIn(open, kind);
      expect((await c.post("/account/email", { email: other.email })).body).toEqual({
        status: 400,
        errors: [TAKEN],
      });
    });

    it("reauthenticationRequired: stale logins get the reauth 401 for POST, PATCH and DELETE, after validation", async () => {
      const { user, c } = await loggedIn(reauth, kind);
      const second = freshEmail("r");
      await addRow(reauth, user.id, second, true);
      reauth.advance(301_000);
      try {
        const expected = {
          status: 401,
          data: {
            user: expect.objectContaining({ id: user.id }),
            methods: [expect.objectContaining({ method: "password" })],
            flows: [{ id: "reauthenticate" }],
          },
          meta: { is_authenticated: true },
        };
        expect((await c.post("/account/email", { email: freshEmail() })).body).toEqual(expected);
        expect((await c.patch("/account/email", { email: second, primary: true })).body).toEqual(expected);
        expect((await c.delete("/account/email", { email: second })).body).toEqual(expected);
        // Listing and resending need no reauthentication; invalid input is reported first.
        expectStatus(await c.get("/account/email"), 200);
        expectStatus(await c.post("/account/email", { email: "bad" }), 400);
        expectStatus(await c.post("/auth/reauthenticate", { password: PASSWORD }), 200);
        expectStatus(await c.delete("/account/email", { email: second }), 200);
      } finally {
        reauth.advance(-301_000);
      }
    });

    it("manage_email limit is 429 (§7 34); PUT within the confirm_email cooldown is 403 (§7 35)", async () => {
      const { c } = await loggedIn(limited, kind);
      const added = freshEmail("l");
      expectStatus(await c.post("/account/email", { email: added }), 200);
      expect((await c.put("/account/email", { email: added })).body).toEqual({ status: 403 });
      expect(limited.mailsTo(added)).toHaveLength(1);
      expectStatus(await c.get("/account/email"), 200);
      expect((await c.get("/account/email")).body).toEqual({ status: 429 });
      expect((await c.post("/account/email", { email: freshEmail() })).body).toEqual({ status: 429 });
    });

    it("changeEmail: a second pending change replaces the first; verifying swaps the address", async () => {
      const user = await insertUser(change, { email: freshEmail("c"), verified: true });
      const c = await freshClient(change, kind);
      expectStatus(await c.post("/auth/login", { email: user.email, password: PASSWORD }), 200);
      const first = freshEmail("first");
      const second = freshEmail("second");
      expectStatus(await c.post("/account/email", { email: first }), 200);
      const firstKey = linkKey(change, first);
      const res = await c.post("/account/email", { email: second });
      expect(res.body.data).toEqual([
        { email: user.email, verified: true, primary: true },
        { email: second, verified: false, primary: false },
      ]);
      expectStatus(await c.post("/auth/email/verify", { key: firstKey }), 400);
      const done = await c.post("/auth/email/verify", { key: linkKey(change, second) });
      expectStatus(done, 200);
      expect(done.body.data.user.email).toBe(second);
      expect(await addressRows(change, user.id)).toEqual([{ email: second, verified: 1, is_primary: 1 }]);
      const note = change.lastMail(user.email!);
      expect(note.text).toContain(`from ${user.email} to ${second}`);
      // The last address cannot go when login is by email only.
      expect((await c.delete("/account/email", { email: second })).body.errors).toEqual([
        error("cannot_remove_primary_email", "You cannot remove your primary email address."),
      ]);
    });
  });
});
