import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/latchkey.js";
import {
  attributeToAllauthSettings,
  describeAllauthSettings,
  fromAllauthSettings,
  markOverridden,
} from "../../src/options/allauth-settings.js";
import { AllauthSettingError, type MappedSetting, SETTINGS } from "../../src/options/allauth-table.js";
import { OptionsError } from "../../src/options/resolve.js";
import type { ResolvedOptions } from "../../src/options/schema.js";
import { Client, startLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/** allauth's settings copied into Latchkey's options: every mapping, the named errors, and a real server. */

/** The message fromAllauthSettings refuses an object with. */
function refusal(input: Record<string, unknown>): string {
  try {
    fromAllauthSettings(input);
  } catch (err) {
    expect(err).toBeInstanceOf(AllauthSettingError);
    return (err as Error).message;
  }
  throw new Error("the settings were accepted");
}

/** The message resolving the translated object fails with, in the config file's words. */
function resolveRefusal(input: Record<string, unknown>): string {
  const { options, settings } = fromAllauthSettings(input);
  try {
    resolveOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(OptionsError);
    return (attributeToAllauthSettings(err, settings) as Error).message;
  }
  throw new Error("the options were accepted");
}

function valueAt(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], o);
}

const JWT_SECRET = "s".repeat(32);
const TOKEN_KEY = randomBytes(32).toString("hex");
const EMAIL_ACCOUNT = { signupFields: ["email*", "username*", "password1*"] };

/**
 * One example per mapped setting: its value, the Latchkey options it needs beside it, and the
 * resolved options it must lead to (by path). Values differ from the defaults, so that a mapping
 * that set nothing would fail. An empty `expect` is a setting accepted without setting anything.
 */
const EXAMPLES: Record<
  string,
  { value: unknown; with?: Record<string, unknown>; expect: Record<string, unknown> }
