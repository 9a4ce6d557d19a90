import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { countLoginAttempt, loginAttemptSucceeded } from "../../account/flows/login-attempts.js";
import type { Context } from "../../base/context.js";
import { SessionKey } from "../../sessions/keys.js";
import { SHORT_LIFE, type ShortLife } from "../../sessions/store.js";
import type { SessionUser } from "../../store/session-users.js";
import { toWireUser } from "../../store/users.js";
import { listWebAuthn, recordUse, type WebAuthnAuthenticator, type WebAuthnData } from "./records.js";

/**
 * The WebAuthn ceremonies: options the browser parses with `PublicKeyCredential.parse*OptionsFromJSON`,
 * the challenge kept in the session (single use, bound to its purpose, user and RP id), and the
 * verification of what comes back (@simplewebauthn/server).
 */

/** What a challenge was issued for; a challenge is only accepted by the endpoint of its purpose. */
export type Purpose = "register" | "signup" | "authenticate" | "reauthenticate" | "login";

interface CeremonyState {
  purpose: Purpose;
  challenge: string;
  /** The user the ceremony is for; null for passkey login (the credential names the user). */
  userId: number | null;
  rpId: string;
  /** Registration: whether user verification is required (passkeys). */
  passwordless: boolean;
  issuedAt: number;
}

/**
 * @simplewebauthn/server, loaded by the first ceremony: it takes most of a second to load, which
 * every start (and `latchkey check`) would otherwise pay whether passkeys are used or not.
 */
const webauthnServer = () => import("@simplewebauthn/server");

/** How long a browser may take over a ceremony; the challenge expires with it. */
const CEREMONY_TIMEOUT_MS = 300_000;

export interface RelyingParty {
  id: string;
  name: string;
}

/** The relying party: mfa.webauthn.rpId, else the request's host name (allauth: host without port). */
export function relyingParty(ctx: Context): RelyingParty {
  const o = ctx.options;
  return {
    id: o.mfa.webauthn.rpId ?? new URL(ctx.request.url).hostname,
    name: o.mfa.webauthn.rpName ?? o.siteName,
  };
}

/**
 * Origins accepted in clientDataJSON: mfa.webauthn.origins when set; otherwise the API's own
 * origin and the origins already trusted to call it (CSRF trusted, CORS allowed), so a SPA on
 * another port or subdomain works without more configuration.
 */
export function expectedOrigins(ctx: Context): string[] {
  const o = ctx.options;
  if (o.mfa.webauthn.origins.length > 0) return o.mfa.webauthn.origins;
  return [...new Set([new URL(ctx.request.url).origin, ...o.csrf.trustedOrigins, ...o.cors.allowedOrigins])];
}

function storeState(ctx: Context, state: Omit<CeremonyState, "issuedAt">): void {
  const issuedAt = ctx.now();
  ctx.session.set(SessionKey.WEBAUTHN_STATE, { ...state, issuedAt } satisfies CeremonyState);
  if (ctx.session.userId === null) {
    // Anyone can start a passkey login: a session that holds nothing but its challenge lives no
    // longer than the challenge does.
    ctx.session.set(SHORT_LIFE, {
      until: issuedAt + CEREMONY_TIMEOUT_MS,
      keys: [SessionKey.WEBAUTHN_STATE],
    } satisfies ShortLife);
  }
}

/** Takes the pending challenge out of the session: whatever happens next, it is used up. */
function takeState(ctx: Context, purpose: Purpose, userId: number | null): CeremonyState | null {
  const state = ctx.session.get<CeremonyState>(SessionKey.WEBAUTHN_STATE);
  if (!state) return null;
  ctx.session.delete(SessionKey.WEBAUTHN_STATE);
  if (state.purpose !== purpose || state.userId !== userId) return null;
  if (ctx.now() - state.issuedAt > CEREMONY_TIMEOUT_MS) return null;
  return state;
}

export interface CreationOptions {
  publicKey: PublicKeyCredentialCreationOptionsJSON;
}

