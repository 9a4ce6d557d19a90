import type { JSONWebKeySet } from "jose";
import { findUserById, serializeUser } from "../../account/users.js";
import type { Client } from "../../core/enums.js";
import type { User } from "../../core/wire.js";
import type { Runtime } from "../../runtime.js";
import { SessionKey } from "../keys.js";
import { Session } from "../session.js";
import type { VerifiedAccessToken } from "./strategy.js";

/** The owner of a valid session token. */
export interface SessionTokenOwner {
  user: User;
  /** The session row id (as GET /auth/sessions lists it). */
  sessionId: number;
}

/**
 * Checks an opaque session token (the app's X-Session-Token, or the browser's session cookie)
 * for your own API: null when unknown, expired, not logged in, or the user is inactive.
 * Like an API request, it refreshes `last_seen_at` (at most once a minute), which keeps an
 * active session from idling out.
 */
export async function validateSessionToken(rt: Runtime, token: string): Promise<SessionTokenOwner | null> {
  if (!token) return null;
  const now = rt.now();
  const loaded = await rt.sessions.load(token, now);
  if (!loaded?.user || loaded.session.rowId === null) return null;
  // Unmodified, so only last_seen_at/expires_at can be written; the client info goes unused.
  await rt.sessions.commit(loaded.session, { ip: "", userAgent: "" }, now);
  return { user: serializeUser(loaded.user), sessionId: loaded.session.rowId };
}

/**
 * Logs a user in from the server (tests, impersonation by trusted code, a login finished
 * elsewhere): a new session with no authentication records, whose token works as
 * X-Session-Token (app) or as the session cookie (browser). Throws for unknown or inactive users.
 */
export async function createSessionToken(rt: Runtime, userId: number, client?: Client): Promise<string> {
  if (client !== undefined && !rt.options.clients.includes(client)) {
    throw new Error(`the ${client} client is not enabled (options.clients)`);
  }
  const user = await findUserById(rt.store.db, userId);
  if (!user?.isActive) throw new Error(`no active user with id ${userId}`);
  const now = rt.now();
  const session = Session.fresh(now);
  session.userId = user.id;
  session.set(SessionKey.METHODS, []);
  await rt.sessions.commit(session, { ip: "", userAgent: "" }, now);
  await rt.store.db.updateTable("user").set({ last_login: now }).where("id", "=", user.id).execute();
  return session.token!;
}

/** Verifies a JWT access token (JWT strategy only; null otherwise). */
export async function verifyAccessToken(rt: Runtime, token: string): Promise<VerifiedAccessToken | null> {
  if (!token || !rt.tokens.verifyAccessToken) return null;
  return rt.tokens.verifyAccessToken(token, rt);
}

/** The JWKS that verifies access tokens: `{keys: []}` for HS256 or the session strategy. */
export async function jwks(rt: Runtime): Promise<JSONWebKeySet> {
  return rt.tokens.jwks ? rt.tokens.jwks() : { keys: [] };
}
