import { authenticated } from "../../base/auth.js";
import type { AuthenticatedContext, Context, StageContext } from "../../base/context.js";
import { completeStage } from "../../base/login.js";
import { abortLogin, pendingLogin } from "../../base/pending.js";
import type { Gate } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { CodeVerification } from "../code-verification.js";
import type { VerifyPhoneInput } from "./inputs.js";
import { forgetChangeProcess, resumeChangeProcess, resumeStageProcess, textProcessCode } from "./process.js";
import { mayTextVerification } from "./send.js";

/** The verification a code is for: the pending login's at verify_phone, or a logged-in user's change. */
interface Verification {
  process: CodeVerification;
  /** The login at verify_phone; null for a phone change. */
  login: PendingLogin | null;
}

/**
 * allauth VerifyPhoneView's lookup: the login at verify_phone first, else (for a logged-in caller)
 * the session's phone change. Null when neither has a live process.
 */
async function currentVerification(ctx: Context): Promise<Verification | null> {
  const login = pendingLogin(ctx);
  if (login?.stage === Flow.VERIFY_PHONE) {
    const process = await resumeStageProcess(ctx, login);
    return process ? { process, login } : null;
  }
  if (!ctx.user) return null;
  const process = await resumeChangeProcess(ctx as AuthenticatedContext);
  return process ? { process, login: null } : null;
}

/** Drops what the verification belonged to (the login, or the change) once its process is over. */
async function end(ctx: Context, verification: Verification): Promise<void> {
  if (verification.login) abortLogin(ctx);
  else forgetChangeProcess(ctx);
  await verification.process.abort(ctx);
}

/** POST /auth/phone/verify's gate: a verification must be in progress (else 409, before the body). */
export const verificationInProgress: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    return (await currentVerification(ctx)) ? null : conflict();
  },
};

/** Counts a failed attempt; the one that uses up the process ends it. */
async function countAttempt(ctx: Context, verification: Verification): Promise<void> {
  if (!(await verification.process.recordInvalidAttempt(ctx))) await end(ctx, verification);
}

/** A malformed code counts as a failed attempt, as a wrong one does (allauth `handle_invalid_input`). */
export async function countInvalidCode(ctx: Context): Promise<undefined> {
  const verification = await currentVerification(ctx);
  if (verification) await countAttempt(ctx, verification);
  return undefined;
}

/**
 * POST /auth/phone/verify (allauth VerifyPhoneView): a wrong code is 400 `incorrect_code`, and the
 * one that uses up account.phoneVerification.maxAttempts ends the verification (then 409). A
 * right code for a number another account holds is 400 `phone_taken` (counted as a failed
 * attempt, as allauth's form error is). Otherwise the number is stored verified: the login goes
 * on to its next stage, or the logged-in user's number is replaced (200).
 */
export async function verifyPhone(ctx: Context, input: VerifyPhoneInput): Promise<Result> {
  const verification = await currentVerification(ctx);
  if (!verification) return conflict();
  const { process, login } = verification;
  const wrong = await process.check(ctx, input.code, "code", () => end(ctx, verification));
  if (wrong) return wrong;
  // A right code comes only from a process with a user (a decoy accepts none).
  const userId = process.userId!;
  const phone = process.recipient;
  const owner = await ctx.rt.phones.ownerOf(phone);
  if (owner !== null && owner !== userId) {
    await countAttempt(ctx, verification);
    return ctx.invalid("phone_taken", "code");
  }
  // Of two concurrent requests with the right code only one verifies.
  if (!(await process.finish(ctx))) return conflict();
  if (!login) forgetChangeProcess(ctx);
  // Another account verified the number between the check and now.
  if (!(await ctx.rt.phones.set(userId, phone, true))) return ctx.invalid("phone_taken", "code");
  return login ? completeStage(ctx, login) : authenticated(ctx);
}

/**
 * POST /auth/phone/verify/resend (allauth ResendPhoneVerificationCodeView): a new code for the
 * login at verify_phone, at most account.phoneVerification.supportsResend times (409 after);
 * 429 over the verify_phone limit (the old code stays). Only a signup's or login's verification
 * resends; a phone change starts over instead.
 */
export async function resendPhoneCode(ctx: StageContext): Promise<Result> {
  const process = await resumeStageProcess(ctx, ctx.login);
  const limit = ctx.options.account.phoneVerification.supportsResend;
  if (!process || process.resends >= limit) return conflict();
  if (!(await mayTextVerification(ctx, process.recipient))) return tooManyRequests();
  const code = await process.resend(ctx, limit);
  // A concurrent resend used up the count.
  if (code === null) return conflict();
  await textProcessCode(ctx, process, code, { resend: true });
  return ok();
}
