import type { Context } from "../../base/context.js";
import type { RateLimitSubject, RuleSelection } from "../../http/ratelimit/limiter.js";

/**
 * The failed-login limits of every factor a login or reauthentication checks (password, TOTP or
 * recovery code, WebAuthn assertion). `account` names what is guessed at: the login identifier
 * lowercased, `mfa-auth-user-<pk>` for a user's second factors, or `password-user-<pk>` for the
 * password a logged-in session re-enters (reauthentication, password change): a stolen session
 * must not guess the password faster than a login could. Three counters, one per attack:
 *
 * - `login_failed`, ip rules: failures from one client IP, whatever the account (one client trying
 *   many accounts). Never cleared: a success is only refunded, so a client cannot reset its count
 *   with an account of its own, and an office behind one address is not limited by its successes.
 * - `login_failed`, key rules: failures at one account from one IP (allauth's short lockout,
 *   5 per 5 minutes), cleared by that account's success from that IP. Keyed with the IP so that
 *   guessing elsewhere does not lock the owner out.
 * - `login_failed_account`: failures at one account from anywhere (guesses spread over many
 *   addresses), cleared by its success: a ceiling on consecutive failures, set well above the
 *   per-IP lockout.
 *
 * Every attempt is counted before its check and refunded or cleared after a success, so a burst
 * of concurrent guesses cannot get past a limit between the check and the count.
 */

/** Every rule but the IP's. */
const ACCOUNT_RULES: RuleSelection = { only: ["key", "user"] };

function perAddress(ctx: Context, account: string): RateLimitSubject {
  return { ip: ctx.ip, user: ctx.user?.id ?? null, key: `${account}\n${ctx.ip}` };
}

function accountWide(ctx: Context, account: string): RateLimitSubject {
  return { ip: ctx.ip, key: account };
}

/** The failed-login key of the password a logged-in user re-enters. */
export function passwordRecheckKey(userId: number): string {
  return `password-user-${userId}`;
}

/** Counts one attempt at the account; false when a limit is reached (the attempt must be refused). */
export async function countLoginAttempt(ctx: Context, account: string): Promise<boolean> {
  const limiter = ctx.rt.rateLimiter;
  if (!limiter) return true;
  if (!(await limiter.consume("login_failed", perAddress(ctx, account)))) return false;
  // Only attempts the per-IP rules let through count here: one client hammering its own lockout
  // does not run the account into its ceiling.
  return limiter.consume("login_failed_account", accountWide(ctx, account));
}

/** After a counted attempt succeeded: its IP point is refunded, the account's failures are forgotten. */
export async function loginAttemptSucceeded(ctx: Context, account: string): Promise<void> {
  const limiter = ctx.rt.rateLimiter;
  if (!limiter) return;
  const subject = perAddress(ctx, account);
  await Promise.all([
    limiter.reward("login_failed", subject, { only: ["ip"] }),
    forgetLoginFailures(ctx, account),
  ]);
}

/**
 * Forgets the account's failures (a success, or a password reset by its owner) but not the
 * client IP's.
 */
export async function forgetLoginFailures(ctx: Context, account: string): Promise<void> {
  const limiter = ctx.rt.rateLimiter;
  if (!limiter) return;
  await Promise.all([
    limiter.clear("login_failed", perAddress(ctx, account), ACCOUNT_RULES),
    limiter.clear("login_failed_account", accountWide(ctx, account), ACCOUNT_RULES),
  ]);
}
