import type { User } from "../core/wire.js";
import type { Latchkey } from "../latchkey.js";
import type { AccessTokenClaims } from "../sessions/tokens/strategy.js";
import { authorizationCredential } from "../sessions/tokens/strategy.js";

/** Who is calling your own API, as requireUser() finds out. */
export interface LatchkeyCaller {
  userId: number;
  /** The session row id (as GET /auth/sessions lists it). */
  sessionId: number;
  /** How the caller authenticated. */
  via: "session_token" | "access_token";
  /** The user as the API shows it; present for session tokens (checked against the database). */
  user?: User;
  /** The verified access token's claims; present for access tokens (checked without a read unless stateful). */
  claims?: AccessTokenClaims;
}

/** The part of Latchkey the middleware needs. */
export type LatchkeyVerifier = Pick<Latchkey, "options" | "validateSessionToken" | "verifyAccessToken">;

/**
 * Finds the caller from the request headers, as allauth's own-API authenticators do: an
 * `X-Session-Token` first; otherwise, with the JWT strategy, `Authorization: <scheme> <access token>`
 * (scheme from tokens.jwt.authorizationHeaderScheme, compared case-insensitively).
 */
export async function authenticateCaller(
  latchkey: LatchkeyVerifier,
  headers: { sessionToken: string | null | undefined; authorization: string | null | undefined },
): Promise<LatchkeyCaller | null> {
  if (headers.sessionToken) {
    const owner = await latchkey.validateSessionToken(headers.sessionToken);
    return owner
      ? { userId: owner.user.id, sessionId: owner.sessionId, via: "session_token", user: owner.user }
      : null;
  }
  if (latchkey.options.tokens.strategy !== "jwt") return null;
  const credential = authorizationCredential(
    headers.authorization ?? null,
    latchkey.options.tokens.jwt.authorizationHeaderScheme,
  );
  if (credential === null) return null;
  const verified = await latchkey.verifyAccessToken(credential);
  return verified
    ? { userId: verified.userId, sessionId: verified.sessionId, via: "access_token", claims: verified.claims }
    : null;
}