> = {
  ACCOUNT_CHANGE_EMAIL: { value: true, expect: { "account.changeEmail": true } },
  ACCOUNT_CONFIRM_EMAIL_ON_GET: { value: false, expect: {} },
  ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN: { value: 60, expect: { "account.emailConfirmationCooldown": 60 } },
  ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: { value: 7, expect: { "account.emailConfirmationExpireDays": 7 } },
  ACCOUNT_EMAIL_NOTIFICATIONS: { value: true, expect: { "account.emailNotifications": true } },
  ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS: { value: false, expect: { "account.emailUnknownAccounts": false } },
  ACCOUNT_EMAIL_VERIFICATION: {
    // allauth's legacy boolean.
    value: true,
    with: { account: EMAIL_ACCOUNT },
    expect: { "account.emailVerification": "mandatory" },
  },
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED: {
    value: true,
    with: { account: { ...EMAIL_ACCOUNT, emailVerification: "mandatory" } },
    expect: { "account.emailVerificationByCode.enabled": true },
  },
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_MAX_ATTEMPTS: {
    value: 5,
    expect: { "account.emailVerificationByCode.maxAttempts": 5 },
  },
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT: {
    value: 600,
    expect: { "account.emailVerificationByCode.timeout": 600 },
  },
  ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE: {
    value: true,
    expect: { "account.emailVerificationSupportsChange": 2 },
  },
  ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND: {
    value: 3,
    expect: { "account.emailVerificationSupportsResend": 3 },
  },
  ACCOUNT_LOGIN_BY_CODE_ENABLED: { value: true, expect: { "account.loginByCode.enabled": true } },
  ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS: { value: 5, expect: { "account.loginByCode.maxAttempts": 5 } },
  ACCOUNT_LOGIN_BY_CODE_REQUIRED: {
    value: ["password", "socialaccount"],
    with: { account: { loginByCode: { enabled: true } } },
    expect: { "account.loginByCode.required": ["password", "socialaccount"] },
  },
  ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND: { value: true, expect: { "account.loginByCode.supportsResend": 2 } },
  ACCOUNT_LOGIN_BY_CODE_TIMEOUT: { value: 300, expect: { "account.loginByCode.timeout": 300 } },
  ACCOUNT_LOGIN_METHODS: {
    value: ["email", "username"],
    with: { account: EMAIL_ACCOUNT },
    expect: { "account.loginMethods": ["email", "username"] },
  },
  ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: { value: true, expect: { "account.loginOnEmailConfirmation": true } },
  ACCOUNT_LOGIN_ON_PASSWORD_RESET: { value: true, expect: { "account.loginOnPasswordReset": true } },
  ACCOUNT_LOGIN_TIMEOUT: { value: 600, expect: { "account.loginTimeout": 600 } },
  ACCOUNT_LOGOUT_ON_GET: { value: false, expect: {} },
  ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE: { value: true, expect: { "account.logoutOnPasswordChange": true } },
  ACCOUNT_MAX_EMAIL_ADDRESSES: { value: 2, expect: { "account.maxEmailAddresses": 2 } },
  ACCOUNT_PASSWORD_MIN_LENGTH: { value: 10, expect: { "password.minLength": 10 } },
  ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED: {
    value: true,
    expect: { "account.passwordResetByCode.enabled": true },
  },
  ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS: {
    value: 4,
    expect: { "account.passwordResetByCode.maxAttempts": 4 },
  },
  ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT: {
    value: 240,
    expect: { "account.passwordResetByCode.timeout": 240 },
  },
  ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT: {
    value: { numeric: true },
    expect: {
      "account.phoneVerification.codeFormat": { alphabet: "0123456789", length: 9, dashed: true },
    },
  },
  ACCOUNT_PHONE_VERIFICATION_ENABLED: {
    value: false,
    expect: { "account.phoneVerification.enabled": false },
  },
  ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS: {
    value: 5,
    expect: { "account.phoneVerification.maxAttempts": 5 },
  },
  ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE: {
    value: true,
    expect: { "account.phoneVerification.supportsChange": 2 },
  },
  ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND: {
    value: 1,
    expect: { "account.phoneVerification.supportsResend": 1 },
  },
  ACCOUNT_PHONE_VERIFICATION_TIMEOUT: { value: 600, expect: { "account.phoneVerification.timeout": 600 } },
  ACCOUNT_PRESERVE_USERNAME_CASING: { value: false, expect: { "account.preserveUsernameCasing": false } },
  ACCOUNT_PREVENT_ENUMERATION: { value: "strict", expect: { "account.preventEnumeration": "strict" } },
  ACCOUNT_RATE_LIMITS: {
    value: { login_failed: "10/m/ip,3/300s/key", signup: null },
    expect: {
      "rateLimits.actions.login_failed": "10/m/ip,3/300s/key",
      "rateLimits.actions.signup": false,
    },
  },
  ACCOUNT_REAUTHENTICATION_REQUIRED: { value: true, expect: { "account.reauthenticationRequired": true } },
  ACCOUNT_REAUTHENTICATION_TIMEOUT: { value: 600, expect: { "account.reauthenticationTimeout": 600 } },
  ACCOUNT_SIGNUP_FIELDS: {
    value: ["email*", "username*", "password1*"],
    expect: { "account.signupFields": ["email*", "username*", "password1*"] },
  },
  ACCOUNT_UNIQUE_EMAIL: { value: false, expect: { "account.uniqueEmail": false } },
  ACCOUNT_USERNAME_BLACKLIST: { value: ["admin"], expect: { "account.usernameBlacklist": ["admin"] } },
  ACCOUNT_USERNAME_MIN_LENGTH: { value: 3, expect: { "account.usernameMinLength": 3 } },
  ALLAUTH_TRUSTED_CLIENT_IP_HEADER: {
    value: "CF-Connecting-IP",
    expect: { "proxy.trustedClientIpHeader": "CF-Connecting-IP" },
  },
  ALLAUTH_TRUSTED_PROXY_COUNT: { value: 1, expect: { "proxy.trustedProxyCount": 1 } },
  ALLAUTH_USER_CODE_FORMAT: {
    value: { numeric: false, dashed: false, length: 6 },
    expect: { "account.userCodeFormat": { alphabet: "BCDFGHJKLMNPQRSTVWXZ", length: 6, dashed: false } },
  },
  HEADLESS_CLIENTS: { value: ["app"], expect: { clients: ["app"] } },
  HEADLESS_FRONTEND_URLS: {
    value: {
      account_confirm_email: "https://app.example.com/verify/{key}",
      account_reset_password: "https://app.example.com/reset",
      account_reset_password_from_key: "https://app.example.com/reset/{key}",
      account_signup: "https://app.example.com/signup",
      socialaccount_login_error: "https://app.example.com/callback",
    },
    expect: {
      "frontendUrls.accountConfirmEmail": "https://app.example.com/verify/{key}",
      "frontendUrls.accountResetPassword": "https://app.example.com/reset",
      "frontendUrls.accountResetPasswordFromKey": "https://app.example.com/reset/{key}",
      "frontendUrls.accountSignup": "https://app.example.com/signup",
      "frontendUrls.socialaccountLoginError": "https://app.example.com/callback",
    },
  },
  HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN: {
    value: 600,
    with: { tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: JWT_SECRET } } },
    expect: { "tokens.jwt.accessTokenExpiresIn": 600 },
  },
  HEADLESS_JWT_ALGORITHM: {
    value: "HS256",
    with: { tokens: { strategy: "jwt", jwt: { privateKey: JWT_SECRET } } },
    expect: { "tokens.jwt.algorithm": "HS256" },
  },
  HEADLESS_JWT_AUTHORIZATION_HEADER_SCHEME: {
    value: "JWT",
    expect: { "tokens.jwt.authorizationHeaderScheme": "JWT" },
  },
  HEADLESS_JWT_PRIVATE_KEY: {
    value: JWT_SECRET,
    with: { tokens: { strategy: "jwt", jwt: { algorithm: "HS256" } } },
    expect: { "tokens.jwt.privateKey": JWT_SECRET },
  },
  HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN: {
    value: 3600,
    expect: { "tokens.jwt.refreshTokenExpiresIn": 3600 },
  },
  HEADLESS_JWT_ROTATE_REFRESH_TOKEN: { value: false, expect: { "tokens.jwt.rotateRefreshToken": false } },
  HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED: {
    value: true,
    expect: { "tokens.jwt.statefulValidation": true },
  },
  HEADLESS_ONLY: { value: true, expect: {} },
  HEADLESS_SERVE_SPECIFICATION: { value: false, expect: { "http.docs": false } },
  HEADLESS_TOKEN_STRATEGY: {
    value: "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy",
    with: { tokens: { jwt: { algorithm: "HS256", privateKey: JWT_SECRET } } },
    expect: { "tokens.strategy": "jwt" },
  },
  MFA_ALLOW_UNVERIFIED_EMAIL: { value: true, expect: { "mfa.allowUnverifiedEmail": true } },
  MFA_PASSKEY_LOGIN_ENABLED: {
    value: true,
    with: { mfa: { supportedTypes: ["totp", "webauthn"] } },
    expect: { "mfa.passkeyLogin": true },
  },
  MFA_PASSKEY_SIGNUP_ENABLED: {
    value: true,
    with: {
      account: {
        ...EMAIL_ACCOUNT,
        emailVerification: "mandatory",
        emailVerificationByCode: { enabled: true },
      },
      mfa: { supportedTypes: ["webauthn"] },
    },
    expect: { "mfa.passkeySignup": true },
  },
  MFA_RECOVERY_CODE_COUNT: { value: 12, expect: { "mfa.recoveryCodes.count": 12 } },
  MFA_RECOVERY_CODE_DIGITS: { value: 10, expect: { "mfa.recoveryCodes.digits": 10 } },
  MFA_RECOVERY_CODES_SHOW_ONCE: { value: true, expect: { "mfa.recoveryCodes.showOnce": true } },
  MFA_SUPPORTED_TYPES: { value: ["totp"], expect: { "mfa.supportedTypes": ["totp"] } },
  MFA_TOTP_DIGITS: { value: 8, expect: { "mfa.totp.digits": 8 } },
  MFA_TOTP_ISSUER: { value: "Acme", expect: { "mfa.totp.issuer": "Acme" } },
  MFA_TOTP_PERIOD: { value: 60, expect: { "mfa.totp.period": 60 } },
  MFA_TOTP_TOLERANCE: { value: 1, expect: { "mfa.totp.tolerance": 1 } },
  MFA_TRUST_COOKIE_AGE: { value: 86_400, expect: { "mfa.trust.cookieAge": 86_400 } },
  MFA_TRUST_COOKIE_DOMAIN: { value: ".example.com", expect: { "mfa.trust.cookieDomain": ".example.com" } },
  MFA_TRUST_COOKIE_HTTPONLY: { value: true, expect: {} },
  MFA_TRUST_COOKIE_NAME: { value: "trusted", expect: { "mfa.trust.cookieName": "trusted" } },
  MFA_TRUST_COOKIE_PATH: { value: "/app", expect: { "mfa.trust.cookiePath": "/app" } },
  MFA_TRUST_COOKIE_SAMESITE: { value: "Strict", expect: { "mfa.trust.cookieSameSite": "Strict" } },
  MFA_TRUST_COOKIE_SECURE: { value: true, expect: { "mfa.trust.cookieSecure": true } },
  MFA_TRUST_ENABLED: { value: true, expect: { "mfa.trust.enabled": true } },
  MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: { value: true, expect: { "mfa.webauthn.allowInsecureOrigin": true } },
  SOCIALACCOUNT_AUTO_SIGNUP: { value: false, expect: { "socialaccount.autoSignup": false } },
  SOCIALACCOUNT_EMAIL_AUTHENTICATION: { value: true, expect: { "socialaccount.emailAuthentication": true } },
  SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT: {
    value: true,
    expect: { "socialaccount.emailAuthenticationAutoConnect": true },
  },
  SOCIALACCOUNT_EMAIL_REQUIRED: { value: true, expect: { "socialaccount.emailRequired": true } },
  SOCIALACCOUNT_EMAIL_VERIFICATION: { value: "none", expect: { "socialaccount.emailVerification": "none" } },
  SOCIALACCOUNT_LOGIN_ON_GET: { value: false, expect: {} },
  SOCIALACCOUNT_ONLY: {
    value: true,
    with: { account: { emailVerification: "none" }, mfa: { enabled: false } },
    expect: { "socialaccount.only": true },
  },
  SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX: {
    value: "openid",
    expect: { "socialaccount.oidcCallbackPath": "/accounts/openid/{provider}/login/callback/" },
  },
  SOCIALACCOUNT_PROVIDERS: {
    value: {
      github: {
        VERIFIED_EMAIL: true,
        GITHUB_URL: "https://github.example.com",
        APPS: [{ client_id: "a", secret: "b" }],
      },
      microsoft: { TENANT: "organizations", APP: { client_id: "c", secret: "d" } },
      okta: { OKTA_BASE_URL: "dev-1.okta.com", APPS: [{ client_id: "e", secret: "f" }] },
      dummy: {},
    },
    expect: {
      "socialaccount.providers.github": {
        verifiedEmail: true,
        baseUrl: "https://github.example.com",
        apps: [{ clientId: "a", secret: "b", key: "", settings: {} }],
      },
      "socialaccount.providers.microsoft": {
        tenant: "organizations",
        apps: [{ clientId: "c", secret: "d", key: "", settings: {} }],
      },
      "socialaccount.providers.okta.baseUrl": "https://dev-1.okta.com",
      "socialaccount.providers.dummy": { apps: [] },
    },
  },
  SOCIALACCOUNT_QUERY_EMAIL: { value: true, expect: { "socialaccount.queryEmail": true } },
  SOCIALACCOUNT_REQUESTS_TIMEOUT: { value: 2.5, expect: { "socialaccount.requestTimeoutMs": 2500 } },
  SOCIALACCOUNT_STORE_TOKENS: {
    value: true,
    with: { socialaccount: { tokenEncryptionKey: TOKEN_KEY } },
    expect: { "socialaccount.storeTokens": true },
  },
  USERSESSIONS_TRACK_ACTIVITY: { value: true, expect: { "usersessions.trackActivity": true } },
  AUTH_PASSWORD_VALIDATORS: {
    value: [
      {
        NAME: "django.contrib.auth.password_validation.MinimumLengthValidator",
        OPTIONS: { min_length: 12 },
      },
      { NAME: "django.contrib.auth.password_validation.CommonPasswordValidator" },
    ],
    expect: {
      "password.minLength": 12,
      "password.userAttributeSimilarity": false,
      "password.commonPasswords": true,
      "password.numeric": false,
    },
  },
  CORS_ALLOW_CREDENTIALS: { value: true, expect: {} },
  CORS_ALLOWED_ORIGINS: {
    value: ["https://app.example.com"],
    expect: { "cors.allowedOrigins": ["https://app.example.com"] },
  },
  CORS_PREFLIGHT_MAX_AGE: { value: 600, expect: { "cors.maxAge": 600 } },
  CSRF_COOKIE_DOMAIN: { value: ".example.com", expect: { "csrf.cookieDomain": ".example.com" } },
  CSRF_COOKIE_HTTPONLY: { value: false, expect: {} },
  CSRF_COOKIE_NAME: { value: "xsrf", expect: { "csrf.cookieName": "xsrf" } },
  CSRF_COOKIE_PATH: { value: "/api", expect: { "csrf.cookiePath": "/api" } },
  CSRF_COOKIE_SAMESITE: { value: "Strict", expect: { "csrf.cookieSameSite": "Strict" } },
  CSRF_COOKIE_SECURE: { value: true, expect: { "csrf.cookieSecure": true } },
  CSRF_HEADER_NAME: { value: "HTTP_X_XSRF_TOKEN", expect: { "csrf.headerName": "X-XSRF-TOKEN" } },
  CSRF_TRUSTED_ORIGINS: {
    value: ["https://app.example.com"],
    expect: { "csrf.trustedOrigins": ["https://app.example.com"] },
  },
  DEFAULT_FROM_EMAIL: {
    value: "Acme <no-reply@acme.test>",
    expect: { "mail.from": "Acme <no-reply@acme.test>" },
  },
  EMAIL_BACKEND: {
    value: "django.core.mail.backends.filebased.EmailBackend",
    expect: { "mail.transport": "file" },
  },
  EMAIL_FILE_PATH: { value: "/var/mail/latchkey", expect: { "mail.fileDirectory": "/var/mail/latchkey" } },
  EMAIL_HOST: { value: "smtp.acme.test", expect: { "mail.smtpHost": "smtp.acme.test" } },
  EMAIL_HOST_PASSWORD: { value: "hunter2", expect: { "mail.smtpPassword": "hunter2" } },
  EMAIL_HOST_USER: { value: "mailer", expect: { "mail.smtpUser": "mailer" } },
  EMAIL_PORT: { value: 587, expect: { "mail.smtpPort": 587 } },
  EMAIL_USE_SSL: { value: true, expect: { "mail.smtpSecure": true } },
  EMAIL_USE_TLS: { value: true, expect: {} },
  PASSWORD_RESET_TIMEOUT: { value: 3600, expect: { "account.passwordResetTimeout": 3600 } },
  SESSION_COOKIE_AGE: { value: 86_400, expect: { "sessions.idleTimeout": 86_400 } },
  SESSION_COOKIE_DOMAIN: { value: ".example.com", expect: { "sessions.cookieDomain": ".example.com" } },
  SESSION_COOKIE_HTTPONLY: { value: true, expect: {} },
  SESSION_COOKIE_NAME: { value: "sid", expect: { "sessions.cookieName": "sid" } },
  SESSION_COOKIE_PATH: { value: "/api", expect: { "sessions.cookiePath": "/api" } },
  SESSION_COOKIE_SAMESITE: { value: "Strict", expect: { "sessions.cookieSameSite": "Strict" } },
  SESSION_COOKIE_SECURE: { value: true, expect: { "sessions.cookieSecure": true } },
};

