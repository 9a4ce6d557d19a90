import type { Context } from "../../base/context.js";
import { SessionKey } from "../../sessions/keys.js";
import type { UserRecord } from "../../store/users.js";
import { CodeVerification } from "../code-verification.js";

/**
 * A password reset by code (allauth `PasswordResetVerificationProcess`). The session names the
 * process under SessionKey.PASSWORD_RESET_BY_CODE; while it is live, the `password_reset_by_code`
 * flow is pending. Its own state: whether a GET with the right code confirmed it.
 */
interface ResetSessionState {
  process: number;
}

const KEY = SessionKey.PASSWORD_RESET_BY_CODE;

/**
 * Starts a process for `email` (replacing any earlier one) and returns the code to mail, or
 * null for an unknown address. Both cases store a process, so the answer and the later 400s
 * and 409s look the same whether or not the address has an account.
 */
export async function startResetByCode(
  ctx: Context,
  user: UserRecord | null,
  email: string,
): Promise<string | null> {
  const { process, code } = await CodeVerification.start(ctx, "password_reset", {
    userId: user?.id ?? null,
    recipient: email,
    decoy: user === null,
    data: { confirmed: false },
  });
  ctx.session.set(KEY, { process: process.id } satisfies ResetSessionState);
  return user ? code : null;
}

/** The live process, or null (none, spent, timed out: a dead one is dropped from the session). */
export async function resumeResetByCode(ctx: Context): Promise<CodeVerification | null> {
  const state = ctx.session.get<ResetSessionState>(KEY);
  if (!state) return null;
  const process = await CodeVerification.resume(ctx, "password_reset", state.process);
  if (!process) ctx.session.delete(KEY);
  return process;
}

/**
 * Whether `password_reset_by_code` is pending, as allauth's flow list computes it (resuming the
 * process, so a dead one is dropped and reads as not pending).
 */
export async function isResetByCodePending(ctx: Context): Promise<boolean> {
  return (await resumeResetByCode(ctx)) !== null;
}

export function isResetConfirmed(process: CodeVerification): boolean {
  return process.data.confirmed === true;
}

export async function confirmResetCode(ctx: Context, process: CodeVerification): Promise<void> {
  await process.setData(ctx, { ...process.data, confirmed: true });
}

/** The reset is done (or abandoned): the flow is no longer pending. */
export async function endResetByCode(ctx: Context, process: CodeVerification): Promise<boolean> {
  ctx.session.delete(KEY);
  return process.finish(ctx);
}

/** A guess used up the process: the flow is no longer pending. */
export function dropResetByCode(ctx: Context): void {
  ctx.session.delete(KEY);
}
