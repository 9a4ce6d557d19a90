import { z } from "zod";
import type { Area } from "../../area.js";
import { apiError, messages } from "../../core/errors.js";
import { field } from "../../core/input.js";
import { badRequest, conflict, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { route } from "../../http/route.js";
import { authenticated, unauthenticated } from "../auth-state.js";
import type { CodeVerification } from "../code-verification.js";
import { authTime, beginLogin } from "../flows/login.js";
import { forgetLoginFailures } from "../flows/login-attempts.js";
import { passwordErrors } from "../passwords/policy.js";
import { findUserById, serializeUser, setPassword, type UserRecord } from "../users.js";
import {
  findActiveAccountByEmail,
  mailUnknownAccount,
  markEmailVerified,
  preventsEnumeration,
  unknownEmailError,
} from "./accounts.js";
import {
  confirmResetCode,
  dropResetByCode,
  endResetByCode,
  isResetConfirmed,
  resumeResetByCode,
  startResetByCode,
} from "./by-code.js";
import { claimResetKey, findResetKey, issueDecoyResetKey, issueResetKey } from "./keys.js";

/** POST /auth/password/request. */
export const RequestPasswordInput = z.object({ email: field.email() });
export type RequestPasswordInput = z.infer<typeof RequestPasswordInput>;

/** POST /auth/password/reset: `key` is the link key, or the mailed code in code mode. */
export const ResetPasswordInput = z.object({ key: field.text(), password: field.password() });
export type ResetPasswordInput = z.infer<typeof ResetPasswordInput>;

const KEY_HEADER = "x-password-reset-key";

const requiredKey = () => badRequest([apiError("required", messages.required, "key")]);
const invalidKey = () =>
  badRequest([apiError("invalid_password_reset", messages.invalid_password_reset, "key")]);
const incorrectCode = () => badRequest([apiError("incorrect_code", messages.incorrect_code, "key")]);

/** allauth's AuthenticationResponse: 200 for a logged-in caller, else the 401 flows. */
function authenticationResponse(ctx: Context): Promise<Result> | Result {
  return ctx.user ? authenticated(ctx) : unauthenticated(ctx);
}

/**
 * POST /auth/password/request. Known and unknown addresses get the same answer and cost the same
 * work (one account lookup, the same writes, one mail when unknown addresses are mailed), so
 * neither the body nor the timing tells whether an account exists.
 */
async function requestPassword(ctx: Context, input: RequestPasswordInput): Promise<Result> {
  const o = ctx.options;
  const user = await findActiveAccountByEmail(ctx, input.email);
  if (!user && !preventsEnumeration(ctx)) return badRequest([unknownEmailError()]);
  // One consume counts both rules (ip and address); a route-level limit as well would count the ip twice.
  if (!(await ctx.rateLimit("reset_password", input.email))) return tooManyRequests();

  if (o.account.passwordResetByCode.enabled) {
    const code = await startResetByCode(ctx, user, input.email);
    if (code !== null) await ctx.rt.mailer.sendTemplate(input.email, "password_reset_code", { code });
    else await mailUnknownAccount(ctx, input.email);
    return authenticationResponse(ctx);
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
    await issueDecoyResetKey(ctx);
    await mailUnknownAccount(ctx, input.email);
  }
  return ok();
}

/**
 * Checks a guess at the reset code: the live process, or the answer to give. Every guess counts
 * (GET and POST alike); the one that uses up maxAttempts ends the process, so later ones are 409.
 */
async function checkResetCode(
  ctx: Context,
  key: string,
): Promise<{ process: CodeVerification; user: UserRecord } | Result> {
  const process = await resumeResetByCode(ctx);
  if (!process) return conflict();
  if (key === "") {
    if (!(await process.recordInvalidAttempt(ctx))) dropResetByCode(ctx);
    return requiredKey();
  }
  const guess = await process.guess(ctx, key);
  if (guess.result === "spent") {
    dropResetByCode(ctx);
    return conflict();
  }
  if (guess.result === "incorrect") {
    if (guess.lastAttempt) dropResetByCode(ctx);
    return incorrectCode();
  }
  const user = await findUserById(ctx.db, process.userId!);
  if (!user?.isActive) {
    await endResetByCode(ctx, process);
    return conflict();
  }
  return { process, user };
}

/** GET /auth/password/reset: checks the key (or code) from the X-Password-Reset-Key header. */
async function getResetInfo(ctx: Context): Promise<Result> {
  const key = (ctx.request.headers.get(KEY_HEADER) ?? "").trim();
  if (ctx.options.account.passwordResetByCode.enabled) {
    const checked = await checkResetCode(ctx, key);
    if (!("process" in checked)) return checked;
    const { process, user } = checked;
    if (!isResetConfirmed(process)) {
      await confirmResetCode(ctx, process);
      await markEmailVerified(ctx, user.id, process.recipient);
    }
    return ok({ user: serializeUser((await findUserById(ctx.db, user.id)) ?? user) });
  }
  if (key === "") return requiredKey();
  const found = await findResetKey(ctx, key);
  if (!found) return invalidKey();
  return ok({ user: serializeUser(found.user) });
}

/** POST /auth/password/reset: the key (or code) and the new password. */
async function resetPassword(ctx: Context, input: ResetPasswordInput): Promise<Result> {
  const o = ctx.options;
  if (o.account.passwordResetByCode.enabled) {
    const checked = await checkResetCode(ctx, input.key);
    if (!("process" in checked)) return checked;
    const { process, user } = checked;
    const problems = await passwordErrors(o, input.password, user, "password", ctx.rt.logger);
    if (problems.length > 0) return badRequest(problems);
    const hash = await ctx.rt.hasher.hash(input.password);
    // Of two concurrent resets with the right code only one goes through.
    if (!(await endResetByCode(ctx, process))) return conflict();
    return completeReset(ctx, user, hash, process.recipient);
  }

  const found = await findResetKey(ctx, input.key);
  if (!found) return invalidKey();
  const problems = await passwordErrors(o, input.password, found.user, "password", ctx.rt.logger);
  if (problems.length > 0) return badRequest(problems);
  // Hashing before the key is claimed: a failed claim then costs a hash, never a half-done reset.
  const hash = await ctx.rt.hasher.hash(input.password);
  if (!(await claimResetKey(ctx, found.id))) return invalidKey();
  return completeReset(ctx, found.user, hash, found.email);
}

/**
 * allauth `reset_password` + `finalize_password_reset`: the new password, the address proven,
 * the user's other sessions ended (Django's session hash changes with the password), failed-login
 * counters cleared, a notification, then a login when account.loginOnPasswordReset.
 */
async function completeReset(ctx: Context, user: UserRecord, hash: string, email: string): Promise<Result> {
  const o = ctx.options;
  // The new password and the end of the other sessions go together or not at all.
  await ctx.db.transaction().execute(async (trx) => {
    await setPassword(trx, user.id, hash);
    if (o.usersessions.endOthersOnPasswordChange) {
      await ctx.rt.sessions.deleteForUser(user.id, ctx.session.rowId, trx);
    }
  });
  await markEmailVerified(ctx, user.id, email);
  await clearLoginFailures(ctx, user);
  const fresh = (await findUserById(ctx.db, user.id)) ?? { ...user, password: hash };
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
  return authenticationResponse(ctx);
}

/** After a reset allauth forgets the failed logins of the user's addresses: the owner is back. */
async function clearLoginFailures(ctx: Context, user: UserRecord): Promise<void> {
  const rows = await ctx.db
    .selectFrom("email_address")
    .select("email_lower")
    .where("user_id", "=", user.id)
    .execute();
  const identifiers = rows.map((r) => r.email_lower);
  if (user.username) identifiers.push(user.username.toLowerCase());
  for (const identifier of identifiers) await forgetLoginFailures(ctx, identifier);
}

/** Password reset by link and by code. */
export const passwordResetArea: Area = {
  name: "password_reset",
  routes: () => [
    route({
      method: "POST",
      path: "/auth/password/request",
      summary: "Request a password reset",
      input: RequestPasswordInput,
      handler: requestPassword,
    }),
    route({
      method: "GET",
      path: "/auth/password/reset",
      summary: "Get password reset information",
      rateLimit: "confirm_code",
      handler: getResetInfo,
    }),
    route({
      method: "POST",
      path: "/auth/password/reset",
      summary: "Reset the password",
      input: ResetPasswordInput,
      rateLimit: "reset_password_from_key",
      handler: resetPassword,
    }),
  ],
};
