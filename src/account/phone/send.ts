import type { Context } from "../../base/context.js";

/**
 * allauth's `verify_phone` rate limit, keyed by the number: every text of a phone verification
 * (first code, change, resend) counts. False means the limit is reached.
 */
export function mayTextVerification(ctx: Context, phone: string): Promise<boolean> {
  return ctx.rateLimit("verify_phone", phone);
}

/** allauth adapter `send_verification_code_sms`: a verification code. */
export function textVerificationCode(ctx: Context, phone: string, code: string): Promise<void> {
  return ctx.rt.sms.sendTemplate(phone, "verification_code", { code });
}

/** A login code, by text (login by code to a phone). */
export function textLoginCode(ctx: Context, phone: string, code: string): Promise<void> {
  return ctx.rt.sms.sendTemplate(phone, "login_code", { code });
}

/**
 * allauth adapter `send_account_already_exists_sms`: what a signup with a number that has an
 * account texts its owner instead of a code.
 */
export function textAccountAlreadyExists(ctx: Context, phone: string): Promise<void> {
  return ctx.rt.sms.sendTemplate(phone, "account_already_exists", {});
}

/**
 * allauth adapter `send_unknown_account_sms`: what a login code request for a number without an
 * account texts instead of a code (only with account.phoneUnknownAccounts).
 */
export async function textUnknownAccount(ctx: Context, phone: string): Promise<void> {
  if (!ctx.options.account.phoneUnknownAccounts) return;
  await ctx.rt.sms.sendTemplate(phone, "unknown_account", {});
}
