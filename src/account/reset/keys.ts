import type { Context } from "../../base/context.js";
import { safeEqual, sha256 } from "../../core/crypto.js";
import type { UserRecord } from "../../store/users.js";

/** The key store's kind of password-reset link keys. */
export const PASSWORD_RESET_KIND = "password_reset";

/**
 * A reset key remembers a fingerprint of the password hash it was issued against. Django's reset
 * tokens are derived from the password hash, so any password change (another reset included)
 * kills every key issued before it; comparing the fingerprint gives stored keys the same lifetime.
 */
function passwordFingerprint(user: UserRecord): string {
  return sha256(`password:${user.password ?? ""}`);
}

/** A reset key that is still good: unused, unexpired, its user active and its password unchanged. */
export interface ResetKey {
  id: number;
  user: UserRecord;
  /** The address the key was mailed to. */
  email: string;
}

/** Stores a new key for the user and returns it (only its hash is kept). */
export function issueResetKey(ctx: Context, user: UserRecord, email: string): Promise<string> {
  return ctx.rt.keys.issue(PASSWORD_RESET_KIND, {
    userId: user.id,
    email,
    data: { password: passwordFingerprint(user) },
    now: ctx.now(),
    ttlMs: ctx.options.account.passwordResetTimeout * 1000,
  });
}

/** The key's row if it may still reset a password, else null. */
export async function findResetKey(ctx: Context, key: string): Promise<ResetKey | null> {
  const row = await ctx.rt.keys.find(PASSWORD_RESET_KIND, key, ctx.now());
  if (!row || row.email === null) return null;
  const user = await ctx.rt.users.findById(row.userId);
  if (!user?.isActive) return null;
  const fingerprint = row.data.password;
  if (typeof fingerprint !== "string" || !safeEqual(fingerprint, passwordFingerprint(user))) return null;
  return { id: row.id, user, email: row.email };
}
