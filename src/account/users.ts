import { type Kysely, sql } from "kysely";
import type { Database } from "../store/tables.js";

/** A user as the API needs it: the primary address comes along, since every auth response shows it. */
export interface UserRecord {
  id: number;
  username: string | null;
  /** argon2id PHC string, or null when the user has no usable password. */
  password: string | null;
  isActive: boolean;
  /** Primary email address. */
  email: string | null;
  emailVerified: boolean;
}

/** The `User` object of the wire contract; keys with "" or null are dropped, as allauth does. */
export interface UserResponse {
  id: number;
  display: string;
  email?: string;
  username?: string;
  has_usable_password: boolean;
}

export function serializeUser(user: UserRecord): UserResponse {
  const out: UserResponse = {
    id: user.id,
    display: user.username || user.email || "user",
    has_usable_password: user.password !== null,
  };
  if (user.email) out.email = user.email;
  if (user.username) out.username = user.username;
  return out;
}

const userColumns = ["u.id", "u.username", "u.password", "u.is_active", "e.email", "e.verified"] as const;

interface UserRow {
  id: number;
  username: string | null;
  password: string | null;
  is_active: number;
  email: string | null;
  verified: number | null;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    password: row.password,
    isActive: row.is_active === 1,
    email: row.email,
    emailVerified: row.verified === 1,
  };
}

function selectUsers(db: Kysely<Database>) {
  return db
    .selectFrom("user as u")
    .leftJoin("email_address as e", (join) =>
      join.onRef("e.user_id", "=", "u.id").on("e.is_primary", "=", sql.lit(1)),
    )
    .select(userColumns);
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRecord | null> {
  const row = await selectUsers(db).where("u.id", "=", id).executeTakeFirst();
  return row ? toRecord(row) : null;
}

export async function findUserByUsername(db: Kysely<Database>, username: string): Promise<UserRecord | null> {
  const row = await selectUsers(db).where("u.username_lower", "=", username.toLowerCase()).executeTakeFirst();
  return row ? toRecord(row) : null;
}

/**
 * The account an address identifies: its primary or verified owner (an unverified secondary
 * address identifies nobody, so it cannot be used to log in to someone else's account).
 */
export async function findUserByEmail(db: Kysely<Database>, email: string): Promise<UserRecord | null> {
  const owner = await db
    .selectFrom("email_address")
    .select("user_id")
    .where("email_lower", "=", email.toLowerCase())
    .where((eb) => eb.or([eb("is_primary", "=", sql.lit(1)), eb("verified", "=", sql.lit(1))]))
    .orderBy("verified", "desc")
    .executeTakeFirst();
  return owner ? findUserById(db, owner.user_id) : null;
}

export async function emailIsTaken(db: Kysely<Database>, email: string): Promise<boolean> {
  return (await findUserByEmail(db, email)) !== null;
}

export async function usernameIsTaken(db: Kysely<Database>, username: string): Promise<boolean> {
  const row = await db
    .selectFrom("user")
    .select("id")
    .where("username_lower", "=", username.toLowerCase())
    .executeTakeFirst();
  return row !== undefined;
}

export async function setPassword(db: Kysely<Database>, userId: number, hash: string | null): Promise<void> {
  await db.updateTable("user").set({ password: hash }).where("id", "=", userId).execute();
}
