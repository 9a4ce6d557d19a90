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
import type { LatchkeyHooks } from "./base/hooks.js";
import {
  type ConnectionInfo,
  createResponder,
  csrfReason,
  type ServiceStatus,
  servedPrefixes,
} from "./base/pipeline.js";
import type { PageRoute, Route } from "./base/route.js";
import { compactApi, compactArea } from "./compact/area.js";
import { retryingStartup, ServiceUnavailableError } from "./core/availability.js";
import type { Client } from "./core/enums.js";
import { type ApiError, apiError } from "./core/errors.js";
import { readableDestination } from "./core/readable-log.js";
import { parseCookies } from "./http/cookies.js";
import { csrfProblem } from "./http/csrf.js";
import type { ApiAnswer, ApiRequest } from "./http/exchange.js";
import { toResponse } from "./http/exchange.js";
import { checkRateLimitOptions, RateLimiter, type RateLimitStore } from "./http/ratelimit/index.js";
import type { PostgresQueryable } from "./http/ratelimit/stores.js";
import { createMailer, type MailTransportOptions, type SendMail } from "./mail/index.js";
import { mfaArea } from "./mfa/area.js";
import { type OpenApiDocument, openApiDocument } from "./openapi/document.js";
import { docsFiles } from "./openapi/files.js";
import { resolveWith } from "./options/resolve.js";
import { composeOptionsSchema, type LatchkeyOptions, type ResolvedOptions } from "./options/schema.js";
import {
  findRequestSession,
  type HeaderSource,
  headerReader,
  type RequestSession,
  type SessionSource,
} from "./sessions/request.js";
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
import { createSmsSender, type SendSms, type SmsTransportOptions } from "./sms/index.js";
import { socialArea } from "./social/area.js";
import { EmailAddresses } from "./store/addresses.js";
import { Authenticators } from "./store/authenticators.js";
import { CodeProcessStore } from "./store/code-processes.js";
import { isConnectionError, openStore } from "./store/database.js";
import { KeyStore } from "./store/keys.js";
import { PhoneNumbers } from "./store/phones.js";
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
  /**
   * Starts Latchkey, or waits for its start: the database connected and migrated
   * (database.migrate), the mail transport's package loaded, the rate-limit store open. Creating
   * Latchkey opens nothing; this (or the first request) does. Rejects with the reason while it
   * cannot start (the database is down…). A failed start is not final: it is tried again on
   * demand, at most once per backoff period (1 s, doubling up to 30 s); meanwhile handler()
   * answers 503 with Retry-After, and it recovers without a restart.
   */
  ready(): Promise<void>;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Closes the database, rate-limit store, mailer and SMS sender. */
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
   * For your own routes: the logged-in session a request names (the browser's session cookie, an
   * X-Session-Token, a compact API access token in `Authorization: Bearer`, or with
   * tokens.strategy "jwt" an access token in Authorization), with its
   * user and authentication methods, as GET /auth/session shows them; null when it names none.
   * Pass a Web Request, a Node, Express or Fastify request, or just its headers. One read of the
   * database (an access token's session is read too, so a logged-out session's access tokens are
   * refused). Rejects with ServiceUnavailableError while the database cannot be reached.
   */
  getSession(request: SessionSource): Promise<LatchkeySession | null>;
  /**
   * Django's CSRF check, for your own state-changing routes called by a browser with its session
   * cookie: the X-CSRFToken header (or `submittedToken`, e.g. a form's `csrfmiddlewaretoken`)
   * must equal the csrftoken cookie, and the Origin must be the request's own or a trusted one
   * (csrf.trustedOrigins, cors.allowedOrigins). Safe methods (GET, HEAD, OPTIONS, TRACE) pass.
   * Null when the request passes; otherwise the 403 answer to send.
   */
  checkCsrf(request: CsrfCheckedRequest, submittedToken?: string | null): CsrfRefusal | null;
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
  /**
   * The OpenAPI 3.1 document of the API these options serve (both client trees, the compact API,
   * the provider callbacks), as `{basePath}/openapi.json` serves it with http.docs; built once, on
   * first use.
   */
  openApiDocument(): OpenApiDocument;
}

/**
 * Every area, in the order their sections and flows are listed. Adding an area is adding its
 * folder and its line here.
 */
const AREAS: readonly Area[] = [accountArea, socialArea, mfaArea, usersessionsArea, tokensArea, compactArea];

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

/** The session getSession finds. */
export type LatchkeySession = RequestSession;

/** A request to one of your own routes, as checkCsrf reads it (a Web Request will do). */
export interface CsrfCheckedRequest {
  readonly method: string;
  /** The absolute URL requested: the origin the browser compares with is its scheme and host. */
  readonly url: string;
  readonly headers: HeaderSource;
}

