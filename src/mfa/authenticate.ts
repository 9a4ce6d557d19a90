import { countLoginAttempt, loginAttemptSucceeded } from "../account/flows/login-attempts.js";
import { authenticated } from "../base/auth.js";
import type { AuthenticatedContext, Context, StageContext } from "../base/context.js";
import { authTime, completeStage, recordAuthentication } from "../base/login.js";
import { AuthenticatorType } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { AuthenticationMethod } from "../core/wire.js";
import type { AuthenticatorRow } from "../store/authenticators.js";
import type { CodeInput } from "./inputs.js";
import { verifyRecoveryCode } from "./recovery-codes.js";
import { verifyTotp } from "./totp.js";

/**
 * allauth `BaseAuthenticateForm.clean_code`: the code is tried against each of the user's
 * code-based authenticators (TOTP, recovery codes; WebAuthn cannot take a typed code). The one
 * that accepts it is spent and returned.
 */
export async function verifyAuthenticatorCode(
  ctx: Context,
  userId: number,
  code: string,
): Promise<AuthenticatorRow | null> {
  for (const row of await ctx.rt.authenticators.list(userId)) {
    if (row.type === AuthenticatorType.TOTP && (await verifyTotp(ctx, row, code))) return row;
    if (row.type === AuthenticatorType.RECOVERY_CODES && (await verifyRecoveryCode(ctx, row, code)))
      return row;
  }
  return null;
}

/**
 * Checks a code under the failed-login limits of the user's second factors (allauth's key
 * `mfa-auth-user-<pk>`, see login-attempts.ts). The errors belong to the `code` field.
 */
async function checkCode(ctx: Context, userId: number, code: string): Promise<AuthenticatorRow | Result> {
  const account = `mfa-auth-user-${userId}`;
  const failed = async (reason: string) =>
    ctx.emit("loginFailed", await ctx.rt.users.findById(userId), {
      method: "mfa",
      reason,
      ...(ctx.user ? { reauthentication: true } : {}),
    });
  if (!(await countLoginAttempt(ctx, account))) {
    await failed("too_many_attempts");
    return ctx.invalid("too_many_login_attempts", "code");
  }
  const used = await verifyAuthenticatorCode(ctx, userId, code);
  if (!used) {
    await failed("incorrect_code");
    return ctx.invalid("incorrect_code", "code");
  }
  await loginAttemptSucceeded(ctx, account);
  return used;
}

function isResult(value: AuthenticatorRow | Result): value is Result {
  return "status" in value;
}

function mfaRecord(ctx: Context, row: AuthenticatorRow): AuthenticationMethod {
  return { method: "mfa", at: authTime(ctx), id: row.id, type: row.type };
}

/** POST /auth/2fa/authenticate: completes the pending mfa_authenticate stage with a TOTP or recovery code. */
export async function authenticateWithCode(ctx: StageContext, input: CodeInput): Promise<Result> {
  const checked = await checkCode(ctx, ctx.login.userId, input.code);
  if (isResult(checked)) return checked;
  return completeStage(ctx, ctx.login, mfaRecord(ctx, checked));
}

/**
 * POST /auth/2fa/reauthenticate: a fresh `mfa` record for a logged-in user. Like allauth's headless
 * view (which reuses the login form), the record carries no `reauthenticated: true`.
 */
export async function reauthenticateWithCode(ctx: AuthenticatedContext, input: CodeInput): Promise<Result> {
  const checked = await checkCode(ctx, ctx.user.id, input.code);
  if (isResult(checked)) return checked;
  recordAuthentication(ctx, mfaRecord(ctx, checked));
  return authenticated(ctx);
}
