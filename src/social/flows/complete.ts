import type { Context } from "../../base/context.js";
import type { SocialLogin } from "../sociallogin.js";
import { connect, type SocialOutcome } from "./connect.js";
import { logIn, lookup } from "./lookup.js";
import { clearPendingSignup, signUp } from "./signup.js";

/** What a provider login is for: logging in (or signing up), or connecting to the logged-in user. */
export type Process = "login" | "connect";

/**
 * allauth `complete_login`, after a provider vouched for someone (by redirect or by token): a
 * pending provider signup is dropped; "connect" adds the account to the logged-in user; "login"
 * ends any current login, then logs in the account's user (the stages run) or signs up.
 */
export async function completeSocialLogin(
  ctx: Context,
  login: SocialLogin,
  process: Process,
): Promise<SocialOutcome> {
  clearPendingSignup(ctx);
  const found = await lookup(ctx, login);
  if (process === "connect") return connect(ctx, login, found);
  if (ctx.user) {
    ctx.session.flush(ctx.now());
    ctx.user = null;
  }
  if (found) return { result: await logIn(ctx, login, found) };
  return signUp(ctx, login);
}