/** The answer to a request refused by the CSRF check: 403 in the API's envelope. */
export interface CsrfRefusal {
  status: 403;
  errors: ApiError[];
}

/** Methods that change nothing, which Django's CSRF check lets through. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
/** The longest GET {base}/health/ready waits for the stores to answer. */
const READY_TIMEOUT_MS = 3000;

export interface LatchkeyDependencies extends LatchkeyHooks {
  /** Replaces the clock (epoch ms), e.g. to test expiry. */
  now?: () => number;
  logger?: Logger;
  /** Sends every mail through your function instead of the configured mail transport. */
  sendMail?: SendMail;
  /** Sends every text through your function instead of the configured SMS transport. */
  sendSms?: SendSms;
  /**
   * Keeps the counters of rateLimits.store "memory" in the node:cluster primary, shared by every
   * worker, instead of in this process (`latchkey serve --workers` sets it in its workers; the
   * primary must run serveClusterRateLimits()).
   */
  clusterRateLimits?: boolean;
}

/** pino at logLevel, writing JSON lines, or readable ones on a terminal (see logFormat). */
function defaultLogger(options: ResolvedOptions): Logger {
  const pretty =
    options.logFormat === "pretty" || (options.logFormat === "auto" && process.stdout.isTTY === true);
  const settings = { level: options.logLevel, base: { name: "latchkey" } };
  return pretty ? pino(settings, readableDestination()) : pino(settings);
}