const mapped = Object.entries(SETTINGS).filter(
  (entry): entry is [string, MappedSetting] => "convert" in entry[1],
);
const unsupported = Object.entries(SETTINGS).flatMap(([name, rule]) =>
  "unsupported" in rule ? [[name, rule.unsupported] as const] : [],
);

/** Every setting allauth documents (its docs' configuration pages), so that none is left out of the table. */
const DOCUMENTED = `ACCOUNT_ADAPTER ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS ACCOUNT_CHANGE_EMAIL
ACCOUNT_CONFIRM_EMAIL_ON_GET ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
ACCOUNT_EMAIL_CONFIRMATION_HMAC ACCOUNT_EMAIL_MAX_LENGTH ACCOUNT_EMAIL_NOTIFICATIONS
ACCOUNT_EMAIL_SUBJECT_PREFIX ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS ACCOUNT_EMAIL_VERIFICATION
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED ACCOUNT_EMAIL_VERIFICATION_BY_CODE_FORMAT
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_MAX_ATTEMPTS ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND ACCOUNT_FORMS
ACCOUNT_LOGIN_BY_CODE_ENABLED ACCOUNT_LOGIN_BY_CODE_FORMAT ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS
ACCOUNT_LOGIN_BY_CODE_REQUIRED ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND ACCOUNT_LOGIN_BY_CODE_TIMEOUT
ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED ACCOUNT_LOGIN_METHODS ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION
ACCOUNT_LOGIN_ON_PASSWORD_RESET ACCOUNT_LOGIN_TIMEOUT ACCOUNT_LOGOUT_ON_GET ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE
ACCOUNT_LOGOUT_REDIRECT_URL ACCOUNT_MAX_EMAIL_ADDRESSES ACCOUNT_PASSWORD_INPUT_RENDER_VALUE
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED ACCOUNT_PASSWORD_RESET_BY_CODE_FORMAT
ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR ACCOUNT_PRESERVE_USERNAME_CASING ACCOUNT_PREVENT_ENUMERATION
ACCOUNT_RATE_LIMITS ACCOUNT_REAUTHENTICATION_REQUIRED ACCOUNT_REAUTHENTICATION_TIMEOUT ACCOUNT_SESSION_REMEMBER
ACCOUNT_SIGNUP_FIELDS ACCOUNT_SIGNUP_FORM_CLASS ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD ACCOUNT_SIGNUP_REDIRECT_URL
ACCOUNT_TEMPLATE_EXTENSION ACCOUNT_UNIQUE_EMAIL ACCOUNT_USERNAME_BLACKLIST ACCOUNT_USERNAME_MIN_LENGTH
ACCOUNT_USERNAME_VALIDATORS ACCOUNT_USER_DISPLAY ACCOUNT_USER_MODEL_EMAIL_FIELD ACCOUNT_USER_MODEL_USERNAME_FIELD
ALLAUTH_DEFAULT_AUTO_FIELD ALLAUTH_USER_CODE_FORMAT ALLAUTH_TRUSTED_PROXY_COUNT ALLAUTH_TRUSTED_CLIENT_IP_HEADER
HEADLESS_ADAPTER HEADLESS_CLIENTS HEADLESS_FRONTEND_URLS HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN
HEADLESS_JWT_ALGORITHM HEADLESS_JWT_AUTHORIZATION_HEADER_SCHEME HEADLESS_JWT_PRIVATE_KEY
HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN HEADLESS_JWT_ROTATE_REFRESH_TOKEN HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED
HEADLESS_ONLY HEADLESS_SERVE_SPECIFICATION HEADLESS_SPECIFICATION_TEMPLATE_NAME HEADLESS_TOKEN_STRATEGY
MFA_ADAPTER MFA_ALLOW_UNVERIFIED_EMAIL MFA_FORMS MFA_PASSKEY_LOGIN_ENABLED MFA_PASSKEY_SIGNUP_ENABLED
MFA_RECOVERY_CODES_SHOW_ONCE MFA_RECOVERY_CODE_COUNT MFA_RECOVERY_CODE_DIGITS MFA_SUPPORTED_TYPES
MFA_TOTP_DIGITS MFA_TOTP_INSECURE_BYPASS_CODE MFA_TOTP_ISSUER MFA_TOTP_PERIOD MFA_TOTP_TOLERANCE
MFA_TRUST_COOKIE_AGE MFA_TRUST_COOKIE_DOMAIN MFA_TRUST_COOKIE_HTTPONLY MFA_TRUST_COOKIE_NAME
MFA_TRUST_COOKIE_PATH MFA_TRUST_COOKIE_SAMESITE MFA_TRUST_COOKIE_SECURE MFA_TRUST_ENABLED
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN SOCIALACCOUNT_ADAPTER SOCIALACCOUNT_AUTO_SIGNUP
SOCIALACCOUNT_EMAIL_AUTHENTICATION SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT SOCIALACCOUNT_EMAIL_REQUIRED
SOCIALACCOUNT_EMAIL_VERIFICATION SOCIALACCOUNT_FORMS SOCIALACCOUNT_LOGIN_ON_GET SOCIALACCOUNT_ONLY
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX SOCIALACCOUNT_PROVIDERS SOCIALACCOUNT_QUERY_EMAIL
SOCIALACCOUNT_REQUESTS_TIMEOUT SOCIALACCOUNT_SOCIALACCOUNT_STR SOCIALACCOUNT_STORE_TOKENS USERSESSIONS_ADAPTER
USERSESSIONS_TRACK_ACTIVITY`.split(/\s+/);

