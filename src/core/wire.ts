import type { Flow } from "./enums.js";
import type { ApiError } from "./errors.js";

/**
 * The response shapes of the wire contract (allauth's headless API v1, as its server answers),
 * for typing your own calls.
 */

/** The `User` object; keys with no value are absent. */
export interface User {
  id: number;
  display: string;
  email?: string;
  username?: string;
  has_usable_password: boolean;
}

/** An entry of `methods`: how and when the user authenticated (allauth's authentication records). */
export interface AuthenticationMethod {
  method: "password" | "password_reset" | "code" | "socialaccount" | "mfa";
  /** Unix time in seconds (a float, as allauth sends it). */
  at: number;
  email?: string;
  username?: string;
  phone?: string;
  reauthenticated?: true;
  provider?: string;
  uid?: string;
  id?: number;
  type?: string;
  passwordless?: true;
}

/** An entry of `data.flows`. */
export interface FlowInfo {
  id: Flow;
  is_pending?: boolean;
  /** provider_redirect and provider_token: the providers that offer the flow. */
  providers?: string[];
  /** A pending provider_signup: the provider. */
  provider?: Record<string, unknown>;
  /** A pending mfa_authenticate, and mfa_reauthenticate: the authenticator types the user has. */
  types?: ("recovery_codes" | "totp" | "webauthn")[];
}

export interface AuthenticatedResponse {
  status: 200;
  data: { user: User; methods: AuthenticationMethod[] };
  meta: { is_authenticated: true; session_token?: string; access_token?: string; refresh_token?: string };
}

export interface UnauthenticatedResponse {
  status: 401;
  data: { flows: FlowInfo[] };
  /** `null` on "stage not pending" answers (allauth's quirk); treat it as false. */
  meta: { is_authenticated: false | null; session_token?: string };
}

export interface ReauthenticationRequiredResponse {
  status: 401;
  data: { user: User; methods: AuthenticationMethod[]; flows: FlowInfo[] };
  meta: { is_authenticated: true };
}

/** 410 (app): the session token names no live session; drop it. */
export interface SessionGoneResponse {
  status: 410;
  data: { flows: FlowInfo[] };
  meta: { is_authenticated: null };
}

export interface ErrorResponse {
  status: 400 | 403 | 404 | 405 | 409 | 413 | 429 | 500;
  errors?: ApiError[];
}

export interface ConfigurationResponse {
  status: 200;
  data: {
    account: {
      login_methods: ("email" | "username" | "phone")[];
      is_open_for_signup: boolean;
      email_verification_by_code_enabled: boolean;
      login_by_code_enabled: boolean;
      password_reset_by_code_enabled: boolean;
      authentication_method?: "email" | "username" | "username_email";
    };
    socialaccount?: { providers: ProviderInfo[] };
    mfa?: { supported_types: ("recovery_codes" | "totp" | "webauthn")[]; passkey_login_enabled: boolean };
    usersessions?: { track_activity: boolean };
  };
}

/** The `Provider` object of the wire contract (allauth `_provider_data`). */
export interface ProviderInfo {
  id: string;
  name: string;
  flows: (Flow.PROVIDER_REDIRECT | Flow.PROVIDER_TOKEN)[];
  client_id?: string;
  openid_configuration_url?: string;
}

/** A `ProviderAccount` of the wire contract. */
export interface ProviderAccountInfo {
  uid: string;
  provider: ProviderInfo;
  display: string;
}

export interface EmailAddress {
  email: string;
  primary: boolean;
  verified: boolean;
}

export interface UserSession {
  id: number;
  user_agent: string;
  ip: string;
  created_at: number;
  last_seen_at?: number;
  is_current: boolean;
}

export type AuthenticationResponse =
  | AuthenticatedResponse
  | UnauthenticatedResponse
  | ReauthenticationRequiredResponse
  | SessionGoneResponse;
