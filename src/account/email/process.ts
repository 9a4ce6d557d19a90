import { safeEqual, sha256 } from "../../core/crypto.js";
import { generateUserCode, normalizeUserCode } from "../../core/usercode.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";

/**
 * A verification by code in progress (allauth `EmailVerificationProcess`), kept in the session
 * under SessionKey.EMAIL_VERIFICATION: at signup or login (the verify_email stage), when a
 * logged-in user adds an address, and for the enumeration decoy of a signup with a taken address.
 */
export interface EmailVerificationProcess {
  /** The address being verified; in code mode an added address is not stored until verified. */
  email: string;
  /** The account the address is for; null for the decoy of a signup with a taken address. */
  userId: number | null;
  /**
   * The address belongs to another account (enumeration decoy, or an address changed to at signup
   * that is taken): no code completes it, and resends mail nothing.
   */
  accountAlreadyExists: boolean;
  /** Hash of the current code's normalised form (the code itself is only mailed). */
  codeHash: string;
  /** Epoch ms when the process began; resends and changes do not extend it. */
  at: number;
  failedAttempts: number;
  resendCount: number;
  changeCount: number;
}

function hashCode(code: string): string {
  return sha256(`email-verification-code:${normalizeUserCode(code)}`);
}

/** A new code for the process; returns it for mailing (the process keeps only its hash). */
export function issueCode(ctx: Context, process: EmailVerificationProcess): string {
  const code = generateUserCode(ctx.options.account.userCodeFormat);
  process.codeHash = hashCode(code);
  return code;
}

/** Compared case-insensitively, punctuation and whitespace ignored, in constant time. */
export function codeMatches(process: EmailVerificationProcess, given: string): boolean {
  return safeEqual(process.codeHash, hashCode(given));
}

export function newProcess(
  ctx: Context,
  init: { email: string; userId: number | null; accountAlreadyExists: boolean },
): EmailVerificationProcess {
  return {
    ...init,
    codeHash: "",
    at: ctx.now(),
    failedAttempts: 0,
    resendCount: 0,
    changeCount: 0,
  };
}

export function persistProcess(ctx: Context, process: EmailVerificationProcess): void {
  ctx.session.set(SessionKey.EMAIL_VERIFICATION, process);
}

/** Ends the process and, as allauth's `abort` does, any staged login with it. */
export function abortProcess(ctx: Context): void {
  ctx.session.delete(SessionKey.EMAIL_VERIFICATION);
  ctx.session.delete(SessionKey.LOGIN);
}

/** The process after success: the login (if any) carries on. */
export function finishProcess(ctx: Context): void {
  ctx.session.delete(SessionKey.EMAIL_VERIFICATION);
}

/**
 * The session's process, in code mode only; one past account.emailVerificationByCode.timeout is
 * aborted (with its login) and gives null.
 */
export function resumeProcess(ctx: Context): EmailVerificationProcess | null {
  const byCode = ctx.options.account.emailVerificationByCode;
  if (!byCode.enabled) return null;
  const process = ctx.session.get<EmailVerificationProcess>(SessionKey.EMAIL_VERIFICATION);
  if (!process) return null;
  if (ctx.now() - process.at > byCode.timeout * 1000) {
    abortProcess(ctx);
    return null;
  }
  return process;
}

/** A wrong code (or bad input): counted; the last allowed attempt aborts the process. */
export function recordInvalidAttempt(ctx: Context, process: EmailVerificationProcess): void {
  process.failedAttempts += 1;
  if (process.failedAttempts >= ctx.options.account.emailVerificationByCode.maxAttempts) {
    abortProcess(ctx);
    return;
  }
  persistProcess(ctx, process);
}

export function canResend(ctx: Context, process: EmailVerificationProcess): boolean {
  return process.resendCount < ctx.options.account.emailVerificationSupportsResend;
}
