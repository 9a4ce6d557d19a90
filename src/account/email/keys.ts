import { randomToken, sha256 } from "../../core/crypto.js";
import type { Context } from "../../http/context.js";
import { issueDecoyKey } from "../decoy-keys.js";
import type { AddressRow } from "./addresses.js";

/** `token.kind` of email verification link keys. */
export const EMAIL_VERIFICATION_KIND = "email_verification";

/**
 * Stores a new link key for one of the user's addresses and returns it (only its hash is kept).
 * The user's dead keys (expired or used) are cleared on the way.
 */
export async function issueVerificationKey(ctx: Context, userId: number, email: string): Promise<string> {
  const key = randomToken();
  const now = ctx.now();
  await ctx.db
    .deleteFrom("token")
    .where("user_id", "=", userId)
    .where("kind", "=", EMAIL_VERIFICATION_KIND)
    .where((eb) => eb.or([eb("expires_at", "<=", now), eb("used_at", "is not", null)]))
    .execute();
  await ctx.db
    .insertInto("token")
    .values({
      kind: EMAIL_VERIFICATION_KIND,
      token_hash: sha256(key),
      user_id: userId,
      email: email.toLowerCase(),
      data: "{}",
      created_at: now,
      expires_at: now + ctx.options.account.emailConfirmationExpireDays * 86_400_000,
      used_at: null,
    })
    .execute();
  return key;
}

/** The enumeration decoy of this kind of key (see issueDecoyKey). */
export function issueDecoyVerificationKey(ctx: Context): Promise<void> {
  return issueDecoyKey(ctx, EMAIL_VERIFICATION_KIND);
}

/** A link key that is still good, and the unverified address it is for. */
export interface VerificationKey {
  tokenId: number;
  address: AddressRow;
}

/**
 * Looks a key up by its hash: unused, unexpired, and naming an address its user still has
 * unverified (as allauth's HMAC keys only resolve to unverified addresses).
 */
export async function findVerificationKey(ctx: Context, key: string): Promise<VerificationKey | null> {
  const row = await ctx.db
    .selectFrom("token")
    .select(["id", "user_id", "email"])
    .where("token_hash", "=", sha256(key))
    .where("kind", "=", EMAIL_VERIFICATION_KIND)
    .where("used_at", "is", null)
    .where("expires_at", ">", ctx.now())
    .executeTakeFirst();
  if (!row || row.user_id === null || row.email === null) return null;
  const address = await ctx.db
    .selectFrom("email_address")
    .selectAll()
    .where("user_id", "=", row.user_id)
    .where("email_lower", "=", row.email)
    .where("verified", "=", 0)
    .executeTakeFirst();
  return address ? { tokenId: row.id, address } : null;
}
