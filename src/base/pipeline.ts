import { Client } from "../core/enums.js";
import type { MessageId, MessageValues } from "../core/errors.js";
import { apiError } from "../core/errors.js";
import { parseInput } from "../core/input.js";
import { type Answer, conflict, isPage, isRedirect, type Result, toEnvelope } from "../core/responses.js";
import { type BodyFormat, readBody } from "../http/body.js";
import { clientIp } from "../http/client-ip.js";
import { parseCookies, serializeCookie } from "../http/cookies.js";
import { csrfProblem } from "../http/csrf.js";
import { type ApiAnswer, type ApiRequest, currentHttpDate, pathOf } from "../http/exchange.js";
import { Session } from "../sessions/session.js";
import type { SessionLookup } from "../sessions/tokens/strategy.js";
import { isConnectionError } from "../store/database.js";
import { ReauthenticationRequired, reauthenticationRequired, unauthenticated } from "./auth.js";
import type { Runtime } from "./context.js";
import { Context, newCsrfToken } from "./context.js";
import { pendingLogin } from "./pending.js";
import type { Gate, Method, MountedRouteDoc, PageRequest, PageRoute, Route } from "./route.js";

/** What adapters know about the connection that a Request does not carry. */
export interface ConnectionInfo {
  remoteAddress?: string;
}

/** The pipeline: an ApiRequest (a Web Request will do) in, an ApiAnswer out. */
export type Responder = (request: ApiRequest, info?: ConnectionInfo) => Promise<ApiAnswer>;

/** The Web-standard handler: `Request` in, `Response` out. */
export type Handler = (request: Request, info?: ConnectionInfo) => Promise<Response>;

/** What the pipeline asks of the service it runs in: whether it has started, and whether its stores answer. */
export interface ServiceStatus {
  /** Null once started; otherwise the start to wait for, which rejects while the store cannot be reached. */
  pending(): Promise<void> | null;
  /** Seconds after which a client answered 503 should try again. */
  retryAfterSeconds(): number;
  /** Whether the store and the rate-limit store answer now (GET {base}/health/ready). */
  ready(): Promise<boolean>;
}

/** A service whose store is started and answering (a pipeline built over a started Latchkey's runtime). */
const STARTED: ServiceStatus = { pending: () => null, retryAfterSeconds: () => 1, ready: async () => true };

const CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private";
const CORS_ALLOWED_HEADERS =
  "Content-Type, X-CSRFToken, X-Session-Token, X-Email-Verification-Key, X-Password-Reset-Key, Authorization";
const DJANGO_METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TREE = /^\/(browser|app)\/v1(\/.*)$/;
/** Where an HTML form post carries its CSRF token (Django's name). */
const FORM_CSRF_FIELD = "csrfmiddlewaretoken";
/** Foreign origins refused CORS headers are logged once each, up to this many. */
const CORS_WARNINGS = 100;
/** Requests that met an unreachable store are logged at most this often. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

interface PathEntry {
  methods: Map<string, Route>;
  allow: string;
}

/**
 * An API served under a base path of its own beside allauth's, answering in shapes of its own
 * (the compact API, src/compact/). The pipeline routes its requests, with or without a trailing
 * slash; answers unknown paths, wrong methods and unreadable bodies in the envelope; reads the JSON
 * body; and runs routes for it exactly as the app tree runs them. The API finds the session and
 * shapes the answer.
 */
export interface MountedApi {
  readonly basePath: string;
  readonly routes: readonly MountedRoute[];
}

export interface MountedRoute {
  readonly method: Method;
  /** Relative to the base path, without a trailing slash; `:name` matches one segment. */
  readonly path: string;
  /** What the OpenAPI document shows of it. */
  readonly doc: MountedRouteDoc;
  handle(call: MountedCall): Promise<MountedAnswer>;
}