describe("allauth settings: the table", () => {
  it("knows every setting allauth documents", () => {
    expect(DOCUMENTED.filter((name) => !Object.hasOwn(SETTINGS, name))).toEqual([]);
  });

  it("has an example for every mapped setting (and none for a setting it does not map)", () => {
    expect(mapped.map(([name]) => name).filter((name) => !(name in EXAMPLES))).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((name) => !mapped.some(([m]) => m === name))).toEqual([]);
  });

  it.each(mapped)("%s converts and resolves", (name) => {
    const example = EXAMPLES[name]!;
    const { options, settings } = fromAllauthSettings({ ...example.with, [name]: example.value });
    const [setting] = settings;
    expect(setting!.name).toBe(name);
    if (Object.keys(example.expect).length === 0) {
      expect(setting!.assignments).toEqual([]);
      expect(setting!.note).toBeTruthy();
    }
    const resolved = resolveOptions(options);
    for (const [path, expected] of Object.entries(example.expect)) {
      expect(valueAt(resolved, path), path).toEqual(expected);
    }
  });

  it.each(unsupported)("%s is refused, saying why", (name, reason) => {
    expect(refusal({ [name]: "anything" })).toBe(`${name}: not supported by Latchkey: ${reason}`);
  });
});

describe("allauth settings: conversions", () => {
  it("MFA_TOTP_ISSUER: allauth's empty issuer (the site name) is Latchkey's null", () => {
    const { options } = fromAllauthSettings({ siteName: "Acme", MFA_TOTP_ISSUER: "" });
    expect(resolveOptions(options).mfa.totp.issuer).toBeNull();
  });

  it("ACCOUNT_RATE_LIMITS false turns every limit off; {} keeps the defaults", () => {
    expect(resolveOptions(fromAllauthSettings({ ACCOUNT_RATE_LIMITS: false }).options).rateLimits).toBe(
      false,
    );
    const empty = fromAllauthSettings({ ACCOUNT_RATE_LIMITS: {} });
    expect(empty.settings[0]).toMatchObject({ assignments: [], note: "allauth's defaults" });
    expect(resolveOptions(empty.options).rateLimits).toMatchObject({ store: "memory", actions: {} });
  });

  it("AUTH_PASSWORD_VALIDATORS: Django's defaults; an empty list leaves only the minimum", () => {
    const prefix = "django.contrib.auth.password_validation.";
    const all = fromAllauthSettings({
      AUTH_PASSWORD_VALIDATORS: [
        { NAME: `${prefix}UserAttributeSimilarityValidator`, OPTIONS: { max_similarity: 0.5 } },
        { NAME: `${prefix}MinimumLengthValidator` },
        { NAME: `${prefix}CommonPasswordValidator` },
        { NAME: `${prefix}NumericPasswordValidator` },
      ],
    });
    expect(resolveOptions(all.options).password).toMatchObject({
      minLength: 8,
      userAttributeSimilarity: 0.5,
      commonPasswords: true,
      numeric: true,
    });
    const none = fromAllauthSettings({ AUTH_PASSWORD_VALIDATORS: [], ACCOUNT_PASSWORD_MIN_LENGTH: 6 });
    expect(resolveOptions(none.options).password).toMatchObject({
      minLength: 6,
      userAttributeSimilarity: false,
      commonPasswords: false,
      numeric: false,
    });
  });

  it("SOCIALACCOUNT_PROVIDERS: app settings, allauth's older SERVERS form, and an app's certificate_key", () => {
    const { options } = fromAllauthSettings({
      SOCIALACCOUNT_PROVIDERS: {
        openid_connect: {
          SERVERS: [
            {
              id: "corp",
              name: "Corp",
              server_url: "https://id.example.org",
              token_auth_method: "client_secret_post",
              APP: { client_id: "corp-client", secret: "corp-secret" },
            },
          ],
        },
        google: {
          APPS: [
            {
              client_id: "web",
              secret: "s",
              settings: {
                scope: ["openid", "email"],
                auth_params: { prompt: "select_account" },
                oauth_pkce_enabled: false,
              },
            },
            { client_id: "ios", settings: { hidden: true } },
          ],
        },
      },
    });
    expect(options.socialaccount?.providers).toEqual({
      openid_connect: {
        apps: [
          {
            clientId: "corp-client",
            secret: "corp-secret",
            name: "Corp",
            providerId: "corp",
            settings: { serverUrl: "https://id.example.org", tokenAuthMethod: "client_secret_post" },
          },
        ],
      },
      google: {
        apps: [
          {
            clientId: "web",
            secret: "s",
            settings: { scope: ["openid", "email"], authParams: { prompt: "select_account" }, pkce: false },
          },
          { clientId: "ios", settings: { hidden: true } },
        ],
      },
    });
    expect(() => resolveOptions(options)).not.toThrow();
  });

  it("HEADLESS_TOKEN_STRATEGY: both of allauth's session strategy paths", () => {
    for (const path of [
      "allauth.headless.tokens.strategies.sessions.SessionTokenStrategy",
      "allauth.headless.tokens.sessions.SessionTokenStrategy",
    ]) {
      const { options } = fromAllauthSettings({ HEADLESS_TOKEN_STRATEGY: path });
      expect(resolveOptions(options).tokens.strategy).toBe("session");
    }
  });

  it("mixes with Latchkey's own keys, merging into the same sections", () => {
    const { options } = fromAllauthSettings({
      siteName: "Acme",
      frontendUrls: { accountSignup: "https://acme.test/signup" },
      HEADLESS_FRONTEND_URLS: { account_confirm_email: "https://acme.test/verify/{key}" },
      rateLimits: { store: "postgres" },
      ACCOUNT_RATE_LIMITS: { login: "5/m/ip" },
      database: { url: "postgres://db.acme.test/acme" },
    });
    const o = resolveOptions(options);
    expect(o.siteName).toBe("Acme");
    expect(o.frontendUrls.accountSignup).toBe("https://acme.test/signup");
    expect(o.frontendUrls.accountConfirmEmail).toBe("https://acme.test/verify/{key}");
    expect(o.rateLimits).toMatchObject({ store: "postgres", actions: { login: "5/m/ip" } });
  });
});

