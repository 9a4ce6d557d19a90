import { z } from "zod";
import { unauthenticated } from "../../base/auth.js";
import type { Context, StageContext } from "../../base/context.js";
import { authTime, completeStage, continueLogin } from "../../base/login.js";
import { abortLogin } from "../../base/pending.js";
import { pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { field } from "../../core/input.js";
import { conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { CodeVerification } from "../code-verification.js";
import { findActiveAccountByEmail, mailUnknownAccount, preventsEnumeration } from "../lookup.js";
import { type LoginCodeState, resumeLoginCode, startLoginCode } from "./stage.js";

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
  if (!user && !preventsEnumeration(ctx)) return ctx.invalid("unknown_email.account", "email");
  // allauth raises this limit as a form error on the email field, hence 400 rather than 429.
  if (!(await ctx.rateLimit("request_login_code", input.email))) {
    return ctx.invalid("too_many_login_attempts", "email");
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

/** The login's live code process; a dead one (expired, used up) ends the login. */
async function liveProcess(ctx: StageContext): Promise<CodeVerification | null> {
  const process = await resumeLoginCode(ctx, ctx.login);
  if (!process) abortLogin(ctx);
  return process;
}

/**
 * POST /auth/code/confirm. A wrong code is 400; the attempt that uses up
 * account.loginByCode.maxAttempts is still 400 but ends the login, so later ones are 409.
 */
async function confirmLoginCode(ctx: StageContext, input: ConfirmLoginCodeInput): Promise<Result> {
  const process = await liveProcess(ctx);
  if (!process) return conflict();
  const wrong = await process.check(ctx, input.code, "code", () => abortLogin(ctx));
  if (wrong) return wrong;
  // Of two concurrent right guesses only one logs in.
  if (!(await process.finish(ctx))) return conflict();
  const user = await ctx.rt.users.findById(ctx.login.userId);
  if (!user?.isActive) {
    abortLogin(ctx);
    return unauthenticated(ctx);
  }
  // The code reached the address: it is proven (allauth `verify_email_indirectly`).
  await ctx.rt.addresses.markVerified(user.id, process.recipient);
  return completeStage(ctx, ctx.login, { method: "code", at: authTime(ctx), email: process.recipient });
}

/**
 * POST /auth/code/resend: a new code replaces the old one (the old one stops working), at most
 * account.loginByCode.supportsResend times. A decoy spends the same work and mails nothing.
 */
async function resendLoginCode(ctx: StageContext): Promise<Result> {
  const process = await liveProcess(ctx);
  if (!process) return conflict();
  const limit = ctx.options.account.loginByCode.supportsResend;
  if (process.resends >= limit) return conflict();
  if (!(await ctx.rateLimit("request_login_code", process.recipient))) return tooManyRequests();
  const code = await process.resend(ctx, limit);
  if (code === null) return conflict();
  if (!process.decoy) await ctx.rt.mailer.sendTemplate(process.recipient, "login_code", { code });
  return ok();
}

/** Login by emailed code (allauth's login_by_code); confirm exists even when it is off (409). */
export function loginByCodeRoutes(o: ResolvedOptions): Route[] {
  const codeStage = pendingStage(Flow.LOGIN_BY_CODE, "conflict");
  const confirm = route({
    method: "POST",
    path: "/auth/code/confirm",
    summary: "Confirm a login code",
    gate: codeStage,
    rateLimit: "confirm_code",
    input: ConfirmLoginCodeInput,
    // allauth counts a malformed code as a failed attempt.
    async onInvalidInput(ctx) {
      const process = await liveProcess(ctx);
      if (process && !(await process.recordInvalidAttempt(ctx))) abortLogin(ctx);
      return undefined;
    },
    handler: confirmLoginCode,
  });
  if (!o.account.loginByCode.enabled) return [confirm];
  return [
    route({
      method: "POST",
      path: "/auth/code/request",
      summary: "Request a login code",
      input: RequestLoginCodeInput,
      handler: requestLoginCode,
    }),
    confirm,
    route({
      method: "POST",
      path: "/auth/code/resend",
      summary: "Resend a login code",
      gate: codeStage,
      handler: resendLoginCode,
    }),
  ];
}
