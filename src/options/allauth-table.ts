import { convertProvider, isObject, ProviderSettingError } from "./allauth-providers.js";
import { OptionsError } from "./resolve.js";

/**
 * allauth's Django settings (ACCOUNT_*, HEADLESS_*, MFA_*, SOCIALACCOUNT_*, USERSESSIONS_*,
 * ALLAUTH_*, and the few Django settings allauth's behaviour rests on), each with the Latchkey
 * option(s) it becomes or the reason Latchkey has no counterpart. SETTINGS is the one place this
 * mapping lives: fromAllauthSettings (allauth-settings.ts) applies it, `latchkey check` shows it,
 * and the README's table is generated from it (scripts/allauth-settings-table.ts).
 */

/** A Latchkey option an allauth setting sets. */
export interface AllauthAssignment {
  /** The option's path, e.g. ["account", "emailVerification"]. */
  path: readonly string[];
  value: unknown;
  /** The key of the setting's value it comes from (an action of ACCOUNT_RATE_LIMITS, a provider…), when not the whole value. */
  part?: { key: string; value: unknown };
  /** A LATCHKEY_* variable replaced the value afterwards (see markOverridden). */
  overridden?: boolean;
}

/**
 * An allauth setting Latchkey cannot take, or whose value it refused. `path` is the setting's
 * name; the message starts with it (and the option it became, for a refused value).
 */
export class AllauthSettingError extends OptionsError {
  constructor(setting: string, reason: string, option?: string) {
    super(setting, reason);
    this.name = "AllauthSettingError";
    this.message = `${option === undefined ? setting : `${setting} → ${option}`}: ${reason}`;
  }
}

/** What a setting's value becomes; throws AllauthSettingError for a value with no Latchkey counterpart. */
type Convert = (value: unknown, name: string) => { assignments: AllauthAssignment[]; note?: string };

export interface MappedSetting {
  /** The Latchkey option(s) it sets, as the README lists them. */
  target: string;
  /** How the value changes on the way, when it does. */
  conversion?: string;
  convert: Convert;
}

export interface UnsupportedSetting {
  /** Why Latchkey has no counterpart, and what to do instead. */
  unsupported: string;
}

export type SettingRule = MappedSetting | UnsupportedSetting;

const path = (option: string) => option.split(".");

/** The setting is the option, its value unchanged (or converted by `convert`, described by `conversion`). */
function option(target: string, convert?: (value: unknown, name: string) => unknown, conversion?: string) {
  return {
    target,
    ...(conversion === undefined ? {} : { conversion }),
    convert: (value: unknown, name: string) => ({
      assignments: [{ path: path(target), value: convert ? convert(value, name) : value }],
    }),
  } satisfies MappedSetting;
}

/** A setting whose only value Latchkey has is `accepted` (it sets nothing); another is refused with `note`. */
function only(accepted: boolean, note: string): MappedSetting {
  return {
    target: "—",
    conversion: `only ${accepted}: ${note}`,
    convert(value, name) {
      if (value !== accepted)
        throw new AllauthSettingError(name, `Latchkey supports only ${accepted} (${note})`);
      return { assignments: [], note };
    },
  };
}

export const unsupported = (reason: string): UnsupportedSetting => ({ unsupported: reason });
const deprecated = (instead: string) => unsupported(`deprecated by allauth; ${instead}`);

const PYTHON_ADAPTER =
  "a Python class path; Latchkey's adapter is createLatchkey's hooks (isOpenForSignup, signupFields, on)";
const PYTHON_FORMS =
  "Python form classes; the API's inputs are fixed, and extra signup fields are createLatchkey's signupFields hook";
const HTML_VIEWS = "it concerns allauth's HTML views, which Latchkey does not have (it is headless only)";
const REDIRECTS =
  "a redirect of allauth's HTML views; Latchkey answers JSON and your frontend decides where to go";
const ONE_CODE_FORMAT = "Latchkey has one format for mailed codes: set ALLAUTH_USER_CODE_FORMAT";

export function fail(name: string, reason: string): never {
  throw new AllauthSettingError(name, reason);
}

