import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient, insertUser, PASSWORD, unique } from "../helpers/accounts.js";
import {
  clients,
  expectStatus,
  type TestClient,
  type TestResponse,
  wrongCodeWave,
} from "../helpers/client.js";
import { Client, type SentMail, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * The attempt limit of mailed codes holds under concurrency: however many wrong guesses arrive
 * at once on one pending process, at most maxAttempts of them are checked (answered 400
 * incorrect_code), the rest find the process used up (409), and the right code is refused after.
 */

const MAX_ATTEMPTS = 3;
const WAVE = 200;

const OPTIONS: LatchkeyOptions = {
  account: {
    loginMethods: ["email"],
    signupFields: ["email*", "password1*"],
    emailVerification: "mandatory",
    emailVerificationByCode: { enabled: true, maxAttempts: MAX_ATTEMPTS },
    loginByCode: { enabled: true, maxAttempts: MAX_ATTEMPTS },
    passwordResetByCode: { enabled: true, maxAttempts: MAX_ATTEMPTS },
  },
};

/** The code in a code mail (on a line of its own, indented). */
function codeFrom(mail: SentMail): string {
  const match = /^ {4}(\S+)\s*$/m.exec(mail.text);
  if (!match) throw new Error(`no code in ${mail.text}`);
  return match[1]!;
}

/** A code that is not the mailed one. */
function wrong(code: string, i: number): string {
  const letters = "BCDFGHJKLMNPQRSTVWXZ";
  const first = letters[(letters.indexOf(code[0]!) + 1 + (i % 19)) % letters.length]!;
  return `${first}${code.slice(1)}`;
}

const wave = (send: (i: number) => Promise<TestResponse>) => wrongCodeWave(WAVE, send);

describe.each(dialects)("mailed-code attempts under concurrency (%s)", (dialect) => {
  const server = useLatchkey(dialect, OPTIONS);

  describe.each(clients)("%s client", (kind) => {
    it("POST /auth/code/confirm", async () => {
      const user = await insertUser(server, { verified: true });
      const c: TestClient = await anonymousClient(server, kind);
      expectStatus(await c.post("/auth/code/request", { email: user.email }), 401);
      const code = codeFrom(server.lastMail(user.email!));
      const { checked, refused } = await wave((i) => c.post("/auth/code/confirm", { code: wrong(code, i) }));
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.post("/auth/code/confirm", { code }), 409);
      expectStatus(await c.get("/auth/session"), 401);
    });

    it("POST /auth/email/verify", async () => {
      const c = await anonymousClient(server, kind);
      const email = `${unique("race")}@example.org`;
      expectStatus(await c.post("/auth/signup", { email, password: PASSWORD }), 401);
      const code = codeFrom(server.lastMail(email));
      const { checked, refused } = await wave((i) => c.post("/auth/email/verify", { key: wrong(code, i) }));
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.post("/auth/email/verify", { key: code }), 409);
    });

    it("GET and POST /auth/password/reset", async () => {
      const user = await insertUser(server, { verified: true });
      const c = await anonymousClient(server, kind);
      expectStatus(await c.post("/auth/password/request", { email: user.email }), 401);
      const code = codeFrom(server.lastMail(user.email!));
      const { checked, refused } = await wave((i) =>
        i % 2 === 0
          ? c.get("/auth/password/reset", { headers: { "X-Password-Reset-Key": wrong(code, i) } })
          : c.post("/auth/password/reset", { key: wrong(code, i), password: "Another-Horse-Battery-7" }),
      );
      expect(checked).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(checked + refused).toBe(WAVE);
      expectStatus(await c.get("/auth/password/reset", { headers: { "X-Password-Reset-Key": code } }), 409);
      expectStatus(
        await c.post("/auth/password/reset", { key: code, password: "Another-Horse-Battery-7" }),
        409,
      );
    });
  });
});

describe("a per-IP limit on entering codes and keys", () => {
  const server = useLatchkey("sqlite", {
    ...OPTIONS,
    rateLimits: { actions: { confirm_code: "2/m/ip", request_login_code: false, confirm_email: false } },
  });

  /** Each route with what puts a guess in flight on it (a pending code) and a wrong guess. */
  const routes: [string, (c: TestClient) => Promise<void>, (c: TestClient) => Promise<TestResponse>][] = [
    [
      "POST /auth/code/confirm",
      async (c) => {
        const user = await insertUser(server, { verified: true });
        expectStatus(await c.post("/auth/code/request", { email: user.email }), 401);
      },
      (c) => c.post("/auth/code/confirm", { code: "BCDF-GHJK" }),
    ],
    [
      "POST /auth/email/verify",
      async (c) => {
        expectStatus(
          await c.post("/auth/signup", { email: `${unique("ip")}@example.org`, password: PASSWORD }),
          401,
        );
      },
      (c) => c.post("/auth/email/verify", { key: "BCDF-GHJK" }),
    ],
    [
      "GET /auth/email/verify",
      async (c) => {
        expectStatus(
          await c.post("/auth/signup", { email: `${unique("ip")}@example.org`, password: PASSWORD }),
          401,
        );
      },
      (c) => c.get("/auth/email/verify", { headers: { "X-Email-Verification-Key": "BCDF-GHJK" } }),
    ],
    [
      "GET /auth/password/reset",
      async (c) => {
        const user = await insertUser(server, { verified: true });
        expectStatus(await c.post("/auth/password/request", { email: user.email }), 401);
      },
      (c) => c.get("/auth/password/reset", { headers: { "X-Password-Reset-Key": "BCDF-GHJK" } }),
    ],
  ];
  it.each(routes.map(([name, start, send], i) => [name, start, send, i] as const))(
    "%s answers 429 past confirm_code, per client IP",
    async (_name, start, send, i) => {
      // One guess left over the limit on a code with more attempts than that.
      const c = await anonymousClient(server, Client.APP, `203.0.113.${i + 1}`);
      await start(c);
      expectStatus(await send(c), 400);
      expectStatus(await send(c), 400);
      expectStatus(await send(c), 429);
      const other = await anonymousClient(server, Client.APP, `198.51.100.${i + 1}`);
      await start(other);
      expectStatus(await send(other), 400);
    },
  );
});
