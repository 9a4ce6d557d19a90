import { randomBytes } from "node:crypto";
import { HOTP, Secret } from "otpauth";
import { requireRecentAuthentication } from "../base/auth.js";
import type { AuthenticatedContext, Context } from "../base/context.js";
import { safeEqual } from "../core/crypto.js";
import { AuthenticatorType } from "../core/enums.js";
import { conflict, notFound, ok, type Result } from "../core/responses.js";
import type { ResolvedOptions } from "../options/schema.js";
import { SessionKey } from "../sessions/keys.js";
import type { AuthenticatorRow } from "../store/authenticators.js";
import type { SessionUser } from "../store/session-users.js";
import { authenticatorData, canAddAuthenticator, serializeAuthenticator } from "./authenticators.js";
import type { CodeInput } from "./inputs.js";
import { autoGenerateRecoveryCodes } from "./recovery-codes.js";

/**
 * TOTP data as stored. The secret must be usable to check codes, so it is kept as is (allauth
 * stores it in clear too, unless a project overrides its adapter's `encrypt`). `last_counter` is
 * the time step of the last accepted code: codes of that step or earlier are refused, so a code
 * cannot be replayed within its window.
 */
export interface TotpData {
  secret: string;
  last_counter?: number;
}

type TotpOptions = ResolvedOptions["mfa"]["totp"];

/** A new secret: 20 random bytes, base32 (32 characters), as allauth makes them. */
export function generateTotpSecret(): string {
  return new Secret({ buffer: new Uint8Array(randomBytes(20)).buffer }).base32;
}

/**
 * The time step a code is valid for, if it matches `secret` within ±tolerance steps of `now`
 * and is later than `after` (the last step already used); else null.
 */
export function matchTotpCode(
  secret: string,
  code: string,
  now: number,
  o: TotpOptions,
  after = Number.NEGATIVE_INFINITY,
): number | null {
  if (!/^\d+$/.test(code) || code.length !== o.digits) return null;
  let key: Secret;
  try {
    key = Secret.fromBase32(secret);
  } catch {
    return null;
  }
  const current = Math.floor(now / 1000 / o.period);
  let match: number | null = null;
  // Every step in the window is computed, so timing says nothing about which one matched.
  for (let counter = current - o.tolerance; counter <= current + o.tolerance; counter++) {
    const expected = HOTP.generate({ secret: key, digits: o.digits, counter });
    if (safeEqual(expected, code) && counter > after && match === null) match = counter;
  }
  return match;
}

/** Python's `urllib.parse.quote`: percent-encodes UTF-8 bytes except unreserved characters and `safe`. */
function pyQuote(value: string, safe: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(ch) || (byte < 128 && safe.includes(ch))) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Python's `urlencode` of one value (`quote_plus`: spaces become "+"). */
function pyQuotePlus(value: string): string {
  return pyQuote(value, " ").replaceAll(" ", "+");
}

/**
 * allauth's `build_totp_url`: `otpauth://totp/<quote(label)>?secret=…&issuer=…`, with `digits`
 * and `period` only when they differ from 6 and 30. The label is the email, else the username.
 */
export function buildTotpUrl(o: ResolvedOptions, user: SessionUser, secret: string): string {
  const label = user.email || user.username || String(user.id);
  const issuer = o.mfa.totp.issuer || o.siteName;
  let query = `secret=${pyQuotePlus(secret)}&issuer=${pyQuotePlus(issuer)}`;
  if (o.mfa.totp.digits !== 6) query += `&digits=${o.mfa.totp.digits}`;
  if (o.mfa.totp.period !== 30) query += `&period=${o.mfa.totp.period}`;
  return `otpauth://totp/${pyQuote(label, "/")}?${query}`;
}

/**
 * Checks a code against an active TOTP authenticator and spends its time step (also stamping
 * `last_used_at`). True when the code is good and its step was not used before.
 */
