import { generateUserCode } from "../../core/usercode.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";
import { hashUserCode, userCodeMatchesHash } from "../code/codes.js";
import type { UserRecord } from "../users.js";

/**
 * A password reset by code in progress (allauth `PasswordResetVerificationProcess`), kept in the
 * session under SessionKey.PASSWORD_RESET_BY_CODE; while it is there, the
 * `password_reset_by_code` flow is pending.
 */
export interface ResetCodeProcess {
  email: string;
  /** null for an unknown address: the process then accepts no code. */
  userId: number | null;
  /** Hash of the mailed code (see hashUserCode); null when no code was mailed. */
  codeHash: string | null;
  /** Epoch ms; the process dies after account.passwordResetByCode.timeout. */
  startedAt: number;
  failedAttempts: number;
  /** A GET with the right code confirmed it (the address is then verified). */
  confirmed: boolean;
}

const KEY = SessionKey.PASSWORD_RESET_BY_CODE;

/**
 * Starts a process for `email` (replacing any earlier one) and returns the code to mail, or
 * null for an unknown address. Both cases store a process, so the answer and the later 400s
 * and 409s look the same whether or not the address has an account.
 */
export function startResetByCode(ctx: Context, user: UserRecord | null, email: string): string | null {
  const code = user ? generateUserCode(ctx.options.account.userCodeFormat) : null;
  const process: ResetCodeProcess = {
    email,
    userId: user?.id ?? null,
    codeHash: code === null ? null : hashUserCode(code),
    startedAt: ctx.now(),
    failedAttempts: 0,
    confirmed: false,
  };
  ctx.session.set(KEY, process);
  return code;
}

/** The process in progress, or null (none, or timed out: a timed-out one is dropped). */
export function resumeResetByCode(ctx: Context): ResetCodeProcess | null {
  const process = ctx.session.get<ResetCodeProcess>(KEY);
  if (!process) return null;
  if (ctx.now() - process.startedAt > ctx.options.account.passwordResetByCode.timeout * 1000) {
    ctx.session.delete(KEY);
    return null;
  }
  return process;
}

/**
 * Whether `password_reset_by_code` is pending, as allauth's flow list computes it (resuming the
 * process, so a timed-out one is dropped and reads as not pending).
 */
export function isResetByCodePending(ctx: Context): boolean {
  return resumeResetByCode(ctx) !== null;
}

export function resetCodeMatches(process: ResetCodeProcess, given: string): boolean {
  return userCodeMatchesHash(process.codeHash, given);
}

/**
 * Counts a wrong code (by GET or POST alike); the attempt that reaches maxAttempts ends the
 * process, so later requests get 409.
 */
export function recordInvalidResetAttempt(ctx: Context, process: ResetCodeProcess): void {
  process.failedAttempts += 1;
  if (process.failedAttempts >= ctx.options.account.passwordResetByCode.maxAttempts) {
    ctx.session.delete(KEY);
  } else {
    ctx.session.set(KEY, process);
  }
}

export function confirmResetCode(ctx: Context, process: ResetCodeProcess): void {
  process.confirmed = true;
  ctx.session.set(KEY, process);
}

/** The reset is done (or abandoned): the flow is no longer pending. */
export function endResetByCode(ctx: Context): void {
  ctx.session.delete(KEY);
}
