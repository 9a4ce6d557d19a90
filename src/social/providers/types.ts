import type * as oauth from "oauth4webapi";
import type { ResolvedOptions } from "../../options/schema.js";
import type { AppOptions, ProviderSettings } from "../options.js";

/** Raw JSON a provider answered (a profile, a userinfo document, id_token claims). */
export type ProviderData = Record<string, unknown>;

/** An address as a provider states it. */
export interface ProviderEmail {
  email: string;
  verified: boolean;
  primary: boolean;
}

/**
 * What a provider's data says about the person (allauth's `extract_uid`, `extract_common_fields`
 * and `extract_email_addresses`); values are taken as given and cleaned afterwards.
 */
export interface MappedProfile {
  uid: unknown;
  email?: unknown;
  emailVerified?: unknown;
  emails?: ProviderEmail[];
  username?: unknown;
  name?: unknown;
  firstName?: unknown;
  lastName?: unknown;
  picture?: unknown;
  /** What is stored as the account's extra data (default: the data itself). */
  extraData?: ProviderData;
}

/** Tokens a provider handed out at login (kept only with socialaccount.storeTokens). */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch ms. */
  expiresAt: number | null;
}

/** The token a client hands over in the token flow (already checked to hold at least one of them). */
export interface ClientToken {
  idToken?: string;
  accessToken?: string;
  /** When given, the id_token's `nonce` claim must equal it. */
  nonce?: string;
}

/** One provider app as configured: a preset, its id, name and (for app-based presets) its app. */
export interface ProviderApp {
  /** The id clients use and accounts are stored under (an OpenID Connect app's providerId). */
  id: string;
  name: string;
  spec: ProviderSpec;
  /** null for providers without apps (the development provider). */
  app: AppOptions | null;
  /** The provider's settings with the app's over them. */
  settings: ProviderSettings & { hidden?: boolean };
}

/** Everything a provider's own code may use for one call: endpoints, HTTP, the OAuth metadata. */
export interface ProviderCall {
  provider: ProviderApp;
  options: ResolvedOptions;
  /** The URL of one of the preset's endpoints (the option's override, else its default). */
  endpoint(name: string): string;
  /** fetch for provider endpoints: https (or http on loopback), a timeout, a size limit. */
  fetch: typeof fetch;
  /** The options oauth4webapi and jose calls take (the fetch above). */
  http: oauth.HttpRequestOptions<"GET" | "POST", URLSearchParams | undefined>;
  /** The authorization server as oauth4webapi sees it (static, or discovered). */
  metadata(): Promise<oauth.AuthorizationServer>;
  client(): oauth.Client;
  /**
   * GET (or another method) on an API of the provider with the access token: the JSON answered
   * (null for a status listed in `allowStatus`).
   */
  api(url: string, accessToken: string, init?: ApiCallInit): Promise<unknown>;
  /** Verifies an id_token of the token flow against the provider's keys. */
  verifyIdToken(idToken: string, check: IdTokenCheck): Promise<ProviderData>;
  /** Epoch ms (the server's clock). */
  now(): number;
}

export interface ApiCallInit {
  method?: "GET" | "POST";
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Statuses answered as "no data" (null) rather than failures, e.g. GitHub's documented 404. */
  allowStatus?: readonly number[];
}

export interface IdTokenCheck {
  jwksUrl: string;
  issuer: string | readonly string[];
  audience: string | readonly string[];
  nonce?: string;
}

/** A failure talking to a provider, or an answer it should not have given. */
export class ProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProviderError";
  }
}

/**
 * One provider preset, as data (allauth's Provider and OAuth2Adapter classes): what it supports,
 * where its endpoints are, how it asks, and how its answers map to an account.
 */
export interface ProviderSpec {
  /** allauth's provider id: the key under socialaccount.providers. */
  id: string;
  name: string;
  /** False for the development provider, which has no apps. */
  usesApps: boolean;
  /** allauth `supports_redirect`. */
  redirect: boolean;
  /** allauth `supports_token_authentication`. */
  token: boolean;
  /**
   * Endpoints by name, with their defaults from the settings (undefined: it must be configured).
   * `authorization`, `token`, `userinfo`, `jwks` and `issuer` make the authorization server's
   * metadata; the others are the preset's own APIs.
   */
  endpoints: Readonly<Record<string, (s: ProviderSettings) => string | undefined>>;
  /** The metadata comes from OpenID Connect discovery at the `serverUrl` setting (endpoints override it). */
  discovery?: boolean;
  /** Settings an app of this preset cannot do without. */
  required?: readonly RequiredSetting[];
  /** The scope asked for unless the options set one. */
  scope(o: ResolvedOptions): string[];
  /** PKCE S256 unless the options say otherwise. */
  pkce: boolean;
  /** How the app authenticates at the token endpoint. */
  clientAuth?: "client_secret_post" | "client_secret_basic";
  /** The client secret to present, when it is not the app's `secret` as configured (Apple's signed JWT). */
  clientSecret?(call: ProviderCall): Promise<string>;
  /** Authorization parameters the preset always sends. */
  authParams?: Readonly<Record<string, string>>;
  /** The token endpoint returns an id_token to validate (a nonce is sent with the authorization request). */
  idToken?: boolean;
  /** The provider posts its authorization response (response_mode=form_post). */
  formPost?: boolean;
  /** Its data after the code exchange: the tokens (id_token claims validated) and the form-posted extras. */
  profile(
    call: ProviderCall,
    tokens: oauth.TokenEndpointResponse,
    extra: ProviderData,
  ): Promise<ProviderData>;
  /** What the data says (uid, addresses, names). */
  map(data: ProviderData, call: ProviderApp): MappedProfile;
  /** The token flow: the data behind a client's token, or a ProviderError. */
  verifyToken?(call: ProviderCall, token: ClientToken): Promise<ProviderData>;
  /** How an account is shown (allauth `ProviderAccount.to_str`), when the generic rule does not fit. */
  display?(extra: ProviderData): string | undefined;
  /** The part of the extra data holding the user (allauth `get_user_data`), when it is nested. */
  userData?(extra: ProviderData): ProviderData;
}

export type RequiredSetting = "secret" | "key" | "certificateKey" | "baseUrl" | "realm" | "serverUrl";
