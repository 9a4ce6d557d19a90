import type { AuthenticatedContext, Context } from "../base/context.js";
import { AuthenticatorType } from "../core/enums.js";
import type { AuthenticatorRow } from "../store/authenticators.js";
import type { SessionUser } from "../store/session-users.js";

const ORDER = [AuthenticatorType.RECOVERY_CODES, AuthenticatorType.TOTP, AuthenticatorType.WEBAUTHN];

/** The authenticator types a user has, in allauth's enum order (what `types` lists). */
export async function authenticatorTypes(ctx: Context, userId: number): Promise<AuthenticatorType[]> {
  const have = new Set(await ctx.rt.authenticators.types(userId));
  return ORDER.filter((t) => have.has(t));
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
 * An authenticator as the API shows it: times are float epoch seconds; recovery codes with their
 * counts, WebAuthn credentials with id, name and (when known) whether they are passkeys.
 * `unusedCodes` is given only by the recovery-codes endpoints; lists never show codes.
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
 * Whether the user may add an authenticator: not while an address is unverified (an attacker who
 * signed up with someone else's address could otherwise lock its owner out), unless
 * mfa.allowUnverifiedEmail.
 */
export async function canAddAuthenticator(
  ctx: AuthenticatedContext | Context,
  user: SessionUser,
): Promise<boolean> {
  if (ctx.options.mfa.allowUnverifiedEmail) return true;
  return !(await ctx.rt.addresses.hasUnverified(user.id));
}