describe("allauth settings: named errors", () => {
  it("an unknown setting, with the likeliest one meant", () => {
    expect(refusal({ ACCOUNT_LOGIN_METHOD: ["email"] })).toBe(
      "ACCOUNT_LOGIN_METHOD: unknown allauth setting (did you mean ACCOUNT_LOGIN_METHODS?)",
    );
    expect(refusal({ MFA_SUPORTED_TYPES: ["totp"] })).toBe(
      "MFA_SUPORTED_TYPES: unknown allauth setting (did you mean MFA_SUPPORTED_TYPES?)",
    );
    expect(refusal({ HEADLESS_TOKEN_LIFETIME: 3600 })).toBe(
      "HEADLESS_TOKEN_LIFETIME: unknown allauth setting",
    );
    expect(refusal({ IDP_OIDC_PRIVATE_KEY: "…" })).toBe(
      "IDP_OIDC_PRIVATE_KEY: not supported by Latchkey: allauth.idp (being an OpenID Connect provider) has no counterpart in Latchkey",
    );
  });

  it("an unsupported setting says why and what to do instead", () => {
    expect(refusal({ ACCOUNT_ADAPTER: "myapp.adapter.MyAdapter" })).toBe(
      "ACCOUNT_ADAPTER: not supported by Latchkey: a Python class path; Latchkey's adapter is createLatchkey's hooks (isOpenForSignup, signupFields, on)",
    );
    expect(refusal({ ACCOUNT_AUTHENTICATION_METHOD: "username_email" })).toBe(
      'ACCOUNT_AUTHENTICATION_METHOD: not supported by Latchkey: deprecated by allauth; write ACCOUNT_LOGIN_METHODS instead ("username_email" is ["email", "username"])',
    );
  });

  it("an option given both ways, or by two settings", () => {
    expect(refusal({ account: { loginMethods: ["email"] }, ACCOUNT_LOGIN_METHODS: ["email"] })).toBe(
      "ACCOUNT_LOGIN_METHODS: given both ways, as this allauth setting and as account.loginMethods; keep one",
    );
    expect(refusal({ rateLimits: false, ACCOUNT_RATE_LIMITS: { login: "5/m/ip" } })).toBe(
      "ACCOUNT_RATE_LIMITS: given both ways, as this allauth setting and as rateLimits; keep one",
    );
    expect(refusal({ rateLimits: { store: "redis" }, ACCOUNT_RATE_LIMITS: false })).toBe(
      "ACCOUNT_RATE_LIMITS: given both ways, as this allauth setting and as rateLimits; keep one",
    );
    expect(
      refusal({
        frontendUrls: { accountSignup: "https://a.test/signup" },
        HEADLESS_FRONTEND_URLS: { account_signup: "https://b.test/signup" },
      }),
    ).toBe(
      "HEADLESS_FRONTEND_URLS: given both ways, as this allauth setting and as frontendUrls.accountSignup; keep one",
    );
    expect(
      refusal({
        AUTH_PASSWORD_VALIDATORS: [
          { NAME: "django.contrib.auth.password_validation.MinimumLengthValidator" },
        ],
        ACCOUNT_PASSWORD_MIN_LENGTH: 10,
      }),
    ).toBe(
      "ACCOUNT_PASSWORD_MIN_LENGTH: sets password.minLength, as AUTH_PASSWORD_VALIDATORS does; keep one",
    );
  });

  it("a value with no Latchkey counterpart", () => {
    expect(refusal({ HEADLESS_ONLY: false })).toBe(
      "HEADLESS_ONLY: Latchkey supports only true (Latchkey is always headless, without HTML views)",
    );
    expect(refusal({ HEADLESS_FRONTEND_URLS: { account_login: "https://a.test/login" } })).toBe(
      'HEADLESS_FRONTEND_URLS: "account_login" is not one of allauth\'s frontend URLs (account_confirm_email, account_reset_password, account_reset_password_from_key, account_signup, socialaccount_login_error)',
    );
    expect(refusal({ HEADLESS_TOKEN_STRATEGY: "myapp.tokens.MyStrategy" })).toMatch(
      /^HEADLESS_TOKEN_STRATEGY: "myapp\.tokens\.MyStrategy" is not one of allauth's strategies/,
    );
    expect(refusal({ SOCIALACCOUNT_PROVIDERS: { facebook: { METHOD: "oauth2", APPS: [] } } })).toBe(
      'SOCIALACCOUNT_PROVIDERS: facebook: "METHOD" is not supported by Latchkey (it reads SCOPE, AUTH_PARAMS, VERIFIED_EMAIL, EMAIL_AUTHENTICATION, OAUTH_PKCE_ENABLED)',
    );
    expect(
      refusal({
        SOCIALACCOUNT_PROVIDERS: { google: { APPS: [{ client_id: "a", settings: { graph_url: "x" } }] } },
      }),
    ).toMatch(
      /^SOCIALACCOUNT_PROVIDERS: google\.APPS\[0\]\.settings: "graph_url" is not supported by Latchkey/,
    );
    expect(refusal({ AUTH_PASSWORD_VALIDATORS: [{ NAME: "myapp.validators.Strong" }] })).toBe(
      'AUTH_PASSWORD_VALIDATORS: entry 0: "myapp.validators.Strong" is not one of Django\'s four validators, the only ones Latchkey has',
    );
    expect(refusal({ ALLAUTH_USER_CODE_FORMAT: { numeric: true, alphabet: "AB" } })).toBe(
      'ALLAUTH_USER_CODE_FORMAT: "alphabet" is not a key of allauth\'s code format (numeric, dashed, length)',
    );
    expect(refusal({ SOCIALACCOUNT_REQUESTS_TIMEOUT: "5" })).toBe(
      "SOCIALACCOUNT_REQUESTS_TIMEOUT: expected a positive number of seconds",
    );
  });

  it("a value the options schema refuses names the setting it came from", () => {
    expect(resolveRefusal({ ACCOUNT_EMAIL_VERIFICATION: "always" })).toBe(
      'ACCOUNT_EMAIL_VERIFICATION → account.emailVerification: Invalid option: expected one of "none"|"optional"|"mandatory"',
    );
    expect(resolveRefusal({ ACCOUNT_RATE_LIMITS: { log_in: "5/m/ip" } })).toBe(
      "ACCOUNT_RATE_LIMITS → rateLimits.actions.log_in: unknown option(s) log_in",
    );
    expect(resolveRefusal({ ACCOUNT_RATE_LIMITS: { login: "5 per minute" } })).toMatch(
      /^ACCOUNT_RATE_LIMITS → rateLimits\.actions\.login: Invalid rate limit spec "5 per minute"/,
    );
    expect(
      resolveRefusal({ SOCIALACCOUNT_PROVIDERS: { google: { APPS: [{ client_id: "", secret: "s" }] } } }),
    ).toMatch(/^SOCIALACCOUNT_PROVIDERS → socialaccount\.providers\.google\.apps\.0\.clientId: /);
    expect(resolveRefusal({ SOCIALACCOUNT_PROVIDERS: { googel: { APPS: [{ client_id: "a" }] } } })).toMatch(
      /^SOCIALACCOUNT_PROVIDERS → socialaccount\.providers\.googel: unknown provider/,
    );
    // A check between options: the other option is named with its setting too.
    expect(
      resolveRefusal({
        ACCOUNT_SIGNUP_FIELDS: ["email", "username*", "password1*"],
        ACCOUNT_EMAIL_VERIFICATION: "mandatory",
      }),
    ).toBe(
      'ACCOUNT_EMAIL_VERIFICATION → account.emailVerification: "mandatory" requires a required email field ("email*") in account.signupFields (ACCOUNT_SIGNUP_FIELDS)',
    );
    expect(resolveRefusal({ ACCOUNT_SIGNUP_FIELDS: ["email*", "password1*"] })).toBe(
      'Invalid Latchkey option account.loginMethods: "username" as a login method requires "username" in account.signupFields (ACCOUNT_SIGNUP_FIELDS)',
    );
  });

  it("leaves errors on Latchkey's own options as they are, and those a variable overrode", () => {
    const error = new OptionsError("siteName", "Invalid input: expected string, received number");
    const { settings } = fromAllauthSettings({ ACCOUNT_EMAIL_VERIFICATION: "always" });
    expect(attributeToAllauthSettings(error, settings)).toBe(error);
    const bad = new OptionsError("account.emailVerification", "Invalid option");
    const overridden = markOverridden(settings, { account: { emailVerification: "nope" } });
    expect(attributeToAllauthSettings(bad, overridden)).toBe(bad);
    expect((attributeToAllauthSettings(bad, settings) as Error).message).toBe(
      "ACCOUNT_EMAIL_VERIFICATION → account.emailVerification: Invalid option",
    );
  });
});

