import type { JSONWebKeySet, JWTPayload } from "jose";
import type { Logger } from "pino";
import type { ApiRequest } from "../../http/exchange.js";
import type { SessionUser } from "../../store/session-users.js";
import type { Session } from "../session.js";
import type { SessionStore } from "../store.js";

/**
 * How long a refresh token a refresh has just replaced is refused without ending its session
 * (the compact API's and the JWT strategy's). The tabs of a browser share their tokens in
 * localStorage, whose writes reach the other tabs a moment later: a tab that waited for another's
 * refresh may still read the replaced token and present it. Within this window that is taken for
 * such a tab, not for a stolen token: refused (it gets nothing), while the session lives on;
 * later, it is a reuse and ends the session.
 */
export const JUST_REPLACED_REFRESH_MS = 10_000;

/** How an app request names its session. */
export type SessionLookup =
  /** No credentials: a fresh anonymous session. */
  | { kind: "none" }
  /** An opaque session token (X-Session-Token): an unknown one is 410. */
  | { kind: "token"; token: string }
  /** A verified access token naming a session row (JWT `sid`): a missing row is 410. */
  | { kind: "row"; rowId: number }
  /** Credentials that do not verify (bad signature, expired, wrong scheme): anonymous, not 410. */
  | { kind: "invalid" };

/** The claims of a verified access token (JWT strategy). */
export interface AccessTokenClaims extends JWTPayload {
  iat: number;
  exp: number;
  jti: string;
  token_use: "access";
  /** The user id, as a string. */
  sub: string;
  /** The session row id, as a string (the id GET /auth/sessions lists; never the session token). */
  sid: string;
}

/** A verified access token, for your own API. */
export interface VerifiedAccessToken {
  userId: number;
  /** The session row id (as GET /auth/sessions lists it). */
  sessionId: number;
  claims: AccessTokenClaims;
}

/** The body of a successful POST /tokens/refresh. */
export interface RefreshedTokens {
  access_token: string;
  /** Present only when refresh tokens rotate. */
  refresh_token?: string;
}

/** What a strategy works with, given when it is created. */
export interface TokenStrategyDeps {
  sessions: SessionStore;
  logger: Logger;
  /** Epoch ms. */
  now(): number;
}

/**
 * HEADLESS_TOKEN_STRATEGY: how app clients authenticate and what they are handed when they log in.
 * The session strategy is the default; the JWT strategy adds access and refresh tokens.
 */
export interface TokenStrategy {
  /** Finds the app request's session credentials. */
  lookup(request: ApiRequest): Promise<SessionLookup>;
  /**
   * Extra `meta` for an app response that made the caller authenticated (login, 2FA, signup…).
   * Runs after the session is saved, so the session row exists.
   */
  issue?(grant: { session: Session; user: SessionUser; now: number }): Promise<Record<string, unknown>>;
  /** POST /tokens/refresh: new tokens for a valid refresh token, or null (a bare 400). */
  refresh?(refreshToken: string): Promise<RefreshedTokens | null>;
  /** Verifies an access token for your own API; honours stateful validation. */
  verifyAccessToken?(token: string): Promise<VerifiedAccessToken | null>;
  /** The public keys that verify issued access tokens (empty for HS256). */
  jwks?(): Promise<JSONWebKeySet>;
}

/** Opaque session tokens in X-Session-Token (allauth's SessionTokenStrategy). */
export const sessionTokenStrategy: TokenStrategy = {
  async lookup(request) {
    const token = request.headers.get("x-session-token");
    return token ? { kind: "token", token } : { kind: "none" };
  },
};

/**
 * The credential of an `Authorization: <scheme> <credential>` header, as allauth reads it:
 * exactly two whitespace-separated parts, the scheme compared case-insensitively.
 */
export function authorizationCredential(header: string | null, scheme: string): string | null {
  if (!header) return null;
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0]!.toLowerCase() !== scheme.toLowerCase()) return null;
  return parts[1]!;
}
