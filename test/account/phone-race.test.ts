import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { PASSWORD } from "../helpers/accounts.js";
import { clients, expectStatus, type TestResponse, wrongCodeWave } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import {
  codeFromText,
  insertPhoneUser,
  newPhone,
  phoneLoginClient,
  storedPhone,
  wrongCode,
} from "./phone-helpers.js";

/**
 * The attempt limit of texted codes holds under concurrency: however many wrong guesses arrive
 * at once on one session, at most maxAttempts of them are checked (400 incorrect_code), the rest
 * find the verification used up (409), and the right code is refused after.
 */

const MAX_ATTEMPTS = 3;
const WAVE = 100;

const OPTIONS: LatchkeyOptions = {
  account: {
    loginMethods: ["phone"],
    signupFields: ["phone*", "password1*"],
    phoneVerification: { maxAttempts: MAX_ATTEMPTS },
    loginByCode: { enabled: true, maxAttempts: MAX_ATTEMPTS },
  },
};

const wave = (send: (i: number) => Promise<TestResponse>) => wrongCodeWave(WAVE, send);

describe.each(dialects)("texted-code attempts under concurrency (%s)", (dialect) => {
  const server = useLatchkey(dialect, OPTIONS);

  describe.each(clients)("%s client", (kind) => {
    it("POST /auth/phone/verify at signup", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const phone = newPhone();
      expectStatus(await c.post("/auth/signup", { phone, password: PASSWORD }), 401);
      const code = codeFromText(server.lastText(phone));
      const { checked, refused } = await wave((i) =>
        c.post("/auth/phone/verify", { code: wrongCode(code, i) }),
      );
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.post("/auth/phone/verify", { code }), 409);
      expectStatus(await c.get("/auth/session"), 401);
    });

    it("POST /auth/phone/verify of a change", async () => {
      const user = await insertPhoneUser(server);
      const c = await phoneLoginClient(server, kind, user);
      const phone = newPhone();
      expectStatus(await c.post("/account/phone", { phone }), 202);
      const code = codeFromText(server.lastText(phone));
      const { checked, refused } = await wave((i) =>
        c.post("/auth/phone/verify", { code: wrongCode(code, i) }),
      );
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.post("/auth/phone/verify", { code }), 409);
      expect(await storedPhone(server, user.id)).toEqual({ phone: user.phone, verified: true });
    });

    it("POST /auth/code/confirm of a code texted", async () => {
      const user = await insertPhoneUser(server);
      const c = server.client(kind);
      await c.get("/config");
      expectStatus(await c.post("/auth/code/request", { phone: user.phone }), 401);
      const code = codeFromText(server.lastText(user.phone));
      const { checked, refused } = await wave((i) =>
        c.post("/auth/code/confirm", { code: wrongCode(code, i) }),
      );
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.post("/auth/code/confirm", { code }), 409);
    });

    it("lets one of concurrent right codes verify", async () => {
      const c = server.client(kind);
      await c.get("/config");
      const phone = newPhone();
      expectStatus(await c.post("/auth/signup", { phone, password: PASSWORD }), 401);
      const code = codeFromText(server.lastText(phone));
      // No more than maxAttempts: every guess is counted while it is checked, right ones too.
      const answers = await Promise.all(
        Array.from({ length: MAX_ATTEMPTS }, () => c.post("/auth/phone/verify", { code })),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(MAX_ATTEMPTS - 1).fill(409)]);
    });
  });
});
