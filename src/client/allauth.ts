import type { EmailInput, VerifyEmailInput } from "../account/email/inputs.js";
import type { ChangePasswordInput, LoginInput, ReauthenticateInput, SignupInput } from "../account/inputs.js";
import type { ConfirmLoginCodeInput, RequestLoginCodeInput } from "../account/login-by-code/routes.js";
import type { ChangePhoneInput, VerifyPhoneInput } from "../account/phone/inputs.js";
import type { RequestPasswordInput, ResetPasswordInput } from "../account/reset/routes.js";
import type { ConfigurationResponse, EmailAddress, ProviderAccountInfo, UserSession } from "../core/wire.js";
import type { CodeInput, TrustInput } from "../mfa/inputs.js";
import type { AddWebAuthnInput, CredentialInput, UpdateWebAuthnInput } from "../mfa/webauthn/inputs.js";
import type {
  DeleteProviderAccountInput,
  ProviderSignupInput,
  ProviderTokenInput,
} from "../social/inputs.js";
import {
  type Answer,
  type AuthAnswer,
  type Authenticator,
  type AuthState,
  authState,
  type CreationOptions,
  type DataAnswer,
  type EmailVerificationInfo,
  type PasswordResetInfo,
  type PhoneNumber,
  type ProviderSignupInfo,
  type RecoveryCodesAuthenticator,
  type RefreshedTokens,
  type RequestOptions,
  type StatusAnswer,
  type TotpAnswer,
  type TotpAuthenticator,
  type WebAuthnAuthenticator,
} from "./answers.js";
import { exclusive } from "./lock.js";
import { defaultStorage, type TokenStorage } from "./storage.js";

/**
 * The typed client of the allauth API (`/{base}/{browser|app}/v1/…`): one method per operation,
 * each taking the request body the server's input schema describes and answering the server's
 * envelope, discriminated by `status`.
 *
 * - `browser`: the session is the cookie; unsafe requests carry `X-CSRFToken` from the
 *   `csrftoken` cookie, read afresh for every request (login rotates it); with no cookie yet the
 *   client fetches `/config` first, which sets it.
 * - `app`: keeps the newest `meta.session_token` and sends it as `X-Session-Token`, drops it on
 *   410. With the JWT strategy the login's `meta.access_token` replaces it (sent as
 *   `Authorization: Bearer`, as allauth's JWT docs advise) and is refreshed with the refresh
 *   token before it expires, or when the server refuses it (then the request is repeated once);
 *   one refresh at a time across the tabs sharing the storage (Web Locks), a tab that waited
 *   taking the tokens the other stored.
 *
 * Every answer that tells the authentication state (401, 410, a 200 with
 * `meta.is_authenticated`) goes to the `onAuthChange` listeners and, in browsers, is dispatched on
 * `document` as the `allauth.auth.change` CustomEvent (detail: the answer), as allauth's SPA does.
 */

export type ClientKind = "browser" | "app";

/** The storage keys of the app kind's tokens. */
const SESSION_TOKEN_KEY = "latchkey.session_token";
const ACCESS_TOKEN_KEY = "latchkey.access_token";
const REFRESH_TOKEN_KEY = "latchkey.refresh_token";

export interface AllauthClientOptions {
  kind: ClientKind;
  /** Where the API is mounted: the server's `basePath`, with an origin for another one (default `/_allauth`). */
  baseUrl?: string;
  /** app: where the tokens are kept (default `localStorage` when present, else memory). */
  storage?: TokenStorage;
  /** The `fetch` to call (default the global one). */
  fetch?: typeof fetch;
  /** browser: fetch's `credentials` (default `include`: the cookies also reach an API on another origin of the site). */
  credentials?: RequestCredentials;
  /** browser: the CSRF cookie's name (the server's `csrf.cookieName`, default `csrftoken`). */
  csrfCookieName?: string;
}

/** A request body as the server's input type describes it; fields that may be undefined may be left out. */
export type Body<T> = {
  [K in keyof T as undefined extends T[K] ? K : never]?: T[K];
} & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] };

