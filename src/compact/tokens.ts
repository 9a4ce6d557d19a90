import type { Context, Runtime } from "../base/context.js";
import { randomToken, safeEqual, sha256 } from "../core/crypto.js";
import { SessionKey } from "../sessions/keys.js";
import type { Session } from "../sessions/session.js";
import {
  type HeldSecret,
  type LoadedSession,
  newHeldSecret,
  parseHeldSecret,
  SHORT_LIFE,
  type ShortLife,
} from "../sessions/store.js";
import { JUST_REPLACED_REFRESH_MS } from "../sessions/tokens/strategy.js";

/**
 * The compact API's tokens, all held by a server-side session (see HeldSecret: the session keeps
 * their hashes; the client holds `<row id>.<secret>`):
 * - the access token (`Authorization: Bearer`), valid for compactApi.accessTokenLifetime after it
 *   was issued, and only while its session lives (logout, usersessions, a password change or a
 *   deactivation end it);
 * - the refresh token, valid while its session lives, replaced (with the access token) by every
 *   refresh; a replaced one that comes back means two parties hold the session's tokens, so the
 *   session ends (the rule of the JWT strategy's refresh tokens);
 * - the token that continues a pending flow (`mfa_token`, `signup_token`, `verification_token`,
 *   `reset_token`), bound to that flow: valid for account.loginTimeout while the flow is pending,
 *   spent when a request with it ends the flow (a success, used-up attempts); a refused attempt
 *   that leaves the flow pending (a wrong code) leaves it valid, as allauth keeps the pending flow.
 */

/** A token pair as the compact API answers it. */
export interface CompactTokens {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  /** Seconds the access token is valid from now. */
  expires_in: number;
}

/** What a session keeps of its refresh token: the current one, and the hashes rotation replaced. */
interface HeldRefresh extends HeldSecret {
  rotated: string[];
}

/** Replaced refresh tokens remembered for reuse detection (a session refreshed more often forgets the oldest). */
const ROTATED_KEPT = 50;

/** A new pair for a saved, logged-in session; it replaces the session's previous pair. */
export function issueTokens(
  session: Session,
  rt: Runtime,
  now: number,
  rotated: string[] = [],
): CompactTokens {
  const lifetime = rt.options.compactApi.accessTokenLifetime;
  const access = newHeldSecret(session.rowId!, now);
  const refresh = newHeldSecret(session.rowId!, now);
  session.set(SessionKey.COMPACT_ACCESS, access.held);
  session.set(SessionKey.COMPACT_REFRESH, { ...refresh.held, rotated } satisfies HeldRefresh);
  return {
    access_token: access.credential,
    refresh_token: refresh.credential,
    token_type: "Bearer",
    expires_in: lifetime,
  };
}

/** The logged-in session an access token names, while the token is valid; else null. */
export async function sessionOfAccessToken(rt: Runtime, token: string): Promise<LoadedSession | null> {
  const loaded = await rt.sessions.loadBySecret(
    token,
    SessionKey.COMPACT_ACCESS,
    rt.now(),
    rt.options.compactApi.accessTokenLifetime * 1000,
  );
  return loaded?.user ? loaded : null;
}

/**
 * POST /auth/token/refresh/: a new pair for a valid refresh token, or null. The session is read,
 * checked and written only if unchanged, so of two refreshes with one token only one rotates it
 * and the other is a reuse.
 */
export async function refreshTokens(rt: Runtime, token: string): Promise<CompactTokens | null> {
  const parsed = parseHeldSecret(token);
  if (!parsed) return null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = rt.now();
    // The token's own session, apart from the request's: the pipeline never writes it back.
    const loaded = await rt.sessions.loadByRow(parsed.rowId, now);
    if (!loaded?.user) return null;
    const session = loaded.session;
    const held = session.get<HeldRefresh>(SessionKey.COMPACT_REFRESH);
    if (typeof held?.hash !== "string" || !Array.isArray(held.rotated)) return null;
    if (!safeEqual(held.hash, parsed.hash)) {
      const justReplaced = held.rotated.at(-1);
      if (
        justReplaced !== undefined &&
        safeEqual(justReplaced, parsed.hash) &&
        now - held.issued_at < JUST_REPLACED_REFRESH_MS
      ) {
        return null;
      }
      if (held.rotated.some((hash) => safeEqual(hash, parsed.hash))) {
        await rt.sessions.deleteRowsForUser(loaded.user.id, [parsed.rowId]);
        rt.logger.warn(
          { userId: loaded.user.id, sessionId: parsed.rowId },
          "a replaced compact API refresh token was used again: its session is ended",
        );
      }
      return null;
    }
    const stored = JSON.stringify(session.data);
    const tokens = issueTokens(session, rt, now, [...held.rotated, held.hash].slice(-ROTATED_KEPT));
    // A new token hash for the row (its token is never handed out): a request with the old access
    // token that loaded the session before this refresh would otherwise write the old pair back
    // when it commits, bringing the replaced refresh token back to life.
    const newTokenHash = sha256(randomToken());
    if (await rt.sessions.replaceData(parsed.rowId, stored, JSON.stringify(session.data), newTokenHash))
      return tokens;
  }
  return null;
}

/** What a session keeps of the token that continues its pending flow: the flow it continues. */
interface HeldPending extends HeldSecret {
  flow: string;
}

/** A pending-flow token claimed by a request: the session it names, and what gives the token back. */
export interface ClaimedPendingToken {
  loaded: LoadedSession;
  held: HeldPending;
}

/**
 * A token that continues the pending `flow` of a saved, anonymous session; the session now lives
 * only as long as the login may (account.loginTimeout).
 */
export function issuePendingToken(ctx: Context, flow: string): string {
  const session = ctx.session;
  const now = ctx.now();
  const pending = newHeldSecret(session.rowId!, now);
  session.set(SessionKey.COMPACT_PENDING, { ...pending.held, flow } satisfies HeldPending);
  const keys = Object.keys(session.data).filter((key) => key !== SHORT_LIFE);
  session.set(SHORT_LIFE, {
    until: now + ctx.options.account.loginTimeout * 1000,
    keys,
  } satisfies ShortLife);
  return pending.credential;
}

/**
 * The session of a token for the pending `flow`, the token taken out of it (atomically: of two
 * requests with one token only one gets the session, the other is refused as if it were spent);
 * null when it is unknown, spent, expired or another flow's. The request gives it back
 * (restorePendingToken) when its attempt leaves the flow pending.
 */
export async function claimPendingToken(
  rt: Runtime,
  token: string,
  flow: string,
): Promise<ClaimedPendingToken | null> {
  const loaded = await rt.sessions.loadBySecret(
    token,
    SessionKey.COMPACT_PENDING,
    rt.now(),
    rt.options.account.loginTimeout * 1000,
  );
  if (!loaded || loaded.user) return null;
  const session = loaded.session;
  const held = session.get<HeldPending>(SessionKey.COMPACT_PENDING)!;
  if (held.flow !== flow) return null;
  const stored = JSON.stringify(session.data);
  delete session.data[SessionKey.COMPACT_PENDING];
  if (!(await rt.sessions.replaceData(session.rowId!, stored, JSON.stringify(session.data)))) return null;
  return { loaded, held };
}

/** Gives a claimed token back to its session (saved with it): valid again, with its issue time. */
export function restorePendingToken(session: Session, claimed: ClaimedPendingToken): void {
  session.set(SessionKey.COMPACT_PENDING, claimed.held);
}
