import { AuthenticatorType } from "../../core/enums.js";
import { type ApiError, apiError, messages } from "../../core/errors.js";
import { parseInput } from "../../core/input.js";
import { badRequest, conflict, forbidden, ok, type Result, tooManyRequests } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { authenticatorTypes } from "../../mfa/authenticators.js";
import { SessionKey } from "../../sessions/keys.js";
import type { PendingLogin } from "../../sessions/session.js";
import { isUniqueViolation } from "../../store/database.js";
import { isRecentlyAuthenticated, reauthenticationRequired, unauthenticated } from "../auth-state.js";
import type { CodeVerification } from "../code-verification.js";
import { findUserByEmail, findUserById, type UserRecord } from "../users.js";
import {
  type AddressResponse,
  type AddressRow,
  addressHolders,
  addressResponse,
  notify,
  userAddress,
  userAddresses,
} from "./addresses.js";
import { EmailInput, MarkPrimaryEmailInput } from "./inputs.js";
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

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Who the request manages addresses for: the logged-in user, or a signup's (changing its address). */
interface Caller {
  user: UserRecord;
  /** Set for an anonymous caller changing the address of a pending signup verification. */
  signupProcess: CodeVerification | null;
}

const emailError = (code: Parameters<typeof apiError>[0], message: string) =>
  apiError(code, message, "email");

/**
 * /account/email, as allauth's ManageEmailView: a logged-in user manages their addresses; an
 * anonymous caller may only POST, to change the address of a signup whose verification by code
 * is pending (account.emailVerificationSupportsChange). The manage_email limit counts for the
 * user either way; the body is validated after these checks.
 */
export async function manageEmail(ctx: Context, method: Method, body: unknown): Promise<Result> {
  const caller = await resolveCaller(ctx, method);
  if (!("user" in caller)) return caller;
  const limiter = ctx.rt.rateLimiter;
  if (limiter && !(await limiter.consume("manage_email", { ip: ctx.ip, user: caller.user.id, key: null }))) {
    return tooManyRequests();
  }
  const input = (body ?? {}) as Record<string, unknown>;
  switch (method) {
    case "GET":
      return ok(await listAddresses(ctx, caller.user.id));
    case "POST":
      return caller.signupProcess
        ? changeSignupAddress(ctx, caller.user, caller.signupProcess, input)
        : addAddress(ctx, caller.user, input);
    case "PUT":
      return resendVerification(ctx, caller.user, input);
    case "PATCH":
      return markPrimary(ctx, caller.user, input);
    case "DELETE":
      return deleteAddress(ctx, caller.user, input);
  }
}

async function resolveCaller(ctx: Context, method: Method): Promise<Caller | Result> {
  if (ctx.user) return { user: ctx.user, signupProcess: null };
  if (method !== "POST") return unauthenticated(ctx);
  const process = await resumeProcess(ctx);
  if (!process || !(await canChange(ctx, process))) return conflict();
  const user = await findUserById(ctx.db, process.userId!);
  if (!user) return conflict();
  return { user, signupProcess: process };
}

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
 * allauth `list_email_addresses`: the stored addresses, plus (code mode) the one waiting in the
 * session for its code, which is not stored until verified.
 */
async function listAddresses(ctx: Context, userId: number): Promise<AddressResponse[]> {
  const rows = await userAddresses(ctx.db, userId);
  const list = rows.map(addressResponse);
  const process = await resumeProcess(ctx);
  if (
    process &&
    process.userId === userId &&
    !accountAlreadyExists(process) &&
    !rows.some((r) => r.email_lower === process.recipient.toLowerCase())
  ) {
    list.push({ email: process.recipient, verified: false, primary: false });
  }
  return list;
}

/** Reauthentication for address changes, only with account.reauthenticationRequired. */
async function reauthenticationGate(ctx: Context): Promise<Result | null> {
  if (!ctx.options.account.reauthenticationRequired || (await isRecentlyAuthenticated(ctx))) return null;
  return reauthenticationRequired(ctx);
}

/**
 * POST by a logged-in user (allauth AddEmailForm): duplicates are refused; an address of another
 * account only when enumeration prevention is off (else its verification fails later with
 * email_taken); account.maxEmailAddresses holds unless account.changeEmail. Link mode stores the
 * address unverified (with changeEmail, in place of a previous pending change) and mails a link;
 * code mode keeps it in the session and mails a code (429 when the confirm_email limit blocks).
 */