export async function verifyTotp(ctx: Context, row: AuthenticatorRow, code: string): Promise<boolean> {
  let current = row;
  // A lost compare-and-swap means another request changed the row: re-read and decide again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const data = authenticatorData<TotpData>(current);
    if (!data.secret) return false;
    const counter = matchTotpCode(
      data.secret,
      code,
      ctx.now(),
      ctx.options.mfa.totp,
      data.last_counter ?? Number.NEGATIVE_INFINITY,
    );
    if (counter === null) return false;
    if (await ctx.rt.authenticators.swapData(current, { ...data, last_counter: counter }, ctx.now()))
      return true;
    const fresh = await ctx.rt.authenticators.find(current.user_id, AuthenticatorType.TOTP);
    if (!fresh || fresh.id !== current.id) return false;
    current = fresh;
  }
  return false;
}

/** GET /account/authenticators/totp: the active TOTP, or 404 with a new secret to set one up. */
export async function getTotp(ctx: AuthenticatedContext): Promise<Result> {
  const user = ctx.user;
  const active = await ctx.rt.authenticators.find(user.id, AuthenticatorType.TOTP);
  if (active) return ok(serializeAuthenticator(active));
  if (!(await canAddAuthenticator(ctx, user))) return conflict([ctx.error("unverified_email")]);
  const secret = generateTotpSecret();
  ctx.session.set(SessionKey.TOTP_PENDING_SECRET, secret);
  const totpUrl = buildTotpUrl(ctx.options, user, secret);
  // qrcode is loaded by the first setup that needs it, not by every start.
  const { default: QRCode } = await import("qrcode");
  const qrCodeSvg = await QRCode.toString(totpUrl, { type: "svg" });
  return { ...notFound(), meta: { secret, totp_url: totpUrl, qr_code_svg: qrCodeSvg } };
}

/**
 * POST /account/authenticators/totp: activates the secret offered by the last GET. Input errors
 * (unverified email, wrong code) come before the reauthentication check, as in allauth.
 */
export async function activateTotp(ctx: AuthenticatedContext, input: CodeInput): Promise<Result> {
  const user = ctx.user;
  if (!(await canAddAuthenticator(ctx, user))) return ctx.invalid("unverified_email", "code");
  const secret = ctx.session.get<string>(SessionKey.TOTP_PENDING_SECRET);
  const now = ctx.now();
  const counter = secret ? matchTotpCode(secret, input.code, now, ctx.options.mfa.totp) : null;
  if (secret === undefined || counter === null) return ctx.invalid("incorrect_code", "code");
  await requireRecentAuthentication(ctx);
  // The activation code counts as used: it cannot pass a login's second step as well.
  const data: TotpData = { secret, last_counter: counter };
  const row = await ctx.rt.authenticators.insert(user.id, AuthenticatorType.TOTP, data, now);
  // Null: TOTP is active already (one per user, a unique index settles concurrent activations).
  if (!row) return conflict();
  ctx.session.delete(SessionKey.TOTP_PENDING_SECRET);
  const generated = await autoGenerateRecoveryCodes(ctx, user.id);
  await ctx.emit("mfaAdded", user, { type: AuthenticatorType.TOTP });
  if (generated) await ctx.emit("mfaAdded", user, { type: AuthenticatorType.RECOVERY_CODES });
  return ok(serializeAuthenticator(row));
}

/** DELETE /account/authenticators/totp: 200 whether or not TOTP was active (reauthentication only if it was). */
export async function deactivateTotp(ctx: AuthenticatedContext): Promise<Result> {
  const active = await ctx.rt.authenticators.find(ctx.user.id, AuthenticatorType.TOTP);
  if (active) {
    await requireRecentAuthentication(ctx);
    // Recovery codes without a second factor left would be a dangling authenticator.
    await ctx.rt.authenticators.remove(ctx.user.id, { type: AuthenticatorType.TOTP });
    await ctx.emit("mfaRemoved", ctx.user, { type: AuthenticatorType.TOTP });
  }
  return ok();
}
