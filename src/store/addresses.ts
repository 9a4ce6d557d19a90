import type { Kysely } from "kysely";
import { isUniqueViolation } from "./database.js";
import { refreshSessionUsers } from "./session-users.js";
import type { Database } from "./tables.js";

/** One row of `email_address`, booleans as stored (0/1). */
export interface AddressRow {
  id: number;
  user_id: number;
  email: string;
  email_lower: string;
  verified: number;
  is_primary: number;
}

/** What verifying an address did (see EmailAddresses.verify). */
export type VerifyOutcome =
  /** `added`: the address was stored by this verification (a code-mode addition). */
  | { ok: true; replaced: AddressRow[]; added: boolean }
  /** Another account verified (or holds as primary) the same address meanwhile. */
  | { ok: false; reason: "taken" }
  /** The address (or the key that named it) is gone. */
  | { ok: false; reason: "gone" };

/** Thrown inside a transaction to undo it. */
class Undo extends Error {}

/**
 * The email_address table. Uniqueness across accounts is the database's: an address that
 * identifies an account (primary or verified) exists once (partial unique indexes), so races
 * between accounts end in a unique violation, answered as "taken".
 */
export class EmailAddresses {
  constructor(private readonly db: Kysely<Database>) {}

  /** The user's addresses in the order they were added (allauth lists them by primary key). */
  list(userId: number): Promise<AddressRow[]> {
    return this.db
      .selectFrom("email_address")
      .selectAll()
      .where("user_id", "=", userId)
      .orderBy("id")
      .execute();
  }

  /** The user's row for an address (compared case-insensitively, as allauth's `get_for_user`). */
  find(userId: number, email: string): Promise<AddressRow | undefined> {
    return this.db
      .selectFrom("email_address")
      .selectAll()
      .where("user_id", "=", userId)
      .where("email_lower", "=", email.toLowerCase())
      .executeTakeFirst();
  }

  /** Every row of an address, whoever holds it (allauth `filter_users_by_email`). */
  holders(email: string): Promise<AddressRow[]> {
    return this.db
      .selectFrom("email_address")
      .selectAll()
      .where("email_lower", "=", email.toLowerCase())
      .execute();
  }

  /**
   * allauth `EmailAddress.can_set_verified`, negated: whether another account than `userId`
   * (any account, for null) already verified the address.
   */
  async verifiedByAnother(email: string, userId: number | null): Promise<boolean> {
    let query = this.db
      .selectFrom("email_address")
      .select("id")
      .where("email_lower", "=", email.toLowerCase())
      .where("verified", "=", 1);
    if (userId !== null) query = query.where("user_id", "<>", userId);
    return (await query.executeTakeFirst()) !== undefined;
  }

  /**
   * allauth `has_verified_email(user, email)`: with an address, whether that one of the user's is
   * verified; without, whether any of them is.
   */
  async hasVerified(userId: number, email?: string): Promise<boolean> {
    let query = this.db
      .selectFrom("email_address")
      .select("id")
      .where("user_id", "=", userId)
      .where("verified", "=", 1);
    if (email !== undefined) query = query.where("email_lower", "=", email.toLowerCase());
    return (await query.executeTakeFirst()) !== undefined;
  }

