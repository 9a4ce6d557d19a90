import { authenticated, unauthenticated } from "../../account/auth-state.js";
import {
  authTime,
  beginLogin,
  completeStage,
  pendingLogin,
  recordAuthentication,
} from "../../account/flows/login.js";
import { signup } from "../../account/flows/signup.js";
import type { SignupInput } from "../../account/inputs.js";
import { findUserById } from "../../account/users.js";
import { AuthenticatorType, Flow } from "../../core/enums.js";
import { apiError, messages } from "../../core/errors.js";
import { badRequest, conflict, ok, type Result } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";
import type { AuthRecord } from "../../sessions/session.js";
import { canAddAuthenticator, mfaMessages, requireReauthentication } from "../authenticators.js";
import { autoGenerateRecoveryCodes } from "../recovery-codes.js";
import { completeMfaAuthentication } from "../stage.js";
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

/** The handlers of the WebAuthn endpoints (allauth `headless/mfa/views.py`), in their checks' order. */

const unverifiedEmail = () => conflict([apiError("unverified_email", mfaMessages.unverified_email)]);

/**
 * A registration that does not verify. allauth checks it in the form's `clean()`, so the error
 * is form-level: no `param`.
 */
const registrationFailed = () => badRequest([apiError("incorrect_code", messages.incorrect_code)]);

function assertionFailed(result: Extract<AssertionResult, { ok: false }>): Result {
  return result.problem === "too_many_attempts"
    ? badRequest([apiError("too_many_login_attempts", messages.too_many_login_attempts, "credential")])
    : badRequest([apiError("incorrect_code", messages.incorrect_code, "credential")]);
}

function mfaRecord(ctx: Context, a: WebAuthnAuthenticator, extra: Partial<AuthRecord> = {}): AuthRecord {
  return { method: "mfa", at: authTime(ctx), id: a.id, type: AuthenticatorType.WEBAUTHN, ...extra };
}

// --- /account/authenticators/webauthn ---

/** GET: creation options (`?passwordless` for a passkey). 409 with an unverified address; reauthentication required. */
export async function addOptions(ctx: Context): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  if (!(await canAddAuthenticator(ctx, user))) return unverifiedEmail();
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  const passwordless = new URL(ctx.request.url).searchParams.has("passwordless");
  return ok({ creation_options: await creationOptions(ctx, user, "register", passwordless) });
}

/** POST: registers the credential; the first authenticator also gets recovery codes. */
export async function addAuthenticator(ctx: Context, input: AddWebAuthnInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  if (!(await canAddAuthenticator(ctx, user))) return unverifiedEmail();
  // allauth validates the credential before the reauthentication check (400 before 401).
  const credential = await verifyRegistration(ctx, "register", user.id, input.credential);
  if (!credential) return registrationFailed();
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  const existing = await listWebAuthn(ctx.db, user.id);
  const name = input.name ?? defaultName(existing.length);
  const authenticator = await insertWebAuthn(ctx.db, user.id, { name, ...credential }, ctx.now());
  const generated = await autoGenerateRecoveryCodes(ctx, user.id);
  return ok(serializeWebAuthnAuthenticator(authenticator), { recovery_codes_generated: generated });
}

const invalidId = () =>
  badRequest([
    apiError(
      "invalid_choice",
      "Select a valid choice. That choice is not one of the available choices.",
      "id",
    ),
  ]);

/** PUT: renames one of the user's keys. */
export async function renameAuthenticator(ctx: Context, input: UpdateWebAuthnInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  const authenticator = (await listWebAuthn(ctx.db, user.id)).find((a) => a.id === input.id);
  if (!authenticator) return invalidId();
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  const renamed = await renameWebAuthn(ctx.db, authenticator, input.name);
  if (!renamed) return invalidId();
  return ok(serializeWebAuthnAuthenticator(renamed));
}

/** DELETE: removes keys (and recovery codes once nothing else is left). */
export async function deleteAuthenticators(ctx: Context, input: DeleteWebAuthnInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  const mine = new Set((await listWebAuthn(ctx.db, user.id)).map((a) => a.id));
  const unknown = input.authenticators.find((id) => !mine.has(id));
  if (unknown !== undefined) {
    return badRequest([
      apiError(
        "invalid_choice",
        `Select a valid choice. ${unknown} is not one of the available choices.`,
        "authenticators",
      ),
    ]);
  }
  const reauth = await requireReauthentication(ctx);
  if (reauth) return reauth;
  await deleteWebAuthn(ctx.db, user.id, [...new Set(input.authenticators)]);
  return ok();
}