function objectOf(value: unknown, name: string, example: string): Record<string, unknown> {
  if (!isObject(value)) fail(name, `expected an object like ${example}`);
  return value;
}

/** allauth's boolean legacy values of the verification settings. */
function emailVerification(value: unknown): unknown {
  return value === true ? "mandatory" : value === false ? "optional" : value;
}

/** A duration allauth gives in seconds, for an option in milliseconds. */
function secondsToMs(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value > 0)) fail(name, "expected a positive number of seconds");
  return Math.round(value * 1000);
}

/** ALLAUTH_USER_CODE_FORMAT's `{numeric, dashed, length}` → `{alphabet, length, dashed}`. */
function userCodeFormat(value: unknown, name: string): unknown {
  if (value === null) return null;
  const { numeric, dashed, length, ...rest } = objectOf(
    value,
    name,
    '{"numeric": false, "dashed": true, "length": 8}',
  );
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    fail(name, `"${unknown}" is not a key of allauth's code format (numeric, dashed, length)`);
  if (numeric !== undefined && typeof numeric !== "boolean") fail(name, '"numeric" must be true or false');
  return {
    // allauth's numeric codes are 9 digits long unless a length is given.
    ...(numeric === true ? { alphabet: "0123456789", length: 9 } : {}),
    ...(length === undefined ? {} : { length }),
    ...(dashed === undefined ? {} : { dashed }),
  };
}

const FRONTEND_URL_KEYS = [
  "account_confirm_email",
  "account_reset_password",
  "account_reset_password_from_key",
  "account_signup",
  "socialaccount_login_error",
];

const camelCase = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const frontendUrls: MappedSetting = {
  target: "frontendUrls.*",
  conversion: "each key in camelCase: account_confirm_email → accountConfirmEmail, …",
  convert(value, name) {
    const urls = objectOf(value, name, '{"account_confirm_email": "https://app.example.com/verify/{key}"}');
    return {
      assignments: Object.entries(urls).map(([key, url]) => {
        if (!FRONTEND_URL_KEYS.includes(key)) {
          fail(name, `"${key}" is not one of allauth's frontend URLs (${FRONTEND_URL_KEYS.join(", ")})`);
        }
        return { path: ["frontendUrls", camelCase(key)], value: url, part: { key, value: url } };
      }),
    };
  },
};

/** allauth's token strategy classes. */
const TOKEN_STRATEGIES: Readonly<Record<string, "session" | "jwt">> = {
  "allauth.headless.tokens.strategies.sessions.SessionTokenStrategy": "session",
  "allauth.headless.tokens.sessions.SessionTokenStrategy": "session",
  "allauth.headless.tokens.strategies.jwt.JWTTokenStrategy": "jwt",
  "allauth.headless.tokens.strategies.jwt.strategy.JWTTokenStrategy": "jwt",
};

function tokenStrategy(value: unknown, name: string): string {
  const strategy = typeof value === "string" ? TOKEN_STRATEGIES[value] : undefined;
  if (strategy === undefined) {
    fail(
      name,
      `${JSON.stringify(value)} is not one of allauth's strategies; Latchkey has those two: ` +
        "…strategies.sessions.SessionTokenStrategy and …strategies.jwt.JWTTokenStrategy",
    );
  }
  return strategy;
}

const rateLimits: MappedSetting = {
  target: "rateLimits.actions.*, or rateLimits",
  conversion: "false turns every limit off (rateLimits: false); null for an action is false (that limit off)",
  convert(value, name) {
    if (value === false) return { assignments: [{ path: ["rateLimits"], value: false }] };
    const actions = objectOf(value, name, '{"login_failed": "10/m/ip,5/300s/key"}, or false');
    const assignments = Object.entries(actions).map(([action, spec]) => {
      const converted = spec === null ? false : spec;
      return {
        path: ["rateLimits", "actions", action],
        value: converted,
        part: { key: action, value: spec },
      };
    });
    return assignments.length > 0 ? { assignments } : { assignments, note: "allauth's defaults" };
  },
};

