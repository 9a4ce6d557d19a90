import type { Context } from "../../base/context.js";
import type { AddressRow } from "../../store/addresses.js";

/** The key store's kind of email verification link keys. */
export const EMAIL_VERIFICATION_KIND = "email_verification";

/** Stores a new link key for one of the user's addresses and returns it (only its hash is kept). */
export function issueVerificationKey(ctx: Context, userId: number, email: string): Promise<string> {
  return ctx.rt.keys.issue(EMAIL_VERIFICATION_KIND, {
    userId,
    email: email.toLowerCase(),
    now: ctx.now(),
    ttlMs: ctx.options.account.emailConfirmationExpireDays * 86_400_000,
  });
}

/** A link key that is still good, and the unverified address it is for. */
export interface VerificationKey {
  keyId: number;
  address: AddressRow;
}

/**
 * Looks a key up: unused, unexpired, and naming an address its user still has unverified (as
 * allauth's HMAC keys only resolve to unverified addresses).
 */
export async function findVerificationKey(ctx: Context, key: string): Promise<VerificationKey | null> {
  const row = await ctx.rt.keys.find(EMAIL_VERIFICATION_KIND, key, ctx.now());
  if (!row || row.email === null) return null;
  const address = await ctx.rt.addresses.find(row.userId, row.email);
  return address && address.verified === 0 ? { keyId: row.id, address } : null;
}