/** Signup fields, and the extra fields your server's `signupFields` adds. */
export type SignupBody = Body<SignupInput> & Record<string, unknown>;

export type AuthChangeListener = (state: AuthState, answer: AuthAnswer) => void;

export interface AllauthClient {
  readonly kind: ClientKind;
  /** The URL of the client's tree, `{baseUrl}/{kind}/v1`. */
  readonly url: string;

  // Configuration and session
  getConfig(): Promise<DataAnswer<ConfigurationResponse["data"]>>;
  getSession(): Promise<AuthAnswer>;
  logout(): Promise<AuthAnswer>;
  login(input: Body<LoginInput>): Promise<AuthAnswer>;
  signup(input: SignupBody): Promise<AuthAnswer>;
  reauthenticate(input: ReauthenticateInput): Promise<AuthAnswer>;
  changePassword(input: Body<ChangePasswordInput>): Promise<AuthAnswer>;

  // Email verification and addresses
  getEmailVerification(
    key: VerifyEmailInput["key"],
  ): Promise<DataAnswer<EmailVerificationInfo, { is_authenticating: boolean }>>;
  verifyEmail(input: VerifyEmailInput): Promise<AuthAnswer>;
  resendEmailVerification(): Promise<StatusAnswer>;
  listEmails(): Promise<DataAnswer<EmailAddress[]>>;
  addEmail(input: EmailInput): Promise<DataAnswer<EmailAddress[]>>;
  requestEmailVerification(input: EmailInput): Promise<StatusAnswer>;
  markEmailPrimary(input: EmailInput): Promise<DataAnswer<EmailAddress[]>>;
  removeEmail(input: EmailInput): Promise<DataAnswer<EmailAddress[]>>;

  // Phone
  verifyPhone(input: VerifyPhoneInput): Promise<AuthAnswer>;
  resendPhoneVerification(): Promise<StatusAnswer>;
  getPhone(): Promise<DataAnswer<PhoneNumber[]>>;
  /** Answers 202 with the number to verify. */
  changePhone(input: ChangePhoneInput): Promise<Answer<{ status: 202; data: PhoneNumber[] }>>;

  // Login by code
  requestLoginCode(input: Body<RequestLoginCodeInput>): Promise<AuthAnswer>;
  confirmLoginCode(input: ConfirmLoginCodeInput): Promise<AuthAnswer>;
  resendLoginCode(): Promise<StatusAnswer>;

  // Password reset
  /** Link mode: 200; code mode: 401 with `password_reset_by_code` pending. */
  requestPasswordReset(input: RequestPasswordInput): Promise<StatusAnswer | AuthAnswer>;
  getPasswordReset(key: ResetPasswordInput["key"]): Promise<DataAnswer<PasswordResetInfo>>;
  resetPassword(input: ResetPasswordInput): Promise<AuthAnswer>;

  // Providers
  /** browser: a form post to the provider's login (the page navigates away). */
  redirectToProvider(input: {
    provider: string;
    callback_url: string;
    process?: "login" | "connect";
  }): Promise<void>;
  providerToken(input: ProviderTokenInput): Promise<AuthAnswer>;
  getProviderSignup(): Promise<DataAnswer<ProviderSignupInfo>>;
  providerSignup(input: Body<ProviderSignupInput> & Record<string, unknown>): Promise<AuthAnswer>;
  listProviderAccounts(): Promise<DataAnswer<ProviderAccountInfo[]>>;
  disconnectProviderAccount(input: DeleteProviderAccountInput): Promise<DataAnswer<ProviderAccountInfo[]>>;

