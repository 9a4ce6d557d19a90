import type { Context, Stage } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { UserRecord } from "../../store/users.js";
import { CodeVerification } from "../code-verification.js";
import { signupFieldSet } from "../options.js";
import { isPhoneNumber } from "../phone/numbers.js";
import { textLoginCode } from "../phone/send.js";

/**
 * What the pending login keeps of its login-by-code process, under `state.login_by_code`: where
 * the code goes (an address, or a phone number), and (once a code was sent) the process that
 * holds the code and its attempt count.
 */
export interface LoginCodeState {
  email?: string;
  phone?: string;
  process?: number;
}

/** Where the login's code goes, if it was chosen. */
function loginCodeRecipient(state: LoginCodeState | undefined): string | undefined {
  return state?.email ?? state?.phone;
}

/** The state naming a recipient: an address, or (E.164) a phone number. */
export function recipientState(recipient: string): LoginCodeState {
  return isPhoneNumber(recipient) ? { phone: recipient } : { email: recipient };
}

/** Sends a login code: mailed to an address, texted to a phone number. */
export async function sendLoginCode(ctx: Context, recipient: string, code: string): Promise<void> {
  if (isPhoneNumber(recipient)) await textLoginCode(ctx, recipient, code);
  else await ctx.rt.mailer.sendTemplate(recipient, "login_code", { code });
}

/** The login's code process, if one was started. */
export function loginCodeState(login: PendingLogin): LoginCodeState | undefined {
  return login.state[Flow.LOGIN_BY_CODE] as LoginCodeState | undefined;
}

/**
 * Starts the login's code process and returns the code to send. A decoy (for an unknown address
 * or number) gets a process no code completes, so its later answers are those of a real one.
 */
export async function startLoginCode(
  ctx: Context,
  login: PendingLogin,
  recipient: string,
  decoy: boolean,
): Promise<string> {
  const { process, code } = await CodeVerification.start(ctx, "login_by_code", {
    userId: decoy ? null : login.userId,
    recipient,
    decoy,
  });
  login.state[Flow.LOGIN_BY_CODE] = {
    ...recipientState(recipient),
    process: process.id,
  } satisfies LoginCodeState;
  ctx.session.touch();
  return code;
}

/** The live code process of a login, or null (none, spent, expired). */
export function resumeLoginCode(ctx: Context, login: PendingLogin): Promise<CodeVerification | null> {
  return CodeVerification.resume(ctx, "login_by_code", loginCodeState(login)?.process);
}

/**
 * allauth `is_login_by_code_required`: never right after a code; otherwise
 * account.loginByCode.required, either for every login or after the listed first factors (a
 * login with no first factor yet, such as a signup, counts as matching the list).
 */
export function isLoginByCodeRequired(ctx: Context, login: PendingLogin): boolean {
  const last = login.records[login.records.length - 1]?.method ?? null;
  if (last === "code") return false;
  const required = ctx.options.account.loginByCode.required;
  if (typeof required === "boolean") return required;
  if (required.length === 0) return false;
  return last === null || (required as readonly string[]).includes(last);
}

/**
 * Where a required code goes (allauth `LoginByCodeStage`): the user's primary address, else (with
 * `phone` in account.signupFields) the user's number, verified or not.
 */
async function requiredCodeRecipient(ctx: Context, user: UserRecord): Promise<string | undefined> {
  if (user.email) return user.email;
  if (!signupFieldSet(ctx.options.account.signupFields).has("phone")) return undefined;
  return (await ctx.rt.phones.find(user.id))?.phone;
}

/**
 * allauth `LoginByCodeStage`: pending when the login was started by a code request, or when a
 * code is required after the first factor; in the latter case the code goes to the user's
 * primary address (or number), and a user with neither cannot log in (the login is dropped).
 */
export const loginByCodeStage: Stage = {
  key: Flow.LOGIN_BY_CODE,
  async applies(ctx, login) {
    return loginCodeState(login) !== undefined || isLoginByCodeRequired(ctx, login);
  },
  async start(ctx, login, user) {
    const state = loginCodeState(login);
    if (state?.process !== undefined) return;
    const recipient = loginCodeRecipient(state) ?? (await requiredCodeRecipient(ctx, user));
    if (!recipient) {
      abortLogin(ctx);
      return;
    }
    const code = await startLoginCode(ctx, login, recipient, false);
    await sendLoginCode(ctx, recipient, code);
  },
};
