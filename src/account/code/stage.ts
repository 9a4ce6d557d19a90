import { Flow } from "../../core/enums.js";
import { generateUserCode } from "../../core/usercode.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { Stage } from "../stages.js";
import { hashUserCode, userCodeMatchesHash } from "./codes.js";

/**
 * The state of a login-by-code process (allauth `LoginCodeVerificationProcess`), kept in the
 * pending login under `state.login_by_code`.
 */
export interface LoginCodeState {
  /** Where the code goes, and the address the `code` record names. */
  email: string;
  /** Hash of the current code; null until one is mailed, and always for a decoy. */
  codeHash: string | null;
  /** Epoch ms; the code dies after account.loginByCode.timeout (resends do not extend it). */
  startedAt: number;
  failedAttempts: number;
  resendCount: number;
  /** A decoy for an unknown address: accepts no code, mails nothing on resend. */
  decoy: boolean;
}

/** The login's code process, if one was started. */
export function loginCodeState(login: PendingLogin): LoginCodeState | undefined {
  return login.state[Flow.LOGIN_BY_CODE] as LoginCodeState | undefined;
}

export function newLoginCodeState(ctx: Context, email: string, decoy: boolean): LoginCodeState {
  return { email, codeHash: null, startedAt: ctx.now(), failedAttempts: 0, resendCount: 0, decoy };
}

/** A new code for the process; returns it for mailing (the state keeps only its hash). */
export function issueLoginCode(ctx: Context, state: LoginCodeState): string {
  const code = generateUserCode(ctx.options.account.userCodeFormat);
  if (!state.decoy) state.codeHash = hashUserCode(code);
  ctx.session.touch();
  return code;
}

export function loginCodeMatches(state: LoginCodeState, given: string): boolean {
  return userCodeMatchesHash(state.decoy ? null : state.codeHash, given);
}

export function loginCodeExpired(ctx: Context, state: LoginCodeState): boolean {
  return ctx.now() - state.startedAt > ctx.options.account.loginByCode.timeout * 1000;
}

/** Ends the whole pending login (allauth `clear_login`): expiry, exhausted attempts, no address. */
export function abortLogin(ctx: Context): void {
  ctx.session.delete(SessionKey.LOGIN);
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
    let state = loginCodeState(login);
    if (!state) {
      if (!user.email) {
        abortLogin(ctx);
        return;
      }
      state = newLoginCodeState(ctx, user.email, false);
      login.state[Flow.LOGIN_BY_CODE] = state;
    }
    if (state.codeHash === null) {
      const code = issueLoginCode(ctx, state);
      await ctx.rt.mailer.sendTemplate(state.email, "login_code", { code });
    }
  },
};
