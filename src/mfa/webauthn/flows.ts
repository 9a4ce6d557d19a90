import { signup } from "../../account/flows/signup.js";
import type { SignupInput } from "../../account/inputs.js";
import { authenticated, requireRecentAuthentication } from "../../base/auth.js";
import type { AuthenticatedContext, Context, StageContext } from "../../base/context.js";
import { authTime, beginLogin, completeStage, recordAuthentication } from "../../base/login.js";
import { pendingLogin } from "../../base/pending.js";
import { AuthenticatorType } from "../../core/enums.js";
import { conflict, ok, type Result } from "../../core/responses.js";
import type { AuthenticationMethod } from "../../core/wire.js";
import { SessionKey } from "../../sessions/keys.js";
import { canAddAuthenticator } from "../authenticators.js";
import { autoGenerateRecoveryCodes } from "../recovery-codes.js";
import {
  type AssertionResult,
  creationOptions,
  requestOptions,
  verifyAssertion,
  verifyRegistration,
} from "./ceremony.js";
import type {
  AddWebAuthnInput,
  CredentialInput,
  DeleteWebAuthnInput,
  UpdateWebAuthnInput,
} from "./inputs.js";
import {
  defaultName,
  deleteWebAuthn,
  insertWebAuthn,
  listWebAuthn,
  renameWebAuthn,
  serializeWebAuthnAuthenticator,
  type WebAuthnAuthenticator,
} from "./records.js";
import { markPasskeySignup } from "./stage.js";

/** The handlers of the WebAuthn endpoints, each checking in the order allauth's views do. */

const unverifiedEmail = (ctx: Context) => conflict([ctx.error("unverified_email")]);

/**
 * A registration that does not verify. allauth checks it in the form's `clean()`, so the error
 * is form-level: no `param`.
 */
const registrationFailed = (ctx: Context) => ctx.invalid("incorrect_code");

/** A refused assertion: a `loginFailed` event for the user it was for (null for a passkey login), then 400. */
async function assertionFailed(
  ctx: Context,
  result: Extract<AssertionResult, { ok: false }>,
  userId: number | null,
): Promise<Result> {
  await ctx.emit("loginFailed", userId === null ? null : await ctx.rt.users.findById(userId), {
    method: "webauthn",
    reason: result.problem,
    ...(ctx.user ? { reauthentication: true } : {}),
  });
  return ctx.invalid(
    result.problem === "too_many_attempts" ? "too_many_login_attempts" : "incorrect_code",
    "credential",
  );
}

function mfaRecord(
  ctx: Context,
  a: WebAuthnAuthenticator,
  extra: Partial<AuthenticationMethod> = {},
): AuthenticationMethod {
  return { method: "mfa", at: authTime(ctx), id: a.id, type: AuthenticatorType.WEBAUTHN, ...extra };
}

// --- /account/authenticators/webauthn ---

/** GET: creation options (`?passwordless` for a passkey). 409 with an unverified address; reauthentication required. */
export async function addOptions(ctx: AuthenticatedContext): Promise<Result> {
  if (!(await canAddAuthenticator(ctx, ctx.user))) return unverifiedEmail(ctx);
  await requireRecentAuthentication(ctx);
  const passwordless = new URL(ctx.request.url).searchParams.has("passwordless");
  return ok({ creation_options: await creationOptions(ctx, ctx.user, "register", passwordless) });
}

/** POST: registers the credential; the first authenticator also gets recovery codes. */
export async function addAuthenticator(ctx: AuthenticatedContext, input: AddWebAuthnInput): Promise<Result> {
  const user = ctx.user;
  if (!(await canAddAuthenticator(ctx, user))) return unverifiedEmail(ctx);
  // allauth validates the credential before the reauthentication check (400 before 401).
  const credential = await verifyRegistration(ctx, "register", user.id, input.credential);
  if (!credential) return registrationFailed(ctx);
  await requireRecentAuthentication(ctx);
  const store = ctx.rt.authenticators;
  const existing = await listWebAuthn(store, user.id);
  const name = input.name ?? defaultName(existing.length);
  const authenticator = await insertWebAuthn(store, user.id, { name, ...credential }, ctx.now());
  const generated = await autoGenerateRecoveryCodes(ctx, user.id);
  await ctx.emit("mfaAdded", user, { type: AuthenticatorType.WEBAUTHN, id: authenticator.id, name });
  if (generated) await ctx.emit("mfaAdded", user, { type: AuthenticatorType.RECOVERY_CODES });
  return ok(serializeWebAuthnAuthenticator(authenticator), { recovery_codes_generated: generated });
}

const invalidId = (ctx: Context) => ctx.invalid("invalid_choice.unnamed", "id");

/** PUT: renames one of the user's keys. */
export async function renameAuthenticator(
  ctx: AuthenticatedContext,
  input: UpdateWebAuthnInput,
): Promise<Result> {
  const store = ctx.rt.authenticators;
  const authenticator = (await listWebAuthn(store, ctx.user.id)).find((a) => a.id === input.id);
  if (!authenticator) return invalidId(ctx);
  await requireRecentAuthentication(ctx);
  const renamed = await renameWebAuthn(store, authenticator, input.name);
  if (!renamed) return invalidId(ctx);
  return ok(serializeWebAuthnAuthenticator(renamed));
}

