import { requireRecentAuthentication } from "../base/auth.js";
import type { AuthenticatedContext, Context } from "../base/context.js";
import { randomString, safeEqual, sha256 } from "../core/crypto.js";
import { AuthenticatorType } from "../core/enums.js";
import { conflict, notFound, ok, type Result } from "../core/responses.js";
import type { AuthenticatorRow } from "../store/authenticators.js";
import { authenticatorData, type RecoveryCodesData, serializeAuthenticator } from "./authenticators.js";

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

/** A new set of codes, as stored (their hashes, and the codes while they may be shown). */
function newCodes(ctx: Context): { data: RecoveryCodesData; codes: string[] } {
  const { count, digits } = ctx.options.mfa.recoveryCodes;
  const codes = generateRecoveryCodes(count, digits);
  return { data: { hashes: codes.map((c) => sha256(c)), codes }, codes };
}

/**
 * allauth `auto_generate_recovery_codes`: when another authenticator is added, recovery codes
 * are set up too if they are a supported type and the user has none. Returns whether it made them
 * (WebAuthn's `meta.recovery_codes_generated`).
 */
export async function autoGenerateRecoveryCodes(ctx: Context, userId: number): Promise<boolean> {
  if (!ctx.options.mfa.supportedTypes.includes(AuthenticatorType.RECOVERY_CODES)) return false;
  const store = ctx.rt.authenticators;
  if (await store.find(userId, AuthenticatorType.RECOVERY_CODES)) return false;
  // Null: a concurrent request made them first (one set per user, enforced by a unique index).
  return (
    (await store.insert(userId, AuthenticatorType.RECOVERY_CODES, newCodes(ctx).data, ctx.now())) !== null
  );
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
    if (await ctx.rt.authenticators.swapData(current, next, ctx.now())) return true;
    const fresh = await ctx.rt.authenticators.find(current.user_id, AuthenticatorType.RECOVERY_CODES);
    if (!fresh || fresh.id !== current.id) return false;
    current = fresh;
  }
  return false;
}

/**
 * GET /account/authenticators/recovery-codes: counts and, unless already shown with showOnce,
 * the unused codes. 404 without recovery codes; reauthentication required to see them.
 */
export async function viewRecoveryCodes(ctx: AuthenticatedContext): Promise<Result> {
  let row = await ctx.rt.authenticators.find(ctx.user.id, AuthenticatorType.RECOVERY_CODES);
  if (!row) return notFound();
  await requireRecentAuthentication(ctx);
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
    if (await ctx.rt.authenticators.swapData(row, next)) row = { ...row, data: JSON.stringify(next) };
  }
  return ok(serializeAuthenticator(row, shown ? { unusedCodes: shown } : {}));
}

/**
 * POST /account/authenticators/recovery-codes: a new set replaces the old one. Needs another
 * authenticator (400 before the reauthentication check, as allauth validates first).
 */
export async function regenerateRecoveryCodes(ctx: AuthenticatedContext): Promise<Result> {
  const user = ctx.user;
  if (!(await ctx.rt.authenticators.hasSecondFactor(user.id)))
    return ctx.invalid("cannot_generate_recovery_codes");
  await requireRecentAuthentication(ctx);
  const { data, codes } = newCodes(ctx);
  const row: AuthenticatorRow | null = await ctx.rt.authenticators.replace(
    user.id,
    AuthenticatorType.RECOVERY_CODES,
    data,
    ctx.now(),
  );
  // A concurrent regeneration committed first: its codes are the ones now in force.
  if (!row) return conflict();
  await ctx.emit("mfaAdded", user, { type: AuthenticatorType.RECOVERY_CODES, regenerated: true });
  return ok(serializeAuthenticator(row, { unusedCodes: codes }));
}
