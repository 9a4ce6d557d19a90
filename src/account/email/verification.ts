import { authenticated, unauthenticated } from "../../base/auth.js";
import type { Context } from "../../base/context.js";
import { completeStage } from "../../base/login.js";
import { abortLogin, pendingLogin } from "../../base/pending.js";
import type { Gate } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { PendingLogin } from "../../sessions/session.js";
import { sessionUser, toWireUser } from "../../store/users.js";
import type { CodeVerification } from "../code-verification.js";
import { notify } from "./addresses.js";
import type { VerifyEmailInput } from "./inputs.js";
import { findVerificationKey } from "./keys.js";
import {
  abortProcess,
  accountAlreadyExists,
  canResend,
  finishProcess,
  recordInvalidAttempt,
  resumeProcess,
} from "./process.js";
import { mailProcessCode, mayMailVerification } from "./send.js";

/** The staged login, when verify_email is its pending stage (allauth `LoginStageController.enter`). */
function verifyEmailLogin(ctx: Context): PendingLogin | null {
  const login = pendingLogin(ctx);
  return login?.stage === Flow.VERIFY_EMAIL ? login : null;
}

/**
 * allauth VerifyEmailView's gate: in code mode a verification must be in progress, for a logged-in
 * caller or a login at verify_email (else 409); in link mode a key works from any session.
 */
export const verificationInProgress: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    if (!ctx.options.account.emailVerificationByCode.enabled) return null;
    if (!ctx.user && !verifyEmailLogin(ctx)) return conflict();
    return (await resumeProcess(ctx)) ? null : conflict();
  },
};

/** Code mode: a malformed key counts as a failed attempt, as a wrong one does. */
export async function countInvalidCode(ctx: Context): Promise<undefined> {
  const process = await resumeProcess(ctx);
  if (process) await recordInvalidAttempt(ctx, process);
  return undefined;
}

/** What a valid key or code verifies. */
interface Target {
  /** null: the decoy of a signup with a taken address, which nothing verifies. */
  userId: number | null;
  email: string;
  /** Link mode: the key, spent on success. */
  keyId?: number;
}

/**
 * The key (link mode) or code (code mode) checked: what it verifies, or the answer to give.
 * Every wrong code counts; the one that uses up the attempts ends the process (and its login).
 */
async function checkKey(
  ctx: Context,
  key: string,
): Promise<{ target: Target; process: CodeVerification | null } | Result> {
  const process = await resumeProcess(ctx);
  if (process) {
    const wrong = await process.check(ctx, key, "key", () => abortProcess(ctx));
    if (wrong) return wrong;
    const userId = accountAlreadyExists(process) ? null : process.userId;
    return { target: { userId, email: process.recipient }, process };
  }
  if (ctx.options.account.emailVerificationByCode.enabled) return conflict();
  const found = await findVerificationKey(ctx, key);
  if (!found) return ctx.invalid("invalid_or_expired_key", "key");
  return {
    target: { userId: found.address.user_id, email: found.address.email, keyId: found.keyId },
    process,
  };
}

/** A valid key for an address another account has verified (or a decoy's) is `email_taken`. */
async function taken(ctx: Context, target: Target, process: CodeVerification | null): Promise<Result | null> {
  if (target.userId !== null && !(await ctx.rt.addresses.verifiedByAnother(target.email, target.userId))) {
    return null;
  }
  if (process) await recordInvalidAttempt(ctx, process);
  return ctx.invalid("email_taken", "key");
}

/** GET /auth/email/verify: what the key (from X-Email-Verification-Key) would verify. */
export async function describeVerification(ctx: Context, input: VerifyEmailInput): Promise<Result> {
  const checked = await checkKey(ctx, input.key);
  if (!("target" in checked)) return checked;
  const { target, process } = checked;
  const refused = await taken(ctx, target, process);
  if (refused) return refused;
  const owner = await ctx.rt.users.findById(target.userId!);
  if (!owner) return ctx.invalid(process ? "incorrect_code" : "invalid_or_expired_key", "key");
  return ok(
    { email: target.email, user: toWireUser(owner) },
    { is_authenticating: verifyEmailLogin(ctx) !== null },
  );
}

