import {
  authenticationState,
  isRecentlyAuthenticated,
  requireRecentAuthentication,
} from "../../base/auth.js";
import type { AuthenticatedContext, Context } from "../../base/context.js";
import { ok, type Result } from "../../core/responses.js";
import type { DeleteProviderAccountInput } from "../inputs.js";
import { notifyAccountChange } from "../notify.js";
import { findProvider } from "../providers/registry.js";
import { socialStore } from "../runtime.js";
import { accountInfo } from "../serialize.js";
import type { SocialLogin } from "../sociallogin.js";
import { connectAccount } from "./accounts.js";
import { type Found, lookup } from "./lookup.js";

/** Why a provider login or connection was refused; the redirect flow's `error` codes. */
export type SocialRefusal =
  | "signup_closed"
  | "connected_other"
  | "reauthentication_required"
  | "permission_denied";

export type SocialOutcome = { result: Result } | { refused: SocialRefusal };

/**
 * allauth `do_connect` (process "connect"): a logged-in user adds the provider account (recently
 * authenticated, with account.reauthenticationRequired). An account connected to someone else,
 * or an address another account proved (email authentication), is `connected_other`.
 */
export async function connect(ctx: Context, login: SocialLogin, found: Found | null): Promise<SocialOutcome> {
  const user = ctx.user;
  if (!user) return { refused: "permission_denied" };
  if (
    ctx.options.account.reauthenticationRequired &&
    !(await isRecentlyAuthenticated(ctx as AuthenticatedContext))
  ) {
    return { refused: "reauthentication_required" };
  }
  if (found && found.user.id !== user.id) return { refused: "connected_other" };
  // Connected already to this user: its data was refreshed by the lookup ("updated").
  if (found?.kind !== "account" && !(await connectAccount(ctx, login, user, { notify: true }))) {
    // A concurrent request connected it first: to whom decides.
    const now = await lookup(ctx, login);
    if (now?.user.id !== user.id) return { refused: "connected_other" };
  }
  return { result: await authenticationState(ctx) };
}

/** GET /account/providers: the user's connected accounts. */
export async function listAccounts(ctx: AuthenticatedContext): Promise<Result> {
  const accounts = await socialStore(ctx.rt).accounts.list(ctx.user.id);
  return ok(accounts.map((a) => accountInfo(ctx.options, a)));
}

/**
 * DELETE /account/providers, as allauth's `validate_disconnect` and `disconnect`: the last
 * account may not go when it is the only way in (socialaccount.only, no password, or no verified
 * address with mandatory verification). The checks come before the reauthentication, as in allauth.
 */
export async function disconnectAccount(
  ctx: AuthenticatedContext,
  input: DeleteProviderAccountInput,
): Promise<Result> {
  const o = ctx.options;
  const store = socialStore(ctx.rt).accounts;
  const accounts = await store.list(ctx.user.id);
  const account = accounts.find((a) => a.provider === input.provider && a.uid === input.account);
  if (!account) return ctx.invalid("account_not_found");
  if (accounts.length === 1) {
    if (o.socialaccount.only) return ctx.invalid("disconnect_last");
    if (!ctx.user.hasPassword) return ctx.invalid("no_password");
    if (o.account.emailVerification === "mandatory" && !(await ctx.rt.addresses.hasVerified(ctx.user.id))) {
      return ctx.invalid("no_verified_email");
    }
  }
  if (o.account.reauthenticationRequired) await requireRecentAuthentication(ctx);
  await store.remove(account.id);
  const name = findProvider(o, account.provider)?.name ?? account.provider;
  await notifyAccountChange(ctx, ctx.user.email, "disconnected", name);
  return listAccounts(ctx);
}
