import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { serve } from "../../src/adapters/node.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { PASSWORD } from "../helpers/accounts.js";
import { startLatchkey, startSecondLatchkey } from "../helpers/latchkey.js";
import { postgresAvailable } from "../helpers/stores.js";

const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const redisListening = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = connect(Number(port || 6379), hostname);
  socket.once("connect", () => {
    socket.destroy();
    resolve(true);
  });
  socket.once("error", () => resolve(false));
});

interface Answer {
  status: number;
  body: {
    status: number;
    data?: { user?: { id: number } };
    errors?: { code: string }[];
    meta?: Record<string, unknown>;
  };
  cookies: Map<string, string>;
}

/**
 * Two Latchkey servers (HTTP, the Node adapter) on one PostgreSQL database and one Redis, as
 * behind a load balancer: whichever instance a request reaches, it sees the same sessions and
 * the same rate-limit counters.
 */
describe.skipIf(!postgresAvailable || !redisListening)(
  "two instances on one PostgreSQL and one Redis",
  () => {
    async function pair(): Promise<[string, string]> {
      const options: LatchkeyOptions = {
        // Rate-limit keys in Redis carry the prefix: each test counts on its own.
        database: { tablePrefix: `two_${randomBytes(4).toString("hex")}_` },
        rateLimits: { store: "redis", redisUrl: REDIS_URL },
        account: {
          loginMethods: ["email"],
          signupFields: ["email*", "password1*"],
          emailVerification: "none",
        },
      };
      const a = await startLatchkey("postgres", options);
      const b = await startSecondLatchkey(a, options);
      const urls: string[] = [];
      for (const server of [a, b]) {
        const running = await serve(server.latchkey, { port: 0 });
        onTestFinished(() => running.close());
        urls.push(`${running.url}/_allauth`);
      }
      return [urls[0]!, urls[1]!];
    }

    async function call(
      base: string,
      method: string,
      path: string,
      opts: { token?: string; cookies?: Map<string, string>; body?: unknown } = {},
    ): Promise<Answer> {
      const headers: Record<string, string> = {};
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      if (opts.token) headers["x-session-token"] = opts.token;
      if (opts.cookies) {
        headers.cookie = [...opts.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
        const csrf = opts.cookies.get("csrftoken");
        if (csrf) headers["x-csrftoken"] = csrf;
      }
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
      const cookies = new Map(opts.cookies);
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
        if (/max-age=0/i.test(cookie)) cookies.delete(name);
        else cookies.set(name, value);
      }
      return { status: response.status, body: await response.json(), cookies };
    }

    it("an app session made on one instance works on the other; a logout on one is seen at once by the other", async () => {
      const [a, b] = await pair();
      const signup = await call(a, "POST", "/app/v1/auth/signup", {
        body: { email: "two-app@example.org", password: PASSWORD },
      });
      expect(signup.status).toBe(200);
      const token = signup.body.meta!.session_token as string;
      const onB = await call(b, "GET", "/app/v1/auth/session", { token });
      expect(onB.status).toBe(200);
      expect(onB.body.data!.user!.id).toBe(signup.body.data!.user!.id);
      expect((await call(b, "DELETE", "/app/v1/auth/session", { token })).status).toBe(401);
      expect((await call(a, "GET", "/app/v1/auth/session", { token })).status).toBe(410);
    });

    it("a browser session made on one instance works on the other; a logout on one is seen at once by the other", async () => {
      const [a, b] = await pair();
      const config = await call(a, "GET", "/browser/v1/config");
      const signup = await call(a, "POST", "/browser/v1/auth/signup", {
        cookies: config.cookies,
        body: { email: "two-browser@example.org", password: PASSWORD },
      });
      expect(signup.status).toBe(200);
      expect((await call(b, "GET", "/browser/v1/auth/session", { cookies: signup.cookies })).status).toBe(
        200,
      );
      expect((await call(a, "DELETE", "/browser/v1/auth/session", { cookies: signup.cookies })).status).toBe(
        401,
      );
      expect((await call(b, "GET", "/browser/v1/auth/session", { cookies: signup.cookies })).status).toBe(
        401,
      );
    });

    it("failed logins are counted once across both: the 6th wrong password is refused, wherever it arrives", async () => {
      const [a, b] = await pair();
      const email = "two-limits@example.org";
      expect(
        (await call(a, "POST", "/app/v1/auth/signup", { body: { email, password: PASSWORD } })).status,
      ).toBe(200);
      // login_failed allows 5 failures per account in 5 minutes; counted per instance, each would allow 5.
      for (const base of [a, b, a, b, a]) {
        const failed = await call(base, "POST", "/app/v1/auth/login", {
          body: { email, password: "wrong password 1" },
        });
        expect(failed.body.errors?.[0]?.code).toBe("email_password_mismatch");
      }
      const refused = await call(b, "POST", "/app/v1/auth/login", {
        body: { email, password: "wrong password 1" },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.code).toBe("too_many_login_attempts");
    });
  },
);