  /** Whether any of the user's addresses is unverified. */
  async hasUnverified(userId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom("email_address")
      .select("id")
      .where("user_id", "=", userId)
      .where("verified", "=", 0)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Marks the user's copy of an address verified (allauth `verify_email_indirectly`: a code or key
   * received there proves it). When another account already holds it verified, nothing changes.
   */
  async markVerified(userId: number, email: string): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("email_address")
          .set({ verified: 1 })
          .where("user_id", "=", userId)
          .where("email_lower", "=", email.toLowerCase())
          .where("verified", "=", 0)
          .execute();
        await refreshSessionUsers(trx, userId);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  /** Adds an unverified secondary address; false when the user has it already (a concurrent add). */
  async addUnverified(userId: number, email: string): Promise<boolean> {
    try {
      await this.db
        .insertInto("email_address")
        .values({ user_id: userId, email, email_lower: email.toLowerCase(), verified: 0, is_primary: 0 })
        .execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /** Replaces the address of a row (allauth's change-email mode); false on a duplicate. */
  async rename(addressId: number, email: string): Promise<boolean> {
    try {
      await this.db
        .updateTable("email_address")
        .set({ email, email_lower: email.toLowerCase() })
        .where("id", "=", addressId)
        .execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /**
   * A signup's unverified address gives way to a new one (primary unless a verified one is);
   * false when another account holds the new one.
   */
  async replaceUnverified(userId: number, email: string): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("email_address")
          .where("user_id", "=", userId)
          .where("verified", "=", 0)
          .execute();
        const primary = await trx
          .selectFrom("email_address")
          .select("id")
          .where("user_id", "=", userId)
          .where("is_primary", "=", 1)
          .executeTakeFirst();
        await trx
          .insertInto("email_address")
          .values({
            user_id: userId,
            email,
            email_lower: email.toLowerCase(),
            verified: 0,
            is_primary: primary ? 0 : 1,
          })
          .execute();
        await refreshSessionUsers(trx, userId);
      });
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /** Makes one of the user's addresses the primary one; false when another account holds it as primary. */
  async setPrimary(userId: number, addressId: number): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.updateTable("email_address").set({ is_primary: 0 }).where("user_id", "=", userId).execute();
        await trx.updateTable("email_address").set({ is_primary: 1 }).where("id", "=", addressId).execute();
        await refreshSessionUsers(trx, userId);
      });
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /** Removes an address and the verification keys mailed to it. */
  async remove(address: AddressRow, keyKind: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("email_address").where("id", "=", address.id).execute();
      await trx
        .deleteFrom("token")
        .where("user_id", "=", address.user_id)
        .where("kind", "=", keyKind)
        .where("email", "=", address.email_lower)
        .execute();
      await refreshSessionUsers(trx, address.user_id);
    });
  }

  /**
   * allauth `verify_email`: marks the user's address verified, storing it first when it is not
   * (verification by code keeps an added address out of the table until it is proven). It
   * becomes primary when the user has none, or always with `changeEmail`, which also removes the
   * user's other addresses (returned, for the `email_changed` mail). `claim` runs first in the
   * same transaction (spending the link key); false from it undoes everything ("gone").
   */
  async verify(
    userId: number,
    email: string,
    opts: { changeEmail: boolean; mustExist: boolean; claim?: (trx: Kysely<Database>) => Promise<boolean> },
  ): Promise<VerifyOutcome> {
    const emailLower = email.toLowerCase();
    try {
      let added = false;
      const replaced = await this.db.transaction().execute(async (trx) => {
        if (opts.claim && !(await opts.claim(trx))) throw new Undo();
        const rows = await trx
          .selectFrom("email_address")
          .selectAll()
          .where("user_id", "=", userId)
          .orderBy("id")
          .execute();
        let address = rows.find((r) => r.email_lower === emailLower);
        if (!address) {
          if (opts.mustExist) throw new Undo();
          const inserted = await trx
            .insertInto("email_address")
            .values({ user_id: userId, email, email_lower: emailLower, verified: 0, is_primary: 0 })
            .returningAll()
            .executeTakeFirstOrThrow();
          address = inserted;
          added = true;
        }
        const target = address;
        const others = rows.filter((r) => r.id !== target.id);
        const primary = rows.find((r) => r.is_primary === 1);
        if (primary && primary.id !== target.id && opts.changeEmail) {
          await trx
            .updateTable("email_address")
            .set({ is_primary: 0 })
            .where("id", "=", primary.id)
            .execute();
        }
        const makePrimary = opts.changeEmail || !primary || primary.id === target.id;
        await trx
          .updateTable("email_address")
          .set({ verified: 1, ...(makePrimary ? { is_primary: 1 } : {}) })
          .where("id", "=", target.id)
          .execute();
        const replaced = opts.changeEmail ? others : [];
        if (replaced.length > 0) {
          await trx
            .deleteFrom("email_address")
            .where(
              "id",
              "in",
              replaced.map((r) => r.id),
            )
            .execute();
        }
        await refreshSessionUsers(trx, userId);
        return replaced;
      });
      return { ok: true, replaced, added };
    } catch (err) {
      if (err instanceof Undo) return { ok: false, reason: "gone" };
      if (isUniqueViolation(err)) return { ok: false, reason: "taken" };
      throw err;
    }
  }
}
