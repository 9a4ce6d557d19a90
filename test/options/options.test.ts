import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { optionsSchema, resolveOptions } from "../../src/latchkey.js";
import {
  applyEnvironment as applyToSchema,
  envName,
  optionLeaves as leavesOf,
} from "../../src/options/env.js";
import { OptionsError } from "../../src/options/resolve.js";

const applyEnvironment = (base: Record<string, unknown>, env: Record<string, string | undefined>) =>
  applyToSchema(base, env, optionsSchema());
const optionLeaves = () => leavesOf(optionsSchema());

import type { LatchkeyOptions } from "../../src/options/schema.js";

function refusal(run: () => unknown): OptionsError {
  try {
    run();
  } catch (err) {
    if (err instanceof OptionsError) return err;
    throw err;
  }
  throw new Error("expected an OptionsError");
}

describe("defaults", () => {
  const o = resolveOptions();

  it("follow allauth's settings (ALLAUTH-BEHAVIOUR §6)", () => {
    expect(o.basePath).toBe("/_allauth");
    expect(o.clients).toEqual(["browser", "app"]);
    // ACCOUNT_*
    expect(o.account.loginMethods).toEqual(["username"]);
    expect([...o.account.signupFields].sort()).toEqual(["email", "password1*", "password2*", "username*"]);
    expect(o.account.emailVerification).toBe("optional");
    expect(o.account.preventEnumeration).toBe(true);
    expect(o.account.uniqueEmail).toBe(true);
    expect(o.account.reauthenticationTimeout).toBe(300);
    expect(o.account.reauthenticationRequired).toBe(false);
    expect(o.account.loginTimeout).toBe(900);
    expect(o.account.logoutOnPasswordChange).toBe(false);
    expect(o.account.usernameMinLength).toBe(1);
    expect(o.account.usernameBlacklist).toEqual([]);
    expect(o.account.preserveUsernameCasing).toBe(true);
    expect(o.account.emailVerificationByCode).toEqual({ enabled: false, maxAttempts: 3, timeout: 900 });
    expect(o.account.emailVerificationSupportsChange).toBe(0);
    expect(o.account.emailVerificationSupportsResend).toBe(0);
    expect(o.account.emailConfirmationExpireDays).toBe(3);
    expect(o.account.emailConfirmationCooldown).toBe(180);
    expect(o.account.loginOnEmailConfirmation).toBe(false);
    expect(o.account.loginOnPasswordReset).toBe(false);
    expect(o.account.passwordResetTimeout).toBe(3 * 24 * 3600);
    expect(o.account.passwordResetByCode).toEqual({ enabled: false, maxAttempts: 3, timeout: 180 });
    expect(o.account.loginByCode).toEqual({
      enabled: false,
      required: false,
      maxAttempts: 3,
      timeout: 180,
      supportsResend: 0,
    });
    expect(o.account.emailUnknownAccounts).toBe(true);
    expect(o.account.changeEmail).toBe(false);
    expect(o.account.maxEmailAddresses).toBeNull();
    expect(o.account.emailNotifications).toBe(false);
    // ALLAUTH_USER_CODE_FORMAT
    expect(o.account.userCodeFormat).toEqual({ alphabet: "BCDFGHJKLMNPQRSTVWXZ", length: 8, dashed: true });
    // ALLAUTH_TRUSTED_PROXY_COUNT / _CLIENT_IP_HEADER
    expect(o.proxy).toEqual({ trustedProxyCount: 0, trustedClientIpHeader: null });
    // Django sessions and CSRF
    expect(o.sessions.cookieName).toBe("sessionid");
    expect(o.sessions.cookieSameSite).toBe("Lax");
    expect(o.csrf.cookieName).toBe("csrftoken");
    expect(o.csrf.headerName).toBe("X-CSRFToken");
    // HEADLESS_*
    expect(o.tokens.strategy).toBe("session");
    expect(o.tokens.jwt).toMatchObject({
      algorithm: "RS256",
      privateKey: null,
      accessTokenExpiresIn: 300,
      refreshTokenExpiresIn: 86_400,
      authorizationHeaderScheme: "Bearer",
      statefulValidation: false,
      rotateRefreshToken: true,
    });
    // MFA_*
    expect(o.mfa.supportedTypes).toEqual(["recovery_codes", "totp"]);
    expect(o.mfa.allowUnverifiedEmail).toBe(false);
    expect(o.mfa.totp).toEqual({ issuer: null, digits: 6, period: 30, tolerance: 0 });
    expect(o.mfa.recoveryCodes).toEqual({ count: 10, digits: 8, showOnce: false });
    expect(o.mfa.passkeyLogin).toBe(false);
    expect(o.mfa.passkeySignup).toBe(false);
    expect(o.mfa.webauthn.allowInsecureOrigin).toBe(false);
    expect(o.mfa.trust).toMatchObject({
      enabled: false,
      cookieName: "mfa_trusted",
      cookieAge: 14 * 24 * 3600,
    });
    // USERSESSIONS_TRACK_ACTIVITY
    expect(o.usersessions.trackActivity).toBe(false);
  });

  it("run Latchkey standalone: SQLite file, console mail, rate limits in memory", () => {
    expect(o.database).toEqual({
      url: "sqlite:latchkey.sqlite3",
      tablePrefix: "latchkey_",
      poolSize: 10,
      statementTimeoutMs: null,
      migrate: true,
    });
    expect(o.mail.transport).toBe("console");
    expect(o.rateLimits).toMatchObject({ store: "memory", actions: {} });
    expect(o.http.maxBodyBytes).toBe(65_536);
  });

  it("turn allauth's True into a count of 2 for the change/resend settings", () => {
    const r = resolveOptions({
      account: {
        emailVerificationSupportsResend: true,
        emailVerificationSupportsChange: 5,
        loginByCode: { enabled: true, supportsResend: true },
      },
    });
    expect(r.account.emailVerificationSupportsResend).toBe(2);
    expect(r.account.emailVerificationSupportsChange).toBe(5);
    expect(r.account.loginByCode.supportsResend).toBe(2);
  });
});

const PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";

/** Every combination check of resolve.ts: the options that break it and the option path it names. */
const combinations: [string, LatchkeyOptions, string][] = [
  [
    "email login without unique emails",
    { account: { loginMethods: ["email"], uniqueEmail: false } },
    "account.loginMethods",
  ],
  [
    "email login without an email field",
    { account: { loginMethods: ["email"], signupFields: ["username*", "password1*"] } },
    "account.loginMethods",
  ],
  [
    "username login without a username field",
    { account: { loginMethods: ["username"], signupFields: ["email*", "password1*"] } },
    "account.loginMethods",
  ],
  [
    "mandatory verification without a required email",
    { account: { emailVerification: "mandatory" } },
    "account.emailVerification",
  ],
  ["phone login without a phone field", { account: { loginMethods: ["phone"] } }, "account.loginMethods"],
  [
    "an SMS webhook without a URL",
    { sms: { transport: "webhook", webhook: { secret: "s".repeat(16) } } },
    "sms.webhook.url",
  ],
  [
    "an SMS webhook with a short secret",
    { sms: { transport: "webhook", webhook: { url: "https://sms.example.com/hook", secret: "short" } } },
    "sms.webhook.secret",
  ],
  ["Twilio without an account SID", { sms: { transport: "twilio" } }, "sms.twilio.accountSid"],
  [
    "Twilio without an auth token",
    { sms: { transport: "twilio", twilio: { accountSid: "AC1" } } },
    "sms.twilio.authToken",
  ],
  [
    "Twilio without a sender",
    { sms: { transport: "twilio", twilio: { accountSid: "AC1", authToken: "t" } } },
    "sms.twilio.from",
  ],
  [
    "Twilio at a plain http URL",
    {
      sms: {
        transport: "twilio",
        twilio: {
          accountSid: "AC1",
          authToken: "t",
          from: "+15005550006",
          baseUrl: "http://api.example.com",
        },
      },
    },
    "sms.twilio.baseUrl",
  ],
  [
    "email2 without email",
    { account: { signupFields: ["email2", "username*", "password1*"] } },
    "account.signupFields",
  ],
  [
    "a minimum username length above the maximum",
    { account: { usernameMinLength: 20, usernameMaxLength: 10 } },
    "account.usernameMinLength",
  ],
  [
    "an idle timeout longer than the session's life",
    { sessions: { idleTimeout: 7200, maxAge: 3600 } },
    "sessions.idleTimeout",
  ],
  [
    "a trusted origin with a path",
    { csrf: { trustedOrigins: ["https://app.example.com/"] } },
    "csrf.trustedOrigins",
  ],
  [
    "a CORS origin that is not a URL",
    { cors: { allowedOrigins: ["app.example.com"] } },
    "cors.allowedOrigins",
  ],
  [
    "SameSite=None session cookies without Secure",
    { sessions: { cookieSameSite: "None" } },
    "sessions.cookieSameSite",
  ],
  [
    "verification by code without mandatory verification",
    { account: { emailVerificationByCode: { enabled: true } } },
    "account.emailVerificationByCode.enabled",
  ],
  [
    "required login codes without login by code",
    { account: { loginByCode: { required: true } } },
    "account.loginByCode.required",
  ],
  ["passkey login without webauthn", { mfa: { passkeyLogin: true } }, "mfa.passkeyLogin"],
  ["passkey signup without webauthn", { mfa: { passkeySignup: true } }, "mfa.passkeySignup"],
  [
    "passkey signup without mandatory verification by code",
    { mfa: { supportedTypes: ["webauthn"], passkeySignup: true } },
    "mfa.passkeySignup",
  ],
  [
    "SameSite=None trust cookies without Secure",
    { mfa: { trust: { enabled: true, cookieSameSite: "None" } } },
    "mfa.trust.cookieSameSite",
  ],
  ["JWT without a key", { tokens: { strategy: "jwt" } }, "tokens.jwt.privateKey"],
  [
    "a short HS256 secret",
    { tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: "short" } } },
    "tokens.jwt.privateKey",
  ],
  [
    "RS256 with a non-PEM key",
    { tokens: { strategy: "jwt", jwt: { privateKey: "x".repeat(40) } } },
    "tokens.jwt.privateKey",
  ],
  ["an unknown database", { database: { url: "mysql://localhost/db" } }, "database.url"],
  [
    "PostgreSQL rate limits on SQLite",
    { database: { url: "sqlite::memory:" }, rateLimits: { store: "postgres" } },
    "rateLimits.store",
  ],
];

