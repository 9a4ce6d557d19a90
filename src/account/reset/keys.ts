import { randomToken, safeEqual, sha256 } from "../../core/crypto.js";
import type { Context } from "../../http/context.js";
import { issueDecoyKey } from "../decoy-keys.js";
import { findUserById, type UserRecord } from "../users.js";

/** `token.kind` of password-reset link keys. */
export const PASSWORD_RESET_KIND = "password_reset";

/** What a reset key row keeps besides its hash. */
interface ResetKeyData {
  /**
   * SHA-256 of the user's password hash when the key was issued. Django's reset tokens are
   * derived from the password hash, so any password change (another reset included) kills every
   * key issued before it; comparing this fingerprint gives stored keys the same lifetime.
   */
  password: string;
}

/** A reset key that is still good: unused, unexpired, its user active and its password unchanged. */
export interface ResetKey {
  id: number;
  user: UserRecord;
  /** The address the key was mailed to. */
  email: string;
}

function passwordFingerprint(user: UserRecord): string {
  return sha256(`password:${user.password ?? ""}`);
}

/**
 * Stores a new key for the user and returns it (only its hash is kept). The user's dead keys
 * (expired or used) are cleared on the way, so the table does not grow with every request.
 */
export async function issueResetKey(ctx: Context, user: UserRecord, email: string): Promise<string> {
  const key = randomToken();
  const now = ctx.now();
  const data: ResetKeyData = { password: passwordFingerprint(user) };
  await ctx.db
    .deleteFrom("token")
    .where("user_id", "=", user.id)
    .where("kind", "=", PASSWORD_RESET_KIND)
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("used_at", "is not", null)]))
    .execute();
  await ctx.db
    .insertInto("token")
    .values({
      kind: PASSWORD_RESET_KIND,
      token_hash: sha256(key),
      user_id: user.id,
      email,
      data: JSON.stringify(data),
      created_at: now,
      expires_at: now + ctx.options.account.passwordResetTimeout * 1000,
      used_at: null,
    })
    .execute();
  return key;
}

/** The enumeration decoy of this kind of key (see issueDecoyKey). */
export function issueDecoyResetKey(ctx: Context): Promise<void> {
  return issueDecoyKey(ctx, PASSWORD_RESET_KIND);
}

/** The key's row if it may still reset a password, else null. */
export async function findResetKey(ctx: Context, key: string): Promise<ResetKey | null> {
  const row = await ctx.db
    .selectFrom("token")
    .select(["id", "user_id", "email", "data", "expires_at", "used_at"])
    .where("token_hash", "=", sha256(key))
    .where("kind", "=", PASSWORD_RESET_KIND)
    .executeTakeFirst();
  if (!row || row.user_id === null || row.email === null) return null;
  if (row.used_at !== null || row.expires_at <= ctx.now()) return null;
  const user = await findUserById(ctx.db, row.user_id);
  if (!user?.isActive) return null;
  let data: Partial<ResetKeyData>;
  try {
    data = JSON.parse(row.data) as Partial<ResetKeyData>;
  } catch {
    return null;
  }
  if (typeof data.password !== "string" || !safeEqual(data.password, passwordFingerprint(user))) return null;
  return { id: row.id, user, email: row.email };
}

/** Marks the key used; false when a concurrent request redeemed it first. */
export async function claimResetKey(ctx: Context, id: number): Promise<boolean> {
  const result = await ctx.db
    .updateTable("token")
    .set({ used_at: ctx.now() })
    .where("id", "=", id)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
