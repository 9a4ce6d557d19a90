import type { Context } from "../../base/context.js";
import type { CodeVerification } from "../code-verification.js";
import { issueVerificationKey } from "./keys.js";
import { accountAlreadyExists } from "./process.js";

/**
 * allauth's `confirm_email` rate limit, keyed by the address: one verification mail per
 * cooldown. False means the limit is reached.
 */
export function mayMailVerification(ctx: Context, email: string): Promise<boolean> {
  return ctx.rateLimit("confirm_email", email.toLowerCase());
}

interface MailUser {
  username: string | null;
  /** allauth `did_user_login`: a user who never logged in is still signing up. */
  loggedInBefore: boolean;
}

function mailUser(ctx: Context, userId: number): Promise<MailUser | null> {
  return ctx.rt.users.mailProfile(userId);
}

/** Whether the user has completed a login before (allauth `did_user_login`). */
export async function didUserLogin(ctx: Context, userId: number): Promise<boolean> {
  return (await mailUser(ctx, userId))?.loggedInBefore ?? false;
}

/** How mails name the account (allauth `user_display`). */
function userDisplay(user: MailUser, email: string): string {
  return user.username || email;
}

/**
 * Link mode: a new key mailed to one of the user's addresses (`email_confirmation_signup` at
 * signup, else `email_confirmation`). Over the confirm_email limit nothing is sent and nothing
 * fails: the keys mailed before still work (allauth skips the mail silently). True when sent.
 */
export async function mailVerificationLink(
  ctx: Context,
  userId: number,
  email: string,
  signup: boolean,
): Promise<boolean> {
  if (!(await mayMailVerification(ctx, email))) return false;
  const user = await mailUser(ctx, userId);
  if (!user) return false;
  const key = await issueVerificationKey(ctx, userId, email);
  const url = ctx.options.frontendUrls.accountConfirmEmail.replaceAll("{key}", key);
  await ctx.rt.mailer.sendTemplate(email, signup ? "email_confirmation_signup" : "email_confirmation", {
    url,
    userDisplay: userDisplay(user, email),
  });
  return true;
}

/**
 * allauth `send_account_already_exists_mail`: what a signup with a taken address mails instead of
 * a verification, pointing to the password reset.
 */
export async function mailAccountAlreadyExists(ctx: Context, email: string): Promise<void> {
  await ctx.rt.mailer.sendTemplate(email, "account_already_exists", {
    email,
    passwordResetUrl: ctx.options.frontendUrls.accountResetPassword,
  });
}

/**
 * Code mode: mails the process's current code (callers check the confirm_email limit first: in
 * code mode a refusal must fail the request, since the session's code would be one nobody
 * received). A user who never logged in gets the signup wording. For an address of another
 * account the account-already-exists mail goes instead (nothing on resends).
 */
export async function mailProcessCode(
  ctx: Context,
  process: CodeVerification,
  code: string,
  opts: { resend?: boolean } = {},
): Promise<void> {
  const email = process.recipient;
  if (process.userId === null || accountAlreadyExists(process)) {
    if (!opts.resend) await mailAccountAlreadyExists(ctx, email);
    return;
  }
  const user = await mailUser(ctx, process.userId);
  if (!user) return;
  await ctx.rt.mailer.sendTemplate(
    email,
    user.loggedInBefore ? "email_confirmation_code" : "email_confirmation_code_signup",
    { code, userDisplay: userDisplay(user, email) },
  );
}
