import type { Kysely, Selectable } from "kysely";
import { isUniqueViolation } from "./database.js";
import type { AuthenticatorTable, Database } from "./tables.js";

/** One row of the authenticator table as stored (`data` is JSON; times are epoch ms). */
export type AuthenticatorRow = Selectable<AuthenticatorTable>;

/** Recovery codes are a fallback, not a factor: they go when the last other authenticator goes. */
const RECOVERY_CODES = "recovery_codes";

/**
 * The authenticator table (MFA's TOTP, recovery codes, WebAuthn credentials). Single-use secrets
 * are spent by compare-and-swap on the row's JSON, so two concurrent requests cannot both spend
 * one; one TOTP and one set of recovery codes per user is a unique index.
 */
export class Authenticators {
  constructor(private readonly db: Kysely<Database>) {}

  /** The distinct types a user has. */
  async types(userId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("authenticator")
      .select("type")
      .distinct()
      .where("user_id", "=", userId)
      .execute();
    return rows.map((r) => r.type);
  }

  /** A user's authenticators (of one type), oldest first (allauth lists them in primary-key order). */
  list(userId: number, type?: string): Promise<AuthenticatorRow[]> {
    let query = this.db.selectFrom("authenticator").selectAll().where("user_id", "=", userId);
    if (type !== undefined) query = query.where("type", "=", type);
    return query.orderBy("id").execute();
  }

  /** The user's authenticator of a type that exists at most once (TOTP, recovery codes). */
  async find(userId: number, type: string): Promise<AuthenticatorRow | null> {
    return (await this.list(userId, type))[0] ?? null;
  }

  /** Whether the user has any authenticator besides recovery codes (a second factor). */
  async hasSecondFactor(userId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom("authenticator")
      .select("id")
      .where("user_id", "=", userId)
      .where("type", "!=", RECOVERY_CODES)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Stores a new authenticator; null when the user may have only one of its type and has it. */
  async insert(userId: number, type: string, data: object, now: number): Promise<AuthenticatorRow | null> {
    try {
      return await insertRow(this.db, userId, type, data, now);
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * Replaces the user's authenticator of a type with a new one, in one transaction (regenerated
   * recovery codes); null when a concurrent replacement won.
   */
  async replace(userId: number, type: string, data: object, now: number): Promise<AuthenticatorRow | null> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("authenticator")
          .where("user_id", "=", userId)
          .where("type", "=", type)
          .execute();
        return insertRow(trx, userId, type, data, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * Replaces a row's data only if nobody changed it since it was read (compare-and-swap on the
   * whole JSON text), optionally stamping its use. False: the row changed or is gone.
   */
  async swapData(
    row: Pick<AuthenticatorRow, "id" | "data">,
    data: object,
    lastUsedAt?: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("authenticator")
      .set(
        lastUsedAt === undefined
          ? { data: JSON.stringify(data) }
          : { data: JSON.stringify(data), last_used_at: lastUsedAt },
      )
      .where("id", "=", row.id)
      .where("data", "=", row.data)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Deletes some of a user's authenticators (by ids within a type, or the whole type), then the
   * recovery codes if no second factor is left for them to back up (allauth
   * `delete_and_cleanup`), in one transaction.
   */
  async remove(userId: number, which: { type: string; ids?: readonly number[] }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      let query = trx
        .deleteFrom("authenticator")
        .where("user_id", "=", userId)
        .where("type", "=", which.type);
      if (which.ids) query = query.where("id", "in", [...which.ids]);
      await query.execute();
      const left = await trx
        .selectFrom("authenticator")
        .select("id")
        .where("user_id", "=", userId)
        .where("type", "!=", RECOVERY_CODES)
        .executeTakeFirst();
      if (!left) {
        await trx
          .deleteFrom("authenticator")
          .where("user_id", "=", userId)
          .where("type", "=", RECOVERY_CODES)
          .execute();
      }
    });
  }
}

function insertRow(
  db: Kysely<Database>,
  userId: number,
  type: string,
  data: object,
  now: number,
): Promise<AuthenticatorRow> {
  return db
    .insertInto("authenticator")
    .values({ user_id: userId, type, data: JSON.stringify(data), created_at: now, last_used_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}