async function addAddress(ctx: Context, user: UserRecord, body: Record<string, unknown>): Promise<Result> {
  const parsed = parseInput(EmailInput, body);
  if (!parsed.ok) return badRequest(parsed.errors);
  const email = parsed.value.email;
  const o = ctx.options.account;
  const holders = await addressHolders(ctx.db, email);
  if (holders.some((r) => r.user_id === user.id)) {
    return badRequest([emailError("duplicate_email", messages.duplicate_email)]);
  }
  if (holders.length > 0 && o.uniqueEmail && o.preventEnumeration === false) {
    return badRequest([emailError("email_taken", messages.email_taken)]);
  }
  const rows = await userAddresses(ctx.db, user.id);
  if (!o.changeEmail && o.maxEmailAddresses !== null && rows.length >= o.maxEmailAddresses) {
    const message = messages.max_email_addresses.replace("%d", String(o.maxEmailAddresses));
    return badRequest([emailError("max_email_addresses", message)]);
  }
  if (await blockedByMfa(ctx, user)) {
    return badRequest([emailError("add_email_blocked", messages.add_email_blocked)]);
  }
  const reauth = await reauthenticationGate(ctx);
  if (reauth) return reauth;

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

  try {
    const pendingChange = o.changeEmail
      ? rows.find((r) => r.verified === 0 && r.is_primary === 0)
      : undefined;
    if (pendingChange) {
      await ctx.db
        .updateTable("email_address")
        .set({ email, email_lower: email.toLowerCase() })
        .where("id", "=", pendingChange.id)
        .execute();
    } else {
      await ctx.db
        .insertInto("email_address")
        .values({ user_id: user.id, email, email_lower: email.toLowerCase(), verified: 0, is_primary: 0 })
        .execute();
    }
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent request added it first.
    return badRequest([emailError("duplicate_email", messages.duplicate_email)]);
  }
  await mailVerificationLink(ctx, user.id, email, false);
  // The account's owner learns of the new address at the one already proven.
  if (user.email !== email) await notify(ctx, user.email, "email_added", { email });
  return ok(await listAddresses(ctx, user.id));
}

/**
 * allauth.mfa's `_add_email` receiver: an account protected by two-factor authentication may not
 * add an address it has not proven (links could be followed by whoever holds the mailbox), unless
 * mfa.allowUnverifiedEmail or verification is by code (the address is stored only once proven).
 */
async function blockedByMfa(ctx: Context, user: UserRecord): Promise<boolean> {
  const o = ctx.options;
  if (!o.mfa.enabled || o.mfa.allowUnverifiedEmail || o.account.emailVerificationByCode.enabled) return false;
  const types = await authenticatorTypes(ctx.db, user.id);
  return types.includes(AuthenticatorType.TOTP) || types.includes(AuthenticatorType.WEBAUTHN);
}

/**
 * Anonymous POST during a signup's verification by code (allauth ChangeEmailInput and
 * `change_to`): the pending address is replaced and a new code mailed. An address of another
 * account is `email_taken` only when enumeration prevention is off; otherwise nothing is stored,
 * "account already exists" is mailed to it, and the answer is the same as for a free address.
 */
async function changeSignupAddress(
  ctx: Context,
  user: UserRecord,
  process: CodeVerification,
  body: Record<string, unknown>,
): Promise<Result> {
  const parsed = parseInput(EmailInput, body);
  if (!parsed.ok) return badRequest(parsed.errors);
  const email = parsed.value.email;
  if (email === process.recipient.toLowerCase()) {
    return badRequest([emailError("same_as_current", messages.same_as_current)]);
  }
  const holder = await findUserByEmail(ctx.db, email);
  let taken = holder !== null && holder.id !== user.id;
  if (taken && ctx.options.account.preventEnumeration === false) {
    return badRequest([emailError("email_taken", messages.email_taken)]);
  }
  // The limit is checked before anything changes, so a refused change leaves the old code working.
  if (!(await mayMailVerification(ctx, email))) return tooManyRequests();

  if (!taken) {
    try {
      await replaceUnverifiedAddress(ctx, user.id, email);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      taken = true;
    }
  }
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
  const kept = (await userAddresses(ctx.db, user.id)).filter((r) => r.verified === 1);
  return ok([
    ...kept.map(addressResponse),
    { email, verified: false, primary: !kept.some((r) => r.is_primary === 1) },
  ]);
}

/** The signup's unverified address gives way to the new one (primary unless a verified one is). */
async function replaceUnverifiedAddress(ctx: Context, userId: number, email: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("email_address").where("user_id", "=", userId).where("verified", "=", 0).execute();
    const primary = await trx
      .selectFrom("email_address")
      .select("id")
      .where("user_id", "=", userId)
      .where("is_primary", "=", 1)
      .executeTakeFirst();
    await trx
      .insertInto("email_address")
      .values({
        user_id: userId,
        email,
        email_lower: email.toLowerCase(),
        verified: 0,
        is_primary: primary ? 0 : 1,
      })
      .execute();
  });
}

