import type { JSONWebKeySet } from "jose";
import pino, { type Logger } from "pino";
import { loginByCodeArea } from "./account/code/area.js";
import { emailArea } from "./account/email/area.js";
import { PasswordHasher } from "./account/passwords/hasher.js";
import { passwordResetArea } from "./account/reset/area.js";
import { accountArea } from "./account/routes.js";
import type { Stage } from "./account/stages.js";
import type { Area } from "./area.js";
import { baseArea } from "./base/routes.js";
import { type Client, Flow } from "./core/enums.js";
import type { ApiAnswer, ApiRequest } from "./http/exchange.js";
import { toResponse } from "./http/exchange.js";
import { type ConnectionInfo, createResponder } from "./http/handler.js";
import { RateLimiter, type RateLimitStore } from "./http/ratelimit/index.js";
import type { Route } from "./http/route.js";
import { createMailer, type MailTransportOptions, type SendMail } from "./mail/index.js";
import { mfaArea } from "./mfa/area.js";
import { webauthnArea } from "./mfa/webauthn/area.js";
import { resolveOptions } from "./options/resolve.js";
import type { LatchkeyOptions, ResolvedOptions } from "./options/schema.js";
import type { Runtime } from "./runtime.js";
import { SessionStore } from "./sessions/store.js";
import {
  createSessionToken,
  jwks,
  type SessionTokenOwner,
  validateSessionToken,
  verifyAccessToken,
} from "./sessions/tokens/api.js";
import { tokensArea } from "./sessions/tokens/area.js";
import { createJwtStrategy } from "./sessions/tokens/jwt.js";
import { sessionTokenStrategy, type VerifiedAccessToken } from "./sessions/tokens/strategy.js";
import { CodeProcessStore } from "./store/code-processes.js";
import { openStore } from "./store/database.js";
import { usersessionsArea } from "./usersessions/area.js";

export interface Latchkey {
  /** The whole API as a Web-standard handler. `info.remoteAddress` is the socket's peer (adapters pass it). */
  handler(request: Request, info?: ConnectionInfo): Promise<Response>;
  /**
   * The same pipeline without Web Request/Response objects (a Request is an ApiRequest): the
   * Node adapter uses it to skip their cost on the hot path.
   */
  respond(request: ApiRequest, info?: ConnectionInfo): Promise<ApiAnswer>;
  /** The options with every default filled in. */
  readonly options: ResolvedOptions;
  /** The route table (method, path, clients, input schema) the API is built from. */
  readonly routes: readonly Route[];
  /** Resolves when the store is migrated and the rate limiter is ready; rejects if either failed. */
  ready(): Promise<void>;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Closes the database, rate-limit store and mailer. */
  close(): Promise<void>;
  /**
   * Deletes expired sessions, expired mailed keys, trust tokens and decoys, and expired code
   * processes; returns how many rows went. `latchkey serve` runs it every ten minutes; run it on
   * a schedule when embedding.
   */
  purgeExpired(): Promise<{ sessions: number; tokens: number; codes: number }>;
  /** Internals for tests and extensions. */
  readonly runtime: Runtime;
  /**
   * For your own API: the user and session of an opaque session token (X-Session-Token, or the
   * browser's session cookie); null when unknown, expired, not logged in, or the user is inactive.
   */
  validateSessionToken(token: string): Promise<SessionTokenOwner | null>;
  /**
   * Logs a user in from the server: a new session (no authentication records) whose token works
   * as X-Session-Token or as the browser's session cookie. Throws for unknown or inactive users,
   * or a client tree that is not enabled.
   */
  createSessionToken(userId: number, client?: Client): Promise<string>;
  /**
   * For your own API (tokens.strategy "jwt"): verifies an access token (signature, expiry,
   * `token_use`, and with tokens.jwt.statefulValidation that its session still lives). Null
   * when invalid, or with the session strategy.
   */
  verifyAccessToken(token: string): Promise<VerifiedAccessToken | null>;
  /**
   * The JWKS (`{keys: [...]}`) that verifies access tokens, for other services: serve it yourself,
   * e.g. at /.well-known/jwks.json. Empty for HS256 and for the session strategy. (The app tree
   * also answers GET /tokens/jwks with it, inside the usual envelope.)
   */
  jwks(): Promise<JSONWebKeySet>;
}

/** Every area, each contributing routes and stages. */
const AREAS: readonly Area[] = [
  baseArea,
  accountArea,
  emailArea,
  passwordResetArea,
  loginByCodeArea,
  usersessionsArea,
  tokensArea,
  mfaArea,
  webauthnArea,
];

/** allauth's stage order (ALLAUTH-BEHAVIOUR §2.3); each area brings its own stages. */
const STAGE_ORDER: readonly Flow[] = [
  Flow.LOGIN_BY_CODE,
  Flow.VERIFY_PHONE,
  Flow.VERIFY_EMAIL,
  Flow.MFA_AUTHENTICATE,
  Flow.MFA_TRUST,
  Flow.MFA_SIGNUP_WEBAUTHN,
];

