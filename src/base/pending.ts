import { SessionKey } from "../sessions/keys.js";
import type { PendingLogin } from "../sessions/session.js";
import type { Context } from "./context.js";

/** The staged login in progress, unless it ran past account.loginTimeout. */
export function pendingLogin(ctx: Context): PendingLogin | null {
  const login = ctx.session.get<PendingLogin>(SessionKey.LOGIN);
  if (!login) return null;
  if (ctx.now() - login.startedAt > ctx.options.account.loginTimeout * 1000) {
    ctx.session.delete(SessionKey.LOGIN);
    return null;
  }
  return login;
}

/** Ends the pending login (allauth `clear_login`): expiry, exhausted attempts, an abandoned stage. */
export function abortLogin(ctx: Context): void {
  ctx.session.delete(SessionKey.LOGIN);
}
