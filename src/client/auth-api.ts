import type { ProviderInfo, User } from "../core/wire.js";
import { exclusive } from "./lock.js";
import { defaultStorage, type TokenStorage } from "./storage.js";

/**
 * `AuthAPI`: the compact Bearer-token API (`/auth/login/`, `/auth/user/`, …) from a browser, a
 * React Native app or Node, through `fetch`. It keeps the access token (storage key `auth_token`)
 * and the refresh token (`auth_refresh_token`), sends `Authorization: Bearer` on every call, and
 * when the server refuses the access token (401 `invalid_token`) refreshes once and retries.
 * Refreshes are one at a time across the tabs sharing the storage (Web Locks), and a tab that waited
 * takes the pair the other stored rather than spending the refresh token that pair replaced.
 */

/** The storage key of the access token. */
const TOKEN_KEY = "auth_token";
/** The storage key of the refresh token. */
const REFRESH_TOKEN_KEY = "auth_refresh_token";
/** The storage key of the `state` of the provider login under way (it must outlive the trip to the provider). */
const PROVIDER_STATE_KEY = "auth_provider_state";

/** An entry of `errors[]`. */
export interface AuthErrorDetail {
  message: string;
  code: string;
  param?: string;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  /** Seconds the access token lives. */
  expires_in: number;
}

/** A completed login: the tokens (already stored) and the user. */
export interface LoggedIn extends Tokens {
  user: User;
}

/**
 * A login (or a password reset by code) that needs one more step. The token of the step is
 * remembered for the method that continues it, which also takes it as its last argument.
 */
export type PendingStep =
  /** Send a code of one of `types` to `mfaAuthenticate`. */
  | { flow: "mfa_authenticate"; types: ("recovery_codes" | "totp" | "webauthn")[]; mfa_token: string }
  /**
   * The address must be verified first: `verifyEmail` with the mailed key; when verification is by
   * code, the `verification_token` goes with it (it survives a wrong code).
   */
  | { flow: "verify_email"; verification_token?: string }
  /** The provider's account needs a local account: `providerSignup` with the missing fields. */
  | { flow: "provider_signup"; provider: ProviderInfo; signup_token: string }
  /** A reset code was mailed (if the address has an account): `confirmPasswordReset` with it. */
  | { flow: "password_reset_by_code"; reset_token: string }
  /** A step the compact API cannot continue (a phone number to verify, a login code required). */
  | { flow: "verify_phone" | "login_by_code" };

export type LoginResult = LoggedIn | PendingStep;

/** A signup: logged in, or waiting for a step (the address to be verified); and whether a verification mail went out. */
export type SignupResult = LoginResult & { verification_sent: boolean };

export interface TotpSetup {
  /** The base32 secret, to send back with the first code to `confirmTotp`. */
  secret: string;
  /** The QR code of `totp_url`, for an authenticator app to scan. */
  qr_code: string;
  totp_url: string;
}

export interface TotpConfirmed {
  recovery_codes: string[];
}

/** A refusal: the HTTP status, the server's `errors`, and the step the server asks for, if any. */
export class AuthError extends Error {
  readonly status: number;
  readonly errors: AuthErrorDetail[];
  /** The first error's code (e.g. `invalid_token`, `incorrect_code`). */
  readonly code: string | undefined;
  /**
   * The call needs a recent login: `reauthenticate` (`reauthenticate(password)`) or
   * `mfa_reauthenticate` (`mfaReauthenticate(code)`), then call again.
   */
  readonly flow: "reauthenticate" | "mfa_reauthenticate" | undefined;

  constructor(status: number, body: { errors?: AuthErrorDetail[]; flow?: AuthError["flow"] }) {
    const errors = Array.isArray(body.errors) ? body.errors : [];
    super(errors[0]?.message ?? body.flow ?? `HTTP ${status}`);
    this.name = "AuthError";
    this.status = status;
    this.errors = errors;
    this.code = errors[0]?.code;
    this.flow = body.flow;
  }
}

export interface AuthAPIOptions {
  /** Where the tokens are kept (default `localStorage` when present, else memory). */
  storage?: TokenStorage;
  /** The `fetch` to call (default the global one). */
  fetch?: typeof fetch;
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked where they are used
type Json = any;

/**
 * The compact API's answer as the methods return it. Every answer passes here, so this is where
 * a change of the success envelope is made.
 */
function decode(body: Json): Json {
  return body;
}

export class AuthAPI {
  readonly baseURL: string;
  readonly #storage: TokenStorage;
  readonly #fetch: typeof fetch;
  /** The step the last answer waits for, by flow: its token (`mfa_token`, `signup_token`, …). */
  #step: Partial<Record<PendingStep["flow"], string>> = {};
  /** The refresh under way: concurrent 401s share it, so a rotating refresh token is spent once. */
  #refreshing: Promise<boolean> | undefined;

