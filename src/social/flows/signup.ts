import { startDecoySignup } from "../../account/flows/decoy.js";
import { signupFieldSet } from "../../account/options.js";
import { needsSignupForm } from "../../account/signup-fields.js";
import { generateUsername, storedUsername, usernameErrors } from "../../account/usernames.js";
import { unauthenticated } from "../../base/auth.js";
import type { Context } from "../../base/context.js";
import { beginLogin } from "../../base/login.js";
import type { Result } from "../../core/responses.js";
import { SessionKey } from "../../sessions/keys.js";
import type { UserExtra } from "../../store/session-users.js";
import type { NewUserConflict, UserRecord } from "../../store/users.js";
import { emailRequired, isOpenForSignup } from "../options.js";
import { appByClientId, findProvider } from "../providers/registry.js";
import type { ProviderData, ProviderEmail, ProviderTokens } from "../providers/types.js";
import { socialStore } from "../runtime.js";
import type { SocialLogin } from "../sociallogin.js";
import { connectAccount } from "./accounts.js";
import { type Found, logIn, lookup, socialRecord, stageState } from "./lookup.js";

interface PendingSignupState {
  provider: string;
  clientId: string | null;
  uid: string;
  extraData: ProviderData;
  emails: ProviderEmail[];
  username: string | null;
  firstName: string | null;
  lastName: string | null;
  picture: string | null;
  /** The provider's tokens as JSON, encrypted; only with socialaccount.storeTokens. */
  tokens: string | null;
  /** Epoch ms; the signup must finish within account.loginTimeout. */
  startedAt: number;
}

/** The provider signup waiting for the user's input, if any (and not past account.loginTimeout). */
export function pendingSignup(ctx: Context): SocialLogin | null {
  const state = ctx.session.get<PendingSignupState>(SessionKey.SOCIAL_SIGNUP);
  if (!state) return null;
  const configured = findProvider(ctx.options, state.provider);
  const provider = configured && appByClientId(configured, state.clientId ?? undefined);
  if (!provider || ctx.now() - state.startedAt > ctx.options.account.loginTimeout * 1000) {
    clearPendingSignup(ctx);
    return null;
  }
  const tokens = state.tokens === null ? null : socialStore(ctx.rt).cipher?.decrypt(state.tokens);
  return {
    provider,
    uid: state.uid,
    extraData: state.extraData,
    emails: state.emails,
    username: state.username,
    firstName: state.firstName,
    lastName: state.lastName,
    picture: state.picture,
    tokens: tokens ? (JSON.parse(tokens) as ProviderTokens) : null,
  };
}

export function clearPendingSignup(ctx: Context): void {
  ctx.session.delete(SessionKey.SOCIAL_SIGNUP);
}

/** allauth `redirect_to_signup`: the signup waits for POST /auth/provider/signup (401, provider_signup pending). */
async function awaitSignupForm(ctx: Context, login: SocialLogin): Promise<Result> {
  const cipher = socialStore(ctx.rt).cipher;
  const state: PendingSignupState = {
    provider: login.provider.id,
    clientId: login.provider.app?.clientId ?? null,
    uid: login.uid,
    extraData: login.extraData,
    emails: login.emails,
    username: login.username,
    firstName: login.firstName,
    lastName: login.lastName,
    picture: login.picture,
    tokens: login.tokens && cipher ? cipher.encrypt(JSON.stringify(login.tokens)) : null,
    startedAt: ctx.now(),
  };
  ctx.session.set(SessionKey.SOCIAL_SIGNUP, state);
  return unauthenticated(ctx);
}

/**
 * allauth `assess_unique_email` for an address another account holds: hidden (null) when
 * enumeration prevention and mandatory verification let a decoy answer as a signup would;
 * otherwise taken (false). Latchkey's unique primary addresses make "strict" prevention answer
 * "taken" too, as the account area's signup does.
 */
export async function assessUniqueEmail(ctx: Context, email: string): Promise<boolean | null> {
  const a = ctx.options.account;
  if (!a.uniqueEmail || !(await ctx.rt.users.findByEmail(email))) return true;
  return a.preventEnumeration !== false && a.emailVerification === "mandatory" ? null : false;
}

/** The addresses a new user gets: the chosen one primary, the provider's others beside it. */
function plannedAddresses(login: SocialLogin, chosen: string | undefined): ProviderEmail[] {
  const list = login.emails.map((e) => ({ ...e }));
  if (chosen !== undefined && !list.some((e) => e.email === chosen)) {
    list.unshift({ email: chosen, verified: false, primary: true });
  }
  const primary = chosen ?? list[0]?.email;
  return list.map((e) => ({ ...e, primary: e.email === primary }));
}

/**
 * allauth `populate_username`: the provider's username when it is valid and free, else one
 * generated from the person's names or address.
 */
async function chooseUsername(ctx: Context, login: SocialLogin, email: string | undefined): Promise<string> {
  if (login.username !== null && (await usernameErrors(ctx, login.username)).length === 0) {
    return storedUsername(ctx.options, login.username);
  }
  const basis = login.firstName ?? login.lastName ?? email ?? login.username ?? undefined;
  return generateUsername(ctx.rt.users, ctx.options, basis);
}

type Created = { user: UserRecord } | { conflict: NewUserConflict } | { connectedMeanwhile: Found };

/**
 * allauth `save_user`: a user without a usable password, its addresses (provider-verified ones
 * stored verified), the form's number unverified (as the account signup stores it), and the
 * provider account connected. A concurrent request that connected the same provider account first
 * wins: the user made here is removed again.
 */
