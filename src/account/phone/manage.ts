import { requireRecentAuthentication } from "../../base/auth.js";
import type { AuthenticatedContext, Context } from "../../base/context.js";
import { pendingLogin } from "../../base/pending.js";
import type { Gate } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { CodeVerification } from "../code-verification.js";
import { preventsEnumeration } from "../lookup.js";
import type { ChangePhoneInput } from "./inputs.js";
import {
  canChange,
  persistChangeProcess,
  persistStageProcess,
  resumeChangeProcess,
  resumeStageProcess,
  startPhoneVerification,
  textProcessCode,
} from "./process.js";
import { mayTextVerification } from "./send.js";

/**
 * /account/phone, as allauth's ManagePhoneView: a logged-in user reads their number and starts a
 * change; an anonymous caller may only POST, to change the number of a signup whose verification
 * is pending (account.phoneVerification.supportsChange).
 */

/** The signup at verify_phone whose number may still change, with its process; else null. */
async function changeableSignup(
  ctx: Context,
): Promise<{ login: PendingLogin; process: CodeVerification } | null> {
  const login = pendingLogin(ctx);
  if (login?.stage !== Flow.VERIFY_PHONE) return null;
  const process = await resumeStageProcess(ctx, login);
  return process && (await canChange(ctx, process)) ? { login, process } : null;
}

/**
 * POST's gate: a logged-in caller, or one whose signup may change its number (the signup's user
 * is then who the request acts for: the change_phone limit counts for it). Anyone else: 409.
 */
export const ownerOrChangingSignup: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    if (ctx.user) return null;
    const signup = await changeableSignup(ctx);
    if (!signup) return conflict();
    ctx.actingFor = await ctx.rt.users.findById(signup.process.userId!);
    return ctx.actingFor ? null : conflict();
  },
};

/** GET: the user's number, as a list of at most one (allauth `get_phone`). */
export async function listPhone(ctx: AuthenticatedContext): Promise<Result> {
  const stored = await ctx.rt.phones.find(ctx.user.id);
  return ok(stored ? [{ phone: stored.phone, verified: stored.verified }] : []);
}

/** 202 `[{phone, verified: false}]`: the change started, its code is on its way. */
function changeStarted(phone: string): Result {
  return { status: 202, data: [{ phone, verified: false }] };
}

/**
 * allauth ChangePhoneInput: the new number must differ from the stored one (`same_as_current`);
 * another account's number is `phone_taken` only when enumeration prevention is off. Otherwise
 * the answer, and whether the number is taken.
 */
async function checkNewNumber(
  ctx: Context,
  userId: number,
  phone: string,
): Promise<{ refused: Result } | { taken: boolean }> {
  const current = await ctx.rt.phones.find(userId);
  if (current?.phone === phone) return { refused: ctx.invalid("same_as_current", "phone") };
  const owner = await ctx.rt.phones.ownerOf(phone);
  const taken = owner !== null && owner !== userId;
  if (taken && !preventsEnumeration(ctx)) return { refused: ctx.invalid("phone_taken", "phone") };
  return { taken };
}

/** POST: a logged-in user starts a change; an anonymous signup changes its pending number. */
export async function changePhone(ctx: Context, input: ChangePhoneInput): Promise<Result> {
  if (ctx.user) return changeOwnNumber(ctx as AuthenticatedContext, input.phone);
  const signup = await changeableSignup(ctx);
  if (!signup) return conflict();
  return changeSignupNumber(ctx, signup.login, signup.process, input.phone);
}

/**
 * A logged-in user's change (allauth ChangePhoneVerificationProcess): reauthentication first when
 * account.reauthenticationRequired, then a code is texted to the new number, which replaces the
 * stored one only once verified. As in allauth, a number of another account gets a real code
 * too, which then verifies to `phone_taken`. A previous change of the session is dropped.
 */
async function changeOwnNumber(ctx: AuthenticatedContext, phone: string): Promise<Result> {
  const checked = await checkNewNumber(ctx, ctx.user.id, phone);
  if ("refused" in checked) return checked.refused;
  if (ctx.options.account.reauthenticationRequired) await requireRecentAuthentication(ctx);
  const previous = await resumeChangeProcess(ctx);
  const process = await startPhoneVerification(ctx, {
    userId: ctx.user.id,
    phone,
    accountAlreadyExists: false,
  });
  if (!process) return tooManyRequests();
  await previous?.abort(ctx);
  persistChangeProcess(ctx, process);
  return changeStarted(phone);
}

/**
 * An anonymous signup's change at verify_phone (allauth `change_to`): the number is replaced
 * (stored unverified) and a new code texted. A number of another account is not stored: its
 * owner is texted "account already exists", and the answer is the same as for a free number.
 */
async function changeSignupNumber(
  ctx: Context,
  login: PendingLogin,
  process: CodeVerification,
  phone: string,
): Promise<Result> {
  const userId = process.userId!;
  const checked = await checkNewNumber(ctx, userId, phone);
  if ("refused" in checked) return checked.refused;
  const { taken } = checked;
  // The limit is checked before anything changes, so a refused change leaves the old code working.
  if (!(await mayTextVerification(ctx, phone))) return tooManyRequests();
  const code = await process.change(ctx, {
    recipient: phone,
    limit: ctx.options.account.phoneVerification.supportsChange,
    decoy: taken,
    data: { accountAlreadyExists: taken },
  });
  // A concurrent change used up the count.
  if (code === null) return conflict();
  if (!taken) await ctx.rt.phones.set(userId, phone, false);
  await textProcessCode(ctx, process, code);
  persistStageProcess(ctx, login, process);
  return changeStarted(phone);
}
