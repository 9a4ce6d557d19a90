import type { Context } from "../../base/context.js";
import { notifyAccountChange } from "../notify.js";
import { socialStore } from "../runtime.js";
import type { SocialLogin } from "../sociallogin.js";
import type { SocialAccount } from "../store.js";

/** The client id a login's tokens were issued to ("" for the development provider, which has none). */
function clientIdOf(login: SocialLogin): string {
  return login.provider.app?.clientId ?? "";
}

/** Keeps the tokens of a login for its account (only with socialaccount.storeTokens). */
export async function keepTokens(ctx: Context, login: SocialLogin, account: SocialAccount): Promise<void> {
  if (login.tokens)
    await socialStore(ctx.rt).accounts.storeTokens(account.id, clientIdOf(login), login.tokens);
}

/**
 * Connects the login's provider account to a user (allauth `SocialLogin.connect`), with its tokens
 * and the notification mail. Null when the account got connected meanwhile (by a concurrent
 * request): the caller looks it up again.
 */
export async function connectAccount(
  ctx: Context,
  login: SocialLogin,
  user: { id: number; email: string | null },
  opts: { notify: boolean },
): Promise<SocialAccount | null> {
  const account = await socialStore(ctx.rt).accounts.create(
    user.id,
    login.provider.id,
    login.uid,
    login.extraData,
    ctx.now(),
  );
  if (!account) return null;
  await keepTokens(ctx, login, account);
  if (opts.notify) await notifyAccountChange(ctx, user.email, "connected", login.provider.name);
  return account;
}
