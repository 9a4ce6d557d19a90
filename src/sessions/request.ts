import type { AuthenticationMethod, User } from "../core/wire.js";
import { parseCookies } from "../http/cookies.js";
import type { ResolvedOptions } from "../options/schema.js";
import { toWireUser } from "../store/users.js";
import { SessionKey } from "./keys.js";
import { isHeldSecret, type LoadedSession, type SessionStore } from "./store.js";
import { type AccessTokenClaims, authorizationCredential, type TokenStrategy } from "./tokens/strategy.js";

/**
 * Request headers as the frameworks hold them: a Web `Headers` (or anything with its `get`, such
 * as Next's `headers()`), or Node's header record (lowercase names).
 */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What carries the headers: a Web Request, a Node, Express or Fastify request, or the headers themselves. */
export type SessionSource = { readonly headers: HeaderSource } | HeaderSource;

/** The logged-in session a request names (latchkey.getSession). */
export interface RequestSession {
  /** The user, as GET /auth/session shows it. */
  user: User;
  session: {
    /** The session row id, as GET /auth/sessions lists it. */
    id: number;
    /**
     * What named the session: the browser's session cookie, an X-Session-Token, or an access token
     * (a JWT, or the compact API's).
     */
    via: "cookie" | "session_token" | "access_token";
    /** When the session began (epoch ms). */
    createdAt: number;
    /** When it was last used (epoch ms; updated at most once a minute). */
    lastSeenAt: number;
  };
  /** How the user authenticated in this session, as GET /auth/session lists them. */
  methods: AuthenticationMethod[];
  /** The access token's verified claims, when an access token named the session. */
  claims?: AccessTokenClaims;
}

export interface RequestSessionDeps {
  options: ResolvedOptions;
  sessions: SessionStore;
  tokens: TokenStrategy;
  /** How long the compact API's access tokens are valid, in ms; null when the compact API is off. */
  compactAccessTokenLifetimeMs: number | null;
  now(): number;
}

/**
 * The session a request names, as the API itself finds it: an `X-Session-Token` first; then a
 * compact API access token (`Authorization: Bearer <row id>.<secret>`), or with the JWT strategy
 * `Authorization: <scheme> <access token>`; then the browser's session cookie. Credentials of the
 * app kind decide alone: a bad token is not rescued by a cookie. One read (two for a JWT access
 * token under stateful validation); null when the session is unknown, expired, not logged in, or
 * its user is inactive. Like a request to the API, it refreshes the session's `last_seen_at` (at
 * most once a minute), which keeps an active session from idling out.
 */
export async function findRequestSession(
  deps: RequestSessionDeps,
  source: SessionSource,
): Promise<RequestSession | null> {
  const header = headerReader(source);
  const o = deps.options;
  const now = deps.now();
  let loaded: LoadedSession | null = null;
  let via: RequestSession["session"]["via"];
  let claims: AccessTokenClaims | undefined;
  const sessionToken = header("x-session-token");
  const bearer =
    deps.compactAccessTokenLifetimeMs !== null
      ? authorizationCredential(header("authorization"), "Bearer")
      : null;
  const compactToken = bearer !== null && isHeldSecret(bearer) ? bearer : null;
  const credential =
    o.tokens.strategy === "jwt" && compactToken === null
      ? authorizationCredential(header("authorization"), o.tokens.jwt.authorizationHeaderScheme)
      : null;
  if (sessionToken) {
    via = "session_token";
    loaded = await deps.sessions.load(sessionToken, now);
  } else if (compactToken !== null) {
    via = "access_token";
    loaded = await deps.sessions.loadBySecret(
      compactToken,
      SessionKey.COMPACT_ACCESS,
      now,
      deps.compactAccessTokenLifetimeMs!,
    );
  } else if (credential !== null) {
    via = "access_token";
    const verified = await deps.tokens.verifyAccessToken?.(credential);
    if (!verified) return null;
    loaded = await deps.sessions.loadByRow(verified.sessionId, now);
    if (loaded?.user?.id !== verified.userId) return null;
    claims = verified.claims;
  } else {
    if (!o.clients.includes("browser")) return null;
    const cookie = parseCookies(header("cookie")).get(o.sessions.cookieName);
    if (!cookie) return null;
    via = "cookie";
    loaded = await deps.sessions.load(cookie, now);
  }
  if (!loaded?.user || loaded.session.rowId === null) return null;
  const { session, user } = loaded;
  // Unmodified, so only last_seen_at/expires_at can be written; the client info goes unused.
  await deps.sessions.commit(session, { ip: "", userAgent: "" }, now);
  return {
    user: toWireUser(user),
    session: { id: session.rowId!, via, createdAt: session.createdAt, lastSeenAt: session.lastSeenAt },
    methods: session.get<AuthenticationMethod[]>(SessionKey.METHODS) ?? [],
    ...(claims ? { claims } : {}),
  };
}

/** Reads one header by its lowercase name, repeated values joined as HTTP joins them. */
export function headerReader(source: SessionSource): (name: string) => string | null {
  const headers = isHeaderHolder(source) ? source.headers : source;
  if (typeof headers.get === "function") {
    const getter = headers as { get(name: string): string | null };
    return (name) => getter.get(name);
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  return (name) => {
    const value = record[name];
    if (value === undefined) return null;
    return typeof value === "string" ? value : value.join(name === "cookie" ? "; " : ", ");
  };
}

function isHeaderHolder(source: SessionSource): source is { readonly headers: HeaderSource } {
  const headers = (source as { headers?: unknown }).headers;
  return typeof headers === "object" && headers !== null;
}
