import { authenticated, unauthenticated } from "../../base/auth.js";
import type { AuthenticatedContext, Context } from "../../base/context.js";
import { authTime, beginLogin, logout, recordAuthentication } from "../../base/login.js";
import type { ApiError } from "../../core/errors.js";
import { badRequest, conflict, type Result } from "../../core/responses.js";
import type { ChangePasswordInput, LoginInput, ReauthenticateInput } from "../inputs.js";
import { findAccountByPhone } from "../lookup.js";
import { passwordErrors } from "../passwords/policy.js";
import { countLoginAttempt, loginAttemptSucceeded, passwordRecheckKey } from "./login-attempts.js";

/**
 * POST /auth/login. An unknown account costs the same password-hash verify as a wrong password,
 * and both answer alike, so neither status nor timing says whether the account exists.
 */
export async function login(ctx: Context, input: LoginInput): Promise<Result> {
  if (ctx.user) return conflict();
  const method = input.email !== undefined ? "email" : input.phone !== undefined ? "phone" : "username";
  const identifier = (input.email ?? input.phone ?? input.username)!;
  const account = identifier.toLowerCase();
  if (!(await countLoginAttempt(ctx, account))) {
    await ctx.emit("loginFailed", null, {
      method: "password",
      [method]: identifier,
      reason: "too_many_attempts",
    });
    return ctx.invalid("too_many_login_attempts");
  }

  const users = ctx.rt.users;
  const user =
    method === "email"
      ? await users.findByEmail(identifier)
      : method === "phone"
        ? await findAccountByPhone(ctx, identifier)
        : await users.findByUsername(identifier);
  const check = await ctx.rt.hasher.verify(user?.password ?? null, input.password);
  if (!user || !check.ok) {
    const reason = user ? "wrong_password" : "unknown_account";
    await ctx.emit("loginFailed", user, { method: "password", [method]: identifier, reason });
    return ctx.invalid(`${method}_password_mismatch`, "password");
  }
  if (!user.isActive) {
    await ctx.emit("loginFailed", user, { method: "password", [method]: identifier, reason: "inactive" });
    return unauthenticated(ctx);
  }
  await loginAttemptSucceeded(ctx, account);
  if (check.needsRehash) {
    user.password = await ctx.rt.hasher.hash(input.password);
    await users.setPassword(user.id, user.password);
  }
  // allauth records the address or username a password login used, never the number.
  const used = method === "phone" ? {} : { [method]: identifier };
  return beginLogin(ctx, user, { method: "password", at: authTime(ctx), ...used });
}

/** POST /auth/reauthenticate: a fresh password record for a logged-in user. */
export async function reauthenticate(ctx: AuthenticatedContext, input: ReauthenticateInput): Promise<Result> {
  const account = passwordRecheckKey(ctx.user.id);
  if (!(await countLoginAttempt(ctx, account))) return ctx.invalid("too_many_login_attempts", "password");
  const stored = await ctx.rt.users.findById(ctx.user.id);
  const check = await ctx.rt.hasher.verify(stored?.password ?? null, input.password);
  if (!check.ok) {
    await ctx.emit("loginFailed", ctx.user, {
      method: "password",
      reason: "wrong_password",
      reauthentication: true,
    });
    return ctx.invalid("incorrect_password", "password");
  }
  await loginAttemptSucceeded(ctx, account);
  recordAuthentication(ctx, { method: "password", at: authTime(ctx), reauthenticated: true });
  return authenticated(ctx);
}

/** POST /account/password/change (also sets a first password for users without one). */
export async function changePassword(ctx: AuthenticatedContext, input: ChangePasswordInput): Promise<Result> {
  const user = ctx.user;
  const stored = await ctx.rt.users.findById(user.id);
  const currentHash = stored?.password ?? null;
  // allauth's ChangePasswordForm: both fields are checked and every error reported, in field order.
  const errors: ApiError[] = [];
  const account = passwordRecheckKey(user.id);
  if (input.current_password === undefined) {
    if (currentHash !== null) errors.push(ctx.error("required", "current_password"));
  } else if (!(await countLoginAttempt(ctx, account))) {
    return ctx.invalid("too_many_login_attempts", "current_password");
  } else if ((await ctx.rt.hasher.verify(currentHash, input.current_password)).ok) {
    await loginAttemptSucceeded(ctx, account);
  } else {
    await ctx.emit("loginFailed", user, {
      method: "password",
      reason: "wrong_password",
      passwordChange: true,
    });
    errors.push(ctx.error("enter_current_password", "current_password"));
  }
  if (input.new_password === undefined) {
    errors.push(ctx.error("required", "new_password"));
  } else {
    errors.push(...(await passwordErrors(ctx.rt, input.new_password, user, "new_password")));
  }
  if (errors.length > 0 || input.new_password === undefined) return badRequest(errors);
  const hadPassword = currentHash !== null;
  const newHash = await ctx.rt.hasher.hash(input.new_password);
  const logsOut = ctx.options.account.logoutOnPasswordChange;
  // Django ends the other sessions through the session auth hash; the current one survives
  // (update_session_auth_hash) unless the change logs out.
  await ctx.rt.users.setPassword(user.id, newHash, {
    endSessionsExcept: ctx.options.usersessions.endOthersOnPasswordChange
      ? { keep: logsOut ? null : ctx.session.rowId }
      : undefined,
  });
  user.hasPassword = true;
  await ctx.emit("passwordChanged", user, { set: !hadPassword });
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