const DJANGO_VALIDATORS = "django.contrib.auth.password_validation.";
/** Django's four validators, with the OPTIONS Latchkey has a counterpart for. */
const VALIDATOR_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  MinimumLengthValidator: ["min_length"],
  UserAttributeSimilarityValidator: ["max_similarity"],
  CommonPasswordValidator: [],
  NumericPasswordValidator: [],
};

/** Django's four validators → the password options; a validator left out is off. */
const passwordValidators: MappedSetting = {
  target: "password.minLength, password.userAttributeSimilarity, password.commonPasswords, password.numeric",
  conversion:
    "Django's four validators, by NAME and OPTIONS (min_length, max_similarity); one left out is off, and without MinimumLengthValidator the minimum is 1",
  convert(value, name) {
    if (!Array.isArray(value)) fail(name, 'expected a list like [{"NAME": "…MinimumLengthValidator"}]');
    let minLength: unknown;
    let similarity: unknown = false;
    let common = false;
    let numeric = false;
    value.forEach((entry, i) => {
      const where = `entry ${i}`;
      const { NAME: validator, OPTIONS: options = {}, ...rest } = objectOf(entry, name, '{"NAME": "…"}');
      if (Object.keys(rest).length > 0) fail(name, `${where}: only NAME and OPTIONS are read`);
      const given = objectOf(options, name, '{"min_length": 9}');
      const className =
        typeof validator === "string" && validator.startsWith(DJANGO_VALIDATORS)
          ? validator.slice(DJANGO_VALIDATORS.length)
          : null;
      if (className === null || !Object.hasOwn(VALIDATOR_OPTIONS, className)) {
        fail(
          name,
          `${where}: ${JSON.stringify(validator)} is not one of Django's four validators, the only ones Latchkey has`,
        );
      }
      const extra = Object.keys(given).find((key) => !VALIDATOR_OPTIONS[className]!.includes(key));
      if (extra !== undefined)
        fail(name, `${where}: ${className}'s OPTIONS "${extra}" is not supported by Latchkey`);
      if (className === "MinimumLengthValidator") minLength = given.min_length ?? 8;
      if (className === "UserAttributeSimilarityValidator") similarity = given.max_similarity ?? 0.7;
      if (className === "CommonPasswordValidator") common = true;
      if (className === "NumericPasswordValidator") numeric = true;
    });
    // Without validators allauth applies ACCOUNT_PASSWORD_MIN_LENGTH instead; with some but no
    // minimum, Django has none.
    if (minLength === undefined && value.length > 0) minLength = 1;
    return {
      assignments: [
        ...(minLength === undefined ? [] : [{ path: ["password", "minLength"], value: minLength }]),
        { path: ["password", "userAttributeSimilarity"], value: similarity },
        { path: ["password", "commonPasswords"], value: common },
        { path: ["password", "numeric"], value: numeric },
      ],
    };
  },
};

const providers: MappedSetting = {
  target: "socialaccount.providers.*",
  conversion:
    "per provider: APPS (client_id → clientId, secret, key, name, provider_id → providerId, settings) → apps, " +
    "SCOPE → scope, AUTH_PARAMS → authParams, VERIFIED_EMAIL → verifiedEmail, EMAIL_AUTHENTICATION → " +
    "emailAuthentication, OAUTH_PKCE_ENABLED → pkce; in app settings server_url → serverUrl, " +
    "token_auth_method → tokenAuthMethod, fetch_userinfo → fetchUserinfo, uid_field → uidField, " +
    "certificate_key → certificateKey, oauth_pkce_enabled → pkce, hidden; GITHUB_URL, GITLAB_URL, " +
    "AUTH0_URL, OKTA_BASE_URL, DOMAIN (amazon_cognito), KEYCLOAK_URL → baseUrl, KEYCLOAK_REALM → realm, " +
    "TENANT → tenant; APP and SERVERS as allauth reads them",
  convert(value, name) {
    const entries = objectOf(value, name, '{"google": {"APPS": [{"client_id": "…", "secret": "…"}]}}');
    return {
      assignments: Object.entries(entries).map(([provider, config]) => {
        try {
          const converted = convertProvider(provider, config);
          return {
            path: ["socialaccount", "providers", provider],
            value: converted,
            part: { key: provider, value: config },
          };
        } catch (err) {
          if (err instanceof ProviderSettingError) fail(name, err.message);
          throw err;
        }
      }),
    };
  },
};

