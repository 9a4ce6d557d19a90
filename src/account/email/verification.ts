import { Flow } from "../../core/enums.js";
import { apiError, messages } from "../../core/errors.js";
import { parseInput } from "../../core/input.js";
import { badRequest, conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import { isUniqueViolation } from "../../store/database.js";
import { authenticated, unauthenticated } from "../auth-state.js";
import type { CodeVerification } from "../code-verification.js";
import { completeStage, pendingLogin } from "../flows/login.js";
import { findUserById, serializeUser } from "../users.js";
import { type AddressRow, notify, verifiedByAnotherAccount } from "./addresses.js";
import { VerifyEmailInput } from "./inputs.js";
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
export function verifyEmailLogin(ctx: Context): PendingLogin | null {
  const login = pendingLogin(ctx);
  return login?.stage === Flow.VERIFY_EMAIL ? login : null;
}

/** What a valid key or code verifies. */
interface Target {
  /** null: the decoy of a signup with a taken address, which nothing verifies. */
  userId: number | null;
  email: string;
  /** Link mode: the key's row, spent on success. */
  tokenId?: number;
}

const keyError = (code: "incorrect_code" | "invalid_or_expired_key" | "email_taken") =>
  badRequest([apiError(code, messages[code], "key")]);

/**
 * GET and POST /auth/email/verify, as allauth's VerifyEmailView: in code mode the session's
 * process must be pending (and, for an anonymous caller, the verify_email stage) or the answer
 * is 409, and every bad input counts as a failed attempt; in link mode the key works from any
 * session. A valid key for an address another account has verified is `email_taken`.
 */
export async function verifyEmail(ctx: Context, method: "GET" | "POST", body: unknown): Promise<Result> {
  const login = verifyEmailLogin(ctx);
  const byCode = ctx.options.account.emailVerificationByCode.enabled;
  let process: CodeVerification | null = null;
  if (byCode) {
    if (!login && !ctx.user) return conflict();
    process = await resumeProcess(ctx);
    if (!process) return conflict();
  }
  const parsed = parseInput(VerifyEmailInput, body as Record<string, unknown>);
  if (!parsed.ok) {
    if (process) await recordInvalidAttempt(ctx, process);
    return badRequest(parsed.errors);
  }
  const key = parsed.value.key;

  let target: Target;
  if (process) {
    const guess = await process.guess(ctx, key);
    if (guess.result === "spent") {
      await abortProcess(ctx);
      return conflict();
    }
    if (guess.result === "incorrect") {
      if (guess.lastAttempt) await abortProcess(ctx);
      return keyError("incorrect_code");
    }
    target = { userId: accountAlreadyExists(process) ? null : process.userId, email: process.recipient };
  } else {
    const found = await findVerificationKey(ctx, key);
    if (!found) return keyError("invalid_or_expired_key");
    target = { userId: found.address.user_id, email: found.address.email, tokenId: found.tokenId };
  }
  const userId = target.userId;
  if (userId === null || (await verifiedByAnotherAccount(ctx.db, target.email, userId))) {
    if (process) await recordInvalidAttempt(ctx, process);
    return keyError("email_taken");
  }

  if (method === "GET") {
    const owner = await findUserById(ctx.db, userId);
    if (!owner) return keyError(byCode ? "incorrect_code" : "invalid_or_expired_key");
    return ok({ email: target.email, user: serializeUser(owner) }, { is_authenticating: login !== null });
  }

  // Of two concurrent requests with the right code only one verifies.
  if (process && !(await finishProcess(ctx, process))) return conflict();
  const outcome = await confirmAddress(ctx, { ...target, userId });
  if (outcome === "gone") return keyError(byCode ? "incorrect_code" : "invalid_or_expired_key");
  if (outcome === "taken") return keyError("email_taken");
  return loginOnVerification(ctx, login, userId);
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
    ctx.session.delete(SessionKey.LOGIN);
  }
  if (!ctx.user) return unauthenticated(ctx);
  // The address verified may have become the primary one the user object shows.
  ctx.user = (await findUserById(ctx.db, ctx.user.id)) ?? ctx.user;
  return authenticated(ctx);
}

/** Thrown inside the verification transaction to undo the key's claim. */
class AddressGone extends Error {}

/**
 * allauth `verify_email`: marks the address verified (storing it first in code mode, where an
 * added address waits in the session); it becomes primary when the user has none, or always with
 * account.changeEmail, which also removes the user's other addresses and sends `email_changed`.
 * The unique indexes settle races with another account verifying the same address ("taken").
 */
async function confirmAddress(
  ctx: Context,
  target: Target & { userId: number },
): Promise<"ok" | "taken" | "gone"> {
  const changeEmail = ctx.options.account.changeEmail;
  const now = ctx.now();
  let changedFrom: AddressRow | undefined;
  try {
    const outcome = await ctx.db.transaction().execute(async (trx) => {
      if (target.tokenId !== undefined) {
        // Claim the link key first: of two concurrent uses, only one finds it unused.
        const claimed = await trx
          .updateTable("token")
          .set({ used_at: now })
          .where("id", "=", target.tokenId)
          .where("used_at", "is", null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return "gone" as const;
      }
      const rows = await trx
        .selectFrom("email_address")
        .selectAll()
        .where("user_id", "=", target.userId)
        .orderBy("id")
        .execute();
      const emailLower = target.email.toLowerCase();
      let address = rows.find((r) => r.email_lower === emailLower);
      if (!address) {
        // A link key's address was removed meanwhile; a code's was never stored.
        if (target.tokenId !== undefined) throw new AddressGone();
        const inserted = await trx
          .insertInto("email_address")
          .values({
            user_id: target.userId,
            email: target.email,
            email_lower: emailLower,
            verified: 0,
            is_primary: 0,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        address = {
          id: inserted.id,
          user_id: target.userId,
          email: target.email,
          email_lower: emailLower,
          verified: 0,
          is_primary: 0,
        };
      }
      const others = rows.filter((r) => r.id !== address.id);
      changedFrom = others[0];
      const primary = rows.find((r) => r.is_primary === 1);
      if (primary && primary.id !== address.id && changeEmail) {
        await trx.updateTable("email_address").set({ is_primary: 0 }).where("id", "=", primary.id).execute();
      }
      const makePrimary = changeEmail || !primary || primary.id === address.id;
      await trx
        .updateTable("email_address")
        .set({ verified: 1, ...(makePrimary ? { is_primary: 1 } : {}) })
        .where("id", "=", address.id)
        .execute();
      if (changeEmail && others.length > 0) {
        await trx
          .deleteFrom("email_address")
          .where(
            "id",
            "in",
            others.map((r) => r.id),
          )
          .execute();
      }
      return "ok" as const;
    });
    if (outcome !== "ok") return outcome;
  } catch (err) {
    if (err instanceof AddressGone) return "gone";
    if (isUniqueViolation(err)) return "taken";
    throw err;
  }
  if (changeEmail && changedFrom) {
    await notify(ctx, changedFrom.email, "email_changed", { from: changedFrom.email, to: target.email });
  }
  return "ok";
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
