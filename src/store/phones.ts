import type { Kysely } from "kysely";
import { isUniqueViolation } from "./database.js";
import type { Database } from "./tables.js";

/** A user's phone number as stored (E.164). */
export interface StoredPhone {
  phone: string;
  verified: boolean;
}

/**
 * The phone_number table: at most one number per user. A verified number belongs to one account
 * (a partial unique index settles concurrent verifications); an unverified one is a claim that
 * several accounts may hold until one of them verifies it.
 */
export class PhoneNumbers {
  constructor(private readonly db: Kysely<Database>) {}

  /** The user's number (allauth adapter `get_phone`), or null. */
  async find(userId: number): Promise<StoredPhone | null> {
    const row = await this.db
      .selectFrom("phone_number")
      .select(["phone", "verified"])
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return row ? { phone: row.phone, verified: row.verified === 1 } : null;
  }

  /**
   * The account a number identifies (allauth adapter `get_user_by_phone`): the one that verified
   * it, else the first that claimed it; null when nobody holds it.
   */
  async ownerOf(phone: string): Promise<number | null> {
    const row = await this.db
      .selectFrom("phone_number")
      .select("user_id")
      .where("phone", "=", phone)
      .orderBy("verified", "desc")
      .orderBy("id")
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  /**
   * Sets the user's number, replacing the one it had (allauth adapter `set_phone`). False when
   * `verified` and another account verified the number first.
   */
  async set(userId: number, phone: string, verified: boolean): Promise<boolean> {
    const flag = verified ? 1 : 0;
    try {
      await this.db
        .insertInto("phone_number")
        .values({ user_id: userId, phone, verified: flag })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ phone, verified: flag }))
        .execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }
}
