import type { Context } from "../../http/context.js";
import type { Runtime } from "../../runtime.js";

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

/**
 * HEADLESS_TOKEN_STRATEGY: how app clients authenticate and what they are handed when they log in.
 * The session strategy is the default; the JWT strategy adds access and refresh tokens.
 */
export interface TokenStrategy {
  /** Finds the app request's session credentials. */
  lookup(request: Request, rt: Runtime): Promise<SessionLookup>;
  /**
   * Extra `meta` for an app response that made the caller authenticated (login, 2FA, signup…).
   * Runs after the session is saved, so the session row exists.
   */
  issue?(ctx: Context): Promise<Record<string, unknown>>;
}

/** Opaque session tokens in X-Session-Token (allauth's SessionTokenStrategy). */
export const sessionTokenStrategy: TokenStrategy = {
  async lookup(request) {
    const token = request.headers.get("x-session-token");
    return token ? { kind: "token", token } : { kind: "none" };
  },
};
