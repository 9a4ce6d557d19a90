import type { Kysely } from "kysely";
import { AuthenticatorType } from "../core/enums.js";
import type { Database } from "../store/tables.js";

const ORDER = [AuthenticatorType.RECOVERY_CODES, AuthenticatorType.TOTP, AuthenticatorType.WEBAUTHN];

/** The authenticator types a user has, in allauth's enum order (what `types` lists). */
export async function authenticatorTypes(db: Kysely<Database>, userId: number): Promise<AuthenticatorType[]> {
  const rows = await db
    .selectFrom("authenticator")
    .select("type")
    .distinct()
    .where("user_id", "=", userId)
    .execute();
  const have = new Set(rows.map((r) => r.type));
  return ORDER.filter((t) => have.has(t));
}
