import { describe, expect, it } from "vitest";
import { anonymousClient, insertUser, PASSWORD, type TestUser } from "../helpers/accounts.js";
import { clients, expectStatus, type TestResponse } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep, passwordLogin, userWithTotp } from "../helpers/totp.js";

/**
 * The failed-login limits (login_failed, login_failed_account): who can lock whom out, and what a
 * success clears. Every attempt comes from a fresh client at a given address.
 */

const MISMATCH = {
  message: "The username and/or password you specified are not correct.",
  code: "username_password_mismatch",
  param: "password",
};
const TOO_MANY = {
  message: "Too many failed login attempts. Try again later.",
  code: "too_many_login_attempts",
};
const INCORRECT_CODE = { message: "Incorrect code.", code: "incorrect_code", param: "code" };

let addressSerial = 0;
/** An address no other test uses, so per-IP counters start at zero. */
function newAddress(): string {
  addressSerial += 1;
  return `10.77.${Math.floor(addressSerial / 250)}.${addressSerial % 250}`;
}

function expectMismatch(res: TestResponse): void {
  expect(res.body, res.text).toEqual({ status: 400, errors: [MISMATCH] });
}

function expectTooMany(res: TestResponse, param?: string): void {
  expect(res.body, res.text).toEqual({
    status: 400,
    errors: [{ ...TOO_MANY, ...(param ? { param } : {}) }],
  });
}

