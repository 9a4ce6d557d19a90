import type { Kysely } from "kysely";
import { unauthenticated } from "../account/auth-state.js";
import { randomString, safeEqual, sha256 } from "../core/crypto.js";
import { AuthenticatorType } from "../core/enums.js";
import { apiError } from "../core/errors.js";
import { badRequest, conflict, notFound, ok, type Result } from "../core/responses.js";
import type { Context } from "../http/context.js";
import { isUniqueViolation } from "../store/database.js";
import type { Database } from "../store/tables.js";
import {
  type AuthenticatorRow,
  authenticatorData,
  findAuthenticator,
  mfaMessages,
  type RecoveryCodesData,
  requireReauthentication,
  serializeAuthenticator,
  swapAuthenticatorData,
} from "./authenticators.js";

/*
 * Storage of recovery codes. Each code is checked against its SHA-256 only (constant-time), and
 * a used code's hash is cleared, so it works once. Showing codes again needs them in clear:
 * - with mfa.recoveryCodes.showOnce, the clear copy lives only until the first view
 *   (GET), as allauth shows them then and never again; after that only hashes remain;
 * - without it, allauth shows the unused codes on every view, so the clear copy of the unused
 *   codes stays in the row, as allauth keeps its code seed. That is a deliberate trade-off:
 *   turn showOnce on to keep nothing usable at rest.
 */

/** `count` distinct codes of `digits` decimal digits from the CSPRNG. */
export function generateRecoveryCodes(count: number, digits: number): string[] {
  const codes = new Set<string>();
  while (codes.size < count) codes.add(randomString(digits, "0123456789"));
  return [...codes];
}

async function insertRecoveryCodes(
  db: Kysely<Database>,
  ctx: Context,
  userId: number,
): Promise<{ row: AuthenticatorRow; codes: string[] }> {
  const { count, digits } = ctx.options.mfa.recoveryCodes;
  const codes = generateRecoveryCodes(count, digits);
  const data: RecoveryCodesData = { hashes: codes.map((c) => sha256(c)), codes };
  const row = await db
    .insertInto("authenticator")
    .values({
      user_id: userId,
      type: AuthenticatorType.RECOVERY_CODES,
      data: JSON.stringify(data),
      created_at: ctx.now(),
      last_used_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, codes };
}

/**
 * allauth `auto_generate_recovery_codes`: when another authenticator is added, recovery codes
 * are set up too if they are a supported type and the user has none. Returns whether it made them
 * (WebAuthn's `meta.recovery_codes_generated`).
 */
export async function autoGenerateRecoveryCodes(ctx: Context, userId: number): Promise<boolean> {
  if (!ctx.options.mfa.supportedTypes.includes(AuthenticatorType.RECOVERY_CODES)) return false;
  if (await findAuthenticator(ctx.db, userId, AuthenticatorType.RECOVERY_CODES)) return false;
  try {
    await insertRecoveryCodes(ctx.db, ctx, userId);
  } catch (err) {
    // A concurrent request made them first (one set per user, enforced by a unique index).
    if (isUniqueViolation(err)) return false;
    throw err;
  }
  return true;
}

/**
 * Checks a recovery code and spends it. True when it was an unused code of this authenticator.
 * Every stored hash is compared, so timing does not reveal which code (or whether any) matched.
 */
export async function verifyRecoveryCode(
  ctx: Context,
  row: AuthenticatorRow,
  code: string,
): Promise<boolean> {
  const hashed = sha256(code);
  let current = row;
  for (let attempt = 0; attempt < 3; attempt++) {
    const data = authenticatorData<RecoveryCodesData>(current);
    const hashes = Array.isArray(data.hashes) ? data.hashes : [];
    let index = -1;
    hashes.forEach((h, i) => {
      if (h !== null && safeEqual(h, hashed) && index === -1) index = i;
    });
    if (index === -1) return false;
    const next: RecoveryCodesData = { ...data, hashes: hashes.map((h, i) => (i === index ? null : h)) };
    if (data.codes) next.codes = data.codes.filter((c) => !safeEqual(c, code));
    if (await swapAuthenticatorData(ctx.db, current, next, ctx.now())) return true;
    const fresh = await findAuthenticator(ctx.db, current.user_id, AuthenticatorType.RECOVERY_CODES);
    if (!fresh || fresh.id !== current.id) return false;
    current = fresh;
  }
  return false;
}

/**
 * GET /account/authenticators/recovery-codes: counts and, unless already shown with showOnce,
 * the unused codes. 404 without recovery codes; reauthentication required to see them.
 */
export async function viewRecoveryCodes(ctx: Context): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  let row = await findAuthenticator(ctx.db, user.id, AuthenticatorType.RECOVERY_CODES);
  if (!row) return notFound();
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  const showOnce = ctx.options.mfa.recoveryCodes.showOnce;
  const data = authenticatorData<RecoveryCodesData>(row);
  const didView = data.viewed_at !== undefined;
  const shown = !showOnce || !didView ? data.codes : undefined;
  if (!didView || (showOnce && data.codes !== undefined)) {
    const next: RecoveryCodesData = {
      ...(data as RecoveryCodesData),
      viewed_at: data.viewed_at ?? ctx.now(),
    };
    // Shown once: from now on only the hashes remain.
    if (showOnce) delete next.codes;
    if (await swapAuthenticatorData(ctx.db, row, next)) row = { ...row, data: JSON.stringify(next) };
  }
  return ok(serializeAuthenticator(row, shown ? { unusedCodes: shown } : {}));
}

/**
 * POST /account/authenticators/recovery-codes: a new set replaces the old one. Needs another
 * authenticator (400 before the reauthentication check, as allauth validates first).
 */
export async function regenerateRecoveryCodes(ctx: Context): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  const other = await ctx.db
    .selectFrom("authenticator")
    .select("id")
    .where("user_id", "=", user.id)
    .where("type", "!=", AuthenticatorType.RECOVERY_CODES)
    .executeTakeFirst();
  if (!other) {
    return badRequest([
      apiError("cannot_generate_recovery_codes", mfaMessages.cannot_generate_recovery_codes),
    ]);
  }
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  let regenerated: { row: AuthenticatorRow; codes: string[] };
  try {
    regenerated = await ctx.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom("authenticator")
        .where("user_id", "=", user.id)
        .where("type", "=", AuthenticatorType.RECOVERY_CODES)
        .execute();
      return insertRecoveryCodes(trx, ctx, user.id);
    });
  } catch (err) {
    // A concurrent regeneration committed first: its codes are the ones now in force.
    if (isUniqueViolation(err)) return conflict();
    throw err;
  }
  const { row, codes } = regenerated;
  return ok(serializeAuthenticator(row, { unusedCodes: codes }));
}
