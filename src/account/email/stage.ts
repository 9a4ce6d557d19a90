import { unauthenticated } from "../../base/auth.js";
import type { Context, Stage } from "../../base/context.js";
import { abortLogin } from "../../base/pending.js";
import { Flow } from "../../core/enums.js";
import { type Result, tooManyRequests } from "../../core/responses.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { AddressRow } from "../../store/addresses.js";
import type { UserRecord } from "../../store/users.js";
import { persistProcess, startEmailVerification } from "./process.js";
import { mailProcessCode, mailVerificationLink, mayMailVerification } from "./send.js";

/** The address a login is about: the signup's, or the one a password or code login used. */
export function loginEmail(login: PendingLogin): string | undefined {
  return login.email ?? login.records.find((r) => r.email !== undefined)?.email;
}

/**
 * allauth `get_address_for_login`: the address the login used if the user has it, else the
 * user's primary (verified ones first).
 */
async function addressForLogin(
  ctx: Context,
  login: PendingLogin,
  user: UserRecord,
): Promise<AddressRow | null> {
  const rows = await ctx.rt.addresses.list(user.id);
  const email = loginEmail(login)?.toLowerCase();
  if (email !== undefined) {
    const used = rows.find((r) => r.email_lower === email);
    if (used) return used;
  }
  const ranked = [...rows].sort(
    (a, b) => b.is_primary - a.is_primary || b.verified - a.verified || a.id - b.id,
  );
  return ranked[0] ?? null;
}

/**
 * What a login answers when the verification cannot be mailed in code mode (the confirm_email
 * limit): allauth refuses a password login by email with 400 too_many_login_attempts (checked
 * with the credentials), any other login with 429; a signup ends without a pending stage (its
 * view swallows the refusal and answers 401).
 */
async function refusal(ctx: Context, login: PendingLogin): Promise<Result> {
  abortLogin(ctx);
  if (login.signup) return unauthenticated(ctx);
  const first = login.records[0];
  if (first?.method === "password" && first.email !== undefined)
    return ctx.invalid("too_many_login_attempts");
  return tooManyRequests();
}

/**
 * allauth `send_verification_email_at_login`: mails a verification for the login's address.
 * Link mode skips the mail silently over the confirm_email limit; code mode starts the
 * session's code process, or answers the refusal above when the limit blocks it.
 */
async function sendAtLogin(ctx: Context, login: PendingLogin, user: UserRecord): Promise<Result | undefined> {
  const address = await addressForLogin(ctx, login, user);
  if (!address || address.verified === 1) return undefined;
  if (!ctx.options.account.emailVerificationByCode.enabled) {
    await mailVerificationLink(ctx, user.id, address.email, login.signup);
    return undefined;
  }
  if (!(await mayMailVerification(ctx, address.email))) return refusal(ctx, login);
  const { process, code } = await startEmailVerification(ctx, {
    email: address.email,
    userId: user.id,
    accountAlreadyExists: false,
  });
  await mailProcessCode(ctx, process, code);
  persistProcess(ctx, process);
  return undefined;
}

/** What a login carries for this stage: a provider login its own mode (socialaccount.emailVerification). */
export interface VerifyEmailState {
  mode: VerificationMode;
}

type VerificationMode = "none" | "optional" | "mandatory";

/** The login's verification mode: the one it carries, else account.emailVerification. */
function verificationMode(ctx: Context, login: PendingLogin): VerificationMode {
  const carried = login.state[Flow.VERIFY_EMAIL] as VerifyEmailState | undefined;
  return carried?.mode ?? ctx.options.account.emailVerification;
}

/**
 * allauth `EmailVerificationStage`: with "mandatory" verification a login whose address is not
 * verified stops here (verification mailed) until POST /auth/email/verify; with "optional" a
 * signup mails a verification and carries on; with "none" nothing happens.
 */
export const verifyEmailStage: Stage = {
  key: Flow.VERIFY_EMAIL,
  async applies(ctx, login, user) {
    const mode = verificationMode(ctx, login);
    if (mode === "none") return false;
    const verified = await ctx.rt.addresses.hasVerified(user.id, loginEmail(login));
    if (mode === "optional") {
      // The optional stage never stops a login; its only effect is the signup mail, sent here
      // because a stage that does not apply is not started.
      if (!verified && login.signup) await sendAtLogin(ctx, login, user);
      return false;
    }
    return !verified;
  },
  // Returns a refusal when the stage cannot start (see `refusal`); the pipeline answers it.
  start: sendAtLogin,
};
