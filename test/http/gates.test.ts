import { describe, expect, it } from "vitest";
import type { Route } from "../../src/base/route.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { anonymousClient } from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";

/**
 * Every gate, checked from the route table itself: a route that declares a gate refuses a caller
 * it does not admit before reading the body (so a bad body cannot change the answer), and the
 * routes without a gate are exactly the public ones listed here. Adding a route without a gate
 * fails this test until the route is listed as public.
 */

/** Every option that adds routes, so the table holds every route Latchkey has. */
const EVERYTHING: LatchkeyOptions = {
  account: {
    loginMethods: ["email", "phone"],
    signupFields: ["email*", "phone", "password1*"],
    emailVerification: "mandatory",
    emailVerificationByCode: { enabled: true },
    loginByCode: { enabled: true },
    passwordResetByCode: { enabled: true },
  },
  mfa: {
    supportedTypes: ["recovery_codes", "totp", "webauthn"],
    passkeyLogin: true,
    passkeySignup: true,
    trust: { enabled: true },
  },
  tokens: {
    strategy: "jwt",
    jwt: { algorithm: "HS256", privateKey: "a-test-secret-of-at-least-thirty-two-bytes" },
  },
  socialaccount: { providers: { dummy: {} } },
};

/** The routes anyone may call; each answers for itself (logged in or not) what a caller may do. */
const PUBLIC = [
  "GET /config",
  "GET /auth/session",
  "DELETE /auth/session",
  "POST /auth/login",
  "POST /auth/signup",
  "POST /auth/email/verify/resend",
  "POST /auth/password/request",
  "POST /auth/code/request",
  "GET /auth/webauthn/login",
  "POST /auth/webauthn/login",
  "POST /auth/webauthn/signup",
  "POST /auth/provider/redirect",
  "POST /auth/provider/token",
  "POST /tokens/refresh",
  "GET /tokens/jwks",
].sort();

const key = (r: Route) => `${r.method} ${r.path}`;

describe("gates declared on the route table", () => {
  const server = useLatchkey("sqlite", EVERYTHING);

  it("leaves only the public routes without a gate", () => {
    const ungated = [...new Set(server.latchkey.routes.filter((r) => !r.gate).map(key))].sort();
    expect(ungated).toEqual(PUBLIC);
  });

  describe.each(clients)("%s client", (kind) => {
    it("refuses an anonymous caller before reading the body, with the answer the gate declares", async () => {
      const gated = server.latchkey.routes.filter((r) => r.gate && (r.clients ?? [kind]).includes(kind));
      expect(gated.length).toBeGreaterThan(30);
      for (const r of gated) {
        const c = await anonymousClient(server, kind);
        const gate = r.gate!;
        const expected =
          gate.kind === "authenticated"
            ? { status: 401, isAuthenticated: false }
            : gate.kind === "stage"
              ? gate.otherwise === "conflict"
                ? { status: 409 }
                : { status: 401, isAuthenticated: null }
              : { status: gate.anonymous, ...(gate.anonymous === 401 ? { isAuthenticated: false } : {}) };
        // A gate checked after the input (as allauth does on one view) sees only valid bodies.
        const afterInput = gate.kind === "stage" && gate.afterInput;
        const bodies =
          r.method === "GET"
            ? [undefined]
            : afterInput
              ? [{ credential: { id: "x" } }]
              : [{}, "{not json", JSON.stringify({ code: 5, key: [] })];
        for (const body of bodies) {
          const res =
            typeof body === "string"
              ? await c.request(r.method, r.path, undefined, { raw: body })
              : await c.request(r.method, r.path, body);
          expect(res.status, `${key(r)} with ${String(body && JSON.stringify(body))}: ${res.text}`).toBe(
            expected.status,
          );
          expect(res.body.status).toBe(expected.status);
          if (expected.status === 401) {
            expect(res.body.meta.is_authenticated, key(r)).toBe(expected.isAuthenticated);
            expect(Array.isArray(res.body.data.flows), key(r)).toBe(true);
          } else {
            expect(res.body, key(r)).toEqual({ status: 409 });
          }
        }
      }
    });
  });
});
