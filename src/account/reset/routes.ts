import { z } from "zod";
import { authenticationState } from "../../base/auth.js";
import type { Context } from "../../base/context.js";
import { authTime, beginLogin } from "../../base/login.js";
import { type Gate, type Route, route } from "../../base/route.js";
import { field } from "../../core/input.js";
import { badRequest, conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import {
  Answers,
  AuthenticatedResponse,
  answer,
  okAnswer,
  StatusOKResponse,
  User,
} from "../../core/wire-schemas.js";
import { toWireUser, type UserRecord } from "../../store/users.js";
import { forgetLoginFailures } from "../flows/login-attempts.js";
import { findActiveAccountByEmail, mailUnknownAccount, preventsEnumeration } from "../lookup.js";
import { passwordErrors } from "../passwords/policy.js";
import {
  confirmResetCode,
  dropResetByCode,
  endResetByCode,
  isResetConfirmed,
  resumeResetByCode,
  startResetByCode,
} from "./by-code.js";
import { findResetKey, issueResetKey, PASSWORD_RESET_KIND } from "./keys.js";

/** POST /auth/password/request. */
export const RequestPasswordInput = z.object({ email: field.email() });
export type RequestPasswordInput = z.infer<typeof RequestPasswordInput>;

/** GET /auth/password/reset: the key (or code), from the X-Password-Reset-Key header. */
export const ResetPasswordKeyInput = z.object({ key: field.text() });
export type ResetPasswordKeyInput = z.infer<typeof ResetPasswordKeyInput>;

/** POST /auth/password/reset: `key` is the link key, or the mailed code in code mode. */
export const ResetPasswordInput = z.object({ key: field.text(), password: field.password() });
export type ResetPasswordInput = z.infer<typeof ResetPasswordInput>;

/**
 * POST /auth/password/request. Known and unknown addresses get the same answer and cost the same
 * work (one account lookup, the same writes, one mail when unknown addresses are mailed), so
 * neither the body nor the timing tells whether an account exists.
 */
async function requestPassword(ctx: Context, input: RequestPasswordInput): Promise<Result> {
  const o = ctx.options;
  const user = await findActiveAccountByEmail(ctx, input.email);
  if (!user && !preventsEnumeration(ctx)) return ctx.invalid("unknown_email.account", "email");
  // One consume counts both rules (ip and address); a route-level limit as well would count the ip twice.
  if (!(await ctx.rateLimit("reset_password", input.email))) return tooManyRequests();

  if (o.account.passwordResetByCode.enabled) {
    const code = await startResetByCode(ctx, user, input.email);
    if (code !== null) await ctx.rt.mailer.sendTemplate(input.email, "password_reset_code", { code });
    else await mailUnknownAccount(ctx, input.email);
    return authenticationState(ctx);
  }

  if (user) {
    const key = await issueResetKey(ctx, user, input.email);
    const url = o.frontendUrls.accountResetPasswordFromKey.split("{key}").join(encodeURIComponent(key));
    const username = o.account.loginMethods.includes("username") ? user.username : null;
    await ctx.rt.mailer.sendTemplate(input.email, "password_reset_key", {
      url,
      ...(username ? { username } : {}),
    });
  } else {
    await ctx.rt.keys.issueDecoy(PASSWORD_RESET_KIND, ctx.now());
    await mailUnknownAccount(ctx, input.email);
  }
  return ok();
}

/** In code mode, a reset must be in progress (allauth answers 409 before reading the input). */
const resetInProgress: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    if (!ctx.options.account.passwordResetByCode.enabled) return null;
    return (await resumeResetByCode(ctx)) ? null : conflict();
  },
};

/** Code mode: a malformed key counts as a failed attempt, as a wrong one does. */
async function countInvalidKey(ctx: Context, _body: unknown, errors: readonly { param?: string }[]) {
  if (!ctx.options.account.passwordResetByCode.enabled || !errors.some((e) => e.param === "key"))
    return undefined;
  const process = await resumeResetByCode(ctx);
  if (process && !(await process.recordInvalidAttempt(ctx))) dropResetByCode(ctx);
  return undefined;
}

/**
 * Checks a guess at the reset code: the process and its user, or the answer to give. Every
 * guess counts (GET and POST alike); the one that uses up maxAttempts ends the process, so later
 * ones are 409.
 */
async function checkResetCode(ctx: Context, key: string) {
  const process = await resumeResetByCode(ctx);
  if (!process) return conflict();
  const wrong = await process.check(ctx, key, "key", () => dropResetByCode(ctx));
  if (wrong) return wrong;
  const user = await ctx.rt.users.findById(process.userId!);
  if (!user?.isActive) {
    await endResetByCode(ctx, process);
    return conflict();
  }
  return { process, user };
}

