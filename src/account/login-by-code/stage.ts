import type { Context, Stage } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import type { PendingLogin } from "../../sessions/session.js";
import { CodeVerification } from "../code-verification.js";

/**
 * What the pending login keeps of its login-by-code process, under `state.login_by_code`: the
 * address, and (once a code was mailed) the process that holds the code and its attempt count.
 */
export interface LoginCodeState {
  email: string;
  process?: number;
}

/** The login's code process, if one was started. */
export function loginCodeState(login: PendingLogin): LoginCodeState | undefined {
  return login.state[Flow.LOGIN_BY_CODE] as LoginCodeState | undefined;
}

/**
 * Starts the login's code process and returns the code to mail. A decoy (for an unknown address)
 * gets a process no code completes, so its later answers are those of a real one.
 */
export async function startLoginCode(
  ctx: Context,
  login: PendingLogin,
  email: string,
  decoy: boolean,
): Promise<string> {
  const { process, code } = await CodeVerification.start(ctx, "login_by_code", {
    userId: decoy ? null : login.userId,
    recipient: email,
    decoy,
  });
  login.state[Flow.LOGIN_BY_CODE] = { email, process: process.id } satisfies LoginCodeState;
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
 * allauth `LoginByCodeStage`: pending when the login was started by a code request, or when a
 * code is required after the first factor; in the latter case the code is mailed to the user's
 * primary address, and a user without one cannot log in (the login is dropped).
 */
export const loginByCodeStage: Stage = {
  key: Flow.LOGIN_BY_CODE,
  async applies(ctx, login) {
    return loginCodeState(login) !== undefined || isLoginByCodeRequired(ctx, login);
  },
  async start(ctx, login, user) {
    const state = loginCodeState(login);
    if (state?.process !== undefined) return;
    const email = state?.email ?? user.email;
    if (!email) {
      abortLogin(ctx);
      return;
    }
    const code = await startLoginCode(ctx, login, email, false);
    await ctx.rt.mailer.sendTemplate(email, "login_code", { code });
  },
};