// --- /auth/webauthn/authenticate (the second factor of a pending login) ---

function pendingMfaUser(ctx: Context): number | null {
  const login = pendingLogin(ctx);
  return login && login.stage === Flow.MFA_AUTHENTICATE ? login.userId : null;
}

export async function authenticateOptions(ctx: Context): Promise<Result> {
  const userId = pendingMfaUser(ctx);
  if (userId === null) return unauthenticated(ctx, { isAuthenticated: null });
  return ok({ request_options: await requestOptions(ctx, "authenticate", userId) });
}

export async function authenticate(ctx: Context, input: CredentialInput): Promise<Result> {
  const userId = pendingMfaUser(ctx);
  if (userId === null) return unauthenticated(ctx, { isAuthenticated: null });
  const result = await verifyAssertion(ctx, "authenticate", userId, input.credential);
  if (!result.ok) return assertionFailed(result);
  return completeMfaAuthentication(ctx, mfaRecord(ctx, result.authenticator));
}

// --- /auth/webauthn/reauthenticate ---

export async function reauthenticateOptions(ctx: Context): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  return ok({ request_options: await requestOptions(ctx, "reauthenticate", user.id) });
}

export async function reauthenticate(ctx: Context, input: CredentialInput): Promise<Result> {
  const user = ctx.user;
  if (!user) return unauthenticated(ctx);
  const result = await verifyAssertion(ctx, "reauthenticate", user.id, input.credential);
  if (!result.ok) return assertionFailed(result);
  recordAuthentication(ctx, mfaRecord(ctx, result.authenticator, { reauthenticated: true }));
  ctx.session.cycleKey();
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
  if (!result.ok) return assertionFailed(result);
  const user = await findUserById(ctx.db, result.authenticator.userId);
  if (!user) return assertionFailed({ ok: false, problem: "incorrect" });
  return beginLogin(ctx, user, mfaRecord(ctx, result.authenticator, { passwordless: true }));
}

// --- /auth/webauthn/signup (passkey signup) ---

/**
 * POST: a signup without a password (the account signup flow, same checks: 409 logged in, 403
 * closed, field errors); the login it starts ends with the mfa_signup_webauthn stage.
 */
export async function beginPasskeySignup(ctx: Context, input: SignupInput): Promise<Result> {
  const before = ctx.session.get(SessionKey.LOGIN);
  const result = await signup(ctx, { ...input, password: undefined });
  const login = pendingLogin(ctx);
  // Only the login this signup started (a failed signup leaves any earlier one untouched).
  if (login && login !== before && login.signup) {
    markPasskeySignup(login);
    ctx.session.touch();
  }
  return result;
}

function pendingPasskeySignup(ctx: Context) {
  const login = pendingLogin(ctx);
  return login && login.stage === Flow.MFA_SIGNUP_WEBAUTHN ? login : null;
}

/** GET: creation options for the new user's passkey; 409 unless the stage is pending. */
export async function passkeySignupOptions(ctx: Context): Promise<Result> {
  const login = pendingPasskeySignup(ctx);
  if (!login) return conflict();
  const user = await findUserById(ctx.db, login.userId);
  if (!user) return conflict();
  return ok({ creation_options: await creationOptions(ctx, user, "signup", true) });
}

/** PUT: stores the passkey and completes the stage (usually the login). */
export async function completePasskeySignup(ctx: Context, input: AddWebAuthnInput): Promise<Result> {
  const login = pendingPasskeySignup(ctx);
  if (!login) return conflict();
  const credential = await verifyRegistration(ctx, "signup", login.userId, input.credential);
  if (!credential) return registrationFailed();
  const existing = await listWebAuthn(ctx.db, login.userId);
  const name = input.name ?? defaultName(existing.length);
  await insertWebAuthn(ctx.db, login.userId, { name, ...credential }, ctx.now());
  return completeStage(ctx, login);
}
