import type { Context } from "../../base/context.js";
import { SessionKey } from "../../sessions/keys.js";
import { CodeVerification } from "../code-verification.js";

/**
 * A verification by code in progress (allauth `EmailVerificationProcess`): at signup or login
 * (the verify_email stage), when a logged-in user adds an address, and for the enumeration decoy
 * of a signup with a taken address. The code and its counters live in the code process; the
 * session only names it, under SessionKey.EMAIL_VERIFICATION. In code mode an added address is
 * not stored until verified: the process's recipient is the address.
 */
interface VerificationSessionState {
  process: number;
}

/**
 * Starts a process. For an address of another account (`accountAlreadyExists`, or no user: the
 * decoy of a signup with a taken address) no code completes it, and resends mail nothing.
 */
export function startEmailVerification(
  ctx: Context,
  init: { email: string; userId: number | null; accountAlreadyExists: boolean },
): Promise<{ process: CodeVerification; code: string }> {
  const decoy = init.accountAlreadyExists || init.userId === null;
  return CodeVerification.start(ctx, "email_verification", {
    userId: init.userId,
    recipient: init.email,
    decoy,
    data: { accountAlreadyExists: decoy },
  });
}

/** Whether the process's address belongs to another account (see startEmailVerification). */
export function accountAlreadyExists(process: CodeVerification): boolean {
  return process.data.accountAlreadyExists === true;
}

/** Makes the process the session's pending verification. */
export function persistProcess(ctx: Context, process: CodeVerification): void {
  ctx.session.set(SessionKey.EMAIL_VERIFICATION, { process: process.id } satisfies VerificationSessionState);
}

/** Ends the process and, as allauth's `abort` does, any staged login with it. */
export async function abortProcess(ctx: Context, process?: CodeVerification): Promise<void> {
  ctx.session.delete(SessionKey.EMAIL_VERIFICATION);
  ctx.session.delete(SessionKey.LOGIN);
  await process?.abort(ctx);
}

/**
 * The process after a right code: spent, and no longer the session's (the login, if any,
 * carries on). False when a concurrent request spent it first.
 */
export function finishProcess(ctx: Context, process: CodeVerification): Promise<boolean> {
  ctx.session.delete(SessionKey.EMAIL_VERIFICATION);
  return process.finish(ctx);
}

/**
 * The session's live process, in code mode only; a dead one (timed out, used up, ended) is
 * aborted with its login and gives null.
 */
export async function resumeProcess(ctx: Context): Promise<CodeVerification | null> {
  if (!ctx.options.account.emailVerificationByCode.enabled) return null;
  const state = ctx.session.get<VerificationSessionState>(SessionKey.EMAIL_VERIFICATION);
  if (!state) return null;
  const process = await CodeVerification.resume(ctx, "email_verification", state.process);
  if (!process) await abortProcess(ctx);
  return process;
}

/** A bad input counts as a failed attempt; the one that uses up the process aborts it. */
export async function recordInvalidAttempt(ctx: Context, process: CodeVerification): Promise<void> {
  if (!(await process.recordInvalidAttempt(ctx))) await abortProcess(ctx);
}

export function canResend(ctx: Context, process: CodeVerification): boolean {
  return process.resends < ctx.options.account.emailVerificationSupportsResend;
}
