import { unauthenticated } from "../account/auth-state.js";
import { safeEqual } from "../core/crypto.js";
import { Client } from "../core/enums.js";
import { apiError, messages } from "../core/errors.js";
import { parseInput } from "../core/input.js";
import { type Result, toEnvelope } from "../core/responses.js";
import type { Runtime } from "../runtime.js";
import { Session } from "../sessions/session.js";
import type { SessionLookup } from "../sessions/tokens/strategy.js";
import { readJsonBody } from "./body.js";
import { clientIp } from "./client-ip.js";
import { Context, newCsrfToken } from "./context.js";
import { parseCookies, serializeCookie } from "./cookies.js";
import { type ApiAnswer, type ApiRequest, currentHttpDate, pathOf, toResponse } from "./exchange.js";
import type { Method, Route } from "./route.js";

/** What adapters know about the connection that a Request does not carry. */
export interface ConnectionInfo {
  remoteAddress?: string;
}

/** The pipeline: an ApiRequest (a Web Request will do) in, an ApiAnswer out. */
export type Responder = (request: ApiRequest, info?: ConnectionInfo) => Promise<ApiAnswer>;

/** The Web-standard handler: `Request` in, `Response` out. */
export type Handler = (request: Request, info?: ConnectionInfo) => Promise<Response>;

const CACHE_CONTROL = "max-age=0, no-cache, no-store, must-revalidate, private";
const CORS_ALLOWED_HEADERS =
  "Content-Type, X-CSRFToken, X-Session-Token, X-Email-Verification-Key, X-Password-Reset-Key, Authorization";
const DJANGO_METHOD_ORDER = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const TREE = /^\/(browser|app)\/v1(\/.*)$/;

interface PathEntry {
  methods: Map<string, Route>;
  allow: string;
}

/**
 * The HTTP pipeline of DESIGN §4: route → session → CSRF → rate limit → body → handler →
 * envelope → session saved → cookies/token → Response. Every answer on an API path is JSON.
 */