const EMAIL_BACKENDS: Readonly<Record<string, string>> = {
  "django.core.mail.backends.smtp.EmailBackend": "smtp",
  "django.core.mail.backends.console.EmailBackend": "console",
  "django.core.mail.backends.filebased.EmailBackend": "file",
};

function emailBackend(value: unknown, name: string): string {
  const transport = typeof value === "string" ? EMAIL_BACKENDS[value] : undefined;
  if (transport === undefined) {
    fail(
      name,
      `${JSON.stringify(value)}: Latchkey sends by SMTP, prints (console) or writes files (filebased); ` +
        "for another service give createLatchkey a sendMail function",
    );
  }
  return transport;
}

/** Django's CSRF_HEADER_NAME is the request.META key ("HTTP_X_CSRFTOKEN"); Latchkey's is the header. */
function csrfHeaderName(value: unknown, name: string): string {
  if (typeof value !== "string" || !/^HTTP_[A-Z0-9_]+$/.test(value)) {
    fail(name, 'expected Django\'s form of a header name, like "HTTP_X_CSRFTOKEN"');
  }
  return value.slice("HTTP_".length).replace(/_/g, "-");
}

/**
 * Every allauth setting Latchkey knows: what it becomes, or why it has no counterpart. Django
 * settings allauth's behaviour rests on (sessions, CSRF, CORS, password validation, mail) are
 * here too.
 */
