import { type ApiError, apiError } from "../../core/errors.js";
import type { Context } from "../../http/context.js";
import { isUniqueViolation } from "../../store/database.js";
import { findUserByEmail, findUserById, type UserRecord } from "../users.js";

/** allauth's account-adapter wording of `unknown_email` (password reset and code requests). */
export const UNKNOWN_EMAIL_MESSAGE = "The email address is not assigned to any user account.";

export function unknownEmailError(): ApiError {
  return apiError("unknown_email", UNKNOWN_EMAIL_MESSAGE, "email");
}

/** Whether answers must not tell known from unknown addresses (ACCOUNT_PREVENT_ENUMERATION, "strict" included). */
export function preventsEnumeration(ctx: Context): boolean {
  return ctx.options.account.preventEnumeration !== false;
}

/**
 * The active account an address identifies (allauth `filter_users_by_email(is_active=True,
 * prefer_verified=True)`), or null. A miss runs the same number of queries as a hit, so the
 * lookup's duration does not tell a known address from an unknown one.
 */
export async function findActiveAccountByEmail(ctx: Context, email: string): Promise<UserRecord | null> {
  const user = await findUserByEmail(ctx.db, email);
  if (!user) {
    // findUserByEmail answers a miss after one query and a hit after two.
    await findUserById(ctx.db, 0);
    return null;
  }
  return user.isActive ? user : null;
}

/**
 * allauth `verify_email_indirectly`: receiving a code or key at an address proves it, so the
 * user's own unverified copy of that address becomes verified. When another account already
 * holds the address verified, the database's unique index refuses, and the address stays as it was.
 */
export async function markEmailVerified(ctx: Context, userId: number, email: string): Promise<void> {
  try {
    await ctx.db
      .updateTable("email_address")
      .set({ verified: 1 })
      .where("user_id", "=", userId)
      .where("email_lower", "=", email.toLowerCase())
      .where("verified", "=", 0)
      .execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}

/** allauth `send_unknown_account_mail`: only when ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS. */
export async function mailUnknownAccount(ctx: Context, email: string): Promise<void> {
  if (!ctx.options.account.emailUnknownAccounts) return;
  await ctx.rt.mailer.sendTemplate(email, "unknown_account", {
    email,
    signupUrl: ctx.options.frontendUrls.accountSignup,
  });
}
