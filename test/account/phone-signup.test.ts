import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { countRows, PASSWORD } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
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
 * Signup with a phone number (allauth's test_phone signup cases): the verify_phone stage, its
 * code, resends and changes of the number while it is pending, and a taken number under
 * enumeration prevention.
 */

const OPTIONS: LatchkeyOptions = {
  account: {
    loginMethods: ["phone"],
    signupFields: ["phone*", "password1*"],
    phoneVerification: { supportsResend: 2, supportsChange: 2 },
  },
};

const PENDING = [{ id: "login" }, { id: "signup" }, { id: "verify_phone", is_pending: true }];
const IDLE = [{ id: "login" }, { id: "signup" }];

async function signUp(c: TestClient, phone: string) {
  await c.get("/config");
  const res = await c.post("/auth/signup", { phone, password: PASSWORD });
  expectStatus(res, 401);
  return res;
}

async function userIdOf(server: TestServer, phone: string): Promise<number> {
  const owner = await server.latchkey.runtime.phones.ownerOf(phone);
  if (owner === null) throw new Error(`nobody holds ${phone}`);
  return owner;
}

describe.each(dialects)("signup with a phone number (%s)", (dialect) => {
  const server = useLatchkey(dialect, OPTIONS);

  describe.each(clients)("%s client", (kind) => {
    it("stops at verify_phone with a texted code; the code verifies the number and logs in", async () => {
      const c = server.client(kind);
      const phone = newPhone();
      const res = await signUp(c, `+31 6 1${phone.slice(5, 8)} ${phone.slice(8)}`);
      expect(res.body.data.flows).toEqual(PENDING);
      expect(res.body.meta.is_authenticated).toBe(false);
      const texts = server.textsTo(phone);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.kind).toBe("verification_code");
      expect(texts[0]!.body).toMatch(/^[A-Z]{4}-[A-Z]{4} is your Latchkey verification code\.$/);
      expect(await storedPhone(server, await userIdOf(server, phone))).toEqual({ phone, verified: false });
      expect((await c.get("/auth/session")).body.data.flows).toEqual(PENDING);

      const done = await c.post("/auth/phone/verify", { code: codeFromText(texts[0]!).toLowerCase() });
      expectStatus(done, 200);
      expect(done.body.data.methods).toEqual([]);
      expect(done.body.data.user).toMatchObject({ has_usable_password: true });
      expect(done.body.data.user.email).toBeUndefined();
      expect((await c.get("/account/phone")).body).toEqual({
        status: 200,
        data: [{ phone, verified: true }],
      });
      expect((await c.post("/auth/phone/verify", { code: codeFromText(texts[0]!) })).body).toEqual({
        status: 409,
      });
    });

    it("refuses an invalid number, and a missing one, on the phone field", async () => {
      const c = server.client(kind);
      await c.get("/config");
      for (const phone of ["0612345678", "+31 6 1234", "+999123456", "+31612345678x5", "call me"]) {
        const res = await c.post("/auth/signup", { phone, password: PASSWORD });
        expectStatus(res, 400);
        expect(res.body.errors).toEqual([
          {
            code: "invalid_phone",
            message: "Enter a phone number including country code (e.g. +1 for the US).",
            param: "phone",
          },
        ]);
      }
      const missing = await c.post("/auth/signup", { password: "x" });
      expect(errorsOf(missing)).toEqual([
        { code: "required", param: "phone" },
        { code: "password_too_short", param: "password" },
      ]);
    });

    it("answers 400 to wrong codes; the one that uses up maxAttempts ends the signup's login; then 409", async () => {
      const c = server.client(kind);
      const phone = newPhone();
      await signUp(c, phone);
      const code = codeFromText(server.lastText(phone));
      for (let attempt = 1; attempt <= 3; attempt++) {
        const res = await c.post("/auth/phone/verify", { code: wrongCode(code) });
        expectStatus(res, 400);
        expect(res.body.errors).toEqual([
          { message: "Incorrect code.", code: "incorrect_code", param: "code" },
        ]);
        expect((await c.get("/auth/session")).body.data.flows).toEqual(attempt < 3 ? PENDING : IDLE);
      }
      expect((await c.post("/auth/phone/verify", { code })).body).toEqual({ status: 409 });
      expect((await storedPhone(server, await userIdOf(server, phone)))?.verified).toBe(false);
    });

    it("counts a malformed code as an attempt", async () => {
      const c = server.client(kind);
      const phone = newPhone();
      await signUp(c, phone);
      const code = codeFromText(server.lastText(phone));
      expect(errorsOf(await c.post("/auth/phone/verify", { code: "" }))).toEqual([
        { code: "required", param: "code" },
      ]);
      expect(errorsOf(await c.post("/auth/phone/verify", {}))).toEqual([{ code: "required", param: "code" }]);
      expectStatus(await c.post("/auth/phone/verify", { code: wrongCode(code) }), 400);
      expectStatus(await c.post("/auth/phone/verify", { code }), 409);
    });

    it("resends a new code up to supportsResend times; each replaces the last", async () => {
      const c = server.client(kind);
      const phone = newPhone();
      await signUp(c, phone);
      const codes = [codeFromText(server.lastText(phone))];
      for (let n = 0; n < 2; n++) {
        const res = await c.post("/auth/phone/verify/resend");
        expect(res.body).toEqual({ status: 200 });
        codes.push(codeFromText(server.lastText(phone)));
      }
      expect(new Set(codes).size).toBe(3);
      expect((await c.post("/auth/phone/verify/resend")).body).toEqual({ status: 409 });
      expectStatus(await c.post("/auth/phone/verify", { code: codes[0] }), 400);
      expectStatus(await c.post("/auth/phone/verify", { code: codes[2] }), 200);
    });

    it("changes the pending number (202, a new code to the new number) up to supportsChange times", async () => {
      const c = server.client(kind);
      const first = newPhone();
      await signUp(c, first);
      const userId = await userIdOf(server, first);
      const same = await c.post("/account/phone", { phone: first });
      expectStatus(same, 400);
      expect(same.body.errors).toEqual([
        {
          code: "same_as_current",
          message: "The new value must be different from the current one.",
          param: "phone",
        },
      ]);
      const numbers = [newPhone(), newPhone()];
      for (const phone of numbers) {
        const res = await c.post("/account/phone", { phone });
        expectStatus(res, 202);
        expect(res.body).toEqual({ status: 202, data: [{ phone, verified: false }] });
        expect(server.textsTo(phone)).toHaveLength(1);
        expect(await storedPhone(server, userId)).toEqual({ phone, verified: false });
      }
      expect((await c.post("/account/phone", { phone: newPhone() })).body).toEqual({ status: 409 });
      // The first number's code was replaced.
      expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(first)) }), 400);
      const last = numbers[1]!;
      expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(last)) }), 200);
      expect(await storedPhone(server, userId)).toEqual({ phone: last, verified: true });
    });

    it("hides a taken number: no account, the owner is texted, the same 401 as a real signup", async () => {
      const owner = await insertPhoneUser(server);
      const users = await countRows(server, "user");
      const c = server.client(kind);
      const res = await signUp(c, owner.phone);
      expect(res.body.data.flows).toEqual(PENDING);
      expect(await countRows(server, "user")).toBe(users);
      const text = server.lastText(owner.phone);
      expect(text.kind).toBe("account_already_exists");
      expect(text.body).toContain("Latchkey");
      expect(text.body).not.toMatch(/[A-Z]{4}-[A-Z]{4}/);
      // Nothing verifies the decoy, nor changes its number; it resends nothing.
      expectStatus(await c.post("/auth/phone/verify", { code: "BCDF-GHJK" }), 400);
      expect((await c.post("/account/phone", { phone: newPhone() })).body).toEqual({ status: 409 });
      expect((await c.post("/auth/phone/verify/resend")).body).toEqual({ status: 200 });
      expect(server.textsTo(owner.phone)).toHaveLength(1);
    });

    it("texts the owner of a number the signup changes to, and stores nothing for it", async () => {
      const owner = await insertPhoneUser(server);
      const c = server.client(kind);
      const mine = newPhone();
      await signUp(c, mine);
      const userId = await userIdOf(server, mine);
      const res = await c.post("/account/phone", { phone: owner.phone });
      expect(res.body).toEqual({ status: 202, data: [{ phone: owner.phone, verified: false }] });
      expect(server.lastText(owner.phone).kind).toBe("account_already_exists");
      expect(await storedPhone(server, userId)).toEqual({ phone: mine, verified: false });
      expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(mine)) }), 400);
    });
  });

  it("answers every phone route for an anonymous caller without a signup as its gate declares", async () => {
    const c = server.client(clients[0]!);
    await c.get("/config");
    expect((await c.post("/auth/phone/verify", { code: "X" })).body).toEqual({ status: 409 });
    expect((await c.post("/auth/phone/verify/resend")).body).toEqual({ status: 409 });
    expect((await c.post("/account/phone", { phone: newPhone() })).body).toEqual({ status: 409 });
    const listed = await c.get("/account/phone");
    expectStatus(listed, 401);
    expect(listed.body.data.flows).toEqual(IDLE);
  });
});