describe.each(dialects)("failed-login limits (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    async function attempt(server: TestServer, address: string, user: TestUser, password: string) {
      const c = await anonymousClient(server, kind, address);
      return c.post("/auth/login", { username: user.username, password });
    }

    describe("allauth's defaults (10/m/ip, 5/300s per account and IP)", () => {
      const server = useLatchkey(dialect, {
        rateLimits: { actions: { login_failed: "10/m/ip,5/300s/key", login_failed_account: "100/d/key" } },
      });

      it("a success from an address does not clear its failures: the 11th is refused", async () => {
        const address = newAddress();
        const me = await insertUser(server);
        const others: TestUser[] = [];
        for (let i = 0; i < 11; i++) others.push(await insertUser(server));
        for (let i = 0; i < 9; i++) expectMismatch(await attempt(server, address, others[i]!, "wrong"));
        expectStatus(await attempt(server, address, me, PASSWORD), 200);
        // The success did not count as a failure: a 10th is let through...
        expectMismatch(await attempt(server, address, others[9]!, "wrong"));
        // ...and it cleared nothing: the 11th is refused, whatever account it names.
        expectTooMany(await attempt(server, address, others[10]!, "wrong"));
        expectTooMany(await attempt(server, address, me, PASSWORD));
      });

      it("successes do not use up an address's failures (many users behind one NAT)", async () => {
        const address = newAddress();
        for (let i = 0; i < 12; i++) {
          expectStatus(await attempt(server, address, await insertUser(server), PASSWORD), 200);
        }
        expectMismatch(await attempt(server, address, await insertUser(server), "wrong"));
      });

      it("5 wrong passwords from one address lock the account there, not elsewhere", async () => {
        const user = await insertUser(server);
        const [a, b] = [newAddress(), newAddress()];
        for (let i = 0; i < 5; i++) expectMismatch(await attempt(server, a, user, "wrong"));
        expectTooMany(await attempt(server, a, user, PASSWORD));
        expectStatus(await attempt(server, b, user, PASSWORD), 200);
        // The owner's success elsewhere does not lift the lockout at the guessing address...
        expectTooMany(await attempt(server, a, user, PASSWORD));
        // ...which stays free for other accounts.
        expectStatus(await attempt(server, a, await insertUser(server), PASSWORD), 200);
      });

      it("a success clears the account's failures from its address", async () => {
        const user = await insertUser(server);
        const address = newAddress();
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 4; i++) expectMismatch(await attempt(server, address, user, "wrong"));
          expectStatus(await attempt(server, address, user, PASSWORD), 200);
        }
      });
    });

    describe("an account-wide ceiling of 3", () => {
      const server = useLatchkey(dialect, {
        rateLimits: { actions: { login_failed: "10/m/ip,10/300s/key", login_failed_account: "3/d/key" } },
      });

      it("failures spread over addresses lock the account everywhere", async () => {
        const user = await insertUser(server);
        const first = newAddress();
        expectMismatch(await attempt(server, first, user, "wrong"));
        for (let i = 0; i < 2; i++) expectMismatch(await attempt(server, newAddress(), user, "wrong"));
        expectTooMany(await attempt(server, newAddress(), user, PASSWORD));
        expectTooMany(await attempt(server, first, user, PASSWORD));
        // Other accounts are not affected.
        expectStatus(await attempt(server, first, await insertUser(server), PASSWORD), 200);
      });

      it("a success clears the account-wide count", async () => {
        const user = await insertUser(server);
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 2; i++) expectMismatch(await attempt(server, newAddress(), user, "wrong"));
          expectStatus(await attempt(server, newAddress(), user, PASSWORD), 200);
        }
      });
    });

    describe("passwords re-entered by a logged-in session", () => {
      const server = useLatchkey(dialect, {
        rateLimits: { actions: { login_failed: "10/m/ip,5/300s/key", login_failed_account: "100/d/key" } },
      });
      const INCORRECT = { message: "Incorrect password.", code: "incorrect_password", param: "password" };

      it("reauthentication and password change guess at one count: the 6th is refused, even right", async () => {
        const user = await insertUser(server);
        const address = newAddress();
        const c = await anonymousClient(server, kind, address);
        expectStatus(await c.post("/auth/login", { username: user.username, password: PASSWORD }), 200);
        for (let i = 0; i < 3; i++) {
          expect((await c.post("/auth/reauthenticate", { password: "wrong" })).body.errors).toEqual([
            INCORRECT,
          ]);
        }
        for (let i = 0; i < 2; i++) {
          const change = await c.post("/account/password/change", {
            current_password: "wrong",
            new_password: "Another-Horse-Battery-7",
          });
          expect(change.body.errors[0].code).toBe("enter_current_password");
        }
        expectTooMany(await c.post("/auth/reauthenticate", { password: PASSWORD }), "password");
        const change = await c.post("/account/password/change", {
          current_password: PASSWORD,
          new_password: "Another-Horse-Battery-7",
        });
        expectTooMany(change, "current_password");
      });

      it("a right password clears the count", async () => {
        const user = await insertUser(server);
        const c = await anonymousClient(server, kind, newAddress());
        expectStatus(await c.post("/auth/login", { username: user.username, password: PASSWORD }), 200);
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < 4; i++)
            expectStatus(await c.post("/auth/reauthenticate", { password: "wrong" }), 400);
          expectStatus(await c.post("/auth/reauthenticate", { password: PASSWORD }), 200);
        }
      });
    });

    describe("TOTP codes", () => {
      const server = useLatchkey(dialect, {
        rateLimits: { actions: { login_failed: "100/m/ip,3/300s/key", login_failed_account: "5/d/key" } },
      });

      /** A client at the address with the user's password accepted and the TOTP step pending. */
      async function atTotpStep(address: string, user: { username: string; password: string }) {
        const c = server.client(kind, address);
        expectStatus(await passwordLogin(c, user.username, user.password), 401);
        return c;
      }

      it("wrong codes from one address lock the user's codes there, not elsewhere", async () => {
        const user = await userWithTotp(server, server.client(kind, newAddress()));
        nextStep(server);
        const guesser = await atTotpStep(newAddress(), user);
        for (let i = 0; i < 3; i++) {
          const r = await guesser.post("/auth/2fa/authenticate", { code: "99999999" });
          expect(r.body.errors).toEqual([INCORRECT_CODE]);
        }
        const code = currentCode(server, user.secret);
        expectTooMany(await guesser.post("/auth/2fa/authenticate", { code }), "code");
        const owner = await atTotpStep(newAddress(), user);
        expectStatus(await owner.post("/auth/2fa/authenticate", { code }), 200);
      });

      it("wrong codes spread over addresses reach the user's ceiling", async () => {
        const user = await userWithTotp(server, server.client(kind, newAddress()));
        nextStep(server);
        for (let i = 0; i < 5; i++) {
          const c = await atTotpStep(newAddress(), user);
          const r = await c.post("/auth/2fa/authenticate", { code: "99999999" });
          expect(r.body.errors).toEqual([INCORRECT_CODE]);
        }
        const owner = await atTotpStep(newAddress(), user);
        const code = currentCode(server, user.secret);
        expectTooMany(await owner.post("/auth/2fa/authenticate", { code }), "code");
      });
    });
  });
});
