import { type ApiError, apiError, messages } from "../../core/errors.js";
import { badRequest, conflict, type Result, tooManyRequests } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { authenticated, unauthenticated } from "../auth-state.js";
import type { ChangePasswordInput, LoginInput, ReauthenticateInput } from "../inputs.js";
import { passwordErrors } from "../passwords/policy.js";
import { findUserByEmail, findUserByUsername, setPassword } from "../users.js";
import { authTime, beginLogin, logout, recordAuthentication } from "./login.js";
import { countLoginAttempt, loginAttemptSucceeded } from "./login-attempts.js";

const tooManyAttempts = () =>
  badRequest([apiError("too_many_login_attempts", messages.too_many_login_attempts)]);

/**
 * POST /auth/login. An unknown account costs the same password-hash verify as a wrong password,
 * and both answer alike, so neither status nor timing says whether the account exists.
 */
export async function login(ctx: Context, input: LoginInput): Promise<Result> {
  if (ctx.user) return conflict();
  const method = input.email !== undefined ? "email" : "username";
  const identifier = (input.email ?? input.username)!;
  const account = identifier.toLowerCase();
  if (!(await countLoginAttempt(ctx, account))) return tooManyAttempts();

  const db = ctx.db;
  const user =
    method === "email" ? await findUserByEmail(db, identifier) : await findUserByUsername(db, identifier);
  const check = await ctx.rt.hasher.verify(user?.password ?? null, input.password);
  if (!user || !check.ok) {
    return badRequest([
      apiError(`${method}_password_mismatch`, messages[`${method}_password_mismatch`], "password"),
    ]);
  }
  if (!user.isActive) return unauthenticated(ctx);
  await loginAttemptSucceeded(ctx, account);
  if (check.needsRehash) {
    user.password = await ctx.rt.hasher.hash(input.password);
    await setPassword(db, user.id, user.password);
  }
  return beginLogin(ctx, user, { method: "password", at: authTime(ctx), [method]: identifier });
}

/** POST /auth/reauthenticate: a fresh password record for a logged-in user. */
export async function reauthenticate(ctx: Context, input: ReauthenticateInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  if (!(await ctx.rateLimit("reauthenticate"))) return tooManyRequests();
  const check = await ctx.rt.hasher.verify(user.password, input.password);
  if (!check.ok) return badRequest([apiError("incorrect_password", messages.incorrect_password, "password")]);
  recordAuthentication(ctx, { method: "password", at: authTime(ctx), reauthenticated: true });
  ctx.session.cycleKey();
  return authenticated(ctx);
}

/** POST /account/password/change (also sets a first password for users without one). */
export async function changePassword(ctx: Context, input: ChangePasswordInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  if (!(await ctx.rateLimit("change_password"))) return tooManyRequests();
  // allauth's ChangePasswordForm: both fields are checked and every error reported, in field order.
  const errors: ApiError[] = [];
  if (input.current_password === undefined) {
    if (user.password !== null) errors.push(apiError("required", messages.required, "current_password"));
  } else if (!(await ctx.rt.hasher.verify(user.password, input.current_password)).ok) {
    errors.push(apiError("enter_current_password", messages.enter_current_password, "current_password"));
  }
  if (input.new_password === undefined) {
    errors.push(apiError("required", messages.required, "new_password"));
  } else {
    errors.push(
      ...(await passwordErrors(ctx.options, input.new_password, user, "new_password", ctx.rt.logger)),
    );
  }
  if (errors.length > 0 || input.new_password === undefined) return badRequest(errors);
  const hadPassword = user.password !== null;
  const newHash = await ctx.rt.hasher.hash(input.new_password);
  const logsOut = ctx.options.account.logoutOnPasswordChange;
  await ctx.db.transaction().execute(async (trx) => {
    await setPassword(trx, user.id, newHash);
    if (ctx.options.usersessions.endOthersOnPasswordChange) {
      // Django ends the other sessions through the session auth hash; the current one survives
      // (update_session_auth_hash) unless the change logs out.
      await ctx.rt.sessions.deleteForUser(user.id, logsOut ? null : ctx.session.rowId, trx);
    }
  });
  user.password = newHash;
  if (ctx.options.account.emailNotifications && user.email) {
    await ctx.rt.mailer.sendTemplate(user.email, hadPassword ? "password_changed" : "password_set", {
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      timestamp: new Date(ctx.now()),
    });
  }
  if (logsOut) return logout(ctx);
  ctx.session.cycleKey();
  return authenticated(ctx);
}
