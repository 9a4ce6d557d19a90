import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { ANONYMOUS_FLOWS, expectEnvelope, insertUser, loginClient } from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { Client, startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects, storelessDialects } from "../helpers/stores.js";

const DEFAULT_CONFIG = {
  account: {
    login_methods: ["username"],
    is_open_for_signup: true,
    email_verification_by_code_enabled: false,
    login_by_code_enabled: false,
    password_reset_by_code_enabled: false,
    authentication_method: "username",
  },
  mfa: { supported_types: ["recovery_codes", "totp"], passkey_login_enabled: false },
  usersessions: { track_activity: false },
};

describe.each(dialects)("GET /config (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  describe.each(clients)("%s client", (kind) => {
    it("describes the default configuration", async () => {
      const res = await server.client(kind).get("/config");
      expect(res.status).toBe(200);
      expectEnvelope(res);
      expect(res.body).toEqual({ status: 200, data: DEFAULT_CONFIG });
    });

    it("answers the same whether logged in or not, without a session token", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const res = await c.get("/config");
      expect(res.body).toEqual({ status: 200, data: DEFAULT_CONFIG });
    });

    it("creates no session", async () => {
      const c = server.client(kind);
      const res = await c.get("/config");
      if (kind === Client.BROWSER) {
        expect(res.headers.getSetCookie().some((x) => x.startsWith("sessionid="))).toBe(false);
      } else {
        expect(res.body.meta).toBeUndefined();
      }
    });
  });

  it("answers 410 to an app token that names no session", async () => {
    const c = server.client(Client.APP);
    c.token = "not-a-session";
    const res = await c.get("/config");
    expect(res.status).toBe(410);
    expectEnvelope(res);
    expect(res.body).toEqual({
      status: 410,
      data: { flows: ANONYMOUS_FLOWS },
      meta: { is_authenticated: null },
    });
  });

  it("ignores X-Session-Token on the browser tree", async () => {
    const res = await server
      .client(Client.BROWSER)
      .get("/config", { headers: { "x-session-token": "gone" } });
    expect(res.status).toBe(200);
  });
});

describe.each(storelessDialects)("GET /config with other options (%s)", (dialect) => {
  const variants: [string, LatchkeyOptions, (data: Record<string, unknown>) => void][] = [
    [
      "email and username login, signup closed",
      {
        account: {
          loginMethods: ["email", "username"],
          isOpenForSignup: false,
          signupFields: ["email*", "username*", "password1*"],
        },
      },
      (data) => {
        expect(data.account).toEqual({
          login_methods: ["email", "username"],
          is_open_for_signup: false,
          email_verification_by_code_enabled: false,
          login_by_code_enabled: false,
          password_reset_by_code_enabled: false,
          authentication_method: "username_email",
        });
      },
    ],
    [
      "email login, no mfa, no usersessions",
      {
        account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] },
        mfa: { enabled: false },
        usersessions: { enabled: false },
      },
      (data) => {
        expect(Object.keys(data).sort()).toEqual(["account"]);
        expect((data.account as Record<string, unknown>).authentication_method).toBe("email");
        expect((data.account as Record<string, unknown>).login_methods).toEqual(["email"]);
      },
    ],
    [
      "tracked activity, webauthn passkey login",
      {
        usersessions: { trackActivity: true },
        mfa: { supportedTypes: ["recovery_codes", "totp", "webauthn"], passkeyLogin: true },
      },
      (data) => {
        expect(data.usersessions).toEqual({ track_activity: true });
        expect(data.mfa).toEqual({
          supported_types: ["recovery_codes", "totp", "webauthn"],
          passkey_login_enabled: true,
        });
      },
    ],
  ];

  it.each(variants)("%s", async (_name, options, check) => {
    const server = await startLatchkey(dialect, options);
    for (const kind of clients) {
      const res = await server.client(kind).get("/config");
      expect(res.status).toBe(200);
      check(res.body.data);
    }
  });
});
