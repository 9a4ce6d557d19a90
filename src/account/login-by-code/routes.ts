import { z } from "zod";
import { unauthenticated } from "../../base/auth.js";
import type { Context, StageContext } from "../../base/context.js";
import { authTime, completeStage, continueLogin } from "../../base/login.js";
import { abortLogin } from "../../base/pending.js";
import { pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import type { ApiError } from "../../core/errors.js";
import { field } from "../../core/input.js";
import { badRequest, conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import { Answers } from "../../core/wire-schemas.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { UserRecord } from "../../store/users.js";
import type { CodeVerification } from "../code-verification.js";
import {
  findActiveAccountByEmail,
  findActiveAccountByPhone,
  mailUnknownAccount,
  preventsEnumeration,
} from "../lookup.js";
import { optionalE164Phone, optionalPhoneField, phoneField } from "../phone/inputs.js";
import { isPhoneNumber } from "../phone/numbers.js";
import { textUnknownAccount } from "../phone/send.js";
import { recipientState, resumeLoginCode, sendLoginCode, startLoginCode } from "./stage.js";

/**
 * POST /auth/code/request, as allauth's RequestLoginCodeForm: `email`, or `phone` when it is a
 * login method (required when email is not one; the email field then goes). Without phone, the
 * email field is there whatever the login methods, as in allauth.
 */
export function requestLoginCodeInput(o: ResolvedOptions) {
  const methods = o.account.loginMethods;
  const hasEmail = methods.includes("email");
  const hasPhone = methods.includes("phone");
  const shape: Record<string, z.ZodType> = {};
  if (hasEmail || !hasPhone) shape.email = hasPhone ? field.optionalEmail() : field.email();
  if (hasPhone) shape.phone = hasEmail ? optionalPhoneField(o) : phoneField(o);
  return z.object(shape) as unknown as z.ZodType<RequestLoginCodeInput>;
}
export const RequestLoginCodeInput = z.object({ email: field.optionalEmail(), phone: optionalE164Phone() });
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
 * allauth's `clean_email` / `clean_phone` of one identifier: the active account it names, or the
 * field's error. An unknown one is an error only without enumeration prevention; the
 * request_login_code limit (keyed by the identifier) is raised as a form error on the field,
 * hence 400 rather than 429.
 */
async function lookUp(
  ctx: Context,
  field: "email" | "phone",
  identifier: string,
): Promise<{ user: UserRecord | null } | { error: ApiError }> {
  const user =
    field === "email"
      ? await findActiveAccountByEmail(ctx, identifier)
      : await findActiveAccountByPhone(ctx, identifier);
  if (!user && !preventsEnumeration(ctx)) {
    return { error: ctx.error(field === "email" ? "unknown_email.account" : "unknown_phone", field) };
  }
  if (!(await ctx.rateLimit("request_login_code", identifier))) {
    return { error: ctx.error("too_many_login_attempts", field) };
  }
  return { user };
}

/**
 * POST /auth/code/request: starts a login whose first stage is the code, mailed to the address
 * or texted to the number. Both given is `select_only_one` (once each field passed its checks,
 * as allauth's form `clean`); neither is `required` on both. An unknown one gets a decoy process
 * with the same answer (401, login_by_code pending) that no code completes, unless
 * account.preventEnumeration is off.
 */
async function requestLoginCode(ctx: Context, input: RequestLoginCodeInput): Promise<Result> {
  // A logged-in caller has nothing to log in to (as POST /auth/login answers).
  if (ctx.user) return conflict();
  const given = (["email", "phone"] as const).filter((f) => input[f] !== undefined);
  if (given.length === 0) return badRequest([ctx.error("required", "email"), ctx.error("required", "phone")]);
  const errors: ApiError[] = [];
  let user: UserRecord | null = null;
  for (const field of given) {
    const found = await lookUp(ctx, field, input[field]!);
    if ("error" in found) errors.push(found.error);
    else user = found.user;
  }
  if (errors.length > 0) return badRequest(errors);
  if (given.length > 1) return ctx.invalid("select_only_one");
  const recipient = input[given[0]!]!;
  const login: PendingLogin = {
    userId: user?.id ?? NO_USER,
    records: [],
    stage: null,
    done: [],
    startedAt: ctx.now(),
    signup: false,
    ...(input.email !== undefined ? { email: input.email } : {}),
    state: { [Flow.LOGIN_BY_CODE]: recipientState(recipient) },
  };
  ctx.session.set(SessionKey.LOGIN, login);
  if (user) return continueLogin(ctx, login, user);
  login.stage = Flow.LOGIN_BY_CODE;
  await startLoginCode(ctx, login, recipient, true);
  if (isPhoneNumber(recipient)) await textUnknownAccount(ctx, recipient);
  else await mailUnknownAccount(ctx, recipient);
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
  if (wrong) {
    const user = await ctx.rt.users.findById(ctx.login.userId);
    await ctx.emit("loginFailed", user, { method: "code", reason: "incorrect_code" });
    return wrong;
  }
  // Of two concurrent right guesses only one logs in.
  if (!(await process.finish(ctx))) return conflict();
  const user = await ctx.rt.users.findById(ctx.login.userId);
  if (!user?.isActive) {
    abortLogin(ctx);
    return unauthenticated(ctx);
  }
  // The code reached the address or number: it is proven (allauth `verify_email_indirectly`,
  // `verify_phone_indirectly`).
  const recipient = process.recipient;
  if (isPhoneNumber(recipient)) await ctx.rt.phones.set(user.id, recipient, true);
  else await ctx.rt.addresses.markVerified(user.id, recipient);
  return completeStage(ctx, ctx.login, { method: "code", at: authTime(ctx), ...recipientState(recipient) });
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
  if (!process.decoy) await sendLoginCode(ctx, process.recipient, code);
  return ok();
}

/** Login by a code mailed or texted (allauth's login_by_code); confirm exists even when it is off (409). */
export function loginByCodeRoutes(o: ResolvedOptions): Route[] {
  const codeStage = pendingStage(Flow.LOGIN_BY_CODE, "conflict");
  const confirm = route({
    method: "POST",
    path: "/auth/code/confirm",
    summary: "Confirm a login code",
    responses: {
      200: Answers.authenticated,
      400: Answers.error,
      401: Answers.authentication,
      409: Answers.conflict,
    },
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
      responses: {
        400: Answers.error,
        401: Answers.authentication,
        409: Answers.conflict,
      },
      input: requestLoginCodeInput(o),
      handler: requestLoginCode,
    }),
    confirm,
    route({
      method: "POST",
      path: "/auth/code/resend",
      summary: "Resend a login code",
      responses: {
        200: Answers.statusOK,
        409: Answers.conflict,
        429: Answers.tooManyRequests,
      },
      gate: codeStage,
      handler: resendLoginCode,
    }),
  ];
}