describe("allauth settings: what each became", () => {
  it("one line per option set, secrets hidden, overrides marked", () => {
    const { settings } = fromAllauthSettings({
      ACCOUNT_EMAIL_VERIFICATION: "mandatory",
      HEADLESS_ONLY: true,
      ACCOUNT_RATE_LIMITS: { login_failed: null },
      HEADLESS_JWT_PRIVATE_KEY: JWT_SECRET,
      SOCIALACCOUNT_PROVIDERS: { github: { APPS: [{ client_id: "gh", secret: "gh-secret" }] } },
      MFA_TOTP_DIGITS: 8,
    });
    const lines = describeAllauthSettings(markOverridden(settings, fromAllauthSettings({}).options));
    expect(lines).toEqual([
      'ACCOUNT_EMAIL_VERIFICATION = "mandatory" → account.emailVerification = "mandatory" (overridden by a LATCHKEY_ variable)',
      "HEADLESS_ONLY = true → nothing to set (Latchkey is always headless, without HTML views)",
      'ACCOUNT_RATE_LIMITS["login_failed"] = null → rateLimits.actions.login_failed = false (overridden by a LATCHKEY_ variable)',
      "HEADLESS_JWT_PRIVATE_KEY = *** → tokens.jwt.privateKey = *** (overridden by a LATCHKEY_ variable)",
      'SOCIALACCOUNT_PROVIDERS["github"] → socialaccount.providers.github = {"apps":[{"clientId":"gh","secret":"***"}]} (overridden by a LATCHKEY_ variable)',
      "MFA_TOTP_DIGITS = 8 → mfa.totp.digits = 8 (overridden by a LATCHKEY_ variable)",
    ]);
    expect(describeAllauthSettings(settings).join("\n")).not.toContain("overridden");
    expect(describeAllauthSettings(settings).join("\n")).not.toMatch(/gh-secret|s{32}/);
  });
});

