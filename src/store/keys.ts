import type { Kysely } from "kysely";
import { randomToken, sha256 } from "../core/crypto.js";
import type { Database } from "./tables.js";

/** A stored key that may still be used. */
export interface KeyRow {
  id: number;
  userId: number;
  email: string | null;
  data: Record<string, unknown>;
  expiresAt: number;
}

function parseData(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** What a new key is for: its user and address, its own data, when it is made and how long it lives. */
export interface NewKey {
  userId: number;
  email: string | null;
  data?: Record<string, unknown>;
  /** Epoch ms. */
  now: number;
  ttlMs: number;
}

/**
 * Secrets handed to people or browsers and redeemed later: email verification and password
 * reset keys (mailed links), and trusted-browser tokens (a cookie). A key is 256 random bits; only
 * its SHA-256 is stored, with its kind, user, address, expiry and whether it was used.
 */
export class KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Stores a new key for the user and returns it. The user's dead keys of the kind (expired or
   * used) go on the way, so the table does not grow with every request.
   */
  async issue(kind: string, init: NewKey): Promise<string> {
    const key = randomToken();
    await this.db
      .deleteFrom("token")
      .where("user_id", "=", init.userId)
      .where("kind", "=", kind)
      .where((eb) => eb.or([eb("expires_at", "<=", init.now), eb("used_at", "is not", null)]))
      .execute();
    await this.insert(kind, key, init);
    return key;
  }

  /**
   * For an unknown address: the same writes as issuing a real key of the kind (a delete, an
   * insert), on a row nobody can redeem (no user, already used and expired), so a request for an
   * unknown address costs what one for a known address does. Earlier decoys go with the delete.
   */
  async issueDecoy(kind: string, now: number): Promise<void> {
    await this.db.deleteFrom("token").where("user_id", "is", null).where("kind", "=", kind).execute();
    await this.db
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

  /** The key's row if it is unused and unexpired. */
  async find(kind: string, key: string, now: number): Promise<KeyRow | null> {
    const row = await this.db
      .selectFrom("token")
      .select(["id", "user_id", "email", "data", "expires_at"])
      .where("token_hash", "=", sha256(key))
      .where("kind", "=", kind)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (!row || row.user_id === null) return null;
    return {
      id: row.id,
      userId: row.user_id,
      email: row.email,
      data: parseData(row.data),
      expiresAt: row.expires_at,
    };
  }

  /** The unexpired keys among `keys` (trusted-browser tokens), by the index of each in `keys`. */
  async findMany(kind: string, keys: readonly string[], now: number): Promise<Map<number, KeyRow>> {
    const found = new Map<number, KeyRow>();
    if (keys.length === 0) return found;
    const hashes = keys.map((k) => sha256(k));
    const rows = await this.db
      .selectFrom("token")
      .select(["id", "token_hash", "user_id", "email", "data", "expires_at"])
      .where("kind", "=", kind)
      .where("token_hash", "in", hashes)
      .where("expires_at", ">", now)
      .execute();
    for (const row of rows) {
      if (row.user_id === null) continue;
      found.set(hashes.indexOf(row.token_hash), {
        id: row.id,
        userId: row.user_id,
        email: row.email,
        data: parseData(row.data),
        expiresAt: row.expires_at,
      });
    }
    return found;
  }

  /** Marks a key used; false when a concurrent request used it first. */
  async claim(id: number, now: number, db: Kysely<Database> = this.db): Promise<boolean> {
    const result = await db
      .updateTable("token")
      .set({ used_at: now })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Stores a key as given (a trust token), after removing the user's expired keys and the given ones. */
  async replace(kind: string, key: string, init: NewKey, superseded: readonly number[]): Promise<void> {
    await this.db
      .deleteFrom("token")
      .where("kind", "=", kind)
      .where("user_id", "=", init.userId)
      .where((eb) =>
        superseded.length > 0
          ? eb.or([eb("expires_at", "<=", init.now), eb("id", "in", [...superseded])])
          : eb("expires_at", "<=", init.now),
      )
      .execute();
    await this.insert(kind, key, init);
  }

  /** Removes keys past their expiry; run periodically. */
  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom("token").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async insert(kind: string, key: string, init: NewKey): Promise<void> {
    await this.db
      .insertInto("token")
      .values({
        kind,
        token_hash: sha256(key),
        user_id: init.userId,
        email: init.email,
        data: JSON.stringify(init.data ?? {}),
        created_at: init.now,
        expires_at: init.now + init.ttlMs,
        used_at: null,
      })
      .execute();
  }
}
