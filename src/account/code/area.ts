import { z } from "zod";
import type { Area } from "../../area.js";
import { Flow } from "../../core/enums.js";
import { apiError, messages } from "../../core/errors.js";
import { field } from "../../core/input.js";
import { badRequest, conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { type Route, route } from "../../http/route.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import { unauthenticated } from "../auth-state.js";
import type { CodeVerification } from "../code-verification.js";
import { authTime, completeStage, continueLogin, pendingLogin } from "../flows/login.js";
import {
  findActiveAccountByEmail,
  mailUnknownAccount,
  markEmailVerified,
  preventsEnumeration,
  unknownEmailError,
} from "../reset/accounts.js";
import { findUserById } from "../users.js";
import {
  abortLogin,
  type LoginCodeState,
  loginByCodeStage,
  resumeLoginCode,
  startLoginCode,
} from "./stage.js";

/** POST /auth/code/request. */
export const RequestLoginCodeInput = z.object({ email: field.email() });
export type RequestLoginCodeInput = z.infer<typeof RequestLoginCodeInput>;

/** POST /auth/code/confirm. */
export const ConfirmLoginCodeInput = z.object({ code: field.text() });
export type ConfirmLoginCodeInput = z.infer<typeof ConfirmLoginCodeInput>;

/**
 * The decoy login of an unknown address names no user; 0 is never a user id (ids start at 1),
 * and the decoy never reaches a step that would load it.
 */
const NO_USER = 0;

/**
 * POST /auth/code/request: starts a login whose first stage is the code. An unknown address
 * gets a decoy process with the same answer (401, login_by_code pending) that no code
 * completes, unless account.preventEnumeration is off.
 */
async function requestLoginCode(ctx: Context, input: RequestLoginCodeInput): Promise<Result> {
  // A logged-in caller has nothing to log in to (as POST /auth/login answers).
  if (ctx.user) return conflict();
  const user = await findActiveAccountByEmail(ctx, input.email);
  if (!user && !preventsEnumeration(ctx)) return badRequest([unknownEmailError()]);
  // allauth raises this limit as a form error on the email field, hence 400 rather than 429.
  if (!(await ctx.rateLimit("request_login_code", input.email))) {
    return badRequest([apiError("too_many_login_attempts", messages.too_many_login_attempts, "email")]);
  }
  const login: PendingLogin = {
    userId: user?.id ?? NO_USER,
    records: [],
    stage: null,
    done: [],
    startedAt: ctx.now(),
    signup: false,
    email: input.email,
    state: { [Flow.LOGIN_BY_CODE]: { email: input.email } satisfies LoginCodeState },
  };
  ctx.session.set(SessionKey.LOGIN, login);
  if (user) return continueLogin(ctx, login, user);
  login.stage = Flow.LOGIN_BY_CODE;
  await startLoginCode(ctx, login, input.email, true);
  await mailUnknownAccount(ctx, input.email);
  return unauthenticated(ctx);
}

/** The pending login and its code process, when login_by_code is the pending stage and the code is live. */
async function pendingCodeLogin(
  ctx: Context,
): Promise<{ login: PendingLogin; process: CodeVerification } | null> {
  const login = pendingLogin(ctx);
  if (login?.stage !== Flow.LOGIN_BY_CODE) return null;
  const process = await resumeLoginCode(ctx, login);
  if (!process) {
    // Expired or used up: the login goes with it (allauth `clear_login`).
    abortLogin(ctx);
    return null;
  }
  return { login, process };
}

/**
 * POST /auth/code/confirm. A wrong code is 400; the attempt that uses up
 * account.loginByCode.maxAttempts is still 400 but ends the login, so later ones are 409.
 */
async function confirmLoginCode(ctx: Context, input: ConfirmLoginCodeInput): Promise<Result> {
  const pending = await pendingCodeLogin(ctx);
  if (!pending) return conflict();
  const { login, process } = pending;
  const guess = await process.guess(ctx, input.code);
  if (guess.result === "spent") {
    abortLogin(ctx);
    return conflict();
  }
  if (guess.result === "incorrect") {
    if (guess.lastAttempt) abortLogin(ctx);
    return badRequest([apiError("incorrect_code", messages.incorrect_code, "code")]);
  }
  // Of two concurrent right guesses only one logs in.
  if (!(await process.finish(ctx))) return conflict();
  const user = await findUserById(ctx.db, login.userId);
  if (!user?.isActive) {
    abortLogin(ctx);
    return unauthenticated(ctx);
  }
  // The code reached the address: it is proven (allauth `verify_email_indirectly`).
  await markEmailVerified(ctx, user.id, process.recipient);
  return completeStage(ctx, login, { method: "code", at: authTime(ctx), email: process.recipient });
}

/**
 * POST /auth/code/resend: a new code replaces the old one (the old one stops working), at most
 * account.loginByCode.supportsResend times. A decoy spends the same work and mails nothing.
 */
async function resendLoginCode(ctx: Context): Promise<Result> {
  const pending = await pendingCodeLogin(ctx);
  if (!pending) return conflict();
  const { process } = pending;
  const limit = ctx.options.account.loginByCode.supportsResend;
  if (process.resends >= limit) return conflict();
  if (!(await ctx.rateLimit("request_login_code", process.recipient))) return tooManyRequests();
  const code = await process.resend(ctx, limit);
  if (code === null) return conflict();
  if (!process.decoy) await ctx.rt.mailer.sendTemplate(process.recipient, "login_code", { code });
  return ok();
}

function loginByCodeRoutes(o: ResolvedOptions): Route[] {
  const enabled = o.account.loginByCode.enabled;
  return [
    ...(enabled
      ? [
          route({
            method: "POST",
            path: "/auth/code/request",
            summary: "Request a login code",
            input: RequestLoginCodeInput,
            handler: requestLoginCode,
          }),
        ]
      : []),
    route({
      method: "POST",
      path: "/auth/code/confirm",
      summary: "Confirm a login code",
      input: ConfirmLoginCodeInput,
      rateLimit: "confirm_code",
      handler: confirmLoginCode,
    }),
    ...(enabled
      ? [
          route({
            method: "POST",
            path: "/auth/code/resend",
            summary: "Resend a login code",
            handler: resendLoginCode,
          }),
        ]
      : []),
  ];
}

/** Login by emailed code, and the login_by_code stage. */
export const loginByCodeArea: Area = {
  name: "login_by_code",
  routes: loginByCodeRoutes,
  stages: [loginByCodeStage],
};