/**
 * allauth's example SPA backend (examples/react-spa/backend/backend/settings.py), with Google and
 * an OpenID Connect server as allauth's provider documentation configures them, written as JSON.
 */
const SPA_SETTINGS = {
  ACCOUNT_EMAIL_VERIFICATION: "mandatory",
  ACCOUNT_LOGIN_METHODS: ["email"],
  ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE: false,
  ACCOUNT_LOGIN_BY_CODE_ENABLED: true,
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED: true,
  ACCOUNT_SIGNUP_FIELDS: ["email*", "password1*", "password2*"],
  HEADLESS_ONLY: true,
  HEADLESS_FRONTEND_URLS: {
    account_confirm_email: "/account/verify-email/{key}",
    account_reset_password: "/account/password/reset",
    account_reset_password_from_key: "/account/password/reset/key/{key}",
    account_signup: "/account/signup",
    socialaccount_login_error: "/account/provider/callback",
  },
  MFA_SUPPORTED_TYPES: ["totp", "recovery_codes", "webauthn"],
  MFA_PASSKEY_LOGIN_ENABLED: true,
  MFA_PASSKEY_SIGNUP_ENABLED: true,
  SOCIALACCOUNT_PROVIDERS: {
    google: {
      APPS: [
        {
          client_id: "123",
          secret: "456",
          key: "",
          settings: { scope: ["profile", "email"], auth_params: { access_type: "online" } },
        },
      ],
      SCOPE: ["profile", "email"],
      AUTH_PARAMS: { access_type: "online" },
    },
    openid_connect: {
      OAUTH_PKCE_ENABLED: true,
      APPS: [
        {
          provider_id: "my-server",
          name: "My Login Server",
          client_id: "your.service.id",
          secret: "your.service.secret",
          settings: {
            fetch_userinfo: true,
            oauth_pkce_enabled: true,
            server_url: "https://my.server.example.com",
            token_auth_method: "client_secret_basic",
            uid_field: "sub",
          },
        },
      ],
    },
  },
};