/** One request to a mounted route. */
export interface MountedCall {
  readonly rt: Runtime;
  readonly request: ApiRequest;
  readonly ip: string;
  /** The JSON body (empty for GET). */
  readonly body: Record<string, unknown>;
  /** The `:name` segments of the path. */
  readonly params: Readonly<Record<string, string>>;
  /** Runs a route as the app tree runs it (gate, rate limit, input, handler) in `ctx`, on `body`. */
  run(route: Route, ctx: Context, body: Record<string, unknown>): Promise<Answer>;
}

/** A mounted route's answer: a JSON body of its own shape, and headers besides the pipeline's. */
export interface MountedAnswer {
  status: number;
  body: unknown;
  headers?: readonly [string, string][];
}

interface MountedPath {
  match(path: string): Record<string, string> | null;
  methods: Map<string, MountedRoute>;
  allow: string;
}

/**
 * A file served as it is under the API base beside the trees (the OpenAPI document, the docs
 * page): GET and HEAD only, no session, no store, revalidated by its ETag. The pipeline adds
 * nosniff, Referrer-Policy and CORS headers as for any API answer.
 */
export interface ServedFile {
  readonly contentType: string;
  /** Its headers besides those (Cache-Control, Content-Security-Policy…). */
  readonly headers: readonly [string, string][];
  /** The content and its entity tag (quoted); called per request, so it must be computed once. */
  content(): { readonly body: string; readonly etag: string };
}

interface PagePattern {
  route: PageRoute;
  match(path: string): Record<string, string> | null;
}

/**
 * The HTTP pipeline: route → session → CSRF → gate → rate limit → body → handler → session saved →
 * cookies or token → envelope. Every answer on an API path is JSON; pages outside the API base
 * (provider callbacks) answer redirects or HTML.
 */
