import { z } from "zod";

/**
 * Every option of Latchkey, with allauth's defaults. One object: `createLatchkey(options)` takes it,
 * the CLI reads it from a JSON file, and each leaf can be overridden by a `LATCHKEY_<PATH>` variable.
 * Names follow allauth's settings (ACCOUNT_*, HEADLESS_*, MFA_*), in camelCase and grouped.
 */

const seconds = (d: number) => z.number().int().positive().default(d);
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
            redisUrl: z.string().default("redis://127.0.0.1:6379"),
            /** ACCOUNT_RATE_LIMITS overrides per action ("n/period/key", false turns one off). */
            actions: rateLimitActions,
          })
          .strict(),
      ])
      .prefault({}),

    tokens: z
      .object({
        /** HEADLESS_TOKEN_STRATEGY for app clients: opaque session tokens. */
        strategy: z.enum(["session"]).default("session"),
      })
      .strict()
      .prefault({}),

    mail: z
      .object({
        /** "console" prints mail (the default for `npm start`), "file" writes one .eml per message to fileDirectory, "smtp" sends. */
        transport: z.enum(["console", "file", "smtp"]).default("console"),
        fileDirectory: z.string().default(".latchkey/mail"),
        smtpHost: z.string().default("127.0.0.1"),
        smtpPort: z.number().int().min(1).max(65535).default(25),
        /** Implicit TLS (port 465); otherwise STARTTLS is used when the server offers it. */
        smtpSecure: z.boolean().default(false),
        smtpUser: z.string().nullable().default(null),
        smtpPassword: z.string().nullable().default(null),
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
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The options object as written by users (everything optional). */
export type LatchkeyOptions = z.input<typeof optionsSchema>;
/** The options with every default filled in. */
export type ResolvedOptions = z.output<typeof optionsSchema>;
