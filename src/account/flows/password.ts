import { authenticated, unauthenticated } from "../../base/auth.js";
import type { AuthenticatedContext, Context } from "../../base/context.js";
import { authTime, beginLogin, logout, recordAuthentication } from "../../base/login.js";
import type { ApiError } from "../../core/errors.js";
import { badRequest, conflict, type Result } from "../../core/responses.js";
import type { ChangePasswordInput, LoginInput, ReauthenticateInput } from "../inputs.js";
import { passwordErrors } from "../passwords/policy.js";
import { countLoginAttempt, loginAttemptSucceeded } from "./login-attempts.js";

/**
 * POST /auth/login. An unknown account costs the same password-hash verify as a wrong password,
 * and both answer alike, so neither status nor timing says whether the account exists.
 */
export async function login(ctx: Context, input: LoginInput): Promise<Result> {
  if (ctx.user) return conflict();
  const method = input.email !== undefined ? "email" : "username";
  const identifier = (input.email ?? input.username)!;
  const account = identifier.toLowerCase();
  if (!(await countLoginAttempt(ctx, account))) return ctx.invalid("too_many_login_attempts");

  const users = ctx.rt.users;
  const user =
    method === "email" ? await users.findByEmail(identifier) : await users.findByUsername(identifier);
  const check = await ctx.rt.hasher.verify(user?.password ?? null, input.password);
  if (!user || !check.ok) return ctx.invalid(`${method}_password_mismatch`, "password");
  if (!user.isActive) return unauthenticated(ctx);
  await loginAttemptSucceeded(ctx, account);
  if (check.needsRehash) {
    user.password = await ctx.rt.hasher.hash(input.password);
    await users.setPassword(user.id, user.password);
  }
  return beginLogin(ctx, user, { method: "password", at: authTime(ctx), [method]: identifier });
}

/** POST /auth/reauthenticate: a fresh password record for a logged-in user. */
export async function reauthenticate(ctx: AuthenticatedContext, input: ReauthenticateInput): Promise<Result> {
  const check = await ctx.rt.hasher.verify(ctx.user.password, input.password);
  if (!check.ok) return ctx.invalid("incorrect_password", "password");
  recordAuthentication(ctx, { method: "password", at: authTime(ctx), reauthenticated: true });
  return authenticated(ctx);
}

/** POST /account/password/change (also sets a first password for users without one). */
export async function changePassword(ctx: AuthenticatedContext, input: ChangePasswordInput): Promise<Result> {
  const user = ctx.user;
  // allauth's ChangePasswordForm: both fields are checked and every error reported, in field order.
  const errors: ApiError[] = [];
  if (input.current_password === undefined) {
    if (user.password !== null) errors.push(ctx.error("required", "current_password"));
  } else if (!(await ctx.rt.hasher.verify(user.password, input.current_password)).ok) {
    errors.push(ctx.error("enter_current_password", "current_password"));
  }
  if (input.new_password === undefined) {
    errors.push(ctx.error("required", "new_password"));
  } else {
    errors.push(...(await passwordErrors(ctx.rt, input.new_password, user, "new_password")));
  }
  if (errors.length > 0 || input.new_password === undefined) return badRequest(errors);
  const hadPassword = user.password !== null;
  const newHash = await ctx.rt.hasher.hash(input.new_password);
  const logsOut = ctx.options.account.logoutOnPasswordChange;
  // Django ends the other sessions through the session auth hash; the current one survives
  // (update_session_auth_hash) unless the change logs out.
  await ctx.rt.users.setPassword(user.id, newHash, {
    endSessionsExcept: ctx.options.usersessions.endOthersOnPasswordChange
      ? { keep: logsOut ? null : ctx.session.rowId }
      : undefined,
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
