import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { expectEnvelope, insertUser, PASSWORD } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  codeFromText,
  errorsOf,
  insertPhoneUser,
  newPhone,
  pendingFlow,
  storedPhone,
  wrongCode,
} from "./phone-helpers.js";

/**
 * Logging in with a phone number: with the password (`phone_password_mismatch`), and by a texted
 * code (`{phone}` in /auth/code/request, `select_only_one` with both identifiers); the
 * verify_phone stage of a login whose number is not verified; what /config says.
 */

const OPTIONS: LatchkeyOptions = {
  account: {
    loginMethods: ["email", "phone"],
    signupFields: ["email", "phone*", "password1*"],
    loginByCode: { enabled: true, supportsResend: 1 },
  },
};

const IDLE = [{ id: "login" }, { id: "login_by_code" }, { id: "signup" }];
const CODE_PENDING = [{ id: "login" }, { id: "login_by_code", is_pending: true }, { id: "signup" }];

describe.each(dialects)("login with a phone number (%s)", (dialect) => {
  const server = useLatchkey(dialect, OPTIONS);

  describe.each(clients)("%s client", (kind) => {
    it("logs in with number and password; the record names no identifier, as allauth's", async () => {
      const user = await insertPhoneUser(server);
      const c = server.client(kind);
      await c.get("/config");
      const res = await c.post("/auth/login", {
        phone: user.phone.replace("+316", "+31 6 "),
        password: PASSWORD,
      });
      expectEnvelope(res);
      expectStatus(res, 200);
      expect(res.body.data.methods).toEqual([{ method: "password", at: expect.any(Number) }]);
      expect(res.body.data.user).toEqual({
        id: user.id,
        display: user.username,
        username: user.username,
        has_usable_password: true,
      });
      expect((await c.get("/account/phone")).body.data).toEqual([{ phone: user.phone, verified: true }]);
    });

    it("answers phone_password_mismatch alike for a wrong password and an unknown number", async () => {
      const user = await insertPhoneUser(server);
      const c = server.client(kind);
      await c.get("/config");
      for (const body of [
        { phone: user.phone, password: "Wrong-Horse-Battery-9" },
        { phone: newPhone(), password: PASSWORD },
      ]) {
        const res = await c.post("/auth/login", body);
        expectStatus(res, 400);
        expect(res.body.errors).toEqual([
          {
            code: "phone_password_mismatch",
            message: "The phone number and/or password you specified are not correct.",
            param: "password",
          },
        ]);
      }
      expect(errorsOf(await c.post("/auth/login", { phone: "12", password: PASSWORD }))).toEqual([
        { code: "invalid_phone", param: "phone" },
      ]);
      expect(
        errorsOf(
          await c.post("/auth/login", { phone: user.phone, email: "a@example.org", password: PASSWORD }),
        ),
      ).toEqual([{ code: "invalid_login", param: undefined }]);
    });

    it("stops a login whose number is not verified at verify_phone, texting a code", async () => {
      const user = await insertPhoneUser(server, { verified: false });
      const c = server.client(kind);
      await c.get("/config");
      const res = await c.post("/auth/login", { phone: user.phone, password: PASSWORD });
      expectStatus(res, 401);
      expect(pendingFlow(res)).toBe("verify_phone");
      // Without phoneVerification.supportsChange the number cannot change at this stage.
      expect((await c.post("/account/phone", { phone: newPhone() })).body).toEqual({ status: 409 });
      const done = await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(user.phone)) });
      expectStatus(done, 200);
      expect(done.body.data.methods).toEqual([{ method: "password", at: expect.any(Number) }]);
      expect(await storedPhone(server, user.id)).toEqual({ phone: user.phone, verified: true });
    });

    it("texts a login code to a number; confirming it logs in with a code record and verifies it", async () => {
      const user = await insertPhoneUser(server, { verified: false });
      const c = server.client(kind);
      await c.get("/config");
      const requested = await c.post("/auth/code/request", { phone: user.phone });
      expectEnvelope(requested);
      expectStatus(requested, 401);
      expect(requested.body.data.flows).toEqual(CODE_PENDING);
      const text = server.lastText(user.phone);
      expect(text.kind).toBe("login_code");
      expect(text.body).toMatch(/^[A-Z]{4}-[A-Z]{4} is your Latchkey sign-in code\.$/);
      expectStatus(await c.post("/auth/code/confirm", { code: wrongCode(codeFromText(text)) }), 400);
      expect((await c.post("/auth/code/resend")).body).toEqual({ status: 200 });
      const code = codeFromText(server.lastText(user.phone));
      expect(code).not.toBe(codeFromText(text));
      const done = await c.post("/auth/code/confirm", { code });
      expectStatus(done, 200);
      expect(done.body.data.methods).toEqual([{ method: "code", at: expect.any(Number), phone: user.phone }]);
      // The code reached the number: it is verified (so no verify_phone stage stopped the login).
      expect(await storedPhone(server, user.id)).toEqual({ phone: user.phone, verified: true });
    });

    it("answers an unknown number like a known one, texting it that there is no account", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const phone = newPhone();
      const res = await c.post("/auth/code/request", { phone });
      expectStatus(res, 401);
      expect(res.body.data.flows).toEqual(CODE_PENDING);
      const text = server.lastText(phone);
      expect(text.kind).toBe("unknown_account");
      expect(text.body).not.toMatch(/[A-Z]{4}-[A-Z]{4}/);
      expectStatus(await c.post("/auth/code/confirm", { code: "BCDF-GHJK" }), 400);
      // A decoy's resend texts nothing.
      expect((await c.post("/auth/code/resend")).body).toEqual({ status: 200 });
      expect(server.textsTo(phone)).toHaveLength(1);
    });

    it("refuses both identifiers (select_only_one), and neither", async () => {
      const user = await insertPhoneUser(server);
      const other = await insertUser(server, { verified: true });
      const c = server.client(kind);
      await c.get("/config");
      const both = await c.post("/auth/code/request", { phone: user.phone, email: other.email });
      expectStatus(both, 400);
      expect(both.body.errors).toEqual([{ code: "select_only_one", message: "Please select only one." }]);
      expect(server.textsTo(user.phone)).toHaveLength(0);
      expect(errorsOf(await c.post("/auth/code/request", {}))).toEqual([
        { code: "required", param: "email" },
        { code: "required", param: "phone" },
      ]);
      expect(errorsOf(await c.post("/auth/code/request", { phone: "+31" }))).toEqual([
        { code: "invalid_phone", param: "phone" },
      ]);
      expect((await c.get("/auth/session")).body.data.flows).toEqual(IDLE);
    });
  });

  it("lists phone among the login methods in /config (authentication_method from email alone)", async () => {
    const c = server.client(clients[0]!);
    const config = await c.get("/config");
    expect(config.body.data.account).toEqual({
      login_methods: ["email", "phone"],
      is_open_for_signup: true,
      email_verification_by_code_enabled: false,
      login_by_code_enabled: true,
      password_reset_by_code_enabled: false,
      authentication_method: "email",
    });
  });
});