describe("combination checks", () => {
  it.each(combinations)("refuse %s, naming the option", (_, input, path) => {
    const err = refusal(() => resolveOptions(input));
    expect(err.path).toBe(path);
    expect(err.message).toContain(path);
  });

  it("cover every check of the core and the areas", () => {
    const source = ["options/resolve.ts", "account/options.ts", "mfa/options.ts"]
      .map((file) => readFileSync(new URL(`../../src/${file}`, import.meta.url), "utf8"))
      .join("\n");
    const checked = new Set([...source.matchAll(/new OptionsError\(\s*"([\w.]+)"/g)].map((m) => m[1]!));
    // The origin lists are checked in a loop over their paths.
    for (const m of source.matchAll(/\["([\w.]+)", o\.[\w.]+\]/g)) checked.add(m[1]!);
    expect(checked.size).toBeGreaterThan(10);
    const tested = new Set(combinations.map(([, , path]) => path));
    expect([...checked].filter((p) => !tested.has(p))).toEqual([]);
  });

  it("accept the valid versions of those combinations", () => {
    const valid: LatchkeyOptions[] = [
      { account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] } },
      { account: { loginMethods: ["email", "username"] } },
      {
        account: {
          emailVerification: "mandatory",
          signupFields: ["email*", "username*", "password1*"],
          emailVerificationByCode: { enabled: true },
        },
      },
      { sessions: { cookieSameSite: "None", cookieSecure: true } },
      { csrf: { trustedOrigins: ["https://app.example.com", "http://localhost:3000"] } },
      {
        account: { loginByCode: { enabled: true, required: ["password"] } },
        mfa: { trust: { enabled: true } },
      },
      {
        account: {
          loginMethods: ["email"],
          signupFields: ["email*", "password1*"],
          emailVerification: "mandatory",
          emailVerificationByCode: { enabled: true },
        },
        mfa: { supportedTypes: ["webauthn"], passkeyLogin: true, passkeySignup: true },
      },
      { tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: "s".repeat(32) } } },
      { tokens: { strategy: "jwt", jwt: { algorithm: "EdDSA", privateKey: PEM } } },
      { database: { url: "postgresql://user@db/latchkey" }, rateLimits: { store: "postgres" } },
      { rateLimits: false },
      { basePath: "" },
    ];
    for (const input of valid) expect(() => resolveOptions(input)).not.toThrow();
  });

  it("name the option for schema errors: unknown keys, wrong types, bad values", () => {
    expect(refusal(() => resolveOptions({ nope: 1 } as LatchkeyOptions)).path).toBe("nope");
    expect(refusal(() => resolveOptions({ account: { nope: 1 } } as LatchkeyOptions)).path).toBe(
      "account.nope",
    );
    expect(
      refusal(() => resolveOptions({ account: { loginTimeout: "x" } } as unknown as LatchkeyOptions)).path,
    ).toBe("account.loginTimeout");
    expect(refusal(() => resolveOptions({ account: { loginMethods: [] } })).path).toBe(
      "account.loginMethods",
    );
    expect(refusal(() => resolveOptions({ account: { signupFields: ["nickname"] } })).path).toBe(
      "account.signupFields.0",
    );
    expect(refusal(() => resolveOptions({ basePath: "/auth/" })).path).toBe("basePath");
    expect(refusal(() => resolveOptions({ mfa: { totp: { digits: 9 } } })).path).toBe("mfa.totp.digits");
  });
});

