import { describe, expect, it } from "vitest";
import { codeFromText, errorsOf, insertPhoneUser, newPhone, storedPhone } from "../account/phone-helpers.js";
import { anonymousClient, countRows, unique } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { type Client, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { pendingFlow } from "../helpers/totp.js";
import { socialRows } from "./support.js";

/**
 * The provider signup form with a phone number (allauth's social SignupForm is its BaseSignupForm,
 * phone field included): required or optional as account.signupFields says, validated and taken
 * numbers handled as the account signup does, stored unverified, then the verify_phone stage.
 */

const INVALID_PHONE = {
  code: "invalid_phone",
  message: "Enter a phone number including country code (e.g. +1 for the US).",
  param: "phone",
};

let serial = 0;
/** A development-provider account nobody has used yet, with a verified address. */
function newAccount() {
  serial += 1;
  const id = 5_000_000 + serial * 1000 + Math.floor(Math.random() * 1000);
  return { id, email: `${unique("ph")}@example.org`, email_verified: true };
}

/** A provider login by token of a new person: the provider signup form is pending. */
async function awaitingForm(server: TestServer, kind: Client) {
  const c = await anonymousClient(server, kind);
  const account = newAccount();
  const res = await c.post("/auth/provider/token", {
    provider: "dummy",
    process: "login",
    token: { id_token: JSON.stringify(account) },
  });
  expectStatus(res, 401);
  expect(pendingFlow(res)).toMatchObject({ id: "provider_signup", is_pending: true });
  return { c, account };
}

/** The user a provider account was connected to. */
async function userOf(server: TestServer, account: { id: number }): Promise<number | undefined> {
  const rows = await socialRows(server, "social_account");
  return rows.find((r) => r.uid === String(account.id))?.user_id;
}

async function signUp(c: TestClient, body: Record<string, unknown>) {
  return c.post("/auth/provider/signup", body);
}

describe.each(dialects)("provider signup with a required phone number (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} } },
    account: { loginMethods: ["phone"], signupFields: ["email", "phone*"] },
  });
  const open = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} } },
    account: { loginMethods: ["phone"], signupFields: ["email", "phone*"], preventEnumeration: false },
  });

  describe.each(clients)("%s client", (kind) => {
    it("asks for the number, refuses a missing or invalid one, then stops at verify_phone until the texted code", async () => {
      const { c, account } = await awaitingForm(server, kind);
      const missing = await signUp(c, {});
      expectStatus(missing, 400);
      expect(missing.body.errors).toEqual([
        { code: "required", message: "This field is required.", param: "phone" },
      ]);
      for (const phone of ["0612345678", "+31 6 1234", "+999123456", "+31612345678x5", "call me"]) {
        const res = await signUp(c, { phone });
        expectStatus(res, 400);
        expect(res.body.errors, phone).toEqual([INVALID_PHONE]);
      }
      // Every field's errors, in the form's order.
      const both = await signUp(c, { email: "not an address", phone: "call me" });
      expect(errorsOf(both)).toEqual([
        { code: "invalid", param: "email" },
        { code: "invalid_phone", param: "phone" },
      ]);
      expect(await userOf(server, account)).toBeUndefined();

      const phone = newPhone();
      const signed = await signUp(c, { phone: `+31 6 1${phone.slice(5, 8)} ${phone.slice(8)}` });
      expectStatus(signed, 401);
      expect(pendingFlow(signed)).toEqual({ id: "verify_phone", is_pending: true });
      expect(signed.body.data.flows.some((f: { id: string }) => f.id === "provider_signup")).toBe(false);
      expectStatus(await c.get("/auth/provider/signup"), 409);
      const userId = await userOf(server, account);
      expect(userId).toEqual(expect.any(Number));
      expect(await storedPhone(server, userId!)).toEqual({ phone, verified: false });
      const texts = server.textsTo(phone);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.kind).toBe("verification_code");

      const done = await c.post("/auth/phone/verify", { code: codeFromText(texts[0]!) });
      expectStatus(done, 200);
      expect(done.body.data.user).toMatchObject({
        id: userId,
        email: account.email,
        has_usable_password: false,
      });
      expect(done.body.data.methods).toEqual([
        { method: "socialaccount", at: expect.any(Number), provider: "dummy", uid: String(account.id) },
      ]);
      expect(await storedPhone(server, userId!)).toEqual({ phone, verified: true });
      expect((await c.get("/account/phone")).body).toEqual({
        status: 200,
        data: [{ phone, verified: true }],
      });
    });

    it("hides a taken number as the account signup does: no account, the owner texted, the same 401", async () => {
      const owner = await insertPhoneUser(server);
      const users = await countRows(server, "user");
      const { c, account } = await awaitingForm(server, kind);
      const res = await signUp(c, { phone: owner.phone });
      expectStatus(res, 401);
      expect(pendingFlow(res)).toEqual({ id: "verify_phone", is_pending: true });
      expect(res.body.data.flows.some((f: { id: string }) => f.id === "provider_signup")).toBe(false);
      expect(await countRows(server, "user")).toBe(users);
      expect(await userOf(server, account)).toBeUndefined();
      expect(server.lastText(owner.phone).kind).toBe("account_already_exists");
      expectStatus(await c.post("/auth/phone/verify", { code: "BCDF-GHJK" }), 400);
    });

    it("without enumeration prevention a taken number is phone_taken, and the form stays pending", async () => {
      const owner = await insertPhoneUser(open);
      const { c, account } = await awaitingForm(open, kind);
      const res = await signUp(c, { phone: owner.phone });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([
        {
          code: "phone_taken",
          message: "A user is already registered with this phone number.",
          param: "phone",
        },
      ]);
      // Beside another field's error too.
      const both = await signUp(c, { email: "bad", phone: owner.phone });
      expect(errorsOf(both)).toEqual([
        { code: "invalid", param: "email" },
        { code: "phone_taken", param: "phone" },
      ]);
      const phone = newPhone();
      const signed = await signUp(c, { phone });
      expect(pendingFlow(signed)).toEqual({ id: "verify_phone", is_pending: true });
      expect(await storedPhone(open, (await userOf(open, account))!)).toEqual({ phone, verified: false });
    });
  });
});

describe.each(dialects)("provider signup with an optional phone number (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} }, autoSignup: false },
    account: { signupFields: ["email", "username*", "phone"] },
  });

  describe.each(clients)("%s client", (kind) => {
    it("signs up without a number; one given is validated, stored and verified", async () => {
      const { c, account } = await awaitingForm(server, kind);
      const invalid = await signUp(c, { username: unique("u"), phone: "12" });
      expect(invalid.body.errors).toEqual([INVALID_PHONE]);
      const without = await signUp(c, { username: unique("u"), phone: "" });
      expectStatus(without, 200);
      expect(await storedPhone(server, (await userOf(server, account))!)).toBeNull();

      const other = await awaitingForm(server, kind);
      const phone = newPhone();
      const signed = await signUp(other.c, { username: unique("u"), phone });
      expect(pendingFlow(signed)).toEqual({ id: "verify_phone", is_pending: true });
      const done = await other.c.post("/auth/phone/verify", { code: codeFromText(server.lastText(phone)) });
      expectStatus(done, 200);
      expect(await storedPhone(server, done.body.data.user.id)).toEqual({ phone, verified: true });
      expect(await userOf(server, other.account)).toBe(done.body.data.user.id);
    });
  });
});
