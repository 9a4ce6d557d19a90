import type { Context, Stage, StageContext } from "../base/context.js";
import { completeStage } from "../base/login.js";
import { randomToken, safeEqual, sha256 } from "../core/crypto.js";
import { Client, Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import { serializeCookie } from "../http/cookies.js";
import type { PendingLogin } from "../sessions/session.js";
import type { UserRecord } from "../store/users.js";
import type { TrustInput } from "./inputs.js";

/*
 * Trusted browsers. allauth signs a cookie holding (fingerprint, time) pairs with SECRET_KEY;
 * Latchkey has no server secret, so the cookie holds random tokens instead (256-bit, several
 * joined by "." so one browser can be trusted by several accounts). The token table keeps only
 * each token's SHA-256, with its user, its expiry and the fingerprint of the user's security
 * setup when trust was given. A token is worth nothing without its row, a row nothing without the
 * token; a trust lapses when it expires or when the fingerprint changes (an authenticator added,
 * removed or regenerated, or the password changed).
 */

const TOKEN_KIND = "mfa_trust";
/** The most trusts one cookie carries; the oldest fall off. */
const MAX_TRUSTS_PER_COOKIE = 10;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** allauth `create_config_fingerprint`: the user, the password hash and every authenticator's id and type. */
export async function trustFingerprint(ctx: Context, user: UserRecord): Promise<string> {
  const parts = ["latchkey.mfa.trust", String(user.id), user.password ?? ""];
  for (const row of await ctx.rt.authenticators.list(user.id)) parts.push(String(row.id), row.type);
  return sha256(parts.join("|"));
}

function cookieTokens(ctx: Context): string[] {
  const value = ctx.cookies.get(ctx.options.mfa.trust.cookieName);
  if (!value) return [];
  return value
    .split(".")
    .filter((t) => TOKEN_SHAPE.test(t))
    .slice(-MAX_TRUSTS_PER_COOKIE);
}

/** allauth `is_trusted_browser`: this browser holds a live trust for this user and setup. */
export async function isTrustedBrowser(ctx: Context, user: UserRecord): Promise<boolean> {
  const trust = ctx.options.mfa.trust;
  if (!trust.enabled || ctx.client !== Client.BROWSER) return false;
  const rows = [...(await ctx.rt.keys.findMany(TOKEN_KIND, cookieTokens(ctx), ctx.now())).values()].filter(
    (r) => r.userId === user.id,
  );
  if (rows.length === 0) return false;
  const fingerprint = await trustFingerprint(ctx, user);
  return rows.some(
    (r) => typeof r.data.fingerprint === "string" && safeEqual(r.data.fingerprint, fingerprint),
  );
}

/** allauth `trust_browser`: records a new trust and sets the cookie with it (keeping other users' live trusts). */
export async function trustBrowser(ctx: Context, user: UserRecord): Promise<void> {
  const o = ctx.options.mfa.trust;
  const held = cookieTokens(ctx);
  const live = await ctx.rt.keys.findMany(TOKEN_KIND, held, ctx.now());
  // This browser's earlier trusts for the same user are superseded; other users' stay.
  const superseded = [...live.values()].filter((r) => r.userId === user.id).map((r) => r.id);
  const token = randomToken();
  await ctx.rt.keys.replace(
    TOKEN_KIND,
    token,
    {
      userId: user.id,
      email: null,
      data: { fingerprint: await trustFingerprint(ctx, user) },
      now: ctx.now(),
      ttlMs: o.cookieAge * 1000,
    },
    superseded,
  );
  const kept = held.filter((_, i) => {
    const row = live.get(i);
    return row !== undefined && row.userId !== user.id;
  });
  const tokens = [...kept, token].slice(-MAX_TRUSTS_PER_COOKIE);
  ctx.extraCookies.push(
    serializeCookie(o.cookieName, tokens.join("."), {
      maxAge: o.cookieAge,
      domain: o.cookieDomain,
      path: o.cookiePath,
      secure: o.cookieSecure,
      httpOnly: true,
      sameSite: o.cookieSameSite,
    }),
  );
}

/** Per-login state the trust stage reads: whether this login was asked for a second factor. */
interface TrustState {
  offer?: boolean;
}

/**
 * Marks a login as one that passed a second-factor check, so the mfa_trust stage offers to trust
 * the browser (allauth: the authenticate stage's `authentication_required`). The login-by-code
 * area may call it for ACCOUNT_LOGIN_BY_CODE_TRUST_ENABLED.
 */
export function offerTrust(login: PendingLogin): void {
  login.state[Flow.MFA_TRUST] = { offer: true } satisfies TrustState;
}

/** mfa.TrustStage: after a required MFA step, browsers are asked whether to trust them. Never for app clients. */
export const mfaTrustStage: Stage = {
  key: Flow.MFA_TRUST,
  async applies(ctx, login) {
    const o = ctx.options.mfa;
    if (!o.enabled || !o.trust.enabled || ctx.client !== Client.BROWSER) return false;
    return (login.state[Flow.MFA_TRUST] as TrustState | undefined)?.offer === true;
  },
};

/** POST /auth/2fa/trust (browser): completes mfa_trust, setting the trust cookie when `trust` is true. */
export async function answerTrust(ctx: StageContext, input: TrustInput): Promise<Result> {
  if (input.trust === true) {
    const user = await ctx.rt.users.findById(ctx.login.userId);
    if (user) await trustBrowser(ctx, user);
  }
  return completeStage(ctx, ctx.login);
}
