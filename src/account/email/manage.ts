import { requireRecentAuthentication } from "../../base/auth.js";
import type { AuthenticatedContext, Context } from "../../base/context.js";
import type { Gate } from "../../base/route.js";
import type { ApiError } from "../../core/errors.js";
import { badRequest, conflict, forbidden, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { EmailAddress } from "../../core/wire.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import type { AddressRow } from "../../store/addresses.js";
import type { SessionUser } from "../../store/session-users.js";
import type { CodeVerification } from "../code-verification.js";
import { addressResponse, notify } from "./addresses.js";
import type { EmailInput, MarkPrimaryEmailInput } from "./inputs.js";
import { EMAIL_VERIFICATION_KIND } from "./keys.js";
import {
  abortProcess,
  accountAlreadyExists,
  canResend,
  persistProcess,
  resumeProcess,
  startEmailVerification,
} from "./process.js";
import { didUserLogin, mailProcessCode, mailVerificationLink, mayMailVerification } from "./send.js";
import { resendCode } from "./verification.js";

/**
 * /account/email, as allauth's ManageEmailView: a logged-in user manages their addresses; an
 * anonymous caller may only POST, to change the address of a signup whose verification by code
 * is pending (account.emailVerificationSupportsChange).
 */

/**
 * allauth `EmailVerificationProcess.can_change`: within the change count, and only for a user
 * who never logged in (a signup). The decoy of a taken address has no user, so it cannot change.
 */
async function canChange(ctx: Context, process: CodeVerification): Promise<boolean> {
  if (process.changes >= ctx.options.account.emailVerificationSupportsChange) return false;
  if (process.userId === null) return false;
  return !(await didUserLogin(ctx, process.userId));
}

/**
 * POST's gate: a logged-in caller, or one whose signup may change its address (the signup's user
 * is then who the request acts for: the manage_email limit counts for it). Anyone else: 409.
 */
export const ownerOrChangingSignup: Gate = {
  kind: "custom",
  anonymous: 409,
  async check(ctx) {
    if (ctx.user) return null;
    const process = await resumeProcess(ctx);
    if (!process || !(await canChange(ctx, process))) return conflict();
    ctx.actingFor = await ctx.rt.users.findById(process.userId!);
    return ctx.actingFor ? null : conflict();
  },
};

/**
 * allauth `list_email_addresses`: the stored addresses, plus (code mode) the one waiting in the
 * session for its code, which is not stored until verified.
 */
async function listAddresses(ctx: Context, userId: number): Promise<EmailAddress[]> {
  const rows = await ctx.rt.addresses.list(userId);
  const list = rows.map(addressResponse);
  const pending = await pendingAddress(ctx, userId);
  if (pending && !rows.some((r) => r.email_lower === pending.recipient.toLowerCase())) {
    list.push({ email: pending.recipient, verified: false, primary: false });
  }
  return list;
}

/** The session's verification of an address of this user not stored yet (code mode). */
async function pendingAddress(ctx: Context, userId: number): Promise<CodeVerification | null> {
  const process = await resumeProcess(ctx);
  return process && process.userId === userId && !accountAlreadyExists(process) ? process : null;
}

/** GET: the user's addresses. */
export async function listEmail(ctx: AuthenticatedContext): Promise<Result> {
  return ok(await listAddresses(ctx, ctx.user.id));
}

/** Reauthentication for address changes, only with account.reauthenticationRequired. */
async function reauthenticationGate(ctx: AuthenticatedContext): Promise<void> {
  if (ctx.options.account.reauthenticationRequired) await requireRecentAuthentication(ctx);
}

/** POST: a logged-in user adds an address; an anonymous signup changes its own. */
export async function addOrChangeEmail(ctx: Context, input: EmailInput): Promise<Result> {
  if (ctx.user) return addAddress(ctx as AuthenticatedContext, input.email);
  const process = (await resumeProcess(ctx))!;
  return changeSignupAddress(ctx, ctx.actingFor!, process, input.email);
}

/**
 * A logged-in user adds an address (allauth AddEmailForm): duplicates are refused; an address of
 * another account only when enumeration prevention is off (else its verification fails later
 * with email_taken); account.maxEmailAddresses holds unless account.changeEmail. Link mode stores
 * the address unverified (with changeEmail, in place of a previous pending change) and mails a
 * link; code mode keeps it in the session and mails a code (429 when the confirm_email limit
 * blocks).
 */
async function addAddress(ctx: AuthenticatedContext, email: string): Promise<Result> {
  const user = ctx.user;
  const o = ctx.options.account;
  const holders = await ctx.rt.addresses.holders(email);
  if (holders.some((r) => r.user_id === user.id)) return ctx.invalid("duplicate_email", "email");
  if (holders.length > 0 && o.uniqueEmail && o.preventEnumeration === false) {
    return ctx.invalid("email_taken", "email");
  }
  const rows = await ctx.rt.addresses.list(user.id);
  if (!o.changeEmail && o.maxEmailAddresses !== null && rows.length >= o.maxEmailAddresses) {
    return ctx.invalid("max_email_addresses", "email", { max: o.maxEmailAddresses });
  }
  // Verification by code stores no address before it is proven: nothing to refuse then.
  const refusal = o.emailVerificationByCode.enabled ? null : await ctx.rt.hooks.refuseAddingEmail(ctx, user);
  if (refusal) return badRequest([refusal]);
  await reauthenticationGate(ctx);

  if (o.emailVerificationByCode.enabled) {
    if (!(await mayMailVerification(ctx, email))) return tooManyRequests();
    const { process, code } = await startEmailVerification(ctx, {
      email,
      userId: user.id,
      accountAlreadyExists: false,
    });
    await mailProcessCode(ctx, process, code);
    persistProcess(ctx, process);
    return ok(await listAddresses(ctx, user.id));
  }

  const pendingChange = o.changeEmail ? rows.find((r) => r.verified === 0 && r.is_primary === 0) : undefined;
  const stored = pendingChange
    ? await ctx.rt.addresses.rename(pendingChange.id, email)
    : await ctx.rt.addresses.addUnverified(user.id, email);
  // A concurrent request added it first.
  if (!stored) return ctx.invalid("duplicate_email", "email");
  if (pendingChange) await ctx.emit("emailRemoved", user, { email: pendingChange.email });
  await ctx.emit("emailAdded", user, { email });
  await mailVerificationLink(ctx, user.id, email, false);
  // The account's owner learns of the new address at the one already proven.
  if (user.email !== email) await notify(ctx, user.email, "email_added", { email });
  return ok(await listAddresses(ctx, user.id));
}

/**
 * Anonymous POST during a signup's verification by code (allauth ChangeEmailInput and
 * `change_to`): the pending address is replaced and a new code mailed. An address of another
 * account is `email_taken` only when enumeration prevention is off; otherwise nothing is stored,
 * "account already exists" is mailed to it, and the answer is the same as for a free address.
 */
async function changeSignupAddress(
  ctx: Context,
  user: SessionUser,
  process: CodeVerification,
  email: string,
): Promise<Result> {
  if (email === process.recipient.toLowerCase()) return ctx.invalid("same_as_current", "email");
  const holder = await ctx.rt.users.findByEmail(email);
  let taken = holder !== null && holder.id !== user.id;
  if (taken && ctx.options.account.preventEnumeration === false) return ctx.invalid("email_taken", "email");
  // The limit is checked before anything changes, so a refused change leaves the old code working.
  if (!(await mayMailVerification(ctx, email))) return tooManyRequests();
  if (!taken) taken = !(await ctx.rt.addresses.replaceUnverified(user.id, email));
  const code = await process.change(ctx, {
    recipient: email,
    limit: ctx.options.account.emailVerificationSupportsChange,
    decoy: taken,
    data: { accountAlreadyExists: taken },
  });
  // A concurrent change used up the count.
  if (code === null) return conflict();
  await mailProcessCode(ctx, process, code);
  persistProcess(ctx, process);
  const login = ctx.session.get<PendingLogin>(SessionKey.LOGIN);
  if (login && login.userId === user.id) {
    login.email = email;
    ctx.session.touch();
  }
  // What the list is after a change, stored or not: the verified addresses and the new one.
  const kept = (await ctx.rt.addresses.list(user.id)).filter((r) => r.verified === 1);
  return ok([
    ...kept.map(addressResponse),
    { email, verified: false, primary: !kept.some((r) => r.is_primary === 1) },
  ]);
}

/**
 * allauth's SelectEmailInput: the user's stored address, or (code mode) the one awaiting its code
 * in the session, which has no row yet.
 */
async function selectAddress(
  ctx: AuthenticatedContext,
  email: string,
): Promise<{ stored: AddressRow } | { pending: CodeVerification } | null> {
  const stored = await ctx.rt.addresses.find(ctx.user.id, email);
  if (stored) return { stored };
  const pending = await pendingAddress(ctx, ctx.user.id);
  return pending && pending.recipient.toLowerCase() === email ? { pending } : null;
}

/**
 * PUT: mails another verification. Link mode: for an unverified address of the user, within the
 * confirm_email limit. Code mode: the session's pending code is sent again, within
 * account.emailVerificationSupportsResend. A mail not sent is 403 `{"status":403}`.
 */
export async function resendVerification(ctx: AuthenticatedContext, input: EmailInput): Promise<Result> {
  if (ctx.options.account.emailVerificationByCode.enabled) {
    const process = await resumeProcess(ctx);
    if (!process) return ctx.invalid("unknown_email", "email");
    if (!canResend(ctx, process)) return forbidden();
    return (await resendCode(ctx, process)) ? ok() : forbidden();
  }
  const selected = await selectAddress(ctx, input.email);
  if (!selected || !("stored" in selected)) return ctx.invalid("unknown_email", "email");
  const address = selected.stored;
  if (address.verified === 1) return forbidden();
  const sent = await mailVerificationLink(ctx, ctx.user.id, address.email, false);
  return sent ? ok() : forbidden();
}

/**
 * Why an address may not become the primary one (allauth's MarkAsPrimaryEmailInput): not the
 * user's; still awaiting its code, or unverified while a verified one exists
 * (`unverified_primary_email`). The address when it may.
 */
async function primaryCandidate(ctx: AuthenticatedContext, email: string): Promise<AddressRow | ApiError> {
  const selected = await selectAddress(ctx, email);
  if (!selected) return ctx.error("unknown_email", "email");
  if ("pending" in selected) return ctx.error("unverified_primary_email", "email");
  const address = selected.stored;
  if (address.verified === 0 && (await ctx.rt.addresses.hasVerified(ctx.user.id))) {
    return ctx.error("unverified_primary_email", "email");
  }
  return address;
}

/** PATCH with `primary` missing: the email field's error too, as Django reports every field's. */
export async function markPrimaryErrorsBesides(
  ctx: AuthenticatedContext,
  body: Record<string, unknown>,
  errors: ApiError[],
): Promise<ApiError[] | undefined> {
  const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
  if (email === "" || errors.some((e) => e.param === "email")) return undefined;
  const candidate = await primaryCandidate(ctx, email);
  return "code" in candidate ? [candidate, ...errors] : undefined;
}

/**
 * PATCH `{email, primary: true}`: a verified address (or any stored one, while none is verified)
 * becomes the primary one; `email_changed` goes to the previous primary address.
 */
export async function markPrimary(ctx: AuthenticatedContext, input: MarkPrimaryEmailInput): Promise<Result> {
  const user = ctx.user;
  const address = await primaryCandidate(ctx, input.email);
  if ("code" in address) return badRequest([address]);
  await reauthenticationGate(ctx);
  const previous = (await ctx.rt.addresses.list(user.id)).find((r) => r.is_primary === 1);
  // Another account holds this address as its (unverified) primary one.
  if (!(await ctx.rt.addresses.setPrimary(user.id, address.id))) return ctx.invalid("email_taken", "email");
  if (previous)
    await notify(ctx, previous.email, "email_changed", { from: previous.email, to: address.email });
  return ok(await listAddresses(ctx, user.id));
}

/**
 * allauth `can_delete_email`: the primary address only when it is the last one and the account
 * does not log in by email alone; another address unless it is the last and login is by email.
 */
function canDelete(ctx: Context, address: AddressRow, rows: AddressRow[]): boolean {
  const hasOther = rows.some((r) => r.id !== address.id);
  const methods = ctx.options.account.loginMethods;
  const loginByEmailOnly = methods.length === 1 && methods[0] === "email";
  if (address.is_primary === 1) return !hasOther && !loginByEmailOnly;
  return hasOther || !loginByEmailOnly;
}

/**
 * DELETE: removes an address (never the primary one while others exist); `email_deleted` goes to
 * the primary address. In code mode, the address waiting in the session for its code is
 * "removed" by ending that verification.
 */
export async function deleteAddress(ctx: AuthenticatedContext, input: EmailInput): Promise<Result> {
  const user = ctx.user;
  const selected = await selectAddress(ctx, input.email);
  if (!selected) return ctx.invalid("unknown_email", "email");
  if ("pending" in selected) {
    await reauthenticationGate(ctx);
    await abortProcess(ctx, selected.pending);
    return ok(await listAddresses(ctx, user.id));
  }
  const address = selected.stored;
  const rows = await ctx.rt.addresses.list(user.id);
  if (!canDelete(ctx, address, rows)) return ctx.invalid("cannot_remove_primary_email", "email");
  await reauthenticationGate(ctx);
  await ctx.rt.addresses.remove(address, EMAIL_VERIFICATION_KIND);
  await ctx.emit("emailRemoved", user, { email: address.email });
  const primary = rows.find((r) => r.is_primary === 1 && r.id !== address.id);
  await notify(ctx, primary?.email, "email_deleted", { email: address.email });
  return ok(await listAddresses(ctx, user.id));
}