/** Builds Latchkey from options: store → mailer and SMS sender → rate limits → areas → pipeline. */
export function createLatchkey(input: LatchkeyOptions = {}, deps: LatchkeyDependencies = {}): Latchkey {
  const options = resolveOptions(input);
  const logger = deps.logger ?? defaultLogger(options);
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
  const sms = createSmsSender(
    {
      transport: deps.sendSms ? { kind: "function", send: deps.sendSms } : smsTransport(options),
      siteName: options.siteName,
      sendTimeoutMs: options.sms.sendTimeoutMs,
    },
    logger,
  );
  const runtime: Runtime = {
    options,
    adapter: { isOpenForSignup: deps.isOpenForSignup, signupFields: deps.signupFields, on: deps.on },
    store,
    users: new Users(store.db),
    addresses: new EmailAddresses(store.db),
    authenticators: new Authenticators(store.db),
    keys: new KeyStore(store.db),
    codes: new CodeProcessStore(store.db),
    phones: new PhoneNumbers(store.db),
    sessions,
    hasher: new PasswordHasher(options.password.hashing),
    rateLimiter: null,
    mailer,
    sms,
    logger,
    tokens,
    flowSources: AREAS.flatMap((a) => (a.flows ? [a.flows.bind(a)] : [])),
    stages: areaStages(AREAS),
    hooks: areaHooks(AREAS),
    messages: messageTable(AREAS, options),
    now,
  };
  const routes = areaRoutes(AREAS, options, runtime.adapter);
  const pages = areaPages(AREAS, options);
  const api: SessionApiDeps = { sessions, users: runtime.users, tokens, clients: options.clients, now };

  // Everything that needs the database or a package loaded: done by the first call that needs it
  // (ready(), a request), so creating Latchkey opens nothing; tried again after a failure.
  const startup = retryingStartup(
    async () => {
      await store.connect();
      await mailer.open();
      if (options.database.migrate) await store.migrate();
      runtime.rateLimiter ??= await createRateLimiter(
        options,
        store.pool,
        logger,
        rateLimitDefaults(AREAS, options),
        deps.clusterRateLimits ?? false,
      );
    },
    {
      now,
      onFailure: (err, retryInMs) =>
        logger.error({ err, retryInMs }, "Latchkey could not start; API requests are answered 503 meanwhile"),
    },
  );
  const service: ServiceStatus = {
    pending: () => startup.pending(),
    retryAfterSeconds: () => startup.retryAfterSeconds(),
    async ready() {
      const starting = startup.pending();
      try {
        if (starting) await starting;
        const checks = Promise.all([store.ping(), runtime.rateLimiter?.reachable() ?? true]);
        const [, rateLimitStore] = await within(checks, READY_TIMEOUT_MS);
        return rateLimitStore;
      } catch {
        return false;
      }
    },
  };
  const compact = compactApi(options, routes);
  let builtDocument: OpenApiDocument | undefined;
  const apiDocument = () => {
    builtDocument ??= openApiDocument({ options, routes, pages, mounted: compact });
    return builtDocument;
  };
  const files = options.http.docs ? docsFiles(apiDocument) : undefined;
  const respond = createResponder(runtime, routes, pages, service, compact, files);
  const compactAccessTokenLifetimeMs = compact ? options.compactApi.accessTokenLifetime * 1000 : null;
  /** Runs `work` once started; an unreachable database rejects with ServiceUnavailableError. */
  const whenStarted = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const starting = startup.pending();
      if (starting) await starting;
      return await work();
    } catch (err) {
      if (err instanceof Error && (isConnectionError(err) || startup.pending() !== null)) {
        throw new ServiceUnavailableError(
          startup.retryAfterSeconds(),
          { status: 503, errors: [apiError(runtime.messages, "service_unavailable")] },
          { cause: err },
        );
      }
      throw err;
    }
  };
  const trustedOrigins = new Set([...options.csrf.trustedOrigins, ...options.cors.allowedOrigins]);

  return {
    options,
    routes,
    pages,
    prefixes: servedPrefixes(compact ? [options.basePath, compact.basePath] : [options.basePath], pages),
    runtime,
    async handler(request, info) {
      return toResponse(await respond(request, info));
    },
    respond,
    ready: async () => {
      await startup.pending();
    },
    migrate: () => store.migrate(),
    getSession: (request) =>
      whenStarted(() =>
        findRequestSession({ options, sessions, tokens, compactAccessTokenLifetimeMs, now }, request),
      ),
    checkCsrf(request, submittedToken) {
      if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
      const header = headerReader(request);
      const problem = csrfProblem(
        { method: request.method, url: request.url, headers: { get: header }, body: null },
        parseCookies(header("cookie")).get(options.csrf.cookieName) ?? null,
        submittedToken ?? header(options.csrf.headerName.toLowerCase()),
        trustedOrigins,
      );
      if (problem === null) return null;
      return {
        status: 403,
        errors: [apiError(runtime.messages, "csrf_failed", undefined, { reason: csrfReason(problem) })],
      };
    },
    validateSessionToken: (token) => whenStarted(() => validateSessionToken(api, token)),
    createSessionToken: (userId, client) => whenStarted(() => createSessionToken(api, userId, client)),
    verifyAccessToken: (token) =>
      options.tokens.jwt.statefulValidation
        ? whenStarted(() => verifyAccessToken(api, token))
        : verifyAccessToken(api, token),
    jwks: () => jwks(api),
    // A copy: what a caller changes in it must not change what is served.
    openApiDocument: () => structuredClone(apiDocument()),
    purgeExpired: () =>
      whenStarted(async () => {
        const at = now();
        return {
          sessions: await runtime.sessions.purgeExpired(at),
          tokens: await runtime.keys.purgeExpired(at),
          codes: await runtime.codes.purgeExpired(at),
        };
      }),
    async close() {
      await startup.settled();
      await runtime.rateLimiter?.close();
      await mailer.close();
      await sms.close();
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

function smsTransport(o: ResolvedOptions): SmsTransportOptions {
  const s = o.sms;
  const delivery = { timeoutMs: s.requestTimeoutMs, retries: s.retries, retryDelayMs: s.retryDelayMs };
  switch (s.transport) {
    case "console":
      return { kind: "console" };
    case "file":
      return { kind: "file", directory: s.fileDirectory };
    case "webhook":
      return { kind: "webhook", url: s.webhook.url!, secret: s.webhook.secret!, delivery };
    case "twilio":
      return {
        kind: "twilio",
        accountSid: s.twilio.accountSid!,
        authToken: s.twilio.authToken!,
        ...(s.twilio.from !== null ? { from: s.twilio.from } : {}),
        ...(s.twilio.messagingServiceSid !== null
          ? { messagingServiceSid: s.twilio.messagingServiceSid }
          : {}),
        baseUrl: s.twilio.baseUrl,
        delivery,
      };
  }
}

/** The promise's value, or a rejection when it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function createRateLimiter(
  o: ResolvedOptions,
  pool: PostgresQueryable | undefined,
  logger: Logger,
  defaults: Readonly<Record<string, string | false>>,
  sharedByCluster: boolean,
): Promise<RateLimiter | null> {
  if (o.rateLimits === false) return null;
  let store: RateLimitStore;
  if (o.rateLimits.store === "postgres") {
    store = { kind: "postgres", pool: pool!, tableName: `${o.database.tablePrefix}rate_limit` };
  } else if (o.rateLimits.store === "redis") {
    store = { kind: "redis", url: o.rateLimits.redisUrl, keyPrefix: `${o.database.tablePrefix}rl` };
  } else {
    store = sharedByCluster ? { kind: "cluster" } : { kind: "memory" };
  }
  return RateLimiter.create(o.rateLimits.actions, store, {
    defaults,
    onError: (err) => logger.warn({ err }, "rate limit store failed; allowing the request"),
  });
}