export interface RequestOptions {
  publicKey: PublicKeyCredentialRequestOptionsJSON;
}

/**
 * Creation options for a new credential of `user`. Passkeys (`passwordless`) require a resident
 * key and user verification; security keys for 2FA discourage both, as allauth does.
 */
export async function creationOptions(
  ctx: Context,
  user: SessionUser,
  purpose: "register" | "signup",
  passwordless: boolean,
): Promise<CreationOptions> {
  const rp = relyingParty(ctx);
  const existing = await listWebAuthn(ctx.rt.authenticators, user.id);
  const requirement = passwordless ? "required" : "discouraged";
  const { generateRegistrationOptions } = await webauthnServer();
  const publicKey = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email ?? user.username ?? String(user.id),
    userDisplayName: toWireUser(user).display,
    // allauth: user.id is the user's pk as a string, utf-8 (it comes back as userHandle).
    userID: new TextEncoder().encode(String(user.id)),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((a) => ({
      id: a.data.credential_id,
      transports: a.data.transports as AuthenticatorTransport[],
    })),
    authenticatorSelection: { residentKey: requirement, userVerification: requirement },
    extensions: { credProps: true },
  });
  storeState(ctx, { purpose, challenge: publicKey.challenge, userId: user.id, rpId: rp.id, passwordless });
  return { publicKey };
}

/** Request options: the user's credentials (2FA, reauthentication), or none (passkey login: discoverable). */
export async function requestOptions(
  ctx: Context,
  purpose: "authenticate" | "reauthenticate" | "login",
  userId: number | null,
): Promise<RequestOptions> {
  const rp = relyingParty(ctx);
  const existing = userId === null ? [] : await listWebAuthn(ctx.rt.authenticators, userId);
  const { generateAuthenticationOptions } = await webauthnServer();
  const publicKey = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: existing.map((a) => ({
      id: a.data.credential_id,
      transports: a.data.transports as AuthenticatorTransport[],
    })),
    userVerification: "preferred",
    timeout: CEREMONY_TIMEOUT_MS,
  });
  storeState(ctx, { purpose, challenge: publicKey.challenge, userId, rpId: rp.id, passwordless: false });
  return { publicKey };
}

/**
 * The origin the client data claims, used as the expected origin when
 * mfa.webauthn.allowInsecureOrigin turns the check off (allauth MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN).
 */
function claimedOrigin(clientDataJSON: unknown): string | null {
  if (typeof clientDataJSON !== "string") return null;
  try {
    const parsed = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8")) as {
      origin?: unknown;
    };
    return typeof parsed.origin === "string" ? parsed.origin : null;
  } catch {
    return null;
  }
}