/**
 * POST /auth/email/verify, as allauth's VerifyEmailView: verifies the address of the key or
 * code. A valid key for an address another account has verified is `email_taken`.
 */
export async function verifyEmail(ctx: Context, input: VerifyEmailInput): Promise<Result> {
  const checked = await checkKey(ctx, input.key);
  if (!("target" in checked)) return checked;
  const { target, process } = checked;
  const refused = await taken(ctx, target, process);
  if (refused) return refused;
  const userId = target.userId!;
  // Of two concurrent requests with the right code only one verifies.
  if (process && !(await finishProcess(ctx, process))) return conflict();
  const keyId = target.keyId;
  const outcome = await ctx.rt.addresses.verify(userId, target.email, {
    changeEmail: ctx.options.account.changeEmail,
    // A link key's address must still be there; a code's was never stored.
    mustExist: keyId !== undefined,
    ...(keyId !== undefined ? { claim: (trx) => ctx.rt.keys.claim(keyId, ctx.now(), trx) } : {}),
  });
  if (!outcome.ok) {
    return ctx.invalid(
      outcome.reason === "taken" ? "email_taken" : process ? "incorrect_code" : "invalid_or_expired_key",
      "key",
    );
  }
  const verified = await ctx.rt.users.findById(userId);
  if (outcome.added) await ctx.emit("emailAdded", verified, { email: target.email });
  await ctx.emit("emailVerified", verified, { email: target.email });
  for (const removed of outcome.replaced) await ctx.emit("emailRemoved", verified, { email: removed.email });
  const previous = outcome.replaced[0];
  if (previous)
    await notify(ctx, previous.email, "email_changed", { from: previous.email, to: target.email });
  return loginOnVerification(ctx, verifyEmailLogin(ctx), userId);
}

/**
 * allauth `login_on_verification`: a verification completes the pending verify_email stage only
 * for that login's own user, for an anonymous caller, and (in link mode) with
 * account.loginOnEmailConfirmation; otherwise the staged login is dropped. Then the caller's
 * state is the answer: 200 when logged in (the logged-in user stays who they are), else 401.
 */
async function loginOnVerification(
  ctx: Context,
  login: PendingLogin | null,
  userId: number,
): Promise<Result> {
  const o = ctx.options.account;
  if (login) {
    const continues =
      (o.loginOnEmailConfirmation || o.emailVerificationByCode.enabled) &&
      !ctx.user &&
      login.userId === userId;
    if (continues) return completeStage(ctx, login);
    abortLogin(ctx);
  }
  if (!ctx.user) return unauthenticated(ctx);
  // The address verified may have become the primary one the user object shows.
  const fresh = await ctx.rt.users.findById(ctx.user.id);
  if (fresh) ctx.user = sessionUser(fresh);
  return authenticated(ctx);
}

/**
 * POST /auth/email/verify/resend (code mode): a new code for the session's process, within
 * account.emailVerificationSupportsResend; 429 over the confirm_email limit (the old code stays).
 */
export async function resendVerificationCode(ctx: Context): Promise<Result> {
  if (!ctx.options.account.emailVerificationByCode.enabled) return conflict();
  const process = await resumeProcess(ctx);
  if (!process || !canResend(ctx, process)) return conflict();
  return (await resendCode(ctx, process)) ? ok() : tooManyRequests();
}

/** allauth `EmailVerificationProcess.resend`; false when the confirm_email limit (or the resend count) blocks it. */
export async function resendCode(ctx: Context, process: CodeVerification): Promise<boolean> {
  if (!(await mayMailVerification(ctx, process.recipient))) return false;
  const code = await process.resend(ctx, ctx.options.account.emailVerificationSupportsResend);
  if (code === null) return false;
  await mailProcessCode(ctx, process, code, { resend: true });
  return true;
}