  // Two-factor authentication
  mfaAuthenticate(input: CodeInput): Promise<AuthAnswer>;
  mfaReauthenticate(input: CodeInput): Promise<AuthAnswer>;
  /** browser: answers the mfa_trust stage (skip MFA on this browser for a while). */
  mfaTrust(input: Body<TrustInput>): Promise<AuthAnswer>;
  listAuthenticators(): Promise<DataAnswer<Authenticator[]>>;
  /** The active TOTP, or 404 with a new secret (and its otpauth URL) to set one up. */
  getTotp(): Promise<TotpAnswer>;
  activateTotp(input: CodeInput): Promise<DataAnswer<TotpAuthenticator>>;
  deactivateTotp(): Promise<StatusAnswer>;
  getRecoveryCodes(): Promise<DataAnswer<RecoveryCodesAuthenticator>>;
  regenerateRecoveryCodes(): Promise<DataAnswer<RecoveryCodesAuthenticator>>;

  // WebAuthn: options and credentials as JSON (see createWebAuthnCredential / getWebAuthnCredential)
  getWebAuthnCreationOptions(passwordless?: boolean): Promise<DataAnswer<CreationOptions>>;
  addWebAuthnCredential(
    input: Body<AddWebAuthnInput>,
  ): Promise<DataAnswer<WebAuthnAuthenticator, { recovery_codes_generated: boolean }>>;
  renameWebAuthnCredential(input: UpdateWebAuthnInput): Promise<DataAnswer<WebAuthnAuthenticator>>;
  deleteWebAuthnCredentials(input: { authenticators: number[] }): Promise<StatusAnswer>;
  getWebAuthnAuthenticateOptions(): Promise<DataAnswer<RequestOptions>>;
  authenticateWithWebAuthn(input: CredentialInput): Promise<AuthAnswer>;
  getWebAuthnReauthenticateOptions(): Promise<DataAnswer<RequestOptions>>;
  reauthenticateWithWebAuthn(input: CredentialInput): Promise<AuthAnswer>;
  getWebAuthnLoginOptions(): Promise<DataAnswer<RequestOptions>>;
  loginWithWebAuthn(input: CredentialInput): Promise<AuthAnswer>;
  /** Starts a passkey signup: the signup fields without a password. */
  signupWithPasskey(input: Omit<SignupBody, "password">): Promise<AuthAnswer>;
  getPasskeySignupOptions(): Promise<DataAnswer<CreationOptions>>;
  completePasskeySignup(input: Body<AddWebAuthnInput>): Promise<AuthAnswer>;

  // Sessions and tokens
  listSessions(): Promise<DataAnswer<UserSession[]>>;
  /** Ending the current session logs out (401). */
  endSessions(input: { sessions: number[] }): Promise<DataAnswer<UserSession[]>>;
  /** app, JWT strategy: a new access token (and refresh token) from the stored refresh token. */
  refreshTokens(): Promise<DataAnswer<RefreshedTokens>>;
  /** app: the stored session token (null after a JWT login, which replaces it with the access token). */
  getSessionToken(): Promise<string | null>;
  /** app, JWT strategy: the stored access token, for calls to your own API. */
  getAccessToken(): Promise<string | null>;

  /** Calls `listener` with every answer that tells the authentication state; returns the unsubscribe. */
  onAuthChange(listener: AuthChangeListener): () => void;
  /** The state the last such answer told (null before the first). */
  getAuthState(): AuthState | null;
}

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** The route needs a logged-in user: its gate refuses before it does anything, so it may be repeated. */
  gated?: boolean;
  /** Send no session credentials (token refresh). */
  anonymous?: boolean;
}

/** A body with its `status` (a non-JSON answer, e.g. a proxy's error page, is its status alone). */
async function readAnswer(response: Response): Promise<{ status: number }> {
  try {
    const answer: unknown = await response.json();
    if (answer !== null && typeof answer === "object") return { status: response.status, ...answer };
  } catch {
    // not JSON: the status tells what is known
  }
  return { status: response.status };
}

/** Refresh an access token that has less than this left, so that it does not expire on the way. */
const EXPIRY_MARGIN_MS = 10_000;

/** Whether a JWT access token expires soon by this device's clock (false when it cannot be read). */
function expiresSoon(token: string): boolean {
  try {
    const claims = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof claims.exp === "number" && claims.exp * 1000 < Date.now() + EXPIRY_MARGIN_MS;
  } catch {
    return false;
  }
}

