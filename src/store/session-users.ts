import { type Kysely, sql } from "kysely";
import type { Database } from "./tables.js";

/**
 * Who is logged in, as every request knows it: what the answers show of the user, and whether it
 * may still log in. A copy is kept in each of the user's session rows, so that a session check is
 * one read; the writes that change any of it refresh the copies (see session-users.ts).
 */
export interface SessionUser {
  id: number;
  username: string | null;
  /** Primary email address. */
  email: string | null;
  emailVerified: boolean;
  hasPassword: boolean;
  isActive: boolean;
  /** The extra signup fields stored with the user (createLatchkey's signupFields); {} when none. */
  extra: UserExtra;
}

/** Extra fields of a user, by name: whatever your signupFields schema made of the signup's input. */
export type UserExtra = Readonly<Record<string, unknown>>;

/** A stored `extra` column read back: a JSON object, else {}. */
export function extraFrom(text: string | null | undefined): UserExtra {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as UserExtra) : {};
  } catch {
    return {};
  }
}

/** Extra fields as stored: null when there are none. */
export function extraText(extra: UserExtra | undefined): string | null {
  return extra && Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
}

/** The copy kept in a session row (`user_data`), as JSON. */
export function snapshotOf(user: SessionUser): string {
  return JSON.stringify({
    username: user.username,
    email: user.email,
    emailVerified: user.emailVerified,
    hasPassword: user.hasPassword,
    isActive: user.isActive,
    ...(Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
  });
}

/** A session row's copy read back; null when it is missing or unreadable. */
export function snapshotFrom(userId: number, text: string | null): SessionUser | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<Omit<SessionUser, "id">>;
    const extra = v.extra;
    return {
      id: userId,
      username: typeof v.username === "string" ? v.username : null,
      email: typeof v.email === "string" ? v.email : null,
      emailVerified: v.emailVerified === true,
      hasPassword: v.hasPassword === true,
      isActive: v.isActive === true,
      extra: typeof extra === "object" && extra !== null && !Array.isArray(extra) ? extra : {},
    };
  } catch {
    return null;
  }
}

/**
 * Writes the user's current state into every one of its session rows. Called by each write that
 * changes what SessionUser holds (password set or cleared, primary address changed or verified,
 * account deactivated, extra fields changed), in the write's transaction where it has one.
 */
export async function refreshSessionUsers(db: Kysely<Database>, userId: number): Promise<void> {
  const row = await db
    .selectFrom("user as u")
    .leftJoin("email_address as e", (join) =>
      join.onRef("e.user_id", "=", "u.id").on("e.is_primary", "=", sql.lit(1)),
    )
    .select(["u.username", "u.password", "u.is_active", "u.extra", "e.email", "e.verified"])
    .where("u.id", "=", userId)
    .executeTakeFirst();
  const data = row
    ? snapshotOf({
        id: userId,
        username: row.username,
        email: row.email,
        emailVerified: row.verified === 1,
        hasPassword: row.password !== null,
        isActive: row.is_active === 1,
        extra: extraFrom(row.extra),
      })
    : null;
  await db.updateTable("session").set({ user_data: data }).where("user_id", "=", userId).execute();
}