async function createUser(
  ctx: Context,
  login: SocialLogin,
  form: { email?: string; username?: string; phone?: string; extra?: UserExtra },
): Promise<Created> {
  const o = ctx.options;
  const addresses = plannedAddresses(login, form.email);
  const primary = addresses.find((a) => a.primary);
  const store = (username: string) =>
    ctx.rt.users.create({
      username,
      password: null,
      ...(primary ? { email: { address: primary.email, verified: primary.verified } } : {}),
      ...(form.extra ? { extra: form.extra } : {}),
      now: ctx.now(),
    });
  const username =
    form.username !== undefined
      ? storedUsername(o, form.username)
      : await chooseUsername(ctx, login, primary?.email);
  let created = await store(username);
  if ("conflict" in created && created.conflict === "username" && form.username === undefined) {
    // A concurrent signup took the generated name: generate another.
    created = await store(await generateUsername(ctx.rt.users, o, username));
  }
  if ("conflict" in created) return created;
  if (form.phone !== undefined) await ctx.rt.phones.set(created.id, form.phone, false);
  for (const extra of addresses) {
    if (extra.primary || (await ctx.rt.users.findByEmail(extra.email))) continue;
    if ((await ctx.rt.addresses.addUnverified(created.id, extra.email)) && extra.verified) {
      await ctx.rt.addresses.markVerified(created.id, extra.email);
    }
  }
  const user = (await ctx.rt.users.findById(created.id))!;
  if (!(await connectAccount(ctx, login, user, { notify: false }))) {
    await socialStore(ctx.rt).accounts.discardUser(user.id);
    const found = await lookup(ctx, login);
    // Connected and disconnected again meanwhile: as a lost race, the person tries again.
    return found ? { connectedMeanwhile: found } : { conflict: "email" };
  }
  return { user };
}

/** allauth `complete_social_signup`: the new user logs in, the record is socialaccount. */
async function completeSignup(ctx: Context, login: SocialLogin, user: UserRecord): Promise<Result> {
  await ctx.emit("signup", user, { via: "provider", provider: login.provider.id });
  return beginLogin(ctx, user, socialRecord(ctx, login), {
    signup: true,
    ...(user.email ? { email: user.email } : {}),
    state: stageState(ctx),
  });
}

/**
 * allauth `process_auto_signup`: whether the provider's data suffices to sign up without asking
 * (auto signup on, an address that is free, or none needed), or the enumeration decoy's answer
 * when the address belongs to another account and must not be revealed.
 */
async function autoSignup(ctx: Context, login: SocialLogin): Promise<boolean | Result> {
  const o = ctx.options;
  if (!o.socialaccount.autoSignup) return false;
  // Your required extra signup fields can only come from the form.
  if (await needsSignupForm(ctx.rt.adapter.signupFields)) return false;
  const email = login.emails[0]?.email;
  if (email !== undefined) {
    const assessment = await assessUniqueEmail(ctx, email);
    if (assessment === false) return false;
    if (assessment === null) return startDecoySignup(ctx, { email });
  } else if (emailRequired(o)) {
    return false;
  }
  // Providers give no phone number: a required one is asked for in the signup form.
  return signupFieldSet(o.account.signupFields).get("phone") !== true;
}

export type SignupOutcome = { result: Result } | { refused: "signup_closed" };

/** allauth `process_signup`: a new person signs up, automatically or through the signup form. */
export async function signUp(ctx: Context, login: SocialLogin): Promise<SignupOutcome> {
  if (!isOpenForSignup(ctx.options)) return { refused: "signup_closed" };
  const email = login.emails[0]?.email;
  const attempt = {
    via: "provider",
    provider: login.provider.id,
    ...(email !== undefined ? { email } : {}),
  } as const;
  if (!(await ctx.mayOpenSignup(attempt))) return { refused: "signup_closed" };
  const auto = await autoSignup(ctx, login);
  if (auto !== true) return { result: auto === false ? await awaitSignupForm(ctx, login) : auto };
  const created = await createUser(ctx, login, {});
  if ("connectedMeanwhile" in created) return { result: await logIn(ctx, login, created.connectedMeanwhile) };
  // Taken meanwhile by a concurrent signup: the form lets the user pick another address or name.
  if ("conflict" in created) return { result: await awaitSignupForm(ctx, login) };
  return { result: await completeSignup(ctx, login, created.user) };
}

/** What POST /auth/provider/signup found valid. */
export interface SignupForm {
  email?: string;
  username?: string;
  /** E.164. */
  phone?: string;
  /** Your extra signup fields (createLatchkey's signupFields). */
  extra: UserExtra;
  /** The address or number belongs to another account and enumeration prevention hides it. */
  accountAlreadyExists: boolean;
}

/** allauth `signup_by_form`: the pending signup completes with the user's input. */
export async function signUpByForm(ctx: Context, login: SocialLogin, form: SignupForm): Promise<Result> {
  clearPendingSignup(ctx);
  if (form.accountAlreadyExists) return startDecoySignup(ctx, { email: form.email, phone: form.phone });
  const created = await createUser(ctx, login, {
    ...(form.email !== undefined ? { email: form.email } : {}),
    ...(form.username !== undefined ? { username: form.username } : {}),
    ...(form.phone !== undefined ? { phone: form.phone } : {}),
    extra: form.extra,
  });
  if ("connectedMeanwhile" in created) return logIn(ctx, login, created.connectedMeanwhile);
  if ("conflict" in created) {
    // Lost a race with a concurrent signup: answer as the form's own check would have.
    return created.conflict === "username"
      ? ctx.invalid("username_taken", "username")
      : ctx.invalid("email_taken.provider", "email", { provider: login.provider.name });
  }
  return completeSignup(ctx, login, created.user);
}