describe.each(dialects)("signup with a phone number, other options (%s)", (dialect) => {
  it("says phone_taken without enumeration prevention", async () => {
    const server = await startLatchkey(dialect, {
      ...OPTIONS,
      account: { ...OPTIONS.account, preventEnumeration: false },
    });
    const owner = await insertPhoneUser(server, { verified: false });
    const c = server.client(clients[1]!);
    const res = await c.post("/auth/signup", { phone: owner.phone, password: PASSWORD });
    expectStatus(res, 400);
    expect(res.body.errors).toEqual([
      {
        code: "phone_taken",
        message: "A user is already registered with this phone number.",
        param: "phone",
      },
    ]);
  });

  it("logs in at once with phoneVerification off, so a taken number cannot be hidden (phone_taken)", async () => {
    const server = await startLatchkey(dialect, {
      account: { ...OPTIONS.account, phoneVerification: { enabled: false } },
    });
    const c = server.client(clients[0]!);
    await c.get("/config");
    const phone = newPhone();
    expectStatus(await c.post("/auth/signup", { phone, password: PASSWORD }), 200);
    expect(server.textsTo(phone)).toHaveLength(0);
    expect((await c.get("/account/phone")).body.data).toEqual([{ phone, verified: false }]);
    const other = server.client(clients[1]!);
    expect(errorsOf(await other.post("/auth/signup", { phone, password: PASSWORD }))).toEqual([
      { code: "phone_taken", param: "phone" },
    ]);
  });

  it("reads national numbers in phoneDefaultRegion, and verifies the number before the address", async () => {
    const server = await startLatchkey(dialect, {
      account: {
        loginMethods: ["email", "phone"],
        signupFields: ["email*", "phone*", "password1*"],
        emailVerification: "mandatory",
        phoneDefaultRegion: "NL",
      },
    });
    const c = server.client(clients[0]!);
    await c.get("/config");
    const phone = newPhone();
    const email = `${phone.slice(1)}@example.org`;
    const res = await c.post("/auth/signup", { email, phone: `0${phone.slice(3)}`, password: PASSWORD });
    expectStatus(res, 401);
    expect(pendingFlow(res)).toBe("verify_phone");
    expect(server.mailsTo(email)).toHaveLength(0);
    const next = await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(phone)) });
    expectStatus(next, 401);
    expect(pendingFlow(next)).toBe("verify_email");
    expect(server.mailsTo(email)).toHaveLength(1);
  });

  it("answers 429 to a resend over the verify_phone limit; the old code still works", async () => {
    const server = await startLatchkey(dialect, {
      ...OPTIONS,
      rateLimits: { actions: { verify_phone: "1/m/key" } },
    });
    const c = server.client(clients[0]!);
    const phone = newPhone();
    await signUp(c, phone);
    expect((await c.post("/auth/phone/verify/resend")).body).toEqual({ status: 429 });
    expect(server.textsTo(phone)).toHaveLength(1);
    // The old code still works.
    expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(phone)) }), 200);
  });
});
