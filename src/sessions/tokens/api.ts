import type { JSONWebKeySet } from "jose";
import type { Client } from "../../core/enums.js";
import type { User } from "../../core/wire.js";
import { sessionUser, toWireUser, type Users } from "../../store/users.js";
import { SessionKey } from "../keys.js";
import { Session } from "../session.js";
import type { SessionStore } from "../store.js";
import type { TokenStrategy, VerifiedAccessToken } from "./strategy.js";

/** The owner of a valid session token. */
export interface SessionTokenOwner {
  user: User;
  /** The session row id (as GET /auth/sessions lists it). */
  sessionId: number;
}

/** What the session-token API works with. */
export interface SessionApiDeps {
  sessions: SessionStore;
  users: Users;
  tokens: TokenStrategy;
  /** The enabled client trees. */
  clients: readonly string[];
  now(): number;
}

/**
 * Checks an opaque session token (the app's X-Session-Token, or the browser's session cookie)
 * for your own API: null when unknown, expired, not logged in, or the user is inactive.
 * Like an API request, it refreshes `last_seen_at` (at most once a minute), which keeps an
 * active session from idling out.
 */
export async function validateSessionToken(
  deps: SessionApiDeps,
  token: string,
): Promise<SessionTokenOwner | null> {
  if (!token) return null;
  const now = deps.now();
  const loaded = await deps.sessions.load(token, now);
  if (!loaded?.user || loaded.session.rowId === null) return null;
  // Unmodified, so only last_seen_at/expires_at can be written; the client info goes unused.
  await deps.sessions.commit(loaded.session, { ip: "", userAgent: "" }, now);
  return { user: toWireUser(loaded.user), sessionId: loaded.session.rowId };
}

/**
 * Logs a user in from the server (tests, impersonation by trusted code, a login finished
 * elsewhere): a new session with no authentication records, whose token works as
 * X-Session-Token (app) or as the session cookie (browser). Throws for unknown or inactive users.
 */
export async function createSessionToken(
  deps: SessionApiDeps,
  userId: number,
  client?: Client,
): Promise<string> {
  if (client !== undefined && !deps.clients.includes(client)) {
    throw new Error(`the ${client} client is not enabled (options.clients)`);
  }
  const user = await deps.users.findById(userId);
  if (!user?.isActive) throw new Error(`no active user with id ${userId}`);
  const now = deps.now();
  const session = Session.fresh(now);
  session.setUser(sessionUser(user));
  session.set(SessionKey.METHODS, []);
  await deps.sessions.commit(session, { ip: "", userAgent: "" }, now);
  await deps.users.recordLogin(user.id, now);
  return session.token!;
}

/** Verifies a JWT access token (JWT strategy only; null otherwise). */
export async function verifyAccessToken(
  deps: SessionApiDeps,
  token: string,
): Promise<VerifiedAccessToken | null> {
  if (!token || !deps.tokens.verifyAccessToken) return null;
  return deps.tokens.verifyAccessToken(token);
}

/** The JWKS that verifies access tokens: `{keys: []}` for HS256 or the session strategy. */
export async function jwks(deps: SessionApiDeps): Promise<JSONWebKeySet> {
  return deps.tokens.jwks ? deps.tokens.jwks() : { keys: [] };
}
