import type { Kysely, Selectable } from "kysely";
import { isRecentlyAuthenticated, reauthenticationRequired } from "../account/auth-state.js";
import type { UserRecord } from "../account/users.js";
import { AuthenticatorType } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { Context } from "../http/context.js";
import type { AuthenticatorTable, Database } from "../store/tables.js";

const ORDER = [AuthenticatorType.RECOVERY_CODES, AuthenticatorType.TOTP, AuthenticatorType.WEBAUTHN];

/** allauth's MFA adapter messages (`DefaultMFAAdapter.error_messages`). */
export const mfaMessages = {
  unverified_email:
    "You cannot activate two-factor authentication until you have verified your email address.",
  cannot_generate_recovery_codes:
    "You cannot generate recovery codes without having two-factor authentication enabled.",
  cannot_delete_authenticator: "You cannot deactivate two-factor authentication.",
  incorrect_code: "Incorrect code.",
} as const;

/** One row of the authenticator table as stored (`data` is JSON; times are epoch ms). */
export type AuthenticatorRow = Selectable<AuthenticatorTable>;

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

/** Every authenticator of a user, oldest first (allauth lists them in primary-key order). */
export async function loadAuthenticators(db: Kysely<Database>, userId: number): Promise<AuthenticatorRow[]> {
  return db.selectFrom("authenticator").selectAll().where("user_id", "=", userId).orderBy("id").execute();
}

/** The user's authenticator of a type that exists at most once (TOTP, recovery codes). */
export async function findAuthenticator(
  db: Kysely<Database>,
  userId: number,
  type: AuthenticatorType,
): Promise<AuthenticatorRow | null> {
  const row = await db
    .selectFrom("authenticator")
    .selectAll()
    .where("user_id", "=", userId)
    .where("type", "=", type)
    .orderBy("id")
    .executeTakeFirst();
  return row ?? null;
}

/** The row's `data` JSON (an empty object if unreadable, so a damaged row never causes a 500). */
export function authenticatorData<T extends object>(row: Pick<AuthenticatorRow, "data">): Partial<T> {
  try {
    const value: unknown = JSON.parse(row.data);
    return value !== null && typeof value === "object" ? (value as Partial<T>) : {};
  } catch {
    return {};
  }
}

/**
 * Replaces a row's data only if nobody changed it since it was read (compare-and-swap on the
 * whole JSON text). Single-use secrets (recovery codes, TOTP steps) are spent through this, so
 * two concurrent requests cannot both spend the same one. False: the row changed or is gone.
 */
export async function swapAuthenticatorData(
  db: Kysely<Database>,
  row: Pick<AuthenticatorRow, "id" | "data">,
  data: object,
  lastUsedAt?: number,
): Promise<boolean> {
  const result = await db
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

/** allauth `Authenticator.record_usage`: stamps `last_used_at`. */
export async function recordAuthenticatorUse(db: Kysely<Database>, id: number, now: number): Promise<void> {
  await db.updateTable("authenticator").set({ last_used_at: now }).where("id", "=", id).execute();
}

/**
 * allauth `delete_dangling_recovery_codes`: recovery codes alone are no second factor, so they
 * go when the last other authenticator goes. Returns whether any were deleted.
 */
export async function deleteDanglingRecoveryCodes(db: Kysely<Database>, userId: number): Promise<boolean> {
  const others = await db
    .selectFrom("authenticator")
    .select("id")
    .where("user_id", "=", userId)
    .where("type", "!=", AuthenticatorType.RECOVERY_CODES)
    .executeTakeFirst();
  if (others) return false;
  const result = await db
    .deleteFrom("authenticator")
    .where("user_id", "=", userId)
    .where("type", "=", AuthenticatorType.RECOVERY_CODES)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** allauth's float Unix timestamp of an epoch-ms time. */
export function toUnixSeconds(ms: number): number {
  return ms / 1000;
}

/** Recovery-codes data as stored (see recovery-codes.ts for the design). */
export interface RecoveryCodesData {
  /** SHA-256 (base64url) of each code, in generation order; null once the code is used. */
  hashes: (string | null)[];
  /** The unused codes in clear, only while they may still be shown. */
  codes?: string[];
  /** Epoch ms of the first view (MFA_RECOVERY_CODES_SHOW_ONCE). */
  viewed_at?: number;
}

/** WebAuthn data keys this module reads (the WebAuthn area owns the rest). */
interface WebAuthnDataView {
  name?: string;
  passwordless?: boolean | null;
}

/**
 * An authenticator as the API shows it (ALLAUTH-BEHAVIOUR §4.3). `unusedCodes` is given only
 * by the recovery-codes endpoints; lists never show codes.
 */
export function serializeAuthenticator(
  row: AuthenticatorRow,
  opts: { unusedCodes?: string[] } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: row.type,
    created_at: toUnixSeconds(row.created_at),
    last_used_at: row.last_used_at === null ? null : toUnixSeconds(row.last_used_at),
  };
  if (row.type === AuthenticatorType.RECOVERY_CODES) {
    const hashes = authenticatorData<RecoveryCodesData>(row).hashes ?? [];
    out.total_code_count = hashes.length;
    out.unused_code_count = hashes.filter((h) => h !== null).length;
    if (opts.unusedCodes) out.unused_codes = opts.unusedCodes;
  } else if (row.type === AuthenticatorType.WEBAUTHN) {
    const data = authenticatorData<WebAuthnDataView>(row);
    out.id = row.id;
    out.name = data.name ?? "";
    if (typeof data.passwordless === "boolean") out.is_passwordless = data.passwordless;
  }
  return out;
}

/**
 * The 401 reauthentication answer when the session's last authentication is not recent, else
 * null. allauth requires it to add, remove or view authenticators and recovery codes.
 */
export async function requireReauthentication(ctx: Context): Promise<Result | null> {
  return (await isRecentlyAuthenticated(ctx)) ? null : reauthenticationRequired(ctx);
}

/** Whether any of the user's email addresses is unverified (allauth `validate_can_add_authenticator`). */
export async function hasUnverifiedEmail(db: Kysely<Database>, userId: number): Promise<boolean> {
  const row = await db
    .selectFrom("email_address")
    .select("id")
    .where("user_id", "=", userId)
    .where("verified", "=", 0)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Whether the user may add an authenticator: not while an address is unverified (an attacker who
 * signed up with someone else's address could otherwise lock its owner out), unless
 * mfa.allowUnverifiedEmail.
 */
export async function canAddAuthenticator(ctx: Context, user: UserRecord): Promise<boolean> {
  if (ctx.options.mfa.allowUnverifiedEmail) return true;
  return !(await hasUnverifiedEmail(ctx.db, user.id));
}
