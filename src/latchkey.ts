import type { JSONWebKeySet } from "jose";
import pino, { type Logger } from "pino";
import type { z } from "zod";
import { accountArea } from "./account/area.js";
import { PasswordHasher } from "./account/passwords/hasher.js";
import type { Area } from "./base/area.js";
import {
  areaHooks,
  areaPages,
  areaRoutes,
  areaStages,
  messageTable,
  optionsComposition,
  rateLimitDefaults,
} from "./base/compose.js";
import type { Runtime } from "./base/context.js";
import { type ConnectionInfo, createResponder, servedPrefixes } from "./base/pipeline.js";
import type { PageRoute, Route } from "./base/route.js";
import type { Client } from "./core/enums.js";
import type { ApiAnswer, ApiRequest } from "./http/exchange.js";
import { toResponse } from "./http/exchange.js";
import { checkRateLimitOptions, RateLimiter, type RateLimitStore } from "./http/ratelimit/index.js";
import { createMailer, type MailTransportOptions, type SendMail } from "./mail/index.js";
import { mfaArea } from "./mfa/area.js";
import { resolveWith } from "./options/resolve.js";
import { composeOptionsSchema, type LatchkeyOptions, type ResolvedOptions } from "./options/schema.js";
import { SessionStore } from "./sessions/store.js";
import {
  createSessionToken,
  jwks,
  type SessionApiDeps,
  type SessionTokenOwner,
  validateSessionToken,
  verifyAccessToken,
} from "./sessions/tokens/api.js";
import { createJwtStrategy } from "./sessions/tokens/jwt.js";
import { sessionTokenStrategy, type VerifiedAccessToken } from "./sessions/tokens/strategy.js";
import { EmailAddresses } from "./store/addresses.js";
import { Authenticators } from "./store/authenticators.js";
import { CodeProcessStore } from "./store/code-processes.js";
import { openStore } from "./store/database.js";
import { KeyStore } from "./store/keys.js";
import { Users } from "./store/users.js";
import { tokensArea } from "./tokens/area.js";
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
  /** The route table (method, path, clients, gate, input schema) the API is built from. */
  readonly routes: readonly Route[];
  /** The pages outside the API base (provider callbacks), and the path prefixes served (for adapters). */
  readonly pages: readonly PageRoute[];
  readonly prefixes: readonly string[];
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

/**
 * Every area, in the order their sections and flows are listed. Adding an area is adding its
 * folder and its line here.
 */
const AREAS: readonly Area[] = [accountArea, mfaArea, usersessionsArea, tokensArea];

const composition = optionsComposition(AREAS, [checkRateLimitOptions]);
const schema = composeOptionsSchema(composition.sections, composition.rateLimitActions);

/** The options with the areas' sections, checked (allauth's system checks). Throws OptionsError. */
export function resolveOptions(input: LatchkeyOptions = {}): ResolvedOptions {
  return resolveWith(composition, input);
}

/** The whole options schema (the core's sections and every area's), e.g. for LATCHKEY_* variables. */
export function optionsSchema(): z.ZodType {
  return schema;
}

export interface LatchkeyDependencies {
  /** Replaces the clock (epoch ms), e.g. to test expiry. */
  now?: () => number;
  logger?: Logger;
  /** Sends every mail through your function instead of the configured mail transport. */
  sendMail?: SendMail;
}

/** Builds Latchkey from options: store → mailer → rate limits → areas → pipeline. */
export function createLatchkey(input: LatchkeyOptions = {}, deps: LatchkeyDependencies = {}): Latchkey {
  const options = resolveOptions(input);
  const logger = deps.logger ?? pino({ level: options.logLevel, base: { name: "latchkey" } });
  const now = deps.now ?? Date.now;
  let sessions: SessionStore | undefined;
  // Made (and its key checked) before the store opens, so a bad key leaves no connection behind;
  // it reaches the sessions only when asked to.
  const tokens =
    options.tokens.strategy === "jwt"
      ? createJwtStrategy(options, {
          get sessions() {
            return sessions!;
          },
          logger,
          now,
        })
      : sessionTokenStrategy;
  const store = openStore(options.database);
  sessions = new SessionStore(store, options.sessions);
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
    users: new Users(store.db),
    addresses: new EmailAddresses(store.db),
    authenticators: new Authenticators(store.db),
    keys: new KeyStore(store.db),
    codes: new CodeProcessStore(store.db),
    sessions,
    hasher: new PasswordHasher(options.password.hashing),
    rateLimiter: null,
    mailer,
    logger,
    tokens,
    flowSources: AREAS.flatMap((a) => (a.flows ? [a.flows.bind(a)] : [])),
    stages: areaStages(AREAS),
    hooks: areaHooks(AREAS),
    messages: messageTable(AREAS, options),
    now,
  };
  const routes = areaRoutes(AREAS, options);
  const pages = areaPages(AREAS, options);
  const respond = createResponder(runtime, routes, pages);
  const api: SessionApiDeps = { sessions, users: runtime.users, tokens, clients: options.clients, now };

  const ready = (async () => {
    if (options.database.migrate) await store.migrate();
    runtime.rateLimiter = await createRateLimiter(
      options,
      store.pool,
      logger,
      rateLimitDefaults(AREAS, options),
    );
  })();
  ready.catch(() => {});

  return {
    options,
    routes,
    pages,
    prefixes: servedPrefixes(options.basePath, pages),
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
      return validateSessionToken(api, token);
    },
    async createSessionToken(userId, client) {
      await ready;
      return createSessionToken(api, userId, client);
    },
    async verifyAccessToken(token) {
      if (options.tokens.jwt.statefulValidation) await ready;
      return verifyAccessToken(api, token);
    },
    jwks: () => jwks(api),
    async purgeExpired() {
      const at = now();
      return {
        sessions: await runtime.sessions.purgeExpired(at),
        tokens: await runtime.keys.purgeExpired(at),
        codes: await runtime.codes.purgeExpired(at),
      };
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
  defaults: Readonly<Record<string, string | false>>,
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
  return RateLimiter.create(o.rateLimits.actions, store, {
    defaults,
    onError: (err) => logger.warn({ err }, "rate limit store failed; allowing the request"),
  });
}