/** GET /auth/password/reset: checks the key (or code) from the X-Password-Reset-Key header. */
async function getResetInfo(ctx: Context, input: ResetPasswordKeyInput): Promise<Result> {
  if (ctx.options.account.passwordResetByCode.enabled) {
    const checked = await checkResetCode(ctx, input.key);
    if (!("process" in checked)) return checked;
    const { process, user } = checked;
    if (!isResetConfirmed(process)) {
      await confirmResetCode(ctx, process);
      await ctx.rt.addresses.markVerified(user.id, process.recipient);
    }
    return ok({ user: toWireUser((await ctx.rt.users.findById(user.id)) ?? user) });
  }
  const found = await findResetKey(ctx, input.key);
  if (!found) return ctx.invalid("invalid_password_reset", "key");
  return ok({ user: toWireUser(found.user) });
}

/** POST /auth/password/reset: the key (or code) and the new password. */
async function resetPassword(ctx: Context, input: ResetPasswordInput): Promise<Result> {
  if (ctx.options.account.passwordResetByCode.enabled) {
    const checked = await checkResetCode(ctx, input.key);
    if (!("process" in checked)) return checked;
    const { process, user } = checked;
    const problems = await passwordErrors(ctx.rt, input.password, user, "password");
    if (problems.length > 0) return badRequest(problems);
    const hash = await ctx.rt.hasher.hash(input.password);
    // Of two concurrent resets with the right code only one goes through.
    if (!(await endResetByCode(ctx, process))) return conflict();
    return completeReset(ctx, user, hash, process.recipient);
  }

  const found = await findResetKey(ctx, input.key);
  if (!found) return ctx.invalid("invalid_password_reset", "key");
  const problems = await passwordErrors(ctx.rt, input.password, found.user, "password");
  if (problems.length > 0) return badRequest(problems);
  // Hashing before the key is claimed: a failed claim then costs a hash, never a half-done reset.
  const hash = await ctx.rt.hasher.hash(input.password);
  if (!(await ctx.rt.keys.claim(found.id, ctx.now()))) return ctx.invalid("invalid_password_reset", "key");
  return completeReset(ctx, found.user, hash, found.email);
}

/**
 * allauth `reset_password` + `finalize_password_reset`: the new password, the address proven,
 * the user's other sessions ended (Django's session hash changes with the password), failed-login
 * counters cleared, a notification, then a login when account.loginOnPasswordReset.
 */
async function completeReset(ctx: Context, user: UserRecord, hash: string, email: string): Promise<Result> {
  const o = ctx.options;
  await ctx.rt.users.setPassword(user.id, hash, {
    endSessionsExcept: o.usersessions.endOthersOnPasswordChange ? { keep: ctx.session.rowId } : undefined,
  });
  await ctx.rt.addresses.markVerified(user.id, email);
  await forgetAccountFailures(ctx, user);
  const fresh = (await ctx.rt.users.findById(user.id)) ?? { ...user, password: hash };
  await ctx.emit("passwordReset", fresh, { email });
  if (o.account.emailNotifications && fresh.email) {
    await ctx.rt.mailer.sendTemplate(fresh.email, "password_changed", {
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      timestamp: new Date(ctx.now()),
    });
  }
  if (o.account.loginOnPasswordReset) {
    return beginLogin(ctx, fresh, { method: "password_reset", at: authTime(ctx), email }, { email });
  }
  return authenticationState(ctx);
}

/** After a reset allauth forgets the failed logins of the user's identifiers: the owner is back. */
async function forgetAccountFailures(ctx: Context, user: UserRecord): Promise<void> {
  const identifiers = (await ctx.rt.addresses.list(user.id)).map((r) => r.email_lower);
  if (user.username) identifiers.push(user.username.toLowerCase());
  for (const identifier of identifiers) await forgetLoginFailures(ctx, identifier);
}

/** Password reset by link and by code. */
export function passwordResetRoutes(): Route[] {
  return [
    route({
      method: "POST",
      path: "/auth/password/request",
      summary: "Request a password reset",
      responses: {
        200: answer(
          "Requested (link mode; the same answer whether or not the address has an account). In code mode a logged-in caller gets its authentication state.",
          z.union([StatusOKResponse, AuthenticatedResponse]),
        ),
        400: Answers.error,
        401: Answers.authentication,
        429: Answers.tooManyRequests,
      },
      input: RequestPasswordInput,
      handler: requestPassword,
    }),
    route({
      method: "GET",
      path: "/auth/password/reset",
      summary: "Get password reset information",
      responses: {
        200: okAnswer("The key is valid: the user whose password it resets.", z.object({ user: User })),
        400: Answers.error,
        409: Answers.conflict,
      },
      gate: resetInProgress,
      rateLimit: "confirm_code",
      input: ResetPasswordKeyInput,
      inputFromHeaders: { key: "x-password-reset-key" },
      onInvalidInput: countInvalidKey,
      handler: getResetInfo,
    }),
    route({
      method: "POST",
      path: "/auth/password/reset",
      summary: "Reset the password",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        409: Answers.conflict,
      },
      gate: resetInProgress,
      rateLimit: "reset_password_from_key",
      input: ResetPasswordInput,
      onInvalidInput: countInvalidKey,
      handler: resetPassword,
    }),
  ];
}