export function createResponder(
  rt: Runtime,
  routes: readonly Route[],
  pages: readonly PageRoute[],
  service: ServiceStatus = STARTED,
  mounted: MountedApi | null = null,
  files: ReadonlyMap<string, ServedFile> = new Map(),
): Responder {
  const o = rt.options;
  const base = o.basePath;
  // The paths every request is compared with, made once.
  const underBase = `${base}/`;
  const healthPath = `${base}/health`;
  const readyPath = `${base}/health/ready`;
  const trees = buildTrees(routes, o.clients as Client[]);
  const pagePatterns = pages.map(pagePattern);
  const mountedPaths = mounted ? buildMountedPaths(mounted.routes) : [];
  const allowedOrigins = new Set(o.cors.allowedOrigins);
  const trustedOrigins = new Set([...o.csrf.trustedOrigins, ...o.cors.allowedOrigins]);
  const warnedOrigins = new Set<string>();
  let outageLoggedAt = Number.NEGATIVE_INFINITY;

  const respond = async (request: ApiRequest, info?: ConnectionInfo): Promise<ApiAnswer> => {
    const origin = request.headers.get("origin");
    const cors = origin !== null && allowedOrigins.has(origin) ? origin : null;
    if (
      origin !== null &&
      cors === null &&
      warnedOrigins.size < CORS_WARNINGS &&
      !warnedOrigins.has(origin)
    ) {
      if (origin !== originOf(request.url)) {
        warnedOrigins.add(origin);
        // The browser refuses the answer itself, with a message that cannot name the option.
        rt.logger.warn(
          { origin },
          "cross-origin request answered without CORS headers: add its origin to cors.allowedOrigins for the browser to read the answers",
        );
      }
    }
    const headers: [string, string][] = [
      ["cache-control", CACHE_CONTROL],
      ["expires", currentHttpDate()],
      // JSON is never to be sniffed into something a browser would run, and the API's URLs
      // (which may carry keys) never leak in a Referer.
      ["x-content-type-options", "nosniff"],
      ["referrer-policy", "no-referrer"],
    ];
    if (cors) {
      headers.push(
        ["access-control-allow-origin", cors],
        ["access-control-allow-credentials", "true"],
        ["vary", "Origin"],
      );
    }
    const reply = (answer: Answer, extra?: [string, string]): ApiAnswer => {
      if (extra) headers.push(extra);
      if (isRedirect(answer)) {
        headers.push(["location", answer.redirect]);
        return { status: 302, headers, body: null };
      }
      if (isPage(answer)) {
        headers.push(["content-type", "text/html; charset=utf-8"]);
        return { status: answer.status, headers, body: request.method === "HEAD" ? null : answer.html };
      }
      headers.push(["content-type", "application/json"]);
      return {
        status: answer.status,
        headers,
        body: request.method === "HEAD" ? null : JSON.stringify(toEnvelope(answer)),
      };
    };
    const error = (status: number, id: MessageId, values?: MessageValues) =>
      reply({ status, errors: [apiError(rt.messages, id, undefined, values)] });
    const unavailable = () =>
      reply({ status: 503, errors: [apiError(rt.messages, "service_unavailable")] }, [
        "retry-after",
        String(service.retryAfterSeconds()),
      ]);

    /** OPTIONS on a path: the methods it allows, and with CORS the preflight's headers. */
    const preflight = (allow: string): ApiAnswer => {
      headers.push(["allow", allow]);
      if (cors) {
        headers.push(
          ["access-control-allow-methods", allow],
          ["access-control-allow-headers", CORS_ALLOWED_HEADERS],
          ["access-control-max-age", String(o.cors.maxAge)],
        );
      }
      return { status: 204, headers, body: null };
    };
    const methodNotAllowed = (allow: string) =>
      reply({ status: 405, errors: [apiError(rt.messages, "method_not_allowed")] }, ["allow", allow]);

    /** A request under the mounted API's base path (`path` relative to it). */
    const respondMounted = async (path: string, method: string): Promise<ApiAnswer> => {
      const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
      let found: { entry: MountedPath; params: Record<string, string> } | undefined;
      for (const entry of mountedPaths) {
        const params = entry.match(trimmed);
        if (params) {
          found = { entry, params };
          break;
        }
      }
      if (!found) return error(404, "not_found");
      const { entry, params } = found;
      if (method === "OPTIONS") return preflight(entry.allow);
      const route = entry.methods.get(method === "HEAD" ? "GET" : method);
      if (!route) return methodNotAllowed(entry.allow);
      const starting = service.pending();
      if (starting !== null && !(await succeeds(starting))) return unavailable();
      let body: Record<string, unknown> = {};
      if (route.method !== "GET") {
        const read = await readBody(request, o.http.maxBodyBytes, "json");
        if (!read.ok) {
          if (read.problem === "too_large") return error(413, "payload_too_large");
          if (read.problem === "aborted")
            rt.logger.debug({ method, url: request.url }, "request aborted by the client");
          return error(400, bodyProblemMessage(read.problem));
        }
        body = read.value;
      }
      const answer = await route.handle({
        rt,
        request,
        ip: clientIp(request.headers, info?.remoteAddress, o.proxy),
        body,
        params,
        run: (target, ctx, given) => runRoute(target, ctx, request, target.method, () => null, given),
      });
      headers.push(["content-type", "application/json"], ...(answer.headers ?? []));
      return {
        status: answer.status,
        headers,
        body: request.method === "HEAD" ? null : JSON.stringify(answer.body),
      };
    };

    try {
      const pathname = pathOf(request.url);
      const method = request.method.toUpperCase();
      if (pathname === healthPath || pathname === readyPath) {
        if (method !== "GET" && method !== "HEAD") {
          return methodNotAllowed("GET, HEAD");
        }
        // Live: the process answers. Ready: started, and the stores answer now.
        if (pathname === healthPath || (await service.ready())) return reply({ status: 200 });
        return unavailable();
      }
      const inApi = pathname.startsWith(underBase);
      const match = inApi ? TREE.exec(pathname.slice(base.length)) : null;
      if (!match) {
        const file = inApi ? files.get(pathname.slice(base.length)) : undefined;
        if (file) {
          if (method === "GET" || method === "HEAD") return fileAnswer(file, request, headers);
          return methodNotAllowed("GET, HEAD");
        }
        if (!inApi) {
          for (const page of pagePatterns) {
            const params = page.match(pathname);
            if (
              params &&
              (page.route.method === method || (method === "HEAD" && page.route.method === "GET"))
            ) {
              const starting = service.pending();
              if (starting !== null && !(await succeeds(starting))) return unavailable();
              return reply(await runPage(rt, page.route, params, request, info, headers));
            }
          }
        }
        // The allauth trees and the pages come first: the mounted API may share their prefixes.
        if (mounted && (pathname === mounted.basePath || pathname.startsWith(`${mounted.basePath}/`))) {
          return await respondMounted(pathname.slice(mounted.basePath.length), method);
        }
        return error(404, "not_found");
      }
      const client = match[1] as Client;
      const entry = trees.get(client)?.get(match[2]!);
      if (!entry) return error(404, "not_found");

      if (method === "OPTIONS") return preflight(entry.allow);
      const route = entry.methods.get(method === "HEAD" ? "GET" : (method as Method));
      if (!route) return methodNotAllowed(entry.allow);

      // Until the store is there (migrated), nothing past routing can be answered.
      const starting = service.pending();
      if (starting !== null && !(await succeeds(starting))) return unavailable();

      // Session: the app token or the browser cookie.
      const now = rt.now();
      const cookies = parseCookies(client === Client.BROWSER ? request.headers.get("cookie") : null);
      let lookup: SessionLookup;
      if (client === Client.APP) {
        lookup = await rt.tokens.lookup(request);
      } else {
        const cookie = cookies.get(o.sessions.cookieName);
        lookup = cookie ? { kind: "token", token: cookie } : { kind: "none" };
      }
      const sentToken = lookup.kind === "token" ? lookup.token : null;
      const ip = clientIp(request.headers, info?.remoteAddress, o.proxy);
      const loaded =
        lookup.kind === "token"
          ? await rt.sessions.load(lookup.token, now)
          : lookup.kind === "row"
            ? await rt.sessions.loadByRow(lookup.rowId, now)
            : null;
      const userAtStart = loaded?.user?.id ?? null;
      const session = loaded?.session ?? Session.fresh(now);
      const ctx = new Context(rt, request, client, ip, session, loaded?.user ?? null, sentToken, cookies);

      if (client === Client.APP && (lookup.kind === "token" || lookup.kind === "row") && !loaded) {
        // A token that names no live session: the app must drop it (allauth answers 410 everywhere).
        const gone = await unauthenticated(ctx, { isAuthenticated: null });
        return reply({ ...gone, status: 410 });
      }

      // A JSON request proves itself by its header; a form post by its body, read in runRoute.
      const checkCsrf = (submitted: string | null): Result | null => {
        if (client !== Client.BROWSER || !UNSAFE.has(method)) return null;
        const problem = csrfProblem(request, ctx.csrfToken, submitted, trustedOrigins);
        return problem
          ? { status: 403, errors: [ctx.error("csrf_failed", undefined, { reason: csrfReason(problem) })] }
          : null;
      };
      if ((route.body ?? "json") === "json") {
        const refused = checkCsrf(request.headers.get(o.csrf.headerName));
        if (refused) return reply(refused);
      }

      const answer = await runRoute(route, ctx, request, method, checkCsrf);

      // Every answer from here on is the view's (allauth's views set the CSRF cookie and save the
      // session whatever they answer, validation errors and rate limits included).
      const clientInfo = { ip, userAgent: ctx.userAgent };
      await rt.sessions.commit(ctx.session, clientInfo, rt.now());
      const s = ctx.session;
      if (client === Client.APP) {
        if (!isRedirect(answer) && !isPage(answer)) {
          if (s.rowId !== null && s.token !== null && s.token !== sentToken) {
            answer.meta = { ...answer.meta, session_token: s.token };
          }
          if (ctx.user && ctx.user.id !== userAtStart && rt.tokens.issue) {
            // Access tokens go to app clients only, on the response that made them authenticated.
            answer.meta = {
              ...answer.meta,
              ...(await rt.tokens.issue({ session: s, user: ctx.user, now: rt.now() })),
            };
            if (s.modified) await rt.sessions.commit(s, clientInfo, rt.now());
          }
        }
      } else {
        headers.push(...sessionCookies(rt, ctx, sentToken));
      }
      return reply(answer);
    } catch (err) {
      if (isConnectionError(err)) {
        const now = Date.now();
        if (now - outageLoggedAt >= OUTAGE_LOG_INTERVAL_MS) {
          outageLoggedAt = now;
          rt.logger.warn(
            { err },
            "the database cannot be reached or did not answer in time: answering 503 (logged once every 10 s)",
          );
        }
        return unavailable();
      }
      rt.logger.error({ err, method: request.method, url: request.url }, "unhandled error");
      return error(500, "internal_error");
    }
  };
  // One line per request at debug; at other levels not even the clock is read.
  if (!rt.logger.isLevelEnabled("debug")) return respond;
  return async (request, info) => {
    const started = performance.now();
    const answer = await respond(request, info);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    rt.logger.debug(
      { method: request.method, path: pathOf(request.url), status: answer.status, ms },
      "request",
    );
    return answer;
  };
}

