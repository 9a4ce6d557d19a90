import type { Kysely } from "kysely";
import type { Context } from "../../http/context.js";
import type { Database } from "../../store/tables.js";

/** One row of `email_address`, booleans as stored (0/1). */
export interface AddressRow {
  id: number;
  user_id: number;
  email: string;
  email_lower: string;
  verified: number;
  is_primary: number;
}

/** An entry of GET /account/email (allauth `email_address_data`). */
export interface AddressResponse {
  email: string;
  verified: boolean;
  primary: boolean;
}

export function addressResponse(row: Pick<AddressRow, "email" | "verified" | "is_primary">): AddressResponse {
  return { email: row.email, verified: row.verified === 1, primary: row.is_primary === 1 };
}

/** The user's addresses in the order they were added (allauth lists them by primary key). */
export function userAddresses(db: Kysely<Database>, userId: number): Promise<AddressRow[]> {
  return db.selectFrom("email_address").selectAll().where("user_id", "=", userId).orderBy("id").execute();
}

/** The user's row for an address (compared case-insensitively, as allauth's `get_for_user`). */
export function userAddress(
  db: Kysely<Database>,
  userId: number,
  email: string,
): Promise<AddressRow | undefined> {
  return db
    .selectFrom("email_address")
    .selectAll()
    .where("user_id", "=", userId)
    .where("email_lower", "=", email.toLowerCase())
    .executeTakeFirst();
}

/** Every row of an address, whoever holds it (allauth `filter_users_by_email`). */
export function addressHolders(db: Kysely<Database>, email: string): Promise<AddressRow[]> {
  return db.selectFrom("email_address").selectAll().where("email_lower", "=", email.toLowerCase()).execute();
}

/**
 * allauth `EmailAddress.can_set_verified`: the address may become verified for `userId` unless
 * another account already verified it (a database index holds the same rule, for races).
 */
export async function verifiedByAnotherAccount(
  db: Kysely<Database>,
  email: string,
  userId: number | null,
): Promise<boolean> {
  let query = db
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
export async function hasVerifiedEmail(
  db: Kysely<Database>,
  userId: number,
  email: string | undefined,
): Promise<boolean> {
  let query = db
    .selectFrom("email_address")
    .select("id")
    .where("user_id", "=", userId)
    .where("verified", "=", 1);
  if (email !== undefined) query = query.where("email_lower", "=", email.toLowerCase());
  return (await query.executeTakeFirst()) !== undefined;
}

/**
 * Security notification mails (allauth `send_notification_mail`): only with
 * account.emailNotifications, with where the change came from.
 */
export async function notify(
  ctx: Context,
  to: string | null | undefined,
  template: "email_added" | "email_deleted" | "email_changed",
  params: { email?: string; from?: string; to?: string },
): Promise<void> {
  if (!ctx.options.account.emailNotifications || !to) return;
  await ctx.rt.mailer.sendTemplate(to, template, {
    ...params,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    timestamp: new Date(ctx.now()),
  });
}