function originsFor(ctx: Context, clientDataJSON: unknown): string[] | null {
  if (!ctx.options.mfa.webauthn.allowInsecureOrigin) return expectedOrigins(ctx);
  const claimed = claimedOrigin(clientDataJSON);
  return claimed === null ? null : [claimed];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Verifies a registration against the pending challenge. Returns the credential to store
 * (without its name), or null for anything wrong: no or another challenge, origin, RP id,
 * signature, a credential the user already has, or a malformed payload.
 */
export async function verifyRegistration(
  ctx: Context,
  purpose: "register" | "signup",
  userId: number,
  credential: unknown,
): Promise<Omit<WebAuthnData, "name"> | null> {
  const state = takeState(ctx, purpose, userId);
  if (!state || !isRecord(credential) || !isRecord(credential.response)) return null;
  const origins = originsFor(ctx, credential.response.clientDataJSON);
  if (!origins) return null;
  let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>["registrationInfo"];
  try {
    const { verifyRegistrationResponse } = await webauthnServer();
    const result = await verifyRegistrationResponse({
      response: credential as unknown as RegistrationResponseJSON,
      expectedChallenge: state.challenge,
      expectedOrigin: origins,
      expectedRPID: state.rpId,
      requireUserVerification: state.passwordless,
    });
    if (!result.verified) return null;
    info = result.registrationInfo;
  } catch {
    return null;
  }
  const id = info.credential.id;
  const existing = await listWebAuthn(ctx.rt.authenticators, userId);
  if (existing.some((a) => a.data.credential_id === id)) return null;
  const extensions = isRecord(credential.clientExtensionResults) ? credential.clientExtensionResults : {};
  const rk = isRecord(extensions.credProps) ? extensions.credProps.rk : undefined;
  const transports = info.credential.transports ?? [];
  return {
    credential_id: id,
    public_key: Buffer.from(info.credential.publicKey).toString("base64url"),
    counter: info.credential.counter,
    transports: transports.filter((t) => typeof t === "string"),
    ...(typeof rk === "boolean" ? { passwordless: rk } : {}),
    aaguid: info.aaguid,
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp,
  };
}

export type AssertionResult =
  | { ok: true; authenticator: WebAuthnAuthenticator }
  | { ok: false; problem: "incorrect" | "too_many_attempts" };

const incorrect: AssertionResult = { ok: false, problem: "incorrect" };

/** The user pk a passkey's userHandle names (our user.id is the pk as utf-8 text). */
function userFromHandle(handle: unknown): number | null {
  if (typeof handle !== "string" || handle === "") return null;
  const text = Buffer.from(handle, "base64url").toString("utf8");
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const id = Number(text);
  // User ids are 32-bit integers (PostgreSQL serial): a larger one names nobody.
  return id <= 2_147_483_647 ? id : null;
}

/**
 * Verifies an assertion against the pending challenge. `userId` is the user the ceremony is for;
 * null for passkey login, where the credential's userHandle names the user. Attempts count
 * under the failed-login limits of the user's second factors (allauth's key `mfa-auth-user-<pk>`,
 * see login-attempts.ts); for passkey login only attempts with one of the user's credentials
 * count, so nobody can lock a user out by naming their (guessable) user id. The signature counter
 * must grow whenever the authenticator counts (a replayed or cloned credential does not).
 */
export async function verifyAssertion(
  ctx: Context,
  purpose: "authenticate" | "reauthenticate" | "login",
  userId: number | null,
  credential: unknown,
): Promise<AssertionResult> {
  const state = takeState(ctx, purpose, userId);
  if (!isRecord(credential) || !isRecord(credential.response)) return incorrect;
  const owner = userId ?? userFromHandle(credential.response.userHandle);
  if (owner === null) return incorrect;
  const authenticator = (await listWebAuthn(ctx.rt.authenticators, owner)).find(
    (a) => a.data.credential_id === credential.id && credential.id === credential.rawId,
  );
  if (purpose === "login" && !authenticator) return incorrect;
  const account = `mfa-auth-user-${owner}`;
  if (!(await countLoginAttempt(ctx, account))) return { ok: false, problem: "too_many_attempts" };
  if (!state || !authenticator) return incorrect;
  const origins = originsFor(ctx, credential.response.clientDataJSON);
  if (!origins) return incorrect;
  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>["authenticationInfo"];
  try {
    const { verifyAuthenticationResponse } = await webauthnServer();
    const result = await verifyAuthenticationResponse({
      response: credential as unknown as AuthenticationResponseJSON,
      expectedChallenge: state.challenge,
      expectedOrigin: origins,
      expectedRPID: state.rpId,
      credential: {
        id: authenticator.data.credential_id,
        publicKey: Buffer.from(authenticator.data.public_key, "base64url"),
        counter: authenticator.data.counter,
      },
      // A passkey login is the whole authentication: the key must have verified the user.
      requireUserVerification: purpose === "login",
    });
    if (!result.verified) return incorrect;
    info = result.authenticationInfo;
  } catch {
    return incorrect;
  }
  const recorded = await recordUse(
    ctx.rt.authenticators,
    authenticator,
    { counter: info.newCounter, backedUp: info.credentialBackedUp },
    ctx.now(),
  );
  if (!recorded) return incorrect;
  await loginAttemptSucceeded(ctx, account);
  return { ok: true, authenticator };
}