/**
 * The CSRF refusal's reason, with the option that lifts it where one does: a frontend on another
 * origin is trusted by csrf.trustedOrigins (or by cors.allowedOrigins, which also lets it read
 * the answers cross-origin).
 */
export function csrfReason(problem: string): string {
  return problem === "origin not trusted"
    ? "origin not trusted: add it to csrf.trustedOrigins, or to cors.allowedOrigins if it calls the API cross-origin"
    : problem;
}

/**
 * A served file's answer to GET or HEAD: the pipeline's headers, but for its no-store and Expires,
 * which give way to the file's own caching.
 */
function fileAnswer(file: ServedFile, request: ApiRequest, pipelineHeaders: [string, string][]): ApiAnswer {
  const { body, etag } = file.content();
  const headers: [string, string][] = [
    ...pipelineHeaders.filter(([name]) => name !== "cache-control" && name !== "expires"),
    ...file.headers,
    ["etag", etag],
    ["content-type", file.contentType],
  ];
  if (matchesEtag(request.headers.get("if-none-match"), etag)) return { status: 304, headers, body: null };
  return { status: 200, headers, body: request.method.toUpperCase() === "HEAD" ? null : body };
}

/** Whether an If-None-Match header names the entity tag (weakly compared, as for GET). */
function matchesEtag(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

function succeeds(promise: Promise<void>): Promise<boolean> {
  return promise.then(
    () => true,
    () => false,
  );
}

/** The scheme://host[:port] of an absolute URL (no URL object: this runs on requests). */
function originOf(url: string): string {
  const scheme = url.indexOf("://");
  const end = url.indexOf("/", scheme + 3);
  return end === -1 ? url : url.slice(0, end);
}

/** The browser's cookies after a request: the session (set, rotated or deleted), the CSRF token, and the areas'. */
function sessionCookies(rt: Runtime, ctx: Context, sentToken: string | null): [string, string][] {
  const o = rt.options;
  const s = ctx.session;
  const sc = o.sessions;
  const out: [string, string][] = [];
  if (s.rowId !== null && s.tokenChanged) {
    out.push([
      "set-cookie",
      serializeCookie(sc.cookieName, s.token!, {
        // The server ends idle sessions itself; the cookie only has to outlive the session.
        maxAge: Math.max(0, Math.floor((s.createdAt + sc.maxAge * 1000 - rt.now()) / 1000)),
        domain: sc.cookieDomain,
        path: sc.cookiePath,
        secure: sc.cookieSecure,
        httpOnly: true,
        sameSite: sc.cookieSameSite,
      }),
    ]);
  } else if (s.rowId === null && sentToken) {
    out.push([
      "set-cookie",
      serializeCookie(sc.cookieName, "", {
        maxAge: 0,
        domain: sc.cookieDomain,
        path: sc.cookiePath,
        secure: sc.cookieSecure,
        httpOnly: true,
        sameSite: sc.cookieSameSite,
      }),
    ]);
  }
  const cc = o.csrf;
  out.push([
    "set-cookie",
    serializeCookie(cc.cookieName, ctx.csrfToken ?? newCsrfToken(), {
      maxAge: 31_449_600,
      domain: cc.cookieDomain,
      path: cc.cookiePath,
      secure: cc.cookieSecure,
      sameSite: cc.cookieSameSite,
    }),
  ]);
  for (const cookie of ctx.extraCookies) out.push(["set-cookie", cookie]);
  return out;
}

/**
 * The view proper, as allauth's APIView runs it: the gate, the route's rate limit, the body
 * (parsed and validated), then the handler; a ReauthenticationRequired thrown on the way is the
 * reauthentication 401.
 */
async function runRoute(
  route: Route,
  ctx: Context,
  request: ApiRequest,
  method: string,
  checkCsrf: (submitted: string | null) => Result | null,
  given?: Record<string, unknown>,
): Promise<Answer> {
  try {
    const gate = route.gate;
    const gateFirst = gate && !(gate.kind === "stage" && gate.afterInput);
    if (gateFirst) {
      const refused = await checkGate(gate, ctx);
      if (refused) return refused;
    }
    if (route.rateLimit && !(await ctx.rateLimit(route.rateLimit))) return { status: 429 };
    let body: Record<string, unknown> = {};
    if (given) {
      body = given;
    } else if (method === "GET" || method === "HEAD") {
      if (route.inputFromHeaders) {
        for (const [field, header] of Object.entries(route.inputFromHeaders)) {
          body[field] = ctx.request.headers.get(header) ?? "";
        }
      }
    } else {
      const format: BodyFormat = route.body ?? "json";
      const read = await readBody(request, ctx.options.http.maxBodyBytes, format);
      if (!read.ok) {
        if (read.problem === "aborted") {
          // Nobody is left to read the answer; nothing went wrong on this side.
          ctx.rt.logger.debug({ method, url: request.url }, "request aborted by the client");
          return ctx.invalid("invalid.aborted");
        }
        if (read.problem === "too_large") return { status: 413, errors: [ctx.error("payload_too_large")] };
        return ctx.invalid(bodyProblemMessage(read.problem));
      }
      body = read.value;
      if (format === "form") {
        const field = body[FORM_CSRF_FIELD];
        const refused = checkCsrf(typeof field === "string" ? field : null);
        if (refused) return refused;
      }
    }
    let input: unknown = body;
    if (route.input) {
      const parsed = await parseInput(route.input, body, ctx.rt.messages);
      if (!parsed.ok) {
        const errors = (await route.onInvalidInput?.(ctx as never, body, parsed.errors)) ?? parsed.errors;
        return { status: 400, errors };
      }
      input = parsed.value;
    }
    if (gate && !gateFirst) {
      const refused = await checkGate(gate, ctx);
      if (refused) return refused;
    }
    return await route.handler(ctx as never, input);
  } catch (err) {
    if (err instanceof ReauthenticationRequired) return reauthenticationRequired(ctx);
    throw err;
  }
}

/** The 400 message of a body that could not be read. */
function bodyProblemMessage(problem: "invalid_json" | "not_an_object" | "aborted"): MessageId {
  return problem === "aborted"
    ? "invalid.aborted"
    : problem === "invalid_json"
      ? "invalid_json"
      : "invalid_json.object";
}

/** A refusal, or null when the caller may go on (allauth's view classes, in `dispatch`). */
async function checkGate(gate: Gate, ctx: Context): Promise<Result | null> {
  switch (gate.kind) {
    case "authenticated":
      return ctx.user ? null : unauthenticated(ctx);
    case "stage": {
      const login = ctx.user ? null : pendingLogin(ctx);
      if (login?.stage === gate.stage) {
        ctx.login = login;
        return null;
      }
      return gate.otherwise === "conflict" ? conflict() : unauthenticated(ctx, { isAuthenticated: null });
    }
    case "custom":
      return gate.check(ctx);
  }
}

/** A page outside the API base: browser session, no CSRF check (providers call back cross-site). */
async function runPage(
  rt: Runtime,
  route: PageRoute,
  params: Record<string, string>,
  request: ApiRequest,
  info: ConnectionInfo | undefined,
  headers: [string, string][],
): Promise<Answer> {
  const o = rt.options;
  const now = rt.now();
  const cookies = parseCookies(request.headers.get("cookie"));
  const token = cookies.get(o.sessions.cookieName) ?? null;
  const loaded = token ? await rt.sessions.load(token, now) : null;
  const ip = clientIp(request.headers, info?.remoteAddress, o.proxy);
  const session = loaded?.session ?? Session.fresh(now);
  const ctx = new Context(rt, request, Client.BROWSER, ip, session, loaded?.user ?? null, token, cookies);
  let form: Record<string, string> = {};
  if (route.method === "POST") {
    const read = await readBody(request, o.http.maxBodyBytes, "form");
    if (read.ok) form = read.value as Record<string, string>;
  }
  const page: PageRequest = { params, query: new URL(request.url).searchParams, form };
  const answer = await route.handler(ctx, page);
  await rt.sessions.commit(ctx.session, { ip, userAgent: ctx.userAgent }, rt.now());
  headers.push(...sessionCookies(rt, ctx, token));
  return answer;
}

function buildTrees(
  routes: readonly Route[],
  clients: readonly Client[],
): Map<Client, Map<string, PathEntry>> {
  const trees = new Map<Client, Map<string, PathEntry>>();
  for (const client of clients) trees.set(client, new Map());
  for (const r of routes) {
    for (const client of r.clients ?? [Client.BROWSER, Client.APP]) {
      const paths = trees.get(client);
      if (!paths) continue;
      let entry = paths.get(r.path);
      if (!entry) {
        entry = { methods: new Map(), allow: "" };
        paths.set(r.path, entry);
      }
      if (entry.methods.has(r.method)) throw new Error(`duplicate route ${r.method} ${r.path}`);
      entry.methods.set(r.method, r);
    }
  }
  for (const paths of trees.values()) {
    for (const entry of paths.values()) {
      // Django lists allowed methods in its http_method_names order.
      entry.allow = DJANGO_METHOD_ORDER.filter(
        (m) =>
          entry.methods.has(m as Method) || (m === "HEAD" && entry.methods.has("GET")) || m === "OPTIONS",
      ).join(", ");
    }
  }
  return trees;
}

/** The mounted API's paths, each with its routes by method and its Allow header. */
function buildMountedPaths(routes: readonly MountedRoute[]): MountedPath[] {
  const byPath = new Map<string, MountedPath>();
  for (const r of routes) {
    let entry = byPath.get(r.path);
    if (!entry) {
      entry = { match: pathMatcher(r.path), methods: new Map(), allow: "" };
      byPath.set(r.path, entry);
    }
    if (entry.methods.has(r.method)) throw new Error(`duplicate mounted route ${r.method} ${r.path}`);
    entry.methods.set(r.method, r);
  }
  for (const entry of byPath.values()) {
    entry.allow = DJANGO_METHOD_ORDER.filter(
      (m) => entry.methods.has(m) || (m === "HEAD" && entry.methods.has("GET")) || m === "OPTIONS",
    ).join(", ");
  }
  return [...byPath.values()];
}

function pagePattern(route: PageRoute): PagePattern {
  return { route, match: pathMatcher(route.path) };
}

/** Matches a path with `:name` segments: the segments' decoded values, or null. */
function pathMatcher(path: string): (path: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      if (!segment.startsWith(":")) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(segment.slice(1));
      return "([^/]+)";
    })
    .join("/");
  const regex = new RegExp(`^${source}$`);
  return (candidate) => {
    const m = regex.exec(candidate);
    if (!m) return null;
    const params: Record<string, string> = {};
    try {
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
    } catch {
      return null; // a malformed escape names nothing
    }
    return params;
  };
}

/**
 * The paths a Latchkey serves: the API base paths (allauth's, and a mounted API's), and each
 * page's first segment (adapters mount these).
 */
export function servedPrefixes(basePaths: readonly string[], pages: readonly PageRoute[]): string[] {
  const prefixes = new Set(basePaths);
  for (const page of pages) prefixes.add(`/${page.path.split("/")[1]}`);
  return [...prefixes];
}