describe("LATCHKEY_* environment", () => {
  const apply = (env: Record<string, string>, base: Record<string, unknown> = {}) =>
    applyEnvironment(base, env);

  it("reads arrays, booleans, numbers and null", () => {
    const options = apply({
      LATCHKEY_ACCOUNT_LOGIN_METHODS: "email, username",
      LATCHKEY_ACCOUNT_UNIQUE_EMAIL: "true",
      LATCHKEY_ACCOUNT_REAUTHENTICATION_REQUIRED: "true",
      LATCHKEY_ACCOUNT_LOGIN_TIMEOUT: "600",
      LATCHKEY_ACCOUNT_MAX_EMAIL_ADDRESSES: "null",
      LATCHKEY_ACCOUNT_USERNAME_BLACKLIST: "",
      LATCHKEY_PASSWORD_USER_ATTRIBUTE_SIMILARITY: "0.5",
    });
    expect(options).toEqual({
      account: {
        loginMethods: ["email", "username"],
        uniqueEmail: true,
        reauthenticationRequired: true,
        loginTimeout: 600,
        maxEmailAddresses: null,
        usernameBlacklist: [],
      },
      password: { userAttributeSimilarity: 0.5 },
    });
    expect(apply({ LATCHKEY_ACCOUNT_MAX_EMAIL_ADDRESSES: "3" })).toEqual({
      account: { maxEmailAddresses: 3 },
    });
    expect(apply({ LATCHKEY_PASSWORD_USER_ATTRIBUTE_SIMILARITY: "false" })).toEqual({
      password: { userAttributeSimilarity: false },
    });
  });

  it("turns rate limits off with LATCHKEY_RATE_LIMITS=false, and sets them one by one", () => {
    expect(apply({ LATCHKEY_RATE_LIMITS: "false" })).toEqual({ rateLimits: false });
    expect(resolveOptions(apply({ LATCHKEY_RATE_LIMITS: "false" })).rateLimits).toBe(false);
    expect(
      apply({
        LATCHKEY_RATE_LIMITS_STORE: "redis",
        LATCHKEY_RATE_LIMITS_ACTIONS_LOGIN: "false",
        LATCHKEY_RATE_LIMITS_ACTIONS_SIGNUP: "5/m/ip",
      }),
    ).toEqual({ rateLimits: { store: "redis", actions: { login: false, signup: "5/m/ip" } } });
  });

  it("reaches nested options", () => {
    const options = apply({
      LATCHKEY_MFA_TOTP_DIGITS: "8",
      LATCHKEY_ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS: "5",
    });
    expect(options).toEqual({ mfa: { totp: { digits: 8 } }, account: { loginByCode: { maxAttempts: 5 } } });
    expect(resolveOptions(options).mfa.totp.digits).toBe(8);
  });

  it("keeps text as text where the option is text", () => {
    expect(
      apply({
        LATCHKEY_MAIL_SMTP_PASSWORD: "12345",
        LATCHKEY_SITE_NAME: "true",
        LATCHKEY_MFA_TOTP_ISSUER: "Acme",
      }),
    ).toEqual({ mail: { smtpPassword: "12345" }, siteName: "true", mfa: { totp: { issuer: "Acme" } } });
  });

  it("reads the unions: strict enumeration, required login-code methods, counts", () => {
    expect(apply({ LATCHKEY_ACCOUNT_PREVENT_ENUMERATION: "strict" })).toEqual({
      account: { preventEnumeration: "strict" },
    });
    expect(apply({ LATCHKEY_ACCOUNT_PREVENT_ENUMERATION: "false" })).toEqual({
      account: { preventEnumeration: false },
    });
    expect(apply({ LATCHKEY_ACCOUNT_LOGIN_BY_CODE_REQUIRED: "password,mfa" })).toEqual({
      account: { loginByCode: { required: ["password", "mfa"] } },
    });
    expect(apply({ LATCHKEY_ACCOUNT_LOGIN_BY_CODE_REQUIRED: "true" })).toEqual({
      account: { loginByCode: { required: true } },
    });
    const resend = apply({ LATCHKEY_ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND: "true" });
    expect(resolveOptions(resend).account.emailVerificationSupportsResend).toBe(2);
  });

  it("overrides the file's values and keeps the rest; leaves the base untouched", () => {
    const base = { account: { loginMethods: ["email"], uniqueEmail: true }, siteName: "Acme" };
    const options = apply({ LATCHKEY_ACCOUNT_UNIQUE_EMAIL: "false" }, base);
    expect(options).toEqual({ account: { loginMethods: ["email"], uniqueEmail: false }, siteName: "Acme" });
    expect(base.account.uniqueEmail).toBe(true);
    // The combination is then refused, naming the option.
    expect(refusal(() => resolveOptions(options)).path).toBe("account.loginMethods");
  });

  it("ignores other variables", () => {
    expect(apply({ PATH: "/bin", DATABASE_URL: "postgres://x/y", LATCHKEYS: "1" })).toEqual({});
  });

  it("refuses an unknown LATCHKEY_ variable, naming it", () => {
    const err = refusal(() => apply({ LATCHKEY_FOO: "1" }));
    expect(err.path).toBe("LATCHKEY_FOO");
    expect(err.message).toContain("LATCHKEY_FOO");
    // Object groups are not leaves.
    expect(refusal(() => apply({ LATCHKEY_ACCOUNT: "1" })).path).toBe("LATCHKEY_ACCOUNT");
  });

  it("refuses a value of the wrong type, naming the variable", () => {
    for (const [name, value] of [
      ["LATCHKEY_MFA_TOTP_DIGITS", "eight"],
      ["LATCHKEY_ACCOUNT_UNIQUE_EMAIL", "yes"],
      ["LATCHKEY_ACCOUNT_LOGIN_METHODS", "emial"],
      ["LATCHKEY_ACCOUNT_LOGIN_TIMEOUT", ""],
      ["LATCHKEY_RATE_LIMITS", "true"],
    ] as const) {
      const err = refusal(() => apply({ [name]: value }));
      expect(err.path).toBe(name);
    }
  });
});