describe.each(dialects)("login with a phone number, other options (%s)", (dialect) => {
  it("says unknown_phone without enumeration prevention, and 400 too_many_login_attempts over the limit", async () => {
    const server = await startLatchkey(dialect, {
      account: { ...OPTIONS.account, loginMethods: ["phone"], preventEnumeration: false },
      rateLimits: { actions: { request_login_code: "1/m/key" } },
    });
    const c = server.client(clients[1]!);
    const unknown = await c.post("/auth/code/request", { phone: newPhone() });
    expectStatus(unknown, 400);
    expect(unknown.body.errors).toEqual([
      {
        code: "unknown_phone",
        message: "The phone number is not assigned to any user account.",
        param: "phone",
      },
    ]);
    const user = await insertPhoneUser(server);
    expectStatus(await c.post("/auth/code/request", { phone: user.phone }), 401);
    const limited = await c.post("/auth/code/request", { phone: user.phone });
    expect(errorsOf(limited)).toEqual([{ code: "too_many_login_attempts", param: "phone" }]);
    // Phone alone: no email field.
    expect(errorsOf(await c.post("/auth/code/request", { email: "a@example.org" }))).toEqual([
      { code: "required", param: "phone" },
    ]);
  });

  it("texts a required code after the password to a user without an address; phone alone has no authentication_method", async () => {
    const server = await startLatchkey(dialect, {
      account: {
        loginMethods: ["phone"],
        signupFields: ["phone*", "password1*"],
        loginByCode: { enabled: true, required: ["password"] },
      },
    });
    const c = server.client(clients[0]!);
    expect((await c.get("/config")).body.data.account).toEqual({
      login_methods: ["phone"],
      is_open_for_signup: true,
      email_verification_by_code_enabled: false,
      login_by_code_enabled: true,
      password_reset_by_code_enabled: false,
    });
    const user = await insertPhoneUser(server);
    const res = await c.post("/auth/login", { phone: user.phone, password: PASSWORD });
    expectStatus(res, 401);
    expect(pendingFlow(res)).toBe("login_by_code");
    const done = await c.post("/auth/code/confirm", { code: codeFromText(server.lastText(user.phone)) });
    expectStatus(done, 200);
    expect(done.body.data.methods).toEqual([
      { method: "password", at: expect.any(Number) },
      { method: "code", at: expect.any(Number), phone: user.phone },
    ]);
  });

  it("texts an unknown number nothing with phoneUnknownAccounts off", async () => {
    const server = await startLatchkey(dialect, {
      account: { ...OPTIONS.account, phoneUnknownAccounts: false },
    });
    const c = server.client(clients[0]!);
    await c.get("/config");
    const phone = newPhone();
    expectStatus(await c.post("/auth/code/request", { phone }), 401);
    expect(server.textsTo(phone)).toHaveLength(0);
  });

  it("texts codes in account.phoneVerification.codeFormat", async () => {
    const server = await startLatchkey(dialect, {
      account: {
        ...OPTIONS.account,
        phoneVerification: { codeFormat: { alphabet: "0123456789", length: 6, dashed: false } },
      },
    });
    const user = await insertPhoneUser(server);
    const c = server.client(clients[0]!);
    await c.get("/config");
    expectStatus(await c.post("/auth/code/request", { phone: user.phone }), 401);
    expect(server.lastText(user.phone).body).toMatch(/^\d{6} is your Latchkey sign-in code\.$/);
    expectStatus(
      await c.post("/auth/code/confirm", { code: codeFromText(server.lastText(user.phone)) }),
      200,
    );
  });
});