/** Validates `email` and resolves it to one of the user's stored addresses (`unknown_email`). */
async function selectAddress(
  ctx: Context,
  user: UserRecord,
  body: Record<string, unknown>,
): Promise<{ address: AddressRow | null; email: string | null; errors: ApiError[] }> {
  const parsed = parseInput(EmailInput, body);
  if (!parsed.ok) return { address: null, email: null, errors: parsed.errors };
  const address = (await userAddress(ctx.db, user.id, parsed.value.email)) ?? null;
  return { address, email: parsed.value.email, errors: [] };
}

const unknownEmail = () => emailError("unknown_email", messages.unknown_email_address);

/**
 * PUT: mails another verification. Link mode: for an unverified address of the user, within the
 * confirm_email limit. Code mode: the session's pending code is sent again, within
 * account.emailVerificationSupportsResend. A mail not sent is 403 `{"status":403}`.
 */
async function resendVerification(
  ctx: Context,
  user: UserRecord,
  body: Record<string, unknown>,
): Promise<Result> {
  if (ctx.options.account.emailVerificationByCode.enabled) {
    const parsed = parseInput(EmailInput, body);
    if (!parsed.ok) return badRequest(parsed.errors);
    const process = await resumeProcess(ctx);
    if (!process) return badRequest([unknownEmail()]);
    if (!canResend(ctx, process)) return forbidden();
    return (await resendCode(ctx, process)) ? ok() : forbidden();
  }
  const { address, errors } = await selectAddress(ctx, user, body);
  if (errors.length > 0) return badRequest(errors);
  if (!address) return badRequest([unknownEmail()]);
  if (address.verified === 1) return forbidden();
  const sent = await mailVerificationLink(ctx, user.id, address.email, false);
  return sent ? ok() : forbidden();
}

/**
 * PATCH `{email, primary: true}`: a verified address (or any, while none is verified) becomes the
 * primary one; `email_changed` goes to the previous primary address.
 */
async function markPrimary(ctx: Context, user: UserRecord, body: Record<string, unknown>): Promise<Result> {
  const selected = await selectAddress(ctx, user, body);
  const errors = [...selected.errors];
  const address = selected.address;
  if (selected.email !== null) {
    if (!address) errors.push(unknownEmail());
    else if (address.verified === 0 && (await hasAnyVerified(ctx, user.id))) {
      errors.push(emailError("unverified_primary_email", messages.unverified_primary_email));
    }
  }
  const primaryCheck = parseInput(MarkPrimaryEmailInput.pick({ primary: true }), body);
  if (!primaryCheck.ok) errors.push(...primaryCheck.errors);
  if (errors.length > 0 || !address) return badRequest(errors);
  const reauth = await reauthenticationGate(ctx);
  if (reauth) return reauth;

  const previous = (await userAddresses(ctx.db, user.id)).find((r) => r.is_primary === 1);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable("email_address").set({ is_primary: 0 }).where("user_id", "=", user.id).execute();
      await trx.updateTable("email_address").set({ is_primary: 1 }).where("id", "=", address.id).execute();
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Another account holds this address as its (unverified) primary one.
    return badRequest([emailError("email_taken", messages.email_taken)]);
  }
  if (previous)
    await notify(ctx, previous.email, "email_changed", { from: previous.email, to: address.email });
  return ok(await listAddresses(ctx, user.id));
}

async function hasAnyVerified(ctx: Context, userId: number): Promise<boolean> {
  return (await userAddresses(ctx.db, userId)).some((r) => r.verified === 1);
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
async function deleteAddress(ctx: Context, user: UserRecord, body: Record<string, unknown>): Promise<Result> {
  const { address, email, errors } = await selectAddress(ctx, user, body);
  if (errors.length > 0) return badRequest(errors);
  const rows = await userAddresses(ctx.db, user.id);
  if (!address) {
    const process = await resumeProcess(ctx);
    const pending = process && process.userId === user.id && process.recipient.toLowerCase() === email;
    if (!pending) return badRequest([unknownEmail()]);
    const reauth = await reauthenticationGate(ctx);
    if (reauth) return reauth;
    await abortProcess(ctx, process);
    return ok(await listAddresses(ctx, user.id));
  }
  if (!canDelete(ctx, address, rows)) {
    return badRequest([emailError("cannot_remove_primary_email", messages.cannot_remove_primary_email)]);
  }
  const reauth = await reauthenticationGate(ctx);
  if (reauth) return reauth;
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("email_address").where("id", "=", address.id).execute();
    await trx
      .deleteFrom("token")
      .where("user_id", "=", user.id)
      .where("kind", "=", EMAIL_VERIFICATION_KIND)
      .where("email", "=", address.email_lower)
      .execute();
  });
  const primary = rows.find((r) => r.is_primary === 1 && r.id !== address.id);
  await notify(ctx, primary?.email, "email_deleted", { email: address.email });
  return ok(await listAddresses(ctx, user.id));
}