export function createResponder(rt: Runtime, routes: readonly Route[]): Responder {
  const o = rt.options;
  const base = o.basePath;
  const trees = new Map<Client, Map<string, PathEntry>>();
  for (const client of o.clients as Client[]) trees.set(client, new Map());
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
  const allowedOrigins = new Set(o.cors.allowedOrigins);
  const trustedOrigins = new Set([...o.csrf.trustedOrigins, ...o.cors.allowedOrigins]);

  return async function respond(request: ApiRequest, info?: ConnectionInfo): Promise<ApiAnswer> {
    const origin = request.headers.get("origin");
    const cors = origin !== null && allowedOrigins.has(origin) ? origin : null;
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
    const reply = (result: Result, extra?: [string, string]): ApiAnswer => {
      if (extra) headers.push(extra);
      headers.push(["content-type", "application/json"]);
      return {
        status: result.status,
        headers,
        body: request.method === "HEAD" ? null : JSON.stringify(toEnvelope(result)),
      };
    };
    const error = (status: number, code: Parameters<typeof apiError>[0], message: string) =>
      reply({ status, errors: [apiError(code, message)] });

    try {
      const pathname = pathOf(request.url);
      if (!pathname.startsWith(`${base}/`)) return error(404, "not_found", messages.not_found);
      const match = TREE.exec(pathname.slice(base.length));
      const client = match?.[1] as Client | undefined;
      const paths = client ? trees.get(client) : undefined;
      const entry = paths?.get(match![2]!);
      if (!client || !entry) return error(404, "not_found", messages.not_found);

      const method = request.method.toUpperCase();
      if (method === "OPTIONS") {
        headers.push(["allow", entry.allow]);
        if (cors) {
          headers.push(
            ["access-control-allow-methods", entry.allow],
            ["access-control-allow-headers", CORS_ALLOWED_HEADERS],
            ["access-control-max-age", String(o.cors.maxAge)],
          );
        }
        return { status: 204, headers, body: null };
      }
      const route = entry.methods.get(method === "HEAD" ? "GET" : (method as Method));
      if (!route) {
        return reply({ status: 405, errors: [apiError("method_not_allowed", messages.method_not_allowed)] }, [
          "allow",
          entry.allow,
        ]);
      }

      // Session: the app token or the browser cookie.
      const now = rt.now();
      const cookies = parseCookies(client === Client.BROWSER ? request.headers.get("cookie") : null);
      let lookup: SessionLookup;
      if (client === Client.APP) {
        lookup = await rt.tokens.lookup(request, rt);
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

      if (client === Client.BROWSER && UNSAFE.has(method)) {
        const problem = csrfProblem(request, ctx.csrfToken, o.csrf.headerName, trustedOrigins);
        if (problem) return error(403, "csrf_failed", `${messages.csrf_failed} (${problem})`);
      }

      const result = await runRoute(route, ctx, request, method);

      // Every answer from here on is the view's (allauth's views set the CSRF cookie and save the
      // session whatever they answer, validation errors and rate limits included).
      const clientInfo = { ip, userAgent: ctx.userAgent };
      await rt.sessions.commit(ctx.session, clientInfo, rt.now());
      const s = ctx.session;
      if (client === Client.APP) {
        if (s.rowId !== null && s.token !== null && s.token !== sentToken) {
          result.meta = { ...result.meta, session_token: s.token };
        }
        if (ctx.user && ctx.user.id !== userAtStart && rt.tokens.issue) {
          // Access tokens go to app clients only, on the response that made them authenticated.
          result.meta = { ...result.meta, ...(await rt.tokens.issue(ctx)) };
          if (s.modified) await rt.sessions.commit(s, clientInfo, rt.now());
        }
      } else {
        const sc = o.sessions;
        if (s.rowId !== null && s.tokenChanged) {
          headers.push([
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
          headers.push([
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
        headers.push([
          "set-cookie",
          serializeCookie(cc.cookieName, ctx.csrfToken ?? newCsrfToken(), {
            maxAge: 31_449_600,
            domain: cc.cookieDomain,
            path: cc.cookiePath,
            secure: cc.cookieSecure,
            sameSite: cc.cookieSameSite,
          }),
        ]);
        for (const cookie of ctx.extraCookies) headers.push(["set-cookie", cookie]);
      }
      return reply(result);
    } catch (err) {
      rt.logger.error({ err, method: request.method, url: request.url }, "unhandled error");
      return error(500, "internal_error", messages.internal_error);
    }
  };
}

/**
 * The view proper, as allauth's RESTView runs it: the route's rate limit, the login gate of
 * authenticated views, the body (parsed and validated), then the handler.
 */
async function runRoute(route: Route, ctx: Context, request: ApiRequest, method: string): Promise<Result> {
  if (route.rateLimit && !(await ctx.rateLimit(route.rateLimit))) return { status: 429 };
  if (route.requiresAuthentication && !ctx.user) return unauthenticated(ctx);
  let input: unknown;
  if (method !== "GET" && method !== "HEAD") {
    const body = await readJsonBody(request, ctx.options.http.maxBodyBytes);
    if (!body.ok) {
      if (body.problem === "aborted") {
        // Nobody is left to read the answer; nothing went wrong on this side.
        ctx.rt.logger.debug({ method, url: request.url }, "request aborted by the client");
        return { status: 400, errors: [apiError("invalid", "The request body was cut off.")] };
      }
      if (body.problem === "too_large") {
        return { status: 413, errors: [apiError("payload_too_large", messages.payload_too_large)] };
      }
      const message =
        body.problem === "invalid_json" ? messages.invalid_json : "The request body must be a JSON object.";
      return { status: 400, errors: [apiError("invalid_json", message)] };
    }
    input = body.value;
    if (route.input) {
      const parsed = parseInput(route.input, body.value);
      if (!parsed.ok) return { status: 400, errors: parsed.errors };
      input = parsed.value;
    }
  }
  return route.handler(ctx, input);
}

/**
 * Django's CSRF rules for the browser tree: the X-CSRFToken header must equal the csrftoken
 * cookie, and a browser's Origin must be the API's own or a trusted one.
 */
function csrfProblem(
  request: ApiRequest,
  cookieToken: string | null,
  headerName: string,
  trusted: ReadonlySet<string>,
): string | null {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== "null") {
    const own = ownOrigin(request);
    if (origin !== own && !trusted.has(origin)) return "origin not trusted";
  } else if (origin === "null") {
    return "origin not trusted";
  }
  const header = request.headers.get(headerName);
  if (!cookieToken) return "CSRF cookie not set";
  if (!header) return "CSRF token missing";
  if (!safeEqual(header, cookieToken)) return "CSRF token incorrect";
  return null;
}

function ownOrigin(request: ApiRequest): string {
  return new URL(request.url).origin;
}

/** The Web-standard handler over the pipeline. */
export function webHandler(respond: Responder): Handler {
  return async (request, info) => toResponse(await respond(request, info));
}
