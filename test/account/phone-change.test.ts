import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { insertUser, loginClient, PASSWORD } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  codeFromText,
  errorsOf,
  insertPhoneUser,
  newPhone,
  phoneLoginClient,
  storedPhone,
  wrongCode,
} from "./phone-helpers.js";

/**
 * GET and POST /account/phone for a logged-in user (allauth's ManagePhoneView) and the change's
 * verification: 202, the code, `same_as_current`, another account's number, reauthentication,
 * the attempt limit and the change_phone limit.
 */

const OPTIONS: LatchkeyOptions = {
  account: { loginMethods: ["username", "phone"], signupFields: ["username*", "phone", "password1*"] },
};

describe.each(dialects)("changing the phone number (%s)", (dialect) => {
  const server = useLatchkey(dialect, OPTIONS);

  describe.each(clients)("%s client", (kind) => {
    it("starts with 202, texts the new number, and replaces the old one only once verified", async () => {
      const user = await insertPhoneUser(server);
      const c = await phoneLoginClient(server, kind, user);
      const phone = newPhone();
      const res = await c.post("/account/phone", { phone });
      expectStatus(res, 202);
      expect(res.body).toEqual({ status: 202, data: [{ phone, verified: false }] });
      expect(server.lastText(phone).kind).toBe("verification_code");
      expect((await c.get("/account/phone")).body.data).toEqual([{ phone: user.phone, verified: true }]);

      const code = codeFromText(server.lastText(phone));
      const done = await c.post("/auth/phone/verify", { code });
      expectStatus(done, 200);
      expect(done.body.data.user.id).toBe(user.id);
      expect(done.body.meta.is_authenticated).toBe(true);
      expect((await c.post("/auth/phone/verify", { code })).body).toEqual({ status: 409 });
      expect((await c.get("/account/phone")).body).toEqual({
        status: 200,
        data: [{ phone, verified: true }],
      });
      // The old number is free again.
      expect(await server.latchkey.runtime.phones.ownerOf(user.phone)).toBeNull();
    });

    it("refuses the current number (same_as_current) and an invalid one", async () => {
      const user = await insertPhoneUser(server);
      const c = await phoneLoginClient(server, kind, user);
      const same = await c.post("/account/phone", { phone: user.phone });
      expectStatus(same, 400);
      expect(same.body.errors).toEqual([
        {
          code: "same_as_current",
          message: "The new value must be different from the current one.",
          param: "phone",
        },
      ]);
      expect(errorsOf(await c.post("/account/phone", { phone: "+31 6" }))).toEqual([
        { code: "invalid_phone", param: "phone" },
      ]);
      expect(errorsOf(await c.post("/account/phone", {}))).toEqual([{ code: "required", param: "phone" }]);
    });

    it("texts a code to another account's number too, which then verifies to phone_taken", async () => {
      const other = await insertPhoneUser(server, { verified: false });
      const user = await insertPhoneUser(server);
      const c = await phoneLoginClient(server, kind, user);
      const res = await c.post("/account/phone", { phone: other.phone });
      expect(res.body).toEqual({ status: 202, data: [{ phone: other.phone, verified: false }] });
      const taken = await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(other.phone)) });
      expectStatus(taken, 400);
      expect(taken.body.errors).toEqual([
        {
          code: "phone_taken",
          message: "A user is already registered with this phone number.",
          param: "code",
        },
      ]);
      expect(await storedPhone(server, user.id)).toEqual({ phone: user.phone, verified: true });
    });

    it("ends the change after maxAttempts wrong codes; then 409", async () => {
      const user = await insertPhoneUser(server);
      const c = await phoneLoginClient(server, kind, user);
      const phone = newPhone();
      expectStatus(await c.post("/account/phone", { phone }), 202);
      const code = codeFromText(server.lastText(phone));
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(errorsOf(await c.post("/auth/phone/verify", { code: wrongCode(code, attempt) }))).toEqual([
          { code: "incorrect_code", param: "code" },
        ]);
      }
      expect((await c.post("/auth/phone/verify", { code })).body).toEqual({ status: 409 });
      // A new change starts over.
      const again = newPhone();
      expectStatus(await c.post("/account/phone", { phone: again }), 202);
      expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(again)) }), 200);
    });

    it("gives a user without a number an empty list, and lets them add one", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      expect((await c.get("/account/phone")).body).toEqual({ status: 200, data: [] });
      const phone = newPhone();
      expectStatus(await c.post("/account/phone", { phone }), 202);
      expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(phone)) }), 200);
      expect((await c.get("/account/phone")).body.data).toEqual([{ phone, verified: true }]);
    });
  });

  it("has no resend for a change (409)", async () => {
    const user = await insertPhoneUser(server);
    const c = await phoneLoginClient(server, clients[0]!, user);
    expectStatus(await c.post("/account/phone", { phone: newPhone() }), 202);
    expect((await c.post("/auth/phone/verify/resend")).body).toEqual({ status: 409 });
  });
});

describe.each(dialects)("changing the phone number, other options (%s)", (dialect) => {
  it("requires a recent authentication with account.reauthenticationRequired, after the input", async () => {
    const server = await startLatchkey(dialect, {
      account: { ...OPTIONS.account, reauthenticationRequired: true },
    });
    const user = await insertPhoneUser(server);
    const c = await phoneLoginClient(server, clients[1]!, user);
    server.advance(301_000);
    expectStatus(await c.post("/account/phone", { phone: user.phone }), 400);
    const res = await c.post("/account/phone", { phone: newPhone() });
    expectStatus(res, 401);
    expect(res.body.data.flows).toEqual([{ id: "reauthenticate" }]);
    expect(res.body.meta.is_authenticated).toBe(true);
    expectStatus(await c.post("/auth/reauthenticate", { password: PASSWORD }), 200);
    expectStatus(await c.post("/account/phone", { phone: newPhone() }), 202);
  });

  it("says phone_taken at once without enumeration prevention", async () => {
    const server = await startLatchkey(dialect, {
      account: { ...OPTIONS.account, preventEnumeration: false },
    });
    const other = await insertPhoneUser(server);
    const user = await insertPhoneUser(server);
    const c = await phoneLoginClient(server, clients[0]!, user);
    expect(errorsOf(await c.post("/account/phone", { phone: other.phone }))).toEqual([
      { code: "phone_taken", param: "phone" },
    ]);
    expect(server.textsTo(other.phone)).toHaveLength(0);
  });

  it("answers 429 past the change_phone limit (per user) and the verify_phone limit (per number)", async () => {
    const server = await startLatchkey(dialect, {
      ...OPTIONS,
      rateLimits: { actions: { change_phone: "2/m/user", verify_phone: "1/m/key" } },
    });
    const user = await insertPhoneUser(server);
    const c = await phoneLoginClient(server, clients[0]!, user);
    const phone = newPhone();
    expectStatus(await c.post("/account/phone", { phone }), 202);
    expect((await c.post("/account/phone", { phone })).body).toEqual({ status: 429 });
    expect((await c.post("/account/phone", { phone: newPhone() })).body).toEqual({ status: 429 });
    // GET is not limited (allauth counts no GET).
    expectStatus(await c.get("/account/phone"), 200);
    // The change that was started still verifies.
    expectStatus(await c.post("/auth/phone/verify", { code: codeFromText(server.lastText(phone)) }), 200);
  });
});