function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const pair of document.cookie.split(/;\s*/)) {
    const eq = pair.indexOf("=");
    if (pair.slice(0, eq) === name) return decodeURIComponent(pair.slice(eq + 1));
  }
  return null;
}

export function createAllauthClient(options: AllauthClientOptions): AllauthClient {
  const kind = options.kind;
  const url = `${(options.baseUrl ?? "/_allauth").replace(/\/+$/, "")}/${kind}/v1`;
  const storage = options.storage ?? defaultStorage();
  const fetcher = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const csrfCookie = options.csrfCookieName ?? "csrftoken";
  const listeners = new Set<AuthChangeListener>();
  let state: AuthState | null = null;
  let refreshing: Promise<DataAnswer<RefreshedTokens>> | undefined;

  async function call<T>(method: string, path: string, opts: CallOptions = {}, retried = false): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    let accessToken: string | null = null;
    if (kind === "browser") {
      if (method !== "GET") {
        if (readCookie(csrfCookie) === null) await call("GET", "/config");
        const csrf = readCookie(csrfCookie);
        if (csrf !== null) headers["x-csrftoken"] = csrf;
      }
    } else if (!opts.anonymous) {
      const sessionToken = await storage.get(SESSION_TOKEN_KEY);
      if (sessionToken) headers["x-session-token"] = sessionToken;
      else {
        accessToken = (await storage.get(ACCESS_TOKEN_KEY)) ?? null;
        if (accessToken && expiresSoon(accessToken)) {
          await refreshTokens();
          accessToken = (await storage.get(ACCESS_TOKEN_KEY)) ?? null;
        }
        if (accessToken) headers.authorization = `Bearer ${accessToken}`;
      }
    }
    const response = await fetcher(`${url}${path}`, {
      method,
      headers,
      credentials: kind === "browser" ? (options.credentials ?? "include") : "omit",
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const answer = await readAnswer(response);
    const told = authState(answer);
    // An access token the server no longer takes makes the request anonymous. This device's clock
    // said it was still good (else it was refreshed above): the clocks disagree. Refresh, and repeat
    // the request where that is safe: a GET, or a route whose gate refused it before it did anything.
    // A token another call or tab has already replaced is repeated with the stored one.
    if (
      accessToken &&
      !retried &&
      told?.status === "anonymous" &&
      answer.status === 401 &&
      (method === "GET" || opts.gated) &&
      ((await storage.get(ACCESS_TOKEN_KEY)) !== accessToken || (await refreshTokens()).status === 200)
    ) {
      return call(method, path, opts, true);
    }
    if (kind === "app") await keepTokens(answer, method === "DELETE" && path === "/auth/session");
    if (told) {
      state = told;
      for (const listener of listeners) listener(told, answer as AuthAnswer);
      if (typeof document !== "undefined") {
        document.dispatchEvent(new CustomEvent("allauth.auth.change", { detail: answer }));
      }
    }
    return answer as T;
  }

  /** The app kind's token bookkeeping: the newest session token, the JWT pair, nothing after logout or a 410. */
  async function keepTokens(answer: { status: number; meta?: Record<string, unknown> }, loggedOut: boolean) {
    const meta = answer.meta ?? {};
    if (loggedOut || answer.status === 410) {
      await storage.remove(SESSION_TOKEN_KEY);
      await storage.remove(ACCESS_TOKEN_KEY);
      await storage.remove(REFRESH_TOKEN_KEY);
    } else if (typeof meta.access_token === "string") {
      await storage.set(ACCESS_TOKEN_KEY, meta.access_token);
      if (typeof meta.refresh_token === "string") await storage.set(REFRESH_TOKEN_KEY, meta.refresh_token);
      await storage.remove(SESSION_TOKEN_KEY);
    } else if (typeof meta.session_token === "string") {
      await storage.set(SESSION_TOKEN_KEY, meta.session_token);
    }
  }

  /**
   * One refresh at a time: concurrent refusals share it, and other tabs wait for it, so a rotating
   * refresh token is spent once.
   */
  function refreshTokens(): Promise<DataAnswer<RefreshedTokens>> {
    refreshing ??= (async () => {
      const spending = await storage.get(REFRESH_TOKEN_KEY);
      return exclusive(`latchkey-refresh:${url}`, async (): Promise<DataAnswer<RefreshedTokens>> => {
        const refreshToken = await storage.get(REFRESH_TOKEN_KEY);
        const accessToken = await storage.get(ACCESS_TOKEN_KEY);
        // Another tab refreshed while this one waited: the pair it stored is this one's.
        if (refreshToken && accessToken && refreshToken !== spending) {
          return { status: 200, data: { access_token: accessToken, refresh_token: refreshToken } };
        }
        const answer = await call<DataAnswer<RefreshedTokens>>("POST", "/tokens/refresh", {
          body: { refresh_token: refreshToken ?? "" },
          anonymous: true,
        });
        if (answer.status === 200) {
          await storage.set(ACCESS_TOKEN_KEY, answer.data.access_token);
          if (answer.data.refresh_token) await storage.set(REFRESH_TOKEN_KEY, answer.data.refresh_token);
        } else if (answer.status === 400) {
          // The server refuses the refresh token (a bare 400); an outage (5xx) is not a logout.
          // Refused because another tab had just replaced it (its write had not reached this tab
          // yet): the pair that tab stored is this one's too.
          const stored = await storage.get(REFRESH_TOKEN_KEY);
          const storedAccess = await storage.get(ACCESS_TOKEN_KEY);
          if (stored && storedAccess && stored !== refreshToken) {
            return { status: 200, data: { access_token: storedAccess, refresh_token: stored } };
          }
          await storage.remove(ACCESS_TOKEN_KEY);
          await storage.remove(REFRESH_TOKEN_KEY);
        }
        return answer;
      });
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  const get = <T>(path: string, opts?: CallOptions) => call<T>("GET", path, opts);
  const post = <T>(path: string, body?: unknown, gated?: boolean) => call<T>("POST", path, { body, gated });
  const gated = <T>(method: string, path: string, body?: unknown) =>
    call<T>(method, path, { body, gated: true });

  return {
    kind,
    url,

    getConfig: () => get("/config"),
    getSession: () => get("/auth/session"),
    logout: () => call("DELETE", "/auth/session"),
    login: (input) => post("/auth/login", input),
    signup: (input) => post("/auth/signup", input),
    reauthenticate: (input) => post("/auth/reauthenticate", input, true),
    changePassword: (input) => post("/account/password/change", input, true),

    getEmailVerification: (key) =>
      get("/auth/email/verify", { headers: { "x-email-verification-key": key } }),
    verifyEmail: (input) => post("/auth/email/verify", input),
    resendEmailVerification: () => post("/auth/email/verify/resend"),
    listEmails: () => get("/account/email"),
    addEmail: (input) => post("/account/email", input),
    requestEmailVerification: (input) => gated("PUT", "/account/email", input),
    markEmailPrimary: (input) => gated("PATCH", "/account/email", { ...input, primary: true }),
    removeEmail: (input) => gated("DELETE", "/account/email", input),

    verifyPhone: (input) => post("/auth/phone/verify", input),
    resendPhoneVerification: () => post("/auth/phone/verify/resend"),
    getPhone: () => get("/account/phone"),
    changePhone: (input) => post("/account/phone", input),

    requestLoginCode: (input) => post("/auth/code/request", input),
    confirmLoginCode: (input) => post("/auth/code/confirm", input),
    resendLoginCode: () => post("/auth/code/resend"),

    requestPasswordReset: (input) => post("/auth/password/request", input),
    getPasswordReset: (key) => get("/auth/password/reset", { headers: { "x-password-reset-key": key } }),
    resetPassword: (input) => post("/auth/password/reset", input),

    async redirectToProvider(input) {
      if (kind !== "browser" || typeof document === "undefined") {
        throw new Error("redirectToProvider navigates a browser; apps log in with providerToken");
      }
      if (readCookie(csrfCookie) === null) await call("GET", "/config");
      const form = document.createElement("form");
      form.method = "POST";
      form.action = `${url}/auth/provider/redirect`;
      const fields = { process: "login", ...input, csrfmiddlewaretoken: readCookie(csrfCookie) ?? "" };
      for (const [name, value] of Object.entries(fields)) {
        const field = document.createElement("input");
        field.type = "hidden";
        field.name = name;
        field.value = value;
        form.appendChild(field);
      }
      document.body.appendChild(form);
      form.submit();
    },
    providerToken: (input) => post("/auth/provider/token", input),
    getProviderSignup: () => get("/auth/provider/signup"),
    providerSignup: (input) => post("/auth/provider/signup", input),
    listProviderAccounts: () => get("/account/providers"),
    disconnectProviderAccount: (input) => gated("DELETE", "/account/providers", input),

    mfaAuthenticate: (input) => post("/auth/2fa/authenticate", input),
    mfaReauthenticate: (input) => post("/auth/2fa/reauthenticate", input, true),
    mfaTrust: (input) => post("/auth/2fa/trust", input),
    listAuthenticators: () => get("/account/authenticators"),
    getTotp: () => get("/account/authenticators/totp"),
    activateTotp: (input) => post("/account/authenticators/totp", input, true),
    deactivateTotp: () => gated("DELETE", "/account/authenticators/totp"),
    getRecoveryCodes: () => get("/account/authenticators/recovery-codes"),
    regenerateRecoveryCodes: () => post("/account/authenticators/recovery-codes", undefined, true),

    getWebAuthnCreationOptions: (passwordless = false) =>
      get(`/account/authenticators/webauthn${passwordless ? "?passwordless" : ""}`),
    addWebAuthnCredential: (input) => post("/account/authenticators/webauthn", input, true),
    renameWebAuthnCredential: (input) => gated("PUT", "/account/authenticators/webauthn", input),
    deleteWebAuthnCredentials: (input) => gated("DELETE", "/account/authenticators/webauthn", input),
    getWebAuthnAuthenticateOptions: () => get("/auth/webauthn/authenticate"),
    authenticateWithWebAuthn: (input) => post("/auth/webauthn/authenticate", input),
    getWebAuthnReauthenticateOptions: () => get("/auth/webauthn/reauthenticate"),
    reauthenticateWithWebAuthn: (input) => post("/auth/webauthn/reauthenticate", input, true),
    getWebAuthnLoginOptions: () => get("/auth/webauthn/login"),
    loginWithWebAuthn: (input) => post("/auth/webauthn/login", input),
    signupWithPasskey: (input) => post("/auth/webauthn/signup", input),
    getPasskeySignupOptions: () => get("/auth/webauthn/signup"),
    completePasskeySignup: (input) => call("PUT", "/auth/webauthn/signup", { body: input }),

    listSessions: () => get("/auth/sessions"),
    endSessions: (input) => gated("DELETE", "/auth/sessions", input),
    refreshTokens,
    getSessionToken: async () => (await storage.get(SESSION_TOKEN_KEY)) ?? null,
    getAccessToken: async () => (await storage.get(ACCESS_TOKEN_KEY)) ?? null,

    onAuthChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getAuthState: () => state,
  };
}

/**
 * Browser: makes a WebAuthn credential from the server's creation options and returns it as the
 * JSON the server takes (`addWebAuthnCredential({ credential })`, `completePasskeySignup`).
 */
export async function createWebAuthnCredential(options: CreationOptions): Promise<RegistrationResponseJSON> {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options.creation_options.publicKey);
  const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
  return credential.toJSON() as RegistrationResponseJSON;
}

/**
 * Browser: signs the server's request options with a WebAuthn credential and returns the
 * assertion as the JSON the server takes (`loginWithWebAuthn({ credential })`, …).
 */
export async function getWebAuthnCredential(options: RequestOptions): Promise<AuthenticationResponseJSON> {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.request_options.publicKey);
  const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
  return credential.toJSON() as AuthenticationResponseJSON;
}
