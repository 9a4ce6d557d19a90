import type { Flow } from "../core/enums.js";
import type { ErrorCode } from "../core/errors.js";
import type {
  AuthenticatedResponse,
  AuthenticationMethod,
  EmailAddress,
  FlowInfo,
  ProviderAccountInfo,
  ProviderInfo,
  ReauthenticationRequiredResponse,
  SessionGoneResponse,
  UnauthenticatedResponse,
  User,
} from "../core/wire.js";

/**
 * The answers of the allauth API as the typed client returns them: the server's envelopes
 * (src/core/wire.ts), discriminated by `status`, and the data shapes of the endpoints.
 */

/** A flow id (allauth's `Flow`), as the string the wire carries. */
export type FlowId = `${Flow}`;

export type AuthenticatorTypeId = "recovery_codes" | "totp" | "webauthn";

/** An entry of `errors[]`. The code is one of the server's (any string, so codes added later fit). */
export interface ClientApiError {
  message: string;
  code: ErrorCode | (string & {});
  param?: string;
}

export type ErrorStatus = 400 | 403 | 404 | 405 | 408 | 409 | 413 | 429 | 431 | 500 | 502 | 503 | 504;

/** A refusal: invalid input (400), forbidden (403), not found, conflict (409), rate limited (429)… */
export interface ErrorAnswer<S extends ErrorStatus = ErrorStatus> {
  status: S;
  errors?: ClientApiError[];
}

/** The answers that tell the authentication state instead of what was asked for. */
export type AuthStateAnswer =
  | UnauthenticatedResponse
  | ReauthenticationRequiredResponse
  | SessionGoneResponse;

/** The answer of a call that logs in, signs up or completes a step: authenticated, a pending flow, or refused. */
export type AuthAnswer = AuthenticatedResponse | AuthStateAnswer | ErrorAnswer;

/** The answer of a call: its success, the authentication state instead, or a refusal. */
export type Answer<Success> = Success | AuthStateAnswer | ErrorAnswer;

/** The answer of a call that returns data (`meta` where the endpoint has one). */
export type DataAnswer<T, M = undefined> = Answer<
  M extends undefined ? { status: 200; data: T } : { status: 200; data: T; meta: M }
>;

/** The answer of a call whose success carries nothing but the status. */
export type StatusAnswer = Answer<{ status: 200 }>;

/** GET /auth/email/verify. */
export interface EmailVerificationInfo {
  email: string;
  user: User;
}

/** GET /auth/password/reset. */
export interface PasswordResetInfo {
  user: User;
}

export interface PhoneNumber {
  phone: string;
  verified: boolean;
}

export interface TotpAuthenticator {
  type: "totp";
  /** Unix time in seconds. */
  created_at: number;
  last_used_at: number | null;
}

export interface RecoveryCodesAuthenticator {
  type: "recovery_codes";
  created_at: number;
  last_used_at: number | null;
  total_code_count: number;
  unused_code_count: number;
  /** Only from the recovery-codes endpoints, and only while the codes may be shown. */
  unused_codes?: string[];
}

export interface WebAuthnAuthenticator {
  type: "webauthn";
  id: number;
  name: string;
  created_at: number;
  last_used_at: number | null;
  /** Whether the credential is a passkey, when known. */
  is_passwordless?: boolean;
}

export type Authenticator = TotpAuthenticator | RecoveryCodesAuthenticator | WebAuthnAuthenticator;

/** GET /account/authenticators/totp: the active TOTP, or 404 with a new secret to set one up. */
export type TotpAnswer =
  | { status: 200; data: TotpAuthenticator }
  | { status: 404; meta: { secret: string; totp_url: string; qr_code_svg?: string } }
  | AuthStateAnswer
  | ErrorAnswer<Exclude<ErrorStatus, 404>>;

/** WebAuthn creation options as JSON: `PublicKeyCredential.parseCreationOptionsFromJSON(creation_options.publicKey)`. */
export interface CreationOptions {
  creation_options: { publicKey: PublicKeyCredentialCreationOptionsJSON };
}

/** WebAuthn request options as JSON: `PublicKeyCredential.parseRequestOptionsFromJSON(request_options.publicKey)`. */
export interface RequestOptions {
  request_options: { publicKey: PublicKeyCredentialRequestOptionsJSON };
}

/** GET /auth/provider/signup: what the provider gave so far. */
export interface ProviderSignupInfo {
  user: User;
  account: { uid: string; provider: ProviderInfo; display: string };
  email: EmailAddress[];
}

export interface RefreshedTokens {
  access_token: string;
  /** Present when refresh tokens rotate. */
  refresh_token?: string;
}

export type { ProviderAccountInfo };

/** The step a login waits for, from the flow marked `is_pending`. */
export type PendingFlow =
  | { id: "mfa_authenticate"; types: AuthenticatorTypeId[] }
  | { id: "provider_signup"; provider: ProviderInfo }
  | { id: Exclude<FlowId, "mfa_authenticate" | "provider_signup"> };

/** What an answer says about the authentication state. */
export type AuthState =
  | { status: "authenticated"; user: User; methods: AuthenticationMethod[] }
  /** Logged in, but what was asked needs a recent authentication: one of `flows` (reauthenticate, mfa_reauthenticate…). */
  | { status: "reauthentication_required"; user: User; methods: AuthenticationMethod[]; flows: FlowInfo[] }
  /** A login (or signup) is under way and waits for `flow`. */
  | { status: "pending"; flow: PendingFlow; flows: FlowInfo[] }
  /** Not logged in: `flows` are the ways to log in. */
  | { status: "anonymous"; flows: FlowInfo[] };

/** A body that might be an authentication answer. */
interface Envelope {
  status: number;
  data?: { user?: User; methods?: AuthenticationMethod[]; flows?: FlowInfo[] };
  meta?: { is_authenticated?: boolean | null };
}

/**
 * The authentication state an answer tells, or null when it tells none (data, refusals).
 * As allauth's SPA reads it: 401 and 410 always tell it, a 200 when `meta.is_authenticated`.
 */
export function authState(answer: { status: number }): AuthState | null {
  const { status, data, meta } = answer as Envelope;
  const flows = data?.flows ?? [];
  if (status === 200 && meta?.is_authenticated && data?.user) {
    return { status: "authenticated", user: data.user, methods: data.methods ?? [] };
  }
  if (status === 401 && meta?.is_authenticated && data?.user) {
    return { status: "reauthentication_required", user: data.user, methods: data.methods ?? [], flows };
  }
  if (status !== 401 && status !== 410) return null;
  const pending = flows.find((f) => f.is_pending);
  return pending ? { status: "pending", flow: pendingFlow(pending), flows } : { status: "anonymous", flows };
}

function pendingFlow(flow: FlowInfo): PendingFlow {
  const id = flow.id as FlowId;
  if (id === "mfa_authenticate") return { id, types: flow.types ?? [] };
  if (id === "provider_signup") return { id, provider: flow.provider as unknown as ProviderInfo };
  return { id };
}
