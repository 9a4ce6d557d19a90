import { z } from "zod";

/**
 * Every option of Latchkey, with allauth's defaults. One object: `createLatchkey(options)` takes it,
 * the CLI reads it from a JSON file, and each leaf can be overridden by a `LATCHKEY_<PATH>` variable.
 * Names follow allauth's settings (ACCOUNT_*, HEADLESS_*, MFA_*), in camelCase and grouped.
 */

const seconds = (d: number) => z.number().int().positive().default(d);
/** allauth's "False, True (= 2) or a count" settings, as a count (0 = off). */
const countOrBoolean = z
  .union([z.boolean(), z.number().int().min(0)])
  .default(false)
  .transform((v) => (v === true ? 2 : v === false ? 0 : v));
const cookieSameSite = z.enum(["Lax", "Strict", "None"]);
const rateSpec = z.union([z.string(), z.literal(false)]);

const signupField = z.string().regex(/^(email|email2|username|password1|password2|phone)\*?$/, {
  message:
    'each entry is one of "email", "email2", "username", "password1", "password2", "phone", optionally with "*"',
});

const rateLimitActions = z
  .object({
    login: rateSpec.optional(),
    login_failed: rateSpec.optional(),
    signup: rateSpec.optional(),
    reset_password: rateSpec.optional(),
    reset_password_from_key: rateSpec.optional(),
    change_password: rateSpec.optional(),
    manage_email: rateSpec.optional(),
    change_phone: rateSpec.optional(),
    reauthenticate: rateSpec.optional(),
    request_login_code: rateSpec.optional(),
    confirm_email: rateSpec.optional(),
    verify_phone: rateSpec.optional(),
    confirm_code: rateSpec.optional(),
    login_failed_account: rateSpec.optional(),
  })
  .strict()
  .prefault({});