function orderedStages(areas: readonly Area[]): Stage[] {
  const stages = areas.flatMap((a) => a.stages ?? []);
  for (const stage of stages) {
    if (!STAGE_ORDER.includes(stage.key)) throw new Error(`stage ${stage.key} has no place in STAGE_ORDER`);
  }
  return stages.sort((a, b) => STAGE_ORDER.indexOf(a.key) - STAGE_ORDER.indexOf(b.key));
}

export interface LatchkeyDependencies {
  /** Replaces the clock (epoch ms), e.g. to test expiry. */
  now?: () => number;
  logger?: Logger;
  /** Sends every mail through your function instead of the configured mail transport. */
  sendMail?: SendMail;
}

/** Builds Latchkey from options: store → mailer → rate limits → areas → router (DESIGN §3). */
export function createLatchkey(input: LatchkeyOptions = {}, deps: LatchkeyDependencies = {}): Latchkey {
  const options = resolveOptions(input);
  const logger = deps.logger ?? pino({ level: options.logLevel, base: { name: "latchkey" } });
  // Before the store opens, so a bad key does not leave a connection behind.
  const tokens = options.tokens.strategy === "jwt" ? createJwtStrategy(options) : sessionTokenStrategy;
  const store = openStore(options.database);
  const mailer = createMailer(
    {
      transport: deps.sendMail ? { kind: "function", send: deps.sendMail } : mailTransport(options),
      from: options.mail.from,
      siteName: options.siteName,
      sendTimeoutMs: options.mail.sendTimeoutMs,
    },
    logger,
  );
  const runtime: Runtime = {
    options,
    store,
    sessions: new SessionStore(store, options.sessions),
    codes: new CodeProcessStore(store.db),
    hasher: new PasswordHasher(options.password.hashing),
    rateLimiter: null,
    mailer,
    logger,
    tokens,
    stages: orderedStages(AREAS),
    now: deps.now ?? Date.now,
  };
  const routes: Route[] = AREAS.flatMap((area) => area.routes(options));
  const respond = createResponder(runtime, routes);

  const ready = (async () => {
    if (options.database.migrate) await store.migrate();
    runtime.rateLimiter = await createRateLimiter(options, store.pool, logger);
  })();
  ready.catch(() => {});

  return {
    options,
    routes,
    runtime,
    async handler(request, info) {
      await ready;
      return toResponse(await respond(request, info));
    },
    async respond(request, info) {
      await ready;
      return respond(request, info);
    },
    ready: () => ready,
    migrate: () => store.migrate(),
    async validateSessionToken(token) {
      await ready;
      return validateSessionToken(runtime, token);
    },
    async createSessionToken(userId, client) {
      await ready;
      return createSessionToken(runtime, userId, client);
    },
    async verifyAccessToken(token) {
      if (options.tokens.jwt.statefulValidation) await ready;
      return verifyAccessToken(runtime, token);
    },
    jwks: () => jwks(runtime),
    async purgeExpired() {
      const now = runtime.now();
      const sessions = await runtime.sessions.purgeExpired(now);
      const tokens = await store.db.deleteFrom("token").where("expires_at", "<=", now).executeTakeFirst();
      const codes = await runtime.codes.purgeExpired(now);
      return { sessions, tokens: Number(tokens.numDeletedRows), codes };
    },
    async close() {
      await ready.catch(() => {});
      await runtime.rateLimiter?.close();
      await mailer.close();
      await store.close();
    },
  };
}

function mailTransport(o: ResolvedOptions): MailTransportOptions {
  const m = o.mail;
  switch (m.transport) {
    case "console":
      return { kind: "console" };
    case "file":
      return { kind: "file", directory: m.fileDirectory };
    case "smtp":
      return {
        kind: "smtp",
        host: m.smtpHost,
        port: m.smtpPort,
        secure: m.smtpSecure,
        ...(m.smtpUser !== null ? { user: m.smtpUser } : {}),
        ...(m.smtpPassword !== null ? { password: m.smtpPassword } : {}),
      };
  }
}

async function createRateLimiter(
  o: ResolvedOptions,
  pool: import("pg").Pool | undefined,
  logger: Logger,
): Promise<RateLimiter | null> {
  if (o.rateLimits === false) return null;
  let store: RateLimitStore;
  if (o.rateLimits.store === "postgres") {
    store = { kind: "postgres", pool: pool!, tableName: `${o.database.tablePrefix}rate_limit` };
  } else if (o.rateLimits.store === "redis") {
    store = { kind: "redis", url: o.rateLimits.redisUrl, keyPrefix: `${o.database.tablePrefix}rl` };
  } else {
    store = { kind: "memory" };
  }
  // allauth's confirm_email default depends on the verification mode.
  const actions = { ...o.rateLimits.actions };
  if (actions.confirm_email === undefined) {
    const a = o.account;
    actions.confirm_email = a.emailVerificationByCode.enabled
      ? "1/10s/key"
      : a.emailConfirmationCooldown > 0
        ? `1/${a.emailConfirmationCooldown}s/key`
        : false;
  }
  return RateLimiter.create(actions, store, {
    onError: (err) => logger.warn({ err }, "rate limit store failed; allowing the request"),
  });
}