describe("allauth settings: allauth's example SPA settings", () => {
  it("resolve to the options they name", () => {
    const o: ResolvedOptions = resolveOptions(fromAllauthSettings(SPA_SETTINGS).options);
    expect(o.account).toMatchObject({
      loginMethods: ["email"],
      signupFields: ["email*", "password1*", "password2*"],
      emailVerification: "mandatory",
      emailVerificationByCode: { enabled: true },
      loginByCode: { enabled: true },
      logoutOnPasswordChange: false,
    });
    expect(o.frontendUrls).toEqual({
      accountConfirmEmail: "/account/verify-email/{key}",
      accountResetPassword: "/account/password/reset",
      accountResetPasswordFromKey: "/account/password/reset/key/{key}",
      accountSignup: "/account/signup",
      socialaccountLoginError: "/account/provider/callback",
    });
    expect(o.mfa).toMatchObject({
      supportedTypes: ["totp", "recovery_codes", "webauthn"],
      passkeyLogin: true,
      passkeySignup: true,
    });
    expect(o.socialaccount.providers).toEqual({
      google: {
        scope: ["profile", "email"],
        authParams: { access_type: "online" },
        apps: [
          {
            clientId: "123",
            secret: "456",
            key: "",
            settings: { scope: ["profile", "email"], authParams: { access_type: "online" } },
          },
        ],
      },
      openid_connect: {
        pkce: true,
        apps: [
          {
            clientId: "your.service.id",
            secret: "your.service.secret",
            key: "",
            name: "My Login Server",
            providerId: "my-server",
            settings: {
              fetchUserinfo: true,
              pkce: true,
              serverUrl: "https://my.server.example.com",
              tokenAuthMethod: "client_secret_basic",
              uidField: "sub",
            },
          },
        ],
      },
    });
  });

  describe.each(dialects)("on %s", (dialect) => {
    it("start a server whose /config shows them", async () => {
      const server = await startLatchkey(dialect, fromAllauthSettings(SPA_SETTINGS).options);
      const res = await server.client(Client.BROWSER).get("/config");
      expect(res.status).toBe(200);
      expect(res.body.data.account).toEqual({
        login_methods: ["email"],
        is_open_for_signup: true,
        email_verification_by_code_enabled: true,
        login_by_code_enabled: true,
        password_reset_by_code_enabled: false,
        authentication_method: "email",
      });
      expect(res.body.data.mfa).toEqual({
        supported_types: ["totp", "recovery_codes", "webauthn"],
        passkey_login_enabled: true,
      });
      expect(res.body.data.socialaccount.providers).toEqual([
        { id: "google", name: "Google", flows: ["provider_redirect", "provider_token"], client_id: "123" },
        {
          id: "my-server",
          name: "My Login Server",
          flows: ["provider_redirect", "provider_token"],
          client_id: "your.service.id",
          openid_configuration_url: "https://my.server.example.com/.well-known/openid-configuration",
        },
      ]);
    });
  });
});
