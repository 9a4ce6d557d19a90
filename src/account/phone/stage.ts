import { unauthenticated } from "../../base/auth.js";
import type { Context, Stage } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import { type Result, tooManyRequests } from "../../core/responses.js";
import type { PendingLogin } from "../../sessions/session.js";
import { signupFieldSet } from "../options.js";
import { startStageVerification } from "./process.js";

/**
 * What a login answers when its verification code cannot be texted (the verify_phone limit): it
 * ends; a signup answers as its view does when a stage refuses (401, nothing pending), any other
 * login 429.
 */
async function refusal(ctx: Context, login: PendingLogin): Promise<Result> {
  abortLogin(ctx);
  return login.signup ? unauthenticated(ctx) : tooManyRequests();
}

/**
 * allauth `PhoneVerificationStage`, only with `phone` in account.signupFields: a login whose user
 * has an unverified number stops here (a code texted to it) until POST /auth/phone/verify, unless
 * account.phoneVerification is off. A user without a number passes when the field is optional;
 * when it is required, the login cannot go on and ends.
 */
export const verifyPhoneStage: Stage = {
  key: Flow.VERIFY_PHONE,
  async applies(ctx, _login, user) {
    const required = signupFieldSet(ctx.options.account.signupFields).get("phone");
    if (required === undefined) return false;
    const stored = await ctx.rt.phones.find(user.id);
    if (!stored) return required;
    return !stored.verified && ctx.options.account.phoneVerification.enabled;
  },
  async start(ctx, login, user) {
    const stored = await ctx.rt.phones.find(user.id);
    if (!stored) {
      abortLogin(ctx);
      return unauthenticated(ctx);
    }
    const started = await startStageVerification(ctx, login, {
      userId: user.id,
      phone: stored.phone,
      accountAlreadyExists: false,
    });
    return started ? undefined : refusal(ctx, login);
  },
};