  constructor(baseURL = "/auth", options: AuthAPIOptions = {}) {
    this.baseURL = baseURL.replace(/\/+$/, "");
    this.#storage = options.storage ?? defaultStorage();
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The stored access token, for calls to your own API. */
  async getToken(): Promise<string | null> {
    return (await this.#storage.get(TOKEN_KEY)) ?? null;
  }

  signup(email: string, password: string, username?: string): Promise<SignupResult> {
    const body = { email, password, ...(username === undefined ? {} : { username }) };
    return this.#call("POST", "signup", body, true);
  }

  /**
   * Verifies an address with the mailed key or code: logged in (the tokens stored) or a further
   * step when the verification was part of a login, else `{}` (verified; log in). A code goes with
   * the `verification_token` of the `verify_email` step (by default the one remembered).
   */
  verifyEmail(
    key: string,
    verificationToken = this.#step.verify_email,
  ): Promise<LoginResult | Record<string, never>> {
    return this.#call("POST", "email/verify", { key, token: verificationToken }, true);
  }

  /**
   * Logs in with an email address, or with a username (a string without `@`); `{ email }` or
   * `{ username }` says which it is (a username may contain `@`).
   */
  login(
    identifier: string | { email: string } | { username: string },
    password: string,
  ): Promise<LoginResult> {
    const by =
      typeof identifier === "string"
        ? { [identifier.includes("@") ? "email" : "username"]: identifier }
        : identifier;
    return this.#call("POST", "login", { ...by, password }, true);
  }

  /** The second factor of a login that answered `mfa_authenticate` (a TOTP or recovery code). */
  mfaAuthenticate(code: string, mfaToken = this.#step.mfa_authenticate): Promise<LoginResult> {
    return this.#call("POST", "mfa/authenticate", { token: mfaToken, code }, true);
  }

  /** The logged-in user, or null when there is none (no token, or the server refuses it). */
  async getUser(): Promise<User | null> {
    if (!(await this.getToken())) return null;
    try {
      return await this.#call<User>("GET", "user");
    } catch (error) {
      if (error instanceof AuthError && error.status === 401) return null;
      throw error;
    }
  }

  /** Ends the session on the server and forgets the tokens (also when the server has already ended it). */
  async logout(): Promise<void> {
    try {
      await this.#call("POST", "logout");
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
    } finally {
      await this.#forget();
    }
  }

  /**
   * Exchanges the refresh token for a new pair; false (and the tokens forgotten) when the server
   * refuses it, an AuthError when the server fails otherwise. Calls that get 401 `invalid_token`
   * do this themselves.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= (async () => {
      const spending = await this.#storage.get(REFRESH_TOKEN_KEY);
      return exclusive(`latchkey-refresh:${this.baseURL}`, async () => {
        const stored = await this.#storage.get(REFRESH_TOKEN_KEY);
        // Another tab refreshed (or logged out) while this one waited: its tokens are this one's.
        return stored === spending ? this.#refresh(stored) : !!stored;
      });
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Starts TOTP setup: show `qr_code`, then `confirmTotp(secret, code)`. */
  addTotp(): Promise<TotpSetup> {
    return this.#call("POST", "mfa/totp/add");
  }

  confirmTotp(secret: string, code: string): Promise<TotpConfirmed> {
    return this.#call("POST", "mfa/totp/confirm", { secret, code });
  }

  /** Confirms the password for calls that need a recent login (their AuthError has `flow: "reauthenticate"`). */
  async reauthenticate(password: string): Promise<void> {
    await this.#call("POST", "reauthenticate", { password });
  }

  /** Confirms a TOTP or recovery code for calls that need a recent login (`flow: "mfa_reauthenticate"`). */
  async mfaReauthenticate(code: string): Promise<void> {
    await this.#call("POST", "mfa/reauthenticate", { code });
  }

  /** Mails a reset link; or, with reset by code, a code, answering the `password_reset_by_code` step. */
  requestPasswordReset(
    email: string,
  ): Promise<Extract<PendingStep, { flow: "password_reset_by_code" }> | Record<string, never>> {
    return this.#call("POST", "password/reset", { email });
  }

  /**
   * Sets a new password with the mailed key, or with the mailed code and the `reset_token` of the
   * `password_reset_by_code` step (by default the one remembered): `{}`, or logged in or a further
   * step where a reset logs in.
   */
  confirmPasswordReset(
    key: string,
    password: string,
    resetToken = this.#step.password_reset_by_code,
  ): Promise<LoginResult | Record<string, never>> {
    return this.#call("POST", "password/reset/confirm", { key, password, token: resetToken }, true);
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#call("POST", "password/change", {
      current_password: currentPassword,
      new_password: newPassword,
    });
  }

