import type { Context } from "../base/context.js";
import type { UserRecord } from "../store/users.js";

/**
 * Finding accounts by address or phone number without telling callers whether they exist
 * (allauth's ACCOUNT_PREVENT_ENUMERATION): password reset and code requests answer alike for
 * known and unknown ones, at the same cost.
 */

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
  const users = ctx.rt.users;
  const user = await users.findByEmail(email);
  if (!user) {
    // findByEmail answers a miss after one query and a hit after two.
    await users.findById(0);
    return null;
  }
  return user.isActive ? user : null;
}

/**
 * The account a phone number identifies (allauth adapter `get_user_by_phone`: the account that
 * verified it, else the first that claimed it), active or not, or null. A miss runs the same
 * number of queries as a hit (no user has id 0).
 */
export async function findAccountByPhone(ctx: Context, phone: string): Promise<UserRecord | null> {
  const owner = await ctx.rt.phones.ownerOf(phone);
  return ctx.rt.users.findById(owner ?? 0);
}

/** The active account a phone number identifies, or null (see findAccountByPhone). */
export async function findActiveAccountByPhone(ctx: Context, phone: string): Promise<UserRecord | null> {
  const user = await findAccountByPhone(ctx, phone);
  return user?.isActive ? user : null;
}

/** allauth `send_unknown_account_mail`: only when ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS. */
export async function mailUnknownAccount(ctx: Context, email: string): Promise<void> {
  if (!ctx.options.account.emailUnknownAccounts) return;
  await ctx.rt.mailer.sendTemplate(email, "unknown_account", {
    email,
    signupUrl: ctx.options.frontendUrls.accountSignup,
  });
}
