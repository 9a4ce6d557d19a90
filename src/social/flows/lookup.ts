import type { VerifyEmailState } from "../../account/email/stage.js";
import type { Context } from "../../base/context.js";
import { authTime, beginLogin } from "../../base/login.js";
import { Flow } from "../../core/enums.js";
import type { Result } from "../../core/responses.js";
import type { AuthenticationMethod } from "../../core/wire.js";
import type { UserRecord } from "../../store/users.js";
import { emailVerification } from "../options.js";
import { socialStore } from "../runtime.js";
import type { SocialLogin } from "../sociallogin.js";
import type { SocialAccount } from "../store.js";
import { connectAccount, keepTokens } from "./accounts.js";

/** The local account a provider login points to (allauth `SocialLogin.lookup`). */
export type Found =
  /** The provider account is connected to this user. */
  | { kind: "account"; account: SocialAccount; user: UserRecord }
  /** Email authentication: the user holds an address the provider verified. */
  | { kind: "email"; email: string; user: UserRecord };

/**
 * allauth `can_authenticate_by_email`: the app's `emailAuthentication` setting, else
 * socialaccount.emailAuthentication or the provider's setting.
 */
function canAuthenticateByEmail(ctx: Context, login: SocialLogin): boolean {
  const provider = login.provider;
  return (
    provider.app?.settings.emailAuthentication ??
    (ctx.options.socialaccount.emailAuthentication || provider.settings.emailAuthentication === true)
  );
}

/**
 * The provider account if it is connected (its data refreshed and its tokens kept, as allauth
 * does on every login), else with email authentication the owner of an address the provider
 * verified, else null.
 */
export async function lookup(ctx: Context, login: SocialLogin): Promise<Found | null> {
  const accounts = socialStore(ctx.rt).accounts;
  const account = await accounts.find(login.provider.id, login.uid);
  if (account) {
    await accounts.refresh(account.id, login.extraData, ctx.now());
    await keepTokens(ctx, login, account);
    const user = await ctx.rt.users.findById(account.userId);
    return user ? { kind: "account", account, user } : null;
  }
  if (!canAuthenticateByEmail(ctx, login)) return null;
  for (const { email, verified } of login.emails) {
    if (!verified) continue;
    const user = await ctx.rt.users.findByEmail(email);
    if (user) return { kind: "email", email, user };
  }
  return null;
}

/** The authentication record of a provider login. */
export function socialRecord(ctx: Context, login: SocialLogin): AuthenticationMethod {
  return { method: "socialaccount", at: authTime(ctx), provider: login.provider.id, uid: login.uid };
}

/**
 * What the pending login carries for its stages. socialaccount.emailVerification, when set, is the
 * verification mode of provider logins; the verify_email stage reads it from the login's state.
 */
export function stageState(ctx: Context): Record<string, unknown> {
  if (ctx.options.socialaccount.emailVerification === null) return {};
  const state: VerifyEmailState = { mode: emailVerification(ctx.options) };
  return { [Flow.VERIFY_EMAIL]: state };
}

/**
 * allauth `wipe_password`: whoever signed up with an address they do not own (unverified) and
 * waited for its owner to log in by email authentication loses the account's password and
 * sessions; the owner logs in.
 */
async function wipeUnprovenPassword(ctx: Context, user: UserRecord, email: string): Promise<UserRecord> {
  if (await ctx.rt.addresses.hasVerified(user.id, email)) return user;
  await ctx.rt.users.setPassword(user.id, null, { endSessionsExcept: { keep: null } });
  return (await ctx.rt.users.findById(user.id)) ?? user;
}

/** Logs in the user a provider login found (allauth `_login`): the stages run, the record is socialaccount. */
export async function logIn(ctx: Context, login: SocialLogin, found: Found): Promise<Result> {
  let user = found.user;
  if (found.kind === "email") {
    user = await wipeUnprovenPassword(ctx, user, found.email);
    if (ctx.options.socialaccount.emailAuthenticationAutoConnect) {
      // A concurrent request may have connected it: then it is connected, which is what was wanted.
      await connectAccount(ctx, login, user, { notify: true });
    }
  }
  return beginLogin(ctx, user, socialRecord(ctx, login), { state: stageState(ctx) });
}