  /** The social providers the server offers. */
  async providers(): Promise<ProviderInfo[]> {
    return (await this.#call<{ providers: ProviderInfo[] }>("GET", "providers")).providers;
  }

  /**
   * The provider's authorization URL to send the user to; the provider comes back to the server's
   * `compactApi.providerCallbackUrl`, a page of yours that hands what it got to `providerCallback`.
   * The URL's `state` is kept in the storage: only a callback that brings it back is accepted, so
   * nobody can log the user in to an account of theirs by sending them to the callback page.
   */
  async providerRedirect(provider: string): Promise<string> {
    const path = `providers/${encodeURIComponent(provider)}/redirect`;
    const url = (await this.#call<{ redirect_url: string }>("POST", path, {})).redirect_url;
    const state = new URL(url, "http://_").searchParams.get("state");
    await (state ? this.#storage.set(PROVIDER_STATE_KEY, state) : this.#storage.remove(PROVIDER_STATE_KEY));
    return url;
  }

  /**
   * Completes a provider login with what the provider sent back to your callback page (`code`,
   * `state`, and `iss` when there is one). A `state` other than the one `providerRedirect` kept, or
   * none kept, is refused without asking the server (AuthError 400 `state_mismatch`); the kept
   * state is used once.
   */
  async providerCallback(
    provider: string,
    callback: { code: string; state: string; iss?: string },
  ): Promise<LoginResult> {
    const kept = await this.#storage.get(PROVIDER_STATE_KEY);
    if (!kept || kept !== callback.state) {
      throw new AuthError(400, {
        errors: [{ code: "state_mismatch", message: "This login was not started here.", param: "state" }],
      });
    }
    await this.#storage.remove(PROVIDER_STATE_KEY);
    return this.#call("POST", `providers/${encodeURIComponent(provider)}/callback`, callback, true);
  }

  /**
   * `providerCallback` with the callback page's URL (default: the page's own). A provider's
   * `error` (e.g. `access_denied` when the user cancelled) is thrown as an AuthError of that code.
   */
  async providerCallbackFromUrl(provider: string, url: string = location.href): Promise<LoginResult> {
    const query = new URL(url).searchParams;
    const get = (name: string) => query.get(name) ?? undefined;
    const error = get("error");
    if (error) {
      throw new AuthError(400, { errors: [{ code: error, message: get("error_description") ?? error }] });
    }
    return this.providerCallback(provider, { code: get("code")!, state: get("state")!, iss: get("iss") });
  }

  /** Logs in with a token the provider gave the app (e.g. a native Google or Apple sign-in). */
  providerToken(
    provider: string,
    token: { access_token: string } | { id_token: string },
  ): Promise<LoginResult> {
    return this.#call("POST", `providers/${encodeURIComponent(provider)}/token`, token, true);
  }

  /** Completes the signup of a provider login that answered `provider_signup` (e.g. `{ username }`). */
  providerSignup(
    fields: Record<string, string>,
    signupToken = this.#step.provider_signup,
  ): Promise<LoginResult> {
    return this.#call("POST", "providers/signup", { ...fields, token: signupToken }, true);
  }

  /**
   * One call: the stored access token as Bearer; a 401 `invalid_token` refreshes once and
   * retries; a body naming a `flow` is the result where `flows` allows it (a login's next step),
   * else an AuthError; tokens in an answer are stored.
   */
  async #call<T>(method: string, path: string, body?: unknown, flows = false, retried = false): Promise<T> {
    const token = await this.getToken();
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await this.#fetch(`${this.baseURL}/${path}/`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer: Json = await response.json().catch(() => ({}));
    const refused =
      response.status === 401 &&
      ((response.headers.get("www-authenticate") ?? "").includes("invalid_token") ||
        answer.errors?.some((e: AuthErrorDetail) => e.code === "invalid_token"));
    // A token another call or tab has already replaced: retry with the stored one; else refresh first.
    if (refused && token && !retried && ((await this.getToken()) !== token || (await this.refresh()))) {
      return this.#call(method, path, body, flows, true);
    }
    if (!response.ok && !(flows && typeof answer.flow === "string"))
      throw new AuthError(response.status, answer);
    const result = decode(answer);
    await this.#keep(result);
    return result;
  }

  async #keep(result: Json): Promise<void> {
    if (typeof result?.access_token === "string") await this.#storage.set(TOKEN_KEY, result.access_token);
    if (typeof result?.refresh_token === "string") {
      await this.#storage.set(REFRESH_TOKEN_KEY, result.refresh_token);
    }
    if (typeof result?.flow === "string") {
      this.#step = {
        [result.flow]:
          result.mfa_token ?? result.signup_token ?? result.verification_token ?? result.reset_token,
      };
    }
  }

  async #refresh(refreshToken: string | null | undefined): Promise<boolean> {
    if (!refreshToken) return false;
    const response = await this.#fetch(`${this.baseURL}/token/refresh/`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    const answer: Json = await response.json().catch(() => ({}));
    if (response.ok) {
      await this.#keep(decode(answer));
      return true;
    }
    // Only the server's refusal of the token ends the login; an outage is not a logout.
    if (response.status !== 400 && response.status !== 401) throw new AuthError(response.status, answer);
    // Refused because another tab had just replaced it (its write had not reached this tab yet):
    // the pair that tab stored is this one's too.
    const stored = await this.#storage.get(REFRESH_TOKEN_KEY);
    if (stored && stored !== refreshToken) return true;
    await this.#forget();
    return false;
  }

  async #forget(): Promise<void> {
    this.#step = {};
    await this.#storage.remove(TOKEN_KEY);
    await this.#storage.remove(REFRESH_TOKEN_KEY);
  }
}
