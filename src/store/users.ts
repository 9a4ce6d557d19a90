import { type Kysely, sql } from "kysely";

import type { User } from "../core/wire.js";
import { isUniqueViolation } from "./database.js";
import {
  extraFrom,
  extraText,
  refreshSessionUsers,
  type SessionUser,
  type UserExtra,
} from "./session-users.js";
import type { Database } from "./tables.js";

/** A user as stored, with the password hash: for the flows that check or change the password. */
export interface UserRecord extends SessionUser {
  /** argon2id PHC string, or null when the user has no usable password. */
  password: string | null;
}

/**
 * The `User` object of the wire contract, with the user's extra fields beside the standard ones
 * (as an allauth adapter's serialize_user adds them); keys with "" or null are dropped, as allauth
 * does.
 */
export function toWireUser(user: SessionUser): User {
  const out: User = {
    ...withValues(user.extra),
    id: user.id,
    display: user.username || user.email || "user",
    has_usable_password: user.hasPassword,
  };
  if (user.email) out.email = user.email;
  if (user.username) out.username = user.username;
  return out;
}

function withValues(extra: UserExtra): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(extra).filter(([, v]) => v !== "" && v !== null && v !== undefined),
  );
}

/** A stored user as its sessions know it (without the password hash). */
export function sessionUser(user: UserRecord): SessionUser {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    hasPassword: user.hasPassword,
    isActive: user.isActive,
    extra: user.extra,
  };
}

export interface NewUser {
  username: string | null;
  /** A password hash, or null for no usable password. */
  password: string | null;
  /** The first address, stored primary. */
  email?: { address: string; verified: boolean };
  /** Extra signup fields (createLatchkey's signupFields). */
  extra?: UserExtra;
  /** Epoch ms. */
  now: number;
}

/** Why a new user could not be stored: the username or the address is taken. */
export type NewUserConflict = "username" | "email";

const userColumns = [
  "u.id",
  "u.username",
  "u.password",
  "u.is_active",
  "u.extra",
  "e.email",
  "e.verified",
] as const;

interface UserRow {
  id: number;
  username: string | null;
  password: string | null;
  is_active: number;
  extra: string | null;
  email: string | null;
  verified: number | null;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    password: row.password,
    hasPassword: row.password !== null,
    isActive: row.is_active === 1,
    email: row.email,
    emailVerified: row.verified === 1,
    extra: extraFrom(row.extra),
  };
}

/** The users table, with each user's primary address. */
export class Users {
  constructor(private readonly db: Kysely<Database>) {}

  private select(db: Kysely<Database> = this.db) {
    return db
      .selectFrom("user as u")
      .leftJoin("email_address as e", (join) =>
        join.onRef("e.user_id", "=", "u.id").on("e.is_primary", "=", sql.lit(1)),
      )
      .select(userColumns);
  }

  async findById(id: number): Promise<UserRecord | null> {
    const row = await this.select().where("u.id", "=", id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = await this.select().where("u.username_lower", "=", username.toLowerCase()).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /**
   * The account an address identifies: its primary or verified owner (an unverified secondary
   * address identifies nobody, so it cannot be used to log in to someone else's account).
   */
  async findByEmail(email: string): Promise<UserRecord | null> {
    const owner = await this.db
      .selectFrom("email_address")
      .select("user_id")
      .where("email_lower", "=", email.toLowerCase())
      .where((eb) => eb.or([eb("is_primary", "=", sql.lit(1)), eb("verified", "=", sql.lit(1))]))
      .orderBy("verified", "desc")
      .executeTakeFirst();
    return owner ? this.findById(owner.user_id) : null;
  }

  async usernameTaken(username: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("user")
      .select("id")
      .where("username_lower", "=", username.toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Which of the given usernames are taken (compared case-insensitively), lowercased. */
  async takenUsernames(usernames: readonly string[]): Promise<Set<string>> {
    if (usernames.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("user")
      .select("username_lower")
      .where(
        "username_lower",
        "in",
        usernames.map((u) => u.toLowerCase()),
      )
      .execute();
    return new Set(rows.map((r) => r.username_lower ?? ""));
  }

  /**
   * Stores a user and its first address together. The database's unique indexes settle races
   * between concurrent signups: the loser gets the conflict, and nothing half-written remains.
   */
  async create(user: NewUser): Promise<{ id: number } | { conflict: NewUserConflict }> {
    try {
      const id = await this.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("user")
          .values({
            username: user.username,
            username_lower: user.username?.toLowerCase() ?? null,
            password: user.password,
            date_joined: user.now,
            last_login: null,
            extra: extraText(user.extra),
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        if (user.email) {
          await trx
            .insertInto("email_address")
            .values({
              user_id: row.id,
              email: user.email.address,
              email_lower: user.email.address.toLowerCase(),
              verified: user.email.verified ? 1 : 0,
              is_primary: 1,
            })
            .execute();
        }
        return row.id;
      });
      return { id };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (user.username !== null && (await this.usernameTaken(user.username)))
        return { conflict: "username" };
      return { conflict: "email" };
    }
  }

  /**
   * Sets (or clears) the password. With `endSessionsExcept`, the user's sessions but the one kept
   * end in the same transaction: a changed password and the end of the sessions it protected go
   * together or not at all.
   */
  async setPassword(
    userId: number,
    hash: string | null,
    opts: { endSessionsExcept?: { keep: number | null } | undefined } = {},
  ): Promise<void> {
    const end = opts.endSessionsExcept;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("user").set({ password: hash }).where("id", "=", userId).execute();
      if (end) {
        let sessions = trx.deleteFrom("session").where("user_id", "=", userId);
        if (end.keep !== null) sessions = sessions.where("id", "!=", end.keep);
        await sessions.execute();
      }
      // Whether the user has a usable password is part of what its sessions show.
      await refreshSessionUsers(trx, userId);
    });
  }

  /**
   * Deactivates (or reactivates) a user. Deactivation ends the user's sessions in the same
   * transaction (their refresh tokens with them): an account deactivated because it was taken
   * over must not hand the taker's sessions back when it is reactivated. The login flows refuse
   * inactive users.
   */
  async setActive(userId: number, active: boolean): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("user")
        .set({ is_active: active ? 1 : 0 })
        .where("id", "=", userId)
        .execute();
      if (!active) await trx.deleteFrom("session").where("user_id", "=", userId).execute();
    });
  }

  /** Stamps a completed login (allauth `did_user_login` reads it). */
  async recordLogin(userId: number, now: number): Promise<void> {
    await this.db.updateTable("user").set({ last_login: now }).where("id", "=", userId).execute();
  }

  /** How mails name a user, and whether it ever completed a login (allauth `did_user_login`). */
  async mailProfile(userId: number): Promise<{ username: string | null; loggedInBefore: boolean } | null> {
    const row = await this.db
      .selectFrom("user")
      .select(["username", "last_login"])
      .where("id", "=", userId)
      .executeTakeFirst();
    return row ? { username: row.username, loggedInBefore: row.last_login !== null } : null;
  }
}