export const optionsSchema = z
  .object({
    /** URL prefix of the API (allauth: where `allauth.headless.urls` is included). */
    basePath: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, { message: 'must look like "/_allauth" (no trailing slash) or ""' })
      .default("/_allauth"),
    /** HEADLESS_CLIENTS: which URL trees exist. */
    clients: z
      .array(z.enum(["browser", "app"]))
      .min(1)
      .default(["browser", "app"]),
    /** Shown in mail subjects and as the TOTP issuer. */
    siteName: z.string().default("Latchkey"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

    database: z
      .object({
        /** `sqlite:PATH` (file; `sqlite::memory:` for throwaway) or `postgres://…`. The CLI also reads DATABASE_URL. */
        url: z.string().default("sqlite:latchkey.sqlite3"),
        /** Prefix of every table, so Latchkey can live in an existing database. */
        tablePrefix: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, { message: "lowercase letters, digits and _ only" })
          .default("latchkey_"),
        /** Size of the PostgreSQL connection pool. */
        poolSize: z.number().int().positive().default(10),
        /** Apply pending migrations when Latchkey starts (else run `latchkey migrate`). */
        migrate: z.boolean().default(true),
      })
      .strict()
      .prefault({}),

    account: z
      .object({
        /** ACCOUNT_LOGIN_METHODS. */
        loginMethods: z
          .array(z.enum(["email", "username"]))
          .min(1)
          .default(["username"]),
        /** ACCOUNT_SIGNUP_FIELDS; `*` marks a required field. `password1` is the `password` input; `password2` is ignored by headless clients, as in allauth. */
        signupFields: z.array(signupField).min(1).default(["email", "username*", "password1*", "password2*"]),
        /** Adapter `is_open_for_signup`: false answers 403 to signups. */
        isOpenForSignup: z.boolean().default(true),
        /** ACCOUNT_EMAIL_VERIFICATION. */
        emailVerification: z.enum(["none", "optional", "mandatory"]).default("optional"),
        /** ACCOUNT_PREVENT_ENUMERATION: `true` hides taken emails where a real signup would not log in; "strict" always. */
        preventEnumeration: z.union([z.boolean(), z.literal("strict")]).default(true),
        /** ACCOUNT_UNIQUE_EMAIL. */
        uniqueEmail: z.boolean().default(true),
        /** ACCOUNT_REAUTHENTICATION_TIMEOUT: how long an authentication counts as recent. */
        reauthenticationTimeout: seconds(300),
        /** ACCOUNT_REAUTHENTICATION_REQUIRED: reauthenticate before email changes. */
        reauthenticationRequired: z.boolean().default(false),
        /** ACCOUNT_LOGIN_TIMEOUT: the longest a staged login may take. */
        loginTimeout: seconds(900),
        /** ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE. */
        logoutOnPasswordChange: z.boolean().default(false),
        /** ACCOUNT_USERNAME_MIN_LENGTH. */
        usernameMinLength: z.number().int().min(1).default(1),
        /** Django's username max_length. */
        usernameMaxLength: z.number().int().min(1).max(150).default(150),
        /** ACCOUNT_USERNAME_BLACKLIST (compared case-insensitively). */
        usernameBlacklist: z.array(z.string()).default([]),
        /** ACCOUNT_PRESERVE_USERNAME_CASING: false stores usernames lowercased. */
        preserveUsernameCasing: z.boolean().default(true),
        /** ACCOUNT_EMAIL_VERIFICATION_BY_CODE_*: verify with a mailed code instead of a link (requires "mandatory"). */
        emailVerificationByCode: z
          .object({
            enabled: z.boolean().default(false),
            maxAttempts: z.number().int().min(1).default(3),
            timeout: seconds(900),
          })
          .strict()
          .prefault({}),
        /** ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE: how many times the address may be changed during signup verification (true = 2). */
        emailVerificationSupportsChange: countOrBoolean,
        /** ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND: how many resends (true = 2). */
        emailVerificationSupportsResend: countOrBoolean,
        /** ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: validity of verification links. */
        emailConfirmationExpireDays: z.number().int().min(1).default(3),
        /** ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN: seconds between verification mails to one address (link mode; code mode uses 10). */
        emailConfirmationCooldown: z.number().int().min(0).default(180),
        /** ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: link verification during a login completes it. */
        loginOnEmailConfirmation: z.boolean().default(false),
        /** ACCOUNT_LOGIN_ON_PASSWORD_RESET. */
        loginOnPasswordReset: z.boolean().default(false),
        /** Django PASSWORD_RESET_TIMEOUT: validity of reset links, seconds. */
        passwordResetTimeout: seconds(259_200),
        /** ACCOUNT_PASSWORD_RESET_BY_CODE_*. */
        passwordResetByCode: z
          .object({
            enabled: z.boolean().default(false),
            maxAttempts: z.number().int().min(1).default(3),
            timeout: seconds(180),
          })
          .strict()
          .prefault({}),
        /** ACCOUNT_LOGIN_BY_CODE_*. `required`: true, or the first factors after which a code is also required. */
        loginByCode: z
          .object({
            enabled: z.boolean().default(false),
            required: z
              .union([z.boolean(), z.array(z.enum(["password", "mfa", "socialaccount"]))])
              .default(false),
            maxAttempts: z.number().int().min(1).default(3),
            timeout: seconds(180),
            supportsResend: countOrBoolean,
            /** ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED (needs MFA trust). */
            trustEnabled: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS: mail unknown addresses that ask for a reset. */
        emailUnknownAccounts: z.boolean().default(true),
        /** ACCOUNT_CHANGE_EMAIL: one address per account; verifying a new one replaces it. */
        changeEmail: z.boolean().default(false),
        /** ACCOUNT_MAX_EMAIL_ADDRESSES (null: no limit). */
        maxEmailAddresses: z.number().int().min(1).nullable().default(null),
        /** ACCOUNT_EMAIL_NOTIFICATIONS: security notification mails (password changed, email added/removed/primary). */
        emailNotifications: z.boolean().default(false),
        /** ALLAUTH_USER_CODE_FORMAT: codes sent to people (login, verification, reset). */
        userCodeFormat: z
          .object({
            alphabet: z.string().min(10).default("BCDFGHJKLMNPQRSTVWXZ"),
            length: z.number().int().min(4).max(32).default(8),
            dashed: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),

    password: z
      .object({
        /** Django MinimumLengthValidator. */
        minLength: z.number().int().min(1).default(8),
        /** Django UserAttributeSimilarityValidator max_similarity; false turns it off. */
        userAttributeSimilarity: z.union([z.number().min(0.1).max(1), z.literal(false)]).default(0.7),
        /** Django CommonPasswordValidator (a list of over 20,000 shipped in data/). */
        commonPasswords: z.boolean().default(true),
        /** Django NumericPasswordValidator. */
        numeric: z.boolean().default(true),
        breached: z
          .object({
            /** Refuse passwords seen in data breaches (`password_breached`) at signup, change and reset, asking a k-anonymity range API: only the first 5 hex digits of the password's SHA-1 are sent. */
            enabled: z.boolean().default(false),
            /** Range endpoint in Have I Been Pwned's format; the 5-digit prefix is appended. */
            url: z
              .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
              .default("https://api.pwnedpasswords.com/range/"),
            /** The longest a lookup may take; a lookup that times out, fails or answers other than 200 lets the password through and logs a warning. */
            timeoutMs: z.number().int().min(1).default(1500),
            /** How many sightings in breaches make a password refused. */
            minCount: z.number().int().min(1).default(1),
          })
          .strict()
          .prefault({}),
        /** argon2id parameters (OWASP minimum by default). Stored hashes with other parameters are rehashed at login. */
        hashing: z
          .object({
            memoryCost: z.number().int().min(1024).default(19456),
            timeCost: z.number().int().min(1).default(2),
            parallelism: z.number().int().min(1).default(1),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),

    sessions: z
      .object({
        /** SESSION_COOKIE_NAME (browser client). */
        cookieName: z.string().min(1).default("sessionid"),
        cookieDomain: z.string().nullable().default(null),
        cookiePath: z.string().default("/"),
        cookieSecure: z.boolean().default(false),
        cookieSameSite: cookieSameSite.default("Lax"),
        /** A session unused for this long ends. */
        idleTimeout: seconds(1_209_600),
        /** A session ends this long after it was created, however active. */
        maxAge: seconds(2_592_000),
      })
      .strict()
      .prefault({}),

    csrf: z
      .object({
        cookieName: z.string().min(1).default("csrftoken"),
        headerName: z.string().min(1).default("X-CSRFToken"),
        cookieDomain: z.string().nullable().default(null),
        cookiePath: z.string().default("/"),
        cookieSecure: z.boolean().default(false),
        cookieSameSite: cookieSameSite.default("Lax"),
        /** CSRF_TRUSTED_ORIGINS: origins (scheme://host[:port]) allowed to send unsafe browser requests besides the API's own. */
        trustedOrigins: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),

    cors: z
      .object({
        /** Origins allowed to call the API cross-origin, with credentials. */
        allowedOrigins: z.array(z.string()).default([]),
        /** Access-Control-Max-Age of preflight answers. */
        maxAge: z.number().int().min(0).default(86_400),
      })
      .strict()
      .prefault({}),

    proxy: z
      .object({
        /** ALLAUTH_TRUSTED_PROXY_COUNT: how many proxies in front append to X-Forwarded-For. */
        trustedProxyCount: z.number().int().min(0).default(0),
        /** ALLAUTH_TRUSTED_CLIENT_IP_HEADER, e.g. "CF-Connecting-IP". */
        trustedClientIpHeader: z.string().nullable().default(null),
      })
      .strict()
      .prefault({}),

    rateLimits: z
      .union([
        z.literal(false),
        z
          .object({
            /** Where counters live: "memory" (one process), "postgres" (the API's database) or "redis" (redisUrl). */
            store: z.enum(["memory", "postgres", "redis"]).default("memory"),
            /** Redis server of the "redis" store. */
            redisUrl: z.string().default("redis://127.0.0.1:6379"),
            /** ACCOUNT_RATE_LIMITS overrides per action ("n/period/key", false turns one off). */
            actions: rateLimitActions,
          })
          .strict(),
      ])
      .prefault({}),

    /** HEADLESS_FRONTEND_URLS: links put in mail; `{key}` is replaced by the secret. */
    frontendUrls: z
      .object({
        accountConfirmEmail: z.string().default("http://localhost:3000/account/verify-email/{key}"),
        accountResetPassword: z.string().default("http://localhost:3000/account/password/reset"),
        accountResetPasswordFromKey: z
          .string()
          .default("http://localhost:3000/account/password/reset/key/{key}"),
        accountSignup: z.string().default("http://localhost:3000/account/signup"),
        socialaccountLoginError: z.string().default("http://localhost:3000/account/provider/callback"),
      })
      .strict()
      .prefault({}),

    usersessions: z
      .object({
        /** The /auth/sessions endpoints and config key (allauth.usersessions installed). */
        enabled: z.boolean().default(true),
        /** USERSESSIONS_TRACK_ACTIVITY: report last_seen_at. */
        trackActivity: z.boolean().default(false),
        /** End the user's other sessions when the password changes (Django does, through its session auth hash). */
        endOthersOnPasswordChange: z.boolean().default(true),
      })
      .strict()
      .prefault({}),

    tokens: z
      .object({
        /** HEADLESS_TOKEN_STRATEGY for app clients: opaque session tokens, or JWT access + refresh tokens beside them. */
        strategy: z.enum(["session", "jwt"]).default("session"),
        jwt: z
          .object({
            /** HEADLESS_JWT_ALGORITHM. */
            algorithm: z.enum(["RS256", "ES256", "EdDSA", "HS256"]).default("RS256"),
            /** HEADLESS_JWT_PRIVATE_KEY: PEM (PKCS#8) for RS256/ES256/EdDSA, or the shared secret for HS256. */
            privateKey: z.string().nullable().default(null),
            /** HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN, seconds. */
            accessTokenExpiresIn: seconds(300),
            /** HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN, seconds. */
            refreshTokenExpiresIn: seconds(86_400),
            /** HEADLESS_JWT_AUTHORIZATION_HEADER_SCHEME. */
            authorizationHeaderScheme: z.string().default("Bearer"),
            /** HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED: an access token is valid only while its session lives. */
            statefulValidation: z.boolean().default(false),
            /** HEADLESS_JWT_ROTATE_REFRESH_TOKEN. */
            rotateRefreshToken: z.boolean().default(true),
            /** `iss` of issued tokens (and checked on verification), when set. */
            issuer: z.string().nullable().default(null),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),

    mfa: z
      .object({
        /** The MFA area (allauth.mfa installed). */
        enabled: z.boolean().default(true),
        /** MFA_SUPPORTED_TYPES. */
        supportedTypes: z
          .array(z.enum(["recovery_codes", "totp", "webauthn"]))
          .default(["recovery_codes", "totp"]),
        /** MFA_ALLOW_UNVERIFIED_EMAIL. */
        allowUnverifiedEmail: z.boolean().default(false),
        /** MFA_TOTP_*. */
        totp: z
          .object({
            /** Issuer shown by authenticator apps (default: siteName). */
            issuer: z.string().nullable().default(null),
            digits: z.number().int().min(6).max(8).default(6),
            period: z.number().int().min(15).max(120).default(30),
            /** Steps of clock drift accepted either side. */
            tolerance: z.number().int().min(0).max(5).default(0),
          })
          .strict()
          .prefault({}),
        /** MFA_RECOVERY_CODE_*. */
        recoveryCodes: z
          .object({
            count: z.number().int().min(1).max(100).default(10),
            digits: z.number().int().min(6).max(16).default(8),
            /** MFA_RECOVERY_CODES_SHOW_ONCE. */
            showOnce: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** MFA_PASSKEY_LOGIN_ENABLED (needs "webauthn"). */
        passkeyLogin: z.boolean().default(false),
        /** MFA_PASSKEY_SIGNUP_ENABLED (needs "webauthn", "email*", mandatory verification by code). */
        passkeySignup: z.boolean().default(false),
        webauthn: z
          .object({
            /** Relying-party id; default: the request's host name. */
            rpId: z.string().nullable().default(null),
            /** Relying-party name; default: siteName. */
            rpName: z.string().nullable().default(null),
            /** Origins accepted in client data; default: the request's own origin. */
            origins: z.array(z.string()).default([]),
            /** MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: skip the origin check (development only). */
            allowInsecureOrigin: z.boolean().default(false),
          })
          .strict()
          .prefault({}),
        /** MFA_TRUST_*: "trust this browser" after MFA (browser client only). */
        trust: z
          .object({
            enabled: z.boolean().default(false),
            cookieName: z.string().default("mfa_trusted"),
            /** Seconds (14 days). */
            cookieAge: seconds(1_209_600),
            cookieDomain: z.string().nullable().default(null),
            cookiePath: z.string().default("/"),
            cookieSecure: z.boolean().default(false),
            cookieSameSite: cookieSameSite.default("Lax"),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),

    mail: z
      .object({
        /** "console" prints mail (the default for `npm start`), "file" writes one .eml per message to fileDirectory, "smtp" sends. */
        transport: z.enum(["console", "file", "smtp"]).default("console"),
        /** Folder of the "file" transport (one .eml per message). */
        fileDirectory: z.string().default(".latchkey/mail"),
        /** SMTP server of the "smtp" transport. */
        smtpHost: z.string().default("127.0.0.1"),
        /** SMTP port. */
        smtpPort: z.number().int().min(1).max(65535).default(25),
        /** Implicit TLS (port 465); otherwise STARTTLS is used when the server offers it. */
        smtpSecure: z.boolean().default(false),
        /** SMTP user name (null: no authentication). */
        smtpUser: z.string().nullable().default(null),
        /** SMTP password. */
        smtpPassword: z.string().nullable().default(null),
        /** The From header of every mail. */
        from: z.string().default("Latchkey <no-reply@localhost>"),
        /** The longest a response waits for a send; a slower send finishes (or fails, logged) in the background. */
        sendTimeoutMs: z.number().int().min(1).default(5000),
      })
      .strict()
      .prefault({}),

    http: z
      .object({
        /** Request bodies above this many bytes get 413. */
        maxBodyBytes: z.number().int().min(256).default(65_536),
        /** serve() and `latchkey serve`: the longest a client may take to send a request's headers (at most requestTimeoutMs); then 408 and the connection is closed. */
        headersTimeoutMs: z.number().int().min(1).default(10_000),
        /** serve() and `latchkey serve`: the longest a client may take to send a whole request, headers and body; then 408 and the connection is closed. */
        requestTimeoutMs: z.number().int().min(1).default(30_000),
        /** serve() and `latchkey serve`: how long an idle keep-alive connection stays open. Behind a proxy, make it longer than the proxy's own idle timeout. */
        keepAliveTimeoutMs: z.number().int().min(1).default(5_000),
        /** serve() and `latchkey serve`: the most connections open at once; further ones are closed unanswered (logged as a warning at most once a minute). null: no limit. */
        maxConnections: z.number().int().min(1).nullable().default(1_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The options object as written by users (everything optional). */
export type LatchkeyOptions = z.input<typeof optionsSchema>;
/** The options with every default filled in. */
export type ResolvedOptions = z.output<typeof optionsSchema>;
