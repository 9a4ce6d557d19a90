import type { AuthenticatedContext, Context } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import { CodeVerification } from "../code-verification.js";
import { didUserLogin } from "../email/send.js";
import { mayTextVerification, textAccountAlreadyExists, textVerificationCode } from "./send.js";

/**
 * A phone verification in progress (allauth PhoneVerificationProcess): a code texted to a number,
 * counted on one code process of kind "phone_verification". Two owners keep one:
 *
 * - a login at the verify_phone stage (a signup, or a login of a user whose number is not
 *   verified), under `state.verify_phone` of the pending login (PhoneVerificationStageProcess);
 * - a logged-in user changing their number, under a session key (ChangePhoneVerificationProcess).
 *   The new number is stored only once its code is entered.
 */

const KIND = "phone_verification";

/**
 * The session key of a logged-in user's phone change in progress (allauth
 * `account_phone_verification`).
 */
const PHONE_CHANGE_SESSION_KEY = SessionKey.PHONE_VERIFICATION;

/** What a login at verify_phone keeps of its process, under `state.verify_phone`. */
interface PhoneStageState {
  phone: string;
  process: number;
}

interface PhoneChangeState {
  process: number;
}

/** Whether the process's number belongs to another account (or to no user: a signup decoy). */
export function accountAlreadyExists(process: CodeVerification): boolean {
  return process.data.accountAlreadyExists === true;
}

/**
 * Starts a process and texts its code; null when the verify_phone limit blocks the text (then
 * nothing is started). For another account's number (or no user: the decoy of a signup with a
 * taken number) no code completes the process, and the number's owner is told instead.
 */
export async function startPhoneVerification(
  ctx: Context,
  init: { userId: number | null; phone: string; accountAlreadyExists: boolean },
): Promise<CodeVerification | null> {
  if (!(await mayTextVerification(ctx, init.phone))) return null;
  const decoy = init.accountAlreadyExists || init.userId === null;
  const { process, code } = await CodeVerification.start(ctx, KIND, {
    userId: init.userId,
    recipient: init.phone,
    decoy,
    data: { accountAlreadyExists: decoy },
  });
  await textProcessCode(ctx, process, code);
  return process;
}

/**
 * allauth `PhoneVerificationProcess.send_sms`: texts the process's current code, or for another
 * account's number the "account already exists" text (nothing on resends).
 */
export async function textProcessCode(
  ctx: Context,
  process: CodeVerification,
  code: string,
  opts: { resend?: boolean } = {},
): Promise<void> {
  if (accountAlreadyExists(process)) {
    if (!opts.resend) await textAccountAlreadyExists(ctx, process.recipient);
    return;
  }
  await textVerificationCode(ctx, process.recipient, code);
}

function stageState(login: PendingLogin): PhoneStageState | undefined {
  return login.state[Flow.VERIFY_PHONE] as PhoneStageState | undefined;
}

/** Makes the process the one of the login at verify_phone. */
export function persistStageProcess(ctx: Context, login: PendingLogin, process: CodeVerification): void {
  login.state[Flow.VERIFY_PHONE] = {
    phone: process.recipient,
    process: process.id,
  } satisfies PhoneStageState;
  ctx.session.touch();
}

/** Starts the stage's process (see startPhoneVerification); false when the text is rate-limited. */
export async function startStageVerification(
  ctx: Context,
  login: PendingLogin,
  init: { userId: number | null; phone: string; accountAlreadyExists: boolean },
): Promise<boolean> {
  const process = await startPhoneVerification(ctx, init);
  if (!process) return false;
  persistStageProcess(ctx, login, process);
  return true;
}

/**
 * The live process of a login at verify_phone; a dead one (expired, used up, ended) ends the
 * login, as nothing could complete it any more.
 */
export async function resumeStageProcess(
  ctx: Context,
  login: PendingLogin,
): Promise<CodeVerification | null> {
  const process = await CodeVerification.resume(ctx, KIND, stageState(login)?.process);
  if (!process) abortLogin(ctx);
  return process;
}

/** Makes the process the session's phone change. */
export function persistChangeProcess(ctx: Context, process: CodeVerification): void {
  ctx.session.set(PHONE_CHANGE_SESSION_KEY, { process: process.id } satisfies PhoneChangeState);
}

/** The session no longer has a phone change in progress. */
export function forgetChangeProcess(ctx: Context): void {
  ctx.session.delete(PHONE_CHANGE_SESSION_KEY);
}

/** The logged-in user's live phone change; a dead one is forgotten. */
export async function resumeChangeProcess(ctx: AuthenticatedContext): Promise<CodeVerification | null> {
  const state = ctx.session.get<PhoneChangeState>(PHONE_CHANGE_SESSION_KEY);
  if (!state) return null;
  const process = await CodeVerification.resume(ctx, KIND, state.process);
  if (process?.userId === ctx.user.id) return process;
  forgetChangeProcess(ctx);
  return null;
}

/**
 * allauth `PhoneVerificationStageProcess.can_change`: within account.phoneVerification
 * .supportsChange, and only for a user who never logged in (a signup). A decoy has no user, so
 * it cannot change.
 */
export async function canChange(ctx: Context, process: CodeVerification): Promise<boolean> {
  if (process.changes >= ctx.options.account.phoneVerification.supportsChange) return false;
  if (process.userId === null) return false;
  return !(await didUserLogin(ctx, process.userId));
}
