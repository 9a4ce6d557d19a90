import { z } from "zod";
import { cookieSameSite, rateSpec, seconds } from "./fields.js";

/**
 * Every option of Latchkey, with allauth's defaults. One object: `createLatchkey(options)` takes it,
 * the CLI reads it from a JSON file, and each leaf can be overridden by a `LATCHKEY_<PATH>` variable.
 * Names follow allauth's settings (ACCOUNT_*, HEADLESS_*, MFA_*), in camelCase and grouped. This file
 * holds the sections of the core (transport, sessions, storage, mail); each area adds its own
 * section (see AreaOptions).
 */

/** Where `latchkey serve` keeps its data when nothing else is configured. */
export const DEFAULT_DATABASE_URL = "sqlite:latchkey.sqlite3";

/**
 * `rateLimits`: false, or where counters live and the rules per action. The composition passes
 * an object with one key per known action, so a misspelt action is an unknown option.
 */
function rateLimitsSchema(actions: z.ZodType<Partial<Record<string, string | false>>, object>) {
  return z
    .union([
      z.literal(false),
      z
        .object({
          /** Where counters live: "memory" (one process), "postgres" (the API's database) or "redis" (redisUrl). */
          store: z.enum(["memory", "postgres", "redis"]).default("memory"),
          /** Redis server of the "redis" store. */
          redisUrl: z.string().default("redis://127.0.0.1:6379"),
          /** ACCOUNT_RATE_LIMITS overrides per action ("n/period/key", false turns one off). */
          actions: actions.prefault({}),
        })
        .strict(),
    ])
    .prefault({});
}

export const coreOptionsSchema = z
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
    /** info: one line per security event (login, signup, loginFailed…); debug adds one line per request. */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** JSON lines, readable lines, or "auto": readable on a terminal (stdout a TTY), JSON otherwise. */
    logFormat: z.enum(["auto", "json", "pretty"]).default("auto"),

    database: z
      .object({
        /** `sqlite:PATH` (file; `sqlite::memory:` for throwaway) or `postgres://…`. The CLI also reads DATABASE_URL. */
        url: z.string().default(DEFAULT_DATABASE_URL),
        /** Prefix of every table, so Latchkey can live in an existing database. */
        tablePrefix: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, { message: "lowercase letters, digits and _ only" })
          .default("latchkey_"),
        /** Size of the PostgreSQL connection pool. */
        poolSize: z.number().int().positive().default(10),
        /**
         * PostgreSQL's statement_timeout on every connection of the pool, in ms: a statement that
         * runs longer is cancelled, and its request answered 503 with Retry-After, instead of
         * holding a connection while the database is overloaded. Null leaves the server's (or the
         * role's) setting. Migrations run under it too.
         */
        statementTimeoutMs: z.number().int().positive().nullable().default(null),
        /** Apply pending migrations when Latchkey starts (else run `latchkey migrate`). */
        migrate: z.boolean().default(true),
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

    rateLimits: rateLimitsSchema(z.record(z.string(), rateSpec)),

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
            /** `aud` of issued tokens (and checked on verification), when set: the API your access tokens are for. Services verifying with the JWKS must check `iss`, `aud` and `token_use` too. */
            audience: z.string().nullable().default(null),
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
        /** Serve the API's OpenAPI 3.1 document at {basePath}/openapi.json and /openapi.yaml, and a docs page (with "try it") at {basePath}/docs; false: none of them is served (404). */
        docs: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Replacements of the English error messages by message id (e.g. "incorrect_code"), to translate them. */
    messages: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/**
 * The option sections of the areas, by key. Each area declares its own by declaration merging
 * (`declare module "../options/schema.js" { interface AreaOptions { mfa: … } }`) and hands its
 * schema to the composition (Area.options).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the areas
export interface AreaOptions {}
/** The areas' sections as written by users (see AreaOptions). */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the areas
export interface AreaOptionsInput {}

/** The options object as written by users (everything optional). */
export type LatchkeyOptions = z.input<typeof coreOptionsSchema> & AreaOptionsInput;
/** The options with every default filled in. */
export type ResolvedOptions = z.output<typeof coreOptionsSchema> & AreaOptions;

/**
 * The whole schema: the core's sections and the areas', and `rateLimits.actions` with one key
 * per rate-limit action. An unknown key anywhere is an error.
 */
export function composeOptionsSchema(
  sections: Readonly<Record<string, z.ZodType>>,
  rateLimitActions: readonly string[],
) {
  const actions = z
    .object(Object.fromEntries(rateLimitActions.map((a) => [a, rateSpec.optional()])))
    .strict();
  return coreOptionsSchema.extend({ ...sections, rateLimits: rateLimitsSchema(actions) }).strict();
}