/** DELETE: removes keys (and recovery codes once nothing else is left). */
export async function deleteAuthenticators(
  ctx: AuthenticatedContext,
  input: DeleteWebAuthnInput,
): Promise<Result> {
  const store = ctx.rt.authenticators;
  const mine = new Set((await listWebAuthn(store, ctx.user.id)).map((a) => a.id));
  const unknown = input.authenticators.find((id) => !mine.has(id));
  if (unknown !== undefined) return ctx.invalid("invalid_choice.value", "authenticators", { value: unknown });
  await requireRecentAuthentication(ctx);
  const ids = [...new Set(input.authenticators)];
  await deleteWebAuthn(store, ctx.user.id, ids);
  await ctx.emit("mfaRemoved", ctx.user, { type: AuthenticatorType.WEBAUTHN, ids });
  return ok();
}

// --- /auth/webauthn/authenticate (the second factor of a pending login) ---

export async function authenticateOptions(ctx: StageContext): Promise<Result> {
  return ok({ request_options: await requestOptions(ctx, "authenticate", ctx.login.userId) });
}

export async function authenticate(ctx: StageContext, input: CredentialInput): Promise<Result> {
  const result = await verifyAssertion(ctx, "authenticate", ctx.login.userId, input.credential);
  if (!result.ok) return assertionFailed(ctx, result, ctx.login.userId);
  return completeStage(ctx, ctx.login, mfaRecord(ctx, result.authenticator));
}

// --- /auth/webauthn/reauthenticate ---

export async function reauthenticateOptions(ctx: AuthenticatedContext): Promise<Result> {
  return ok({ request_options: await requestOptions(ctx, "reauthenticate", ctx.user.id) });
}

export async function reauthenticate(ctx: AuthenticatedContext, input: CredentialInput): Promise<Result> {
  const result = await verifyAssertion(ctx, "reauthenticate", ctx.user.id, input.credential);
  if (!result.ok) return assertionFailed(ctx, result, ctx.user.id);
  recordAuthentication(ctx, mfaRecord(ctx, result.authenticator, { reauthenticated: true }));
  return authenticated(ctx);
}

// --- /auth/webauthn/login (passkey first) ---

/** GET: request options without allowCredentials (the browser offers the RP's passkeys). */
export async function loginOptions(ctx: Context): Promise<Result> {
  return ok({ request_options: await requestOptions(ctx, "login", null) });
}

/** POST: the passkey's userHandle names the user; the login then runs its stages (e.g. verify_email). */
export async function login(ctx: Context, input: CredentialInput): Promise<Result> {
  if (ctx.user) return conflict();
  const result = await verifyAssertion(ctx, "login", null, input.credential);
  if (!result.ok) return assertionFailed(ctx, result, null);
  const user = await ctx.rt.users.findById(result.authenticator.userId);
  if (!user) return assertionFailed(ctx, { ok: false, problem: "incorrect" }, null);
  return beginLogin(ctx, user, mfaRecord(ctx, result.authenticator, { passwordless: true }));
}

// --- /auth/webauthn/signup (passkey signup) ---

/**
 * POST: a signup without a password (the account signup flow, same checks: 409 logged in, 403
 * closed, field errors); the login it starts ends with the mfa_signup_webauthn stage.
 */
export async function beginPasskeySignup(ctx: Context, input: SignupInput): Promise<Result> {
  const before = ctx.session.get(SessionKey.LOGIN);
  const result = await signup(ctx, { ...input, password: undefined }, "passkey");
  const login = pendingLogin(ctx);
  // Only the login this signup started (a failed signup leaves any earlier one untouched).
  if (login && login !== before && login.signup) {
    markPasskeySignup(login);
    ctx.session.touch();
  }
  return result;
}

/** GET: creation options for the new user's passkey. */
export async function passkeySignupOptions(ctx: StageContext): Promise<Result> {
  const user = await ctx.rt.users.findById(ctx.login.userId);
  if (!user) return conflict();
  return ok({ creation_options: await creationOptions(ctx, user, "signup", true) });
}

/** PUT: stores the passkey and completes the stage (usually the login). */
export async function completePasskeySignup(ctx: StageContext, input: AddWebAuthnInput): Promise<Result> {
  const login = ctx.login;
  const credential = await verifyRegistration(ctx, "signup", login.userId, input.credential);
  if (!credential) return registrationFailed(ctx);
  const store = ctx.rt.authenticators;
  const existing = await listWebAuthn(store, login.userId);
  const name = input.name ?? defaultName(existing.length);
  const passkey = await insertWebAuthn(store, login.userId, { name, ...credential }, ctx.now());
  await ctx.emit("mfaAdded", await ctx.rt.users.findById(login.userId), {
    type: AuthenticatorType.WEBAUTHN,
    id: passkey.id,
    name,
  });
  return completeStage(ctx, login);
}
