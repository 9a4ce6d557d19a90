import { randomToken, sha256 } from "../core/crypto.js";
import type { Context } from "../http/context.js";

/**
 * For an unknown address: the same writes as issuing a real mailed key of this kind (a delete,
 * an insert), on a row nobody can redeem (no user, already used and expired), so a request for an
 * unknown address costs what one for a known address does. Earlier decoys go with the delete.
 */
export async function issueDecoyKey(ctx: Context, kind: string): Promise<void> {
  const now = ctx.now();
  await ctx.db.deleteFrom("token").where("user_id", "is", null).where("kind", "=", kind).execute();
  await ctx.db
    .insertInto("token")
    .values({
      kind,
      token_hash: sha256(randomToken()),
      user_id: null,
      email: null,
      data: "{}",
      created_at: now,
      expires_at: now,
      used_at: now,
    })
    .execute();
}