describe("optionLeaves()", () => {
  const leaves = optionLeaves();
  const leafPaths = new Set([...leaves.values()].map((leaf) => leaf.path.join(".")));

  /** Leaf paths of the resolved defaults (arrays and scalars are leaves). */
  function defaultPaths(value: unknown, path: string[] = []): string[] {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return Object.entries(value).flatMap(([k, v]) => defaultPaths(v, [...path, k]));
    }
    return [path.join(".")];
  }

  it("covers every option that has a default", () => {
    const missing = defaultPaths(resolveOptions()).filter((p) => !leafPaths.has(p));
    expect(missing).toEqual([]);
  });

  it("lists only real options: defaults, each rate-limit action, rateLimits itself (false) and the maps (messages, providers)", () => {
    const defaults = new Set(defaultPaths(resolveOptions()));
    const extra = [...leafPaths].filter((p) => !defaults.has(p));
    const maps = ["rateLimits", "messages", "socialaccount.providers"];
    expect(extra.filter((p) => !maps.includes(p) && !p.startsWith("rateLimits.actions."))).toEqual([]);
    expect(extra).toContain("rateLimits");
    expect(extra).toContain("rateLimits.actions.login_failed");
  });

  it("names each variable after its path, one variable per option", () => {
    for (const [name, leaf] of leaves) expect(envName(leaf.path)).toBe(name);
    expect(leaves.size).toBe(leafPaths.size);
    expect(leaves.get("LATCHKEY_MFA_TOTP_DIGITS")?.path).toEqual(["mfa", "totp", "digits"]);
    expect(leaves.get("LATCHKEY_RATE_LIMITS_ACTIONS_LOGIN_FAILED")?.path).toEqual([
      "rateLimits",
      "actions",
      "login_failed",
    ]);
    expect(leaves.get("LATCHKEY_ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS")?.path).toEqual([
      "account",
      "loginByCode",
      "maxAttempts",
    ]);
    expect(applyEnvironment({}, { LATCHKEY_MESSAGES: '{"incorrect_code":"Code incorrect."}' })).toEqual({
      messages: { incorrect_code: "Code incorrect." },
    });
  });
});