export const SETTINGS: Readonly<Record<string, SettingRule>> = {
  // allauth.account
  ACCOUNT_ADAPTER: unsupported(PYTHON_ADAPTER),
  ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS: unsupported(REDIRECTS),
  ACCOUNT_AUTHENTICATION_METHOD: deprecated(
    'write ACCOUNT_LOGIN_METHODS instead ("username_email" is ["email", "username"])',
  ),
  ACCOUNT_CHANGE_EMAIL: option("account.changeEmail"),
  ACCOUNT_CONFIRM_EMAIL_ON_GET: only(false, "your frontend verifies with a POST to /auth/email/verify"),
  ACCOUNT_DEFAULT_HTTP_PROTOCOL: unsupported(
    "links in mail are frontendUrls (HEADLESS_FRONTEND_URLS), which carry their own scheme",
  ),
  ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL: unsupported(REDIRECTS),
  ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL: unsupported(REDIRECTS),
  ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN: option("account.emailConfirmationCooldown"),
  ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: option("account.emailConfirmationExpireDays"),
  ACCOUNT_EMAIL_CONFIRMATION_HMAC: unsupported(
    "Latchkey has one kind of verification key, and no choice to make",
  ),
  ACCOUNT_EMAIL_MAX_LENGTH: unsupported(
    "Latchkey takes addresses of up to 254 characters, the standard's limit",
  ),
  ACCOUNT_EMAIL_NOTIFICATIONS: option("account.emailNotifications"),
  ACCOUNT_EMAIL_REQUIRED: deprecated('write "email*" in ACCOUNT_SIGNUP_FIELDS instead'),
  ACCOUNT_EMAIL_SUBJECT_PREFIX: unsupported('mail subjects start with "[siteName] ": set siteName'),
  ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS: option("account.emailUnknownAccounts"),
  ACCOUNT_EMAIL_VERIFICATION: option(
    "account.emailVerification",
    emailVerification,
    'allauth\'s legacy true and false are "mandatory" and "optional"',
  ),
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED: option("account.emailVerificationByCode.enabled"),
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_FORMAT: unsupported(ONE_CODE_FORMAT),
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_MAX_ATTEMPTS: option("account.emailVerificationByCode.maxAttempts"),
  ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT: option("account.emailVerificationByCode.timeout"),
  ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE: option("account.emailVerificationSupportsChange"),
  ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND: option("account.emailVerificationSupportsResend"),
  ACCOUNT_FORMS: unsupported(PYTHON_FORMS),
  ACCOUNT_LOGIN_ATTEMPTS_LIMIT: deprecated(
    'write ACCOUNT_RATE_LIMITS {"login_failed": "10/m/ip,5/300s/key"} instead',
  ),
  ACCOUNT_LOGIN_ATTEMPTS_TIMEOUT: deprecated(
    'write ACCOUNT_RATE_LIMITS {"login_failed": "10/m/ip,5/300s/key"} instead',
  ),
  ACCOUNT_LOGIN_BY_CODE_ENABLED: option("account.loginByCode.enabled"),
  ACCOUNT_LOGIN_BY_CODE_FORMAT: unsupported(ONE_CODE_FORMAT),
  ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS: option("account.loginByCode.maxAttempts"),
  ACCOUNT_LOGIN_BY_CODE_REQUIRED: option("account.loginByCode.required"),
  ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND: option("account.loginByCode.supportsResend"),
  ACCOUNT_LOGIN_BY_CODE_TIMEOUT: option("account.loginByCode.timeout"),
  ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED: unsupported(
    'Latchkey does not yet offer "trust this browser" after a login code (mfa.trust covers MFA logins)',
  ),
  ACCOUNT_LOGIN_METHODS: option("account.loginMethods"),
  ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: option("account.loginOnEmailConfirmation"),
  ACCOUNT_LOGIN_ON_PASSWORD_RESET: option("account.loginOnPasswordReset"),
  ACCOUNT_LOGIN_TIMEOUT: option("account.loginTimeout"),
  ACCOUNT_LOGOUT_ON_GET: only(false, "logging out is a DELETE of /auth/session"),
  ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE: option("account.logoutOnPasswordChange"),
  ACCOUNT_LOGOUT_REDIRECT_URL: unsupported(REDIRECTS),
  ACCOUNT_MAX_EMAIL_ADDRESSES: option("account.maxEmailAddresses"),
  ACCOUNT_PASSWORD_INPUT_RENDER_VALUE: unsupported(HTML_VIEWS),
  ACCOUNT_PASSWORD_MIN_LENGTH: option("password.minLength"),
  ACCOUNT_PASSWORD_RESET_BY_CODE_CODE_FORMAT: unsupported(ONE_CODE_FORMAT),
  ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED: option("account.passwordResetByCode.enabled"),
  ACCOUNT_PASSWORD_RESET_BY_CODE_FORMAT: unsupported(ONE_CODE_FORMAT),
  ACCOUNT_PASSWORD_RESET_BY_CODE_MAX_ATTEMPTS: option("account.passwordResetByCode.maxAttempts"),
  ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT: option("account.passwordResetByCode.timeout"),
  ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR: unsupported(
    "a Python class path; Latchkey's reset keys are its own (one use each, void once the password changes)",
  ),
  ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT: option(
    "account.phoneVerification.codeFormat",
    userCodeFormat,
    "as ALLAUTH_USER_CODE_FORMAT; null: account.userCodeFormat",
  ),
  ACCOUNT_PHONE_VERIFICATION_ENABLED: option("account.phoneVerification.enabled"),
  ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS: option("account.phoneVerification.maxAttempts"),
  ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE: option("account.phoneVerification.supportsChange"),
  ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND: option("account.phoneVerification.supportsResend"),
  ACCOUNT_PHONE_VERIFICATION_TIMEOUT: option("account.phoneVerification.timeout"),
  ACCOUNT_PRESERVE_USERNAME_CASING: option("account.preserveUsernameCasing"),
  ACCOUNT_PREVENT_ENUMERATION: option("account.preventEnumeration"),
  ACCOUNT_RATE_LIMITS: rateLimits,
  ACCOUNT_REAUTHENTICATION_REQUIRED: option("account.reauthenticationRequired"),
  ACCOUNT_REAUTHENTICATION_TIMEOUT: option("account.reauthenticationTimeout"),
  ACCOUNT_SESSION_COOKIE_AGE: deprecated("write SESSION_COOKIE_AGE instead"),
  ACCOUNT_SESSION_REMEMBER: unsupported(
    'the API has no "remember me": sessions last sessions.idleTimeout (SESSION_COOKIE_AGE) and sessions.maxAge',
  ),
  ACCOUNT_SIGNUP_EMAIL_ENTER_TWICE: deprecated('write "email2" in ACCOUNT_SIGNUP_FIELDS instead'),
  ACCOUNT_SIGNUP_FIELDS: option("account.signupFields"),
  ACCOUNT_SIGNUP_FORM_CLASS: unsupported(
    "a Python form class; extra signup fields are createLatchkey's signupFields hook (a zod object)",
  ),
  ACCOUNT_SIGNUP_FORM_HONEYPOT_FIELD: unsupported(HTML_VIEWS),
  ACCOUNT_SIGNUP_PASSWORD_ENTER_TWICE: deprecated('write "password2" in ACCOUNT_SIGNUP_FIELDS instead'),
  ACCOUNT_SIGNUP_PASSWORD_VERIFICATION: deprecated('write "password2" in ACCOUNT_SIGNUP_FIELDS instead'),
  ACCOUNT_SIGNUP_REDIRECT_URL: unsupported(REDIRECTS),
  ACCOUNT_TEMPLATE_EXTENSION: unsupported(HTML_VIEWS),
  ACCOUNT_UNIQUE_EMAIL: option("account.uniqueEmail"),
  ACCOUNT_USER_DISPLAY: unsupported(
    "a Python callable; Latchkey's user object shows the username or address",
  ),
  ACCOUNT_USER_MODEL_EMAIL_FIELD: unsupported("Latchkey keeps its own user table, with its own fields"),
  ACCOUNT_USER_MODEL_USERNAME_FIELD: unsupported("Latchkey keeps its own user table, with its own fields"),
  ACCOUNT_USERNAME_BLACKLIST: option("account.usernameBlacklist"),
  ACCOUNT_USERNAME_MIN_LENGTH: option("account.usernameMinLength"),
  ACCOUNT_USERNAME_REQUIRED: deprecated('write "username*" in ACCOUNT_SIGNUP_FIELDS instead'),
  ACCOUNT_USERNAME_VALIDATORS: unsupported(
    "a Python path to validators; Latchkey checks usernames by account.usernameMinLength, usernameMaxLength and usernameBlacklist",
  ),

  // allauth (common)
  ALLAUTH_DEFAULT_AUTO_FIELD: unsupported("a Django model field; Latchkey's tables are its own"),
  ALLAUTH_TRUSTED_CLIENT_IP_HEADER: option("proxy.trustedClientIpHeader"),
  ALLAUTH_TRUSTED_PROXY_COUNT: option("proxy.trustedProxyCount"),
  ALLAUTH_USER_CODE_FORMAT: option(
    "account.userCodeFormat",
    userCodeFormat,
    '{numeric, dashed, length}: numeric true is the alphabet "0123456789" (and 9 digits unless length says otherwise)',
  ),

  // allauth.headless
  HEADLESS_ADAPTER: unsupported(PYTHON_ADAPTER),
  HEADLESS_CLIENTS: option("clients"),
  HEADLESS_FRONTEND_URLS: frontendUrls,
  HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN: option("tokens.jwt.accessTokenExpiresIn"),
  HEADLESS_JWT_ALGORITHM: option("tokens.jwt.algorithm"),
  HEADLESS_JWT_AUTHORIZATION_HEADER_SCHEME: option("tokens.jwt.authorizationHeaderScheme"),
  HEADLESS_JWT_PRIVATE_KEY: option("tokens.jwt.privateKey"),
  HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN: option("tokens.jwt.refreshTokenExpiresIn"),
  HEADLESS_JWT_ROTATE_REFRESH_TOKEN: option("tokens.jwt.rotateRefreshToken"),
  HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED: option("tokens.jwt.statefulValidation"),
  HEADLESS_ONLY: only(true, "Latchkey is always headless, without HTML views"),
  HEADLESS_SERVE_SPECIFICATION: option("http.docs"),
  HEADLESS_SPECIFICATION_TEMPLATE_NAME: unsupported(
    "Latchkey serves its own docs page (http.docs), not a Django template",
  ),
  HEADLESS_TOKEN_STRATEGY: option(
    "tokens.strategy",
    tokenStrategy,
    '…SessionTokenStrategy → "session", …JWTTokenStrategy → "jwt"',
  ),

  // allauth.mfa
  MFA_ADAPTER: unsupported(PYTHON_ADAPTER),
  MFA_ALLOW_UNVERIFIED_EMAIL: option("mfa.allowUnverifiedEmail"),
  MFA_FORMS: unsupported(PYTHON_FORMS),
  MFA_PASSKEY_LOGIN_ENABLED: option("mfa.passkeyLogin"),
  MFA_PASSKEY_SIGNUP_ENABLED: option("mfa.passkeySignup"),
  MFA_RECOVERY_CODE_COUNT: option("mfa.recoveryCodes.count"),
  MFA_RECOVERY_CODE_DIGITS: option("mfa.recoveryCodes.digits"),
  MFA_RECOVERY_CODES_SHOW_ONCE: option("mfa.recoveryCodes.showOnce"),
  MFA_SUPPORTED_TYPES: option("mfa.supportedTypes"),
  MFA_TOTP_DIGITS: option("mfa.totp.digits"),
  MFA_TOTP_INSECURE_BYPASS_CODE: unsupported("a development shortcut Latchkey does not have"),
  MFA_TOTP_ISSUER: option("mfa.totp.issuer", (v) => (v === "" ? null : v), '"" (the site name) is null'),
  MFA_TOTP_PERIOD: option("mfa.totp.period"),
  MFA_TOTP_TOLERANCE: option("mfa.totp.tolerance"),
  MFA_TRUST_COOKIE_AGE: option(
    "mfa.trust.cookieAge",
    undefined,
    "seconds (a timedelta cannot be written in JSON)",
  ),
  MFA_TRUST_COOKIE_DOMAIN: option("mfa.trust.cookieDomain"),
  MFA_TRUST_COOKIE_HTTPONLY: only(true, "the trust cookie is always HttpOnly"),
  MFA_TRUST_COOKIE_NAME: option("mfa.trust.cookieName"),
  MFA_TRUST_COOKIE_PATH: option("mfa.trust.cookiePath"),
  MFA_TRUST_COOKIE_SAMESITE: option("mfa.trust.cookieSameSite"),
  MFA_TRUST_COOKIE_SECURE: option("mfa.trust.cookieSecure"),
  MFA_TRUST_ENABLED: option("mfa.trust.enabled"),
  MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: option("mfa.webauthn.allowInsecureOrigin"),

  // allauth.socialaccount
  SOCIALACCOUNT_ADAPTER: unsupported(PYTHON_ADAPTER),
  SOCIALACCOUNT_AUTO_SIGNUP: option("socialaccount.autoSignup"),
  SOCIALACCOUNT_EMAIL_AUTHENTICATION: option("socialaccount.emailAuthentication"),
  SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT: option("socialaccount.emailAuthenticationAutoConnect"),
  SOCIALACCOUNT_EMAIL_REQUIRED: option("socialaccount.emailRequired"),
  SOCIALACCOUNT_EMAIL_VERIFICATION: option(
    "socialaccount.emailVerification",
    emailVerification,
    "as ACCOUNT_EMAIL_VERIFICATION; null: the account setting",
  ),
  SOCIALACCOUNT_FORMS: unsupported(PYTHON_FORMS),
  SOCIALACCOUNT_LOGIN_ON_GET: only(false, "provider logins start with a POST to /auth/provider/redirect"),
  SOCIALACCOUNT_ONLY: option("socialaccount.only"),
  SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX: option(
    "socialaccount.oidcCallbackPath",
    (prefix, name) => {
      if (typeof prefix !== "string" || !/^[A-Za-z0-9._~-]+$/.test(prefix))
        fail(name, 'expected a path segment like "oidc"');
      return `/accounts/${prefix}/{provider}/login/callback/`;
    },
    '"oidc" → "/accounts/oidc/{provider}/login/callback/" (allauth.urls included at accounts/)',
  ),
  SOCIALACCOUNT_PROVIDERS: providers,
  SOCIALACCOUNT_QUERY_EMAIL: option("socialaccount.queryEmail"),
  SOCIALACCOUNT_REQUESTS_TIMEOUT: option(
    "socialaccount.requestTimeoutMs",
    secondsToMs,
    "seconds → milliseconds",
  ),
  SOCIALACCOUNT_SOCIALACCOUNT_STR: unsupported("a Python callable; Latchkey has no counterpart"),
  SOCIALACCOUNT_STORE_TOKENS: option(
    "socialaccount.storeTokens",
    undefined,
    "Latchkey also needs socialaccount.tokenEncryptionKey",
  ),

  // allauth.usersessions
  USERSESSIONS_ADAPTER: unsupported(PYTHON_ADAPTER),
  USERSESSIONS_TRACK_ACTIVITY: option("usersessions.trackActivity"),

  // Django's own settings that allauth's behaviour rests on
  AUTH_PASSWORD_VALIDATORS: passwordValidators,
  CORS_ALLOW_CREDENTIALS: only(true, "Latchkey always lets its allowed origins send credentials"),
  CORS_ALLOWED_ORIGINS: option("cors.allowedOrigins"),
  CORS_PREFLIGHT_MAX_AGE: option("cors.maxAge"),
  CSRF_COOKIE_DOMAIN: option("csrf.cookieDomain"),
  CSRF_COOKIE_HTTPONLY: only(false, "the browser frontend reads the CSRF cookie"),
  CSRF_COOKIE_NAME: option("csrf.cookieName"),
  CSRF_COOKIE_PATH: option("csrf.cookiePath"),
  CSRF_COOKIE_SAMESITE: option("csrf.cookieSameSite"),
  CSRF_COOKIE_SECURE: option("csrf.cookieSecure"),
  CSRF_HEADER_NAME: option("csrf.headerName", csrfHeaderName, '"HTTP_X_CSRFTOKEN" → "X-CSRFTOKEN"'),
  CSRF_TRUSTED_ORIGINS: option("csrf.trustedOrigins"),
  DATABASES: unsupported("give database.url (or the DATABASE_URL variable): sqlite:PATH or postgres://…"),
  DEFAULT_FROM_EMAIL: option("mail.from"),
  EMAIL_BACKEND: option(
    "mail.transport",
    emailBackend,
    'Django\'s smtp, console and filebased backends → "smtp", "console", "file"',
  ),
  EMAIL_FILE_PATH: option("mail.fileDirectory"),
  EMAIL_HOST: option("mail.smtpHost"),
  EMAIL_HOST_PASSWORD: option("mail.smtpPassword"),
  EMAIL_HOST_USER: option("mail.smtpUser"),
  EMAIL_PORT: option("mail.smtpPort"),
  EMAIL_USE_SSL: option("mail.smtpSecure"),
  EMAIL_USE_TLS: only(true, "Latchkey uses STARTTLS whenever the SMTP server offers it"),
  INSTALLED_APPS: unsupported(
    "Latchkey's parts are switched by options: mfa.enabled, usersessions.enabled, socialaccount.providers",
  ),
  PASSWORD_RESET_TIMEOUT: option("account.passwordResetTimeout"),
  SECRET_KEY: unsupported(
    "Latchkey needs no Django secret key; an HS256 JWT secret is HEADLESS_JWT_PRIVATE_KEY",
  ),
  SESSION_COOKIE_AGE: option("sessions.idleTimeout", undefined, "a session unused this long ends"),
  SESSION_COOKIE_DOMAIN: option("sessions.cookieDomain"),
  SESSION_COOKIE_HTTPONLY: only(true, "the session cookie is always HttpOnly"),
  SESSION_COOKIE_NAME: option("sessions.cookieName"),
  SESSION_COOKIE_PATH: option("sessions.cookiePath"),
  SESSION_COOKIE_SAMESITE: option("sessions.cookieSameSite"),
  SESSION_COOKIE_SECURE: option("sessions.cookieSecure"),
  SESSION_ENGINE: unsupported("sessions live in Latchkey's database"),
};

/** Families of settings without any counterpart, by prefix. */
export const UNSUPPORTED_PREFIXES: readonly [string, string][] = [
  ["IDP_", "allauth.idp (being an OpenID Connect provider) has no counterpart in Latchkey"],
];
